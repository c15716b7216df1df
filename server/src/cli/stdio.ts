// Standard output and error without paying for Node's stream objects when a
// command does not need them. `process.stdout`/`stderr` are made on first
// use, and for a pipe that costs several milliseconds of a cold start (a
// socket, its stream machinery): as much as a one-line `vmsec check` spends
// on checking. So the dispatcher hooks their first use instead of touching
// them, and `check` writes its output straight to the file descriptor.
import { writeSync } from 'node:fs';

type StdName = 'stdout' | 'stderr';
// Shared by the dispatcher's bundle and the command's bundle (each has its own copy of this module).
const state: { hooked: Set<StdName>; made: Set<StdName> } = ((globalThis as Record<symbol, unknown>)[Symbol.for('vmsec.stdio')] ??= { hooked: new Set(), made: new Set() }) as never;
const { hooked, made } = state;

/**
 * Runs `hook` when process[name] is first used (at once if Node made it
 * already); never makes the stream itself.
 */
export function onFirstUse(name: StdName, hook: (s: NodeJS.WriteStream) => void): void {
  const desc = Object.getOwnPropertyDescriptor(process, name);
  if (!desc?.get || !desc.configurable) {
    made.add(name);
    hook(process[name]);
    return;
  }
  const get = desc.get;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: desc.enumerable,
    get() {
      const s = get.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, name, { configurable: true, enumerable: desc.enumerable, get: () => s });
      made.add(name);
      hook(s);
      return s;
    },
  });
  hooked.add(name);
}

/** Whether nothing written to stdout or stderr is still waiting in a stream (so exiting now loses nothing). */
export function stdioIdle(): boolean {
  for (const name of made) if (process[name].writableLength > 0) return false;
  return true;
}

/**
 * Writes text to stdout or stderr. Straight to the descriptor while the
 * dispatcher watches the stream and Node never made it (the same bytes, in
 * order); through the stream otherwise (it exists, or the command runs
 * in-process, where callers may capture process.stdout), or when the
 * descriptor refuses a synchronous write (a full non-blocking pipe, a closed
 * pipe): the stream then reports as it always did (EPIPE ends quietly).
 */
export function writeStd(name: StdName, text: string): void {
  if (!hooked.has(name) || made.has(name)) { process[name].write(text); return; }
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(name === 'stdout' ? 1 : 2, bytes, done, bytes.length - done);
  } catch {
    process[name].write(bytes.subarray(done));
  }
}

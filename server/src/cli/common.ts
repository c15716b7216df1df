// What every subcommand shares: the error kinds that map to exit 2, terminal
// output with control characters escaped, and the common options.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { ParsedArgs, UsageError, type OptionSpec } from './args';
import { collectVmsecFiles, Collected, displayPath } from './files';
import { escapeControl } from '../model/escape-text';
import { lossyName, NOT_UTF8_NAME } from '../model/source-reader';

/** An input or I/O problem: exit 2 with a one-line message, without the usage text. */
export class InputError extends Error {}

/** One subcommand: its synopsis line, its --help text, its options and what it does. */
export interface Command {
  synopsis: string;
  help: string;
  options: OptionSpec;
  /** The exit code; a promise for a command that waits for worker threads (many runs, sweeps). */
  run(p: ParsedArgs): number | Promise<number>;
  /** For a command that parses its own options (then `run` is not called). */
  runArgs?(args: string[]): number | Promise<number>;
}

/** Text for a terminal: control characters from files (titles, names) escaped, line by line. */
export function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(text.split('\n').map(escapeControl).join('\n') + '\n');
}

export function formatOption(p: ParsedArgs, command: string, allowed: string[]): string {
  const format = p.values.get('format') ?? 'text';
  if (!allowed.includes(format)) {
    const list = allowed.slice(0, -1).join(', ') + ' or ' + allowed[allowed.length - 1];
    throw new UsageError(`unknown format '${format}' for ${command} (${list})`);
  }
  return format;
}

export function rootOption(p: ParsedArgs): string | undefined {
  const root = p.values.get('root');
  if (root === undefined) return undefined;
  const abs = nodePath.resolve(root);
  let st: fs.Stats;
  try { st = fs.statSync(abs); } catch { throw new InputError(`--root ${root}: no such folder`); }
  if (!st.isDirectory()) throw new InputError(`--root ${root}: not a folder`);
  return abs;
}

export function collect(positional: string[], what: string): Collected {
  if (positional.length === 0) throw new UsageError(`${what} needs at least one file or folder`);
  const c = collectVmsecFiles(positional);
  const lossy = c.missing.filter(lossyName);
  if (lossy.length) throw new InputError(`${lossy.join(', ')}: ${NOT_UTF8_NAME}`);
  if (c.missing.length) throw new InputError(`no such file or folder: ${c.missing.join(', ')}`);
  if (c.problems.length) throw new InputError(c.problems.join('; '));
  return c;
}

export function unreadable(list: { path: string; error: string }[]): never {
  throw new InputError(list.map((u) => `cannot read ${displayPath(u.path)}: it ${u.error}`).join('\n'));
}


// What every subcommand shares: the error kinds that map to exit 2, terminal
// output with control characters escaped, and the common options.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { ParsedArgs, UsageError, type OptionSpec } from './args';
import { collectVmsecFiles, Collected, displayPath } from './files';
import { escapeControl, recordLines } from '../model/escape-text';
import { lossyName, NOT_UTF8_NAME } from '../model/source-reader';

/**
 * An input or I/O problem: exit 2 with its message, without the usage text.
 * The message is one line (a newline in a path or value inside it shows as
 * `\n`); a list of lines makes a message of several, each escaped alone.
 */
export class InputError extends Error {
  readonly lines: readonly string[];
  constructor(message: string | readonly string[]) {
    const lines = typeof message === 'string' ? [message] : message;
    super(lines.join('\n'));
    this.lines = lines;
  }
}

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

/**
 * A formatter's text for a terminal: its lines are records each escaped
 * whole (model/escape-text recordLines); any other control character left is
 * escaped here, line by line.
 */
export function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(text.split('\n').map(escapeControl).join('\n') + '\n');
}

/** A message of one line ("vmsec: …"): a newline in a value it quotes is shown as `\n`. */
export function writeMessage(stream: NodeJS.WriteStream, message: string): void {
  stream.write(escapeControl(message) + '\n');
}

/** An InputError's lines for the terminal, the first after "vmsec: ". */
export function inputErrorText(e: InputError): string {
  return recordLines([`vmsec: ${e.lines[0] ?? ''}`, ...e.lines.slice(1)]);
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
  throw new InputError(list.map((u) => `cannot read ${displayPath(u.path)}: it ${u.error}`));
}


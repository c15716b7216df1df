// The subcommands, read from commands.json (also read by esbuild.mjs, which
// builds one bundle per entry): enough to dispatch and to print `vmsec
// --help` without loading any command. A new subcommand is one line there.
import commands from './commands.json';

export interface CommandInfo {
  /** The word after `vmsec`. */
  name: string;
  /** Module in server/src/cli exporting the Command, and the export's name. */
  module: string;
  export: string;
  /** First line of the command's own synopsis (a test holds them equal). */
  synopsis: string;
  /** What `vmsec --help` says of it; may span lines. */
  summary: string;
  /**
   * Arguments of one run at build time, before the code cache is written, so
   * the cache holds what a run compiles (read-only commands only).
   */
  warm?: string[];
}

export const COMMANDS: readonly CommandInfo[] = commands;

export function commandInfo(name: string): CommandInfo | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The text of `vmsec --help` (and of a misused `vmsec`). */
export function usage(): string {
  const width = 8;
  const summaries = COMMANDS.map((c) => {
    const head = c.name.length < width ? c.name.padEnd(width) : `${c.name}  `;
    return head + c.summary.split('\n').join(`\n${' '.repeat(width)}`);
  });
  return [
    'usage:',
    ...COMMANDS.map((c) => `  ${c.synopsis}`),
    '  vmsec --version',
    '  vmsec SUBCOMMAND --help',
    '',
    ...summaries,
    '',
    'exit codes: 0 ok, 1 findings or failed expectations, 2 usage, input or I/O error',
  ].join('\n');
}

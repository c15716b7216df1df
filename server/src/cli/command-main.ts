// Runs one subcommand under the exit-code contract (0 ok · 1 findings · 2
// usage, input or I/O error). It is bundled into each command's bundle, next
// to the command, so the error classes it tests are the ones the command throws.
import { parseOptions, UsageError } from './args';
import { WriteRefused } from '../model/guarded-write';
import { Command, InputError, inputErrorText, writeMessage } from './common';
import { internalError } from './internal-error';

// A command that returns a promise gets the same contract for what it rejects with.
export function runCommandMain(name: string, cmd: Command, args: string[]): number | Promise<number> {
  try {
    const code = cmd.runArgs ? cmd.runArgs(args) : runParsed(cmd, args);
    return typeof code === 'number' ? code : code.catch((e: unknown) => failure(name, cmd, e));
  } catch (e) {
    return failure(name, cmd, e);
  }
}

function runParsed(cmd: Command, args: string[]): number | Promise<number> {
  const p = parseOptions(args, cmd.options);
  if (p.help) { process.stdout.write(cmd.help + '\n'); return 0; }
  return cmd.run(p);
}

function failure(name: string, cmd: Command, e: unknown): number {
  if (e instanceof UsageError) {
    writeMessage(process.stderr, `vmsec: ${e.message}`);
    process.stderr.write(`usage: ${cmd.synopsis}\n(vmsec ${name} --help for more)\n`);
    return 2;
  }
  // One line per message line: a path or value holding "\n" cannot add a line of its own.
  if (e instanceof InputError) { process.stderr.write(inputErrorText(e) + '\n'); return 2; }
  if (e instanceof WriteRefused) { writeMessage(process.stderr, `vmsec: ${e.message}`); return 2; }
  return internalError(e);
}

// The `vmsec` command line. One exit-code contract for every subcommand:
//   0 ok · 1 findings (check errors, failed expectations or steps)
//   2 usage, input or I/O error (unknown option, missing or unreadable file,
//     a file with errors given to run, a damaged checkpoint, a refused write)
// Nothing reaches the user as a raw stack trace: an unexpected exception is
// "vmsec: internal error: …" and exit 2 (the stack with VMSEC_DEBUG=1).
import pkg from '../../../package.json';
import { parseOptions, UsageError } from './args';
import { escapeControl } from '../model/escape-text';
import { WriteRefused } from '../model/guarded-write';
import { runExportPolicy, EXPORT_POLICY_HELP, EXPORT_POLICY_SYNOPSIS } from './export-policy';
import { Command, InputError, write } from './common';
import { checkCommand } from './check-command';
import { runCommand } from './run-command';
import { ckptCommand } from './ckpt-command';

const COMMANDS: Record<string, Command> = { check: checkCommand, run: runCommand, ckpt: ckptCommand };

const SYNOPSIS: Record<string, string> = { 'export-policy': EXPORT_POLICY_SYNOPSIS };
const HELP: Record<string, string> = { 'export-policy': EXPORT_POLICY_HELP };
for (const [name, c] of Object.entries(COMMANDS)) { SYNOPSIS[name] = c.synopsis; HELP[name] = c.help; }

const USAGE = `usage:
  ${SYNOPSIS.check}
  ${SYNOPSIS.run}
  ${SYNOPSIS.ckpt}
  ${SYNOPSIS['export-policy']}
  vmsec --version
  vmsec SUBCOMMAND --help

check   parse and validate .vmsec files (folders are searched); exit 1 if any error
run     run the scenarios of files or folders; exit 0 if every expectation passes,
        1 if one fails, 2 if a file has errors or the command is misused
ckpt    read a checkpoint file, check it, and scan it for confidential data in clear
export-policy  write a monitor as a Tetragon TracingPolicy or Falco rules

exit codes: 0 ok, 1 findings or failed expectations, 2 usage, input or I/O error`;

export function main(argv: string[]): number {
  const [command = '', ...rest] = argv;
  const cmd = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  try {
    // export-policy parses its own options (it is a whole module of its own).
    if (command === 'export-policy') return runExportPolicy(rest);
    if (!cmd) {
      switch (command) {
        case '--version': case 'version': process.stdout.write(`${pkg.version}\n`); return 0;
        case '--help': case 'help': case '-h': {
          const topic = rest[0];
          process.stdout.write((topic && Object.hasOwn(HELP, topic) ? HELP[topic] : USAGE) + '\n');
          return 0;
        }
        default: throw new UsageError(command ? `unknown command '${escapeControl(command)}'` : 'no command given');
      }
    }
    const p = parseOptions(rest, cmd.options);
    if (p.help) { process.stdout.write(HELP[command] + '\n'); return 0; }
    return cmd.run(p);
  } catch (e) {
    if (e instanceof UsageError) {
      const usage = cmd || command === 'export-policy' ? `usage: ${SYNOPSIS[command]}\n(vmsec ${command} --help for more)` : USAGE;
      write(process.stderr, `vmsec: ${e.message}`);
      process.stderr.write(usage + '\n');
      return 2;
    }
    if (e instanceof InputError || e instanceof WriteRefused) { write(process.stderr, `vmsec: ${e.message}`); return 2; }
    return internalError(e);
  }
}

function internalError(e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  write(process.stderr, `vmsec: internal error: ${message}`);
  process.stderr.write(`please report this with the command and files that caused it: https://github.com/vmsec/vmsec/issues\n`);
  if (process.env.VMSEC_DEBUG === '1' && e instanceof Error && e.stack) write(process.stderr, e.stack);
  else process.stderr.write('(set VMSEC_DEBUG=1 to see where it happened)\n');
  return 2;
}

// `vmsec run … | head` closes stdout early: that is not an error of vmsec.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); });
// Errors from worker threads or timers arrive outside main(): same contract.
process.on('uncaughtException', (e) => { process.exitCode = internalError(e); process.exit(2); });
process.on('unhandledRejection', (e) => { process.exitCode = internalError(e); process.exit(2); });

process.exitCode = main(process.argv.slice(2));

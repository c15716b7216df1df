// The `vmsec` command line: a small dispatcher. One exit-code contract for every subcommand:
//   0 ok · 1 findings (check errors, failed expectations or steps)
//   2 usage, input or I/O error (unknown option, missing or unreadable file,
//     a file with errors given to run, a damaged checkpoint, a refused write)
// Nothing reaches the user as a raw stack trace: an unexpected exception is
// "vmsec: internal error: …" and exit 2 (the stack with VMSEC_DEBUG=1).
//
// Each subcommand is its own bundle (dist/cli-NAME.js, listed in
// commands.json), loaded only when it is the one asked for: `vmsec check`
// never loads the simulator, and `vmsec --help` loads no command at all.
import { version } from '../../../package.json';
import { UsageError } from './args';
import { escapeControl } from '../model/escape-text';
import { internalError } from './internal-error';
import { commandInfo, usage } from './registry';
import { BundleMissing, loadCommand } from './load-command';
import { onFirstUse, stdioIdle } from './stdio';

/** Commands that are done when they return (no workers, timers or pending writes). */
const EXIT_WHEN_DONE = new Set(['check']);

export function main(argv: string[]): number | Promise<number> {
  const [command = '', ...rest] = argv;
  try {
    if (commandInfo(command)) return loadCommand(command).run(rest);
    switch (command) {
      case '--version': case 'version': process.stdout.write(`${version}\n`); return 0;
      case '--help': case 'help': case '-h': {
        const topic = rest[0];
        // `vmsec help check` is `vmsec check --help`.
        if (topic && commandInfo(topic)) return loadCommand(topic).run(['--help']);
        process.stdout.write(usage() + '\n');
        return 0;
      }
      default: throw new UsageError(command ? `unknown command '${escapeControl(command)}'` : 'no command given');
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vmsec: ${escapeControl(e.message)}\n${usage()}\n`);
      return 2;
    }
    if (e instanceof BundleMissing) { process.stderr.write(`vmsec: ${escapeControl(e.message)}\n`); return 2; }
    return internalError(e);
  }
}

// `vmsec run … | head` closes stdout early: that is not an error of vmsec.
// Hooked on first use: making the stream at start costs a cold `check` time (stdio.ts).
onFirstUse('stdout', (s) => s.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); }));
onFirstUse('stderr', () => undefined);
// Errors from worker threads or timers arrive outside main(): same contract.
process.on('uncaughtException', (e) => { process.exitCode = internalError(e); process.exit(2); });
process.on('unhandledRejection', (e) => { process.exitCode = internalError(e); process.exit(2); });

// Many runs and sweeps answer when their worker threads are done.
const code = main(process.argv.slice(2));
if (typeof code === 'number') {
  process.exitCode = code;
  // `check` leaves nothing running when it returns: exit at once rather than
  // let the event loop run V8's after-work collections (tens of ms after a
  // large file). Only when no output waits in a stream, so none is lost.
  if (EXIT_WHEN_DONE.has(process.argv[2]) && stdioIdle()) process.exit(code);
} else void code.then((c) => { process.exitCode = c; });

// The `vmsec` command line. One exit-code contract for every subcommand:
//   0 ok · 1 findings (check errors, failed expectations or steps)
//   2 usage, input or I/O error (unknown option, missing or unreadable file,
//     a file with errors given to run, a damaged checkpoint, a refused write)
// Nothing reaches the user as a raw stack trace: an unexpected exception is
// "vmsec: internal error: …" and exit 2 (the stack with VMSEC_DEBUG=1).
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import pkg from '../../../package.json';
import { checkFiles } from './check';
import { collectVmsecFiles, Collected, diskReader, displayPath } from './files';
import { formatJson, formatSarif, formatText, locate } from './format-check';
import { Workspace } from '../model/workspace';
import { validateFiles } from '../validation/validate-files';
import { runFileSet } from '../sim/run';
import type { RunResult } from '../sim/results';
import { formatRunJson, formatRunJsonFiles, formatRunJunit, formatRunText } from './format-run';
import { exportQuotes, prepareExportFolder } from './export-quotes';
import { checkpointReport, formatCheckpoint } from './ckpt';
import { CostsError, readCostsFile } from './costs-file';
import { parseOptions, ParsedArgs, UsageError, type OptionSpec } from './args';
import { MAX_CHECKPOINT_LIMIT, parseSize } from '../model/size-text';
import { runExportPolicy, EXPORT_POLICY_HELP, EXPORT_POLICY_SYNOPSIS } from './export-policy';
import { escapeControl } from '../model/escape-text';
import { WriteRefused } from '../model/guarded-write';
import { formatBytes } from '../model/source-reader';
import { DEFAULT_MAX_CHECKPOINT_BYTES } from '../sim/checkpoint';
import { readViewScript, reportProblem, writeReport } from './report-file';

/** An input or I/O problem: exit 2 with a one-line message, without the usage text. */
class InputError extends Error {}


const SYNOPSIS: Record<string, string> = {
  check: 'vmsec check PATH... [--format text|json|sarif] [--root DIR]',
  run: 'vmsec run PATH... [--scenario NAME] [--format text|json|junit] [--root DIR]\n            [--checkpoint-dir DIR] [--max-checkpoint-size SIZE] [--export-quotes DIR] [--costs FILE]\n            [--report FILE] [--trace VM=LOG]...',
  ckpt: 'vmsec ckpt FILE [--format text|json]',
};

const HELP: Record<string, string> = {
  check: `usage: ${SYNOPSIS.check}

Parse and validate .vmsec files and every file they import (folders are
searched for .vmsec files).

  --format text|json|sarif  output format (default text)
  --root DIR                checkpoint paths must stay inside DIR (default:
                            the folder of each file)
  --                        end of options: every later argument is a path
  -h, --help                this help

exit 0 no errors (warnings allowed), 1 errors found, 2 misuse or unreadable input`,
  run: `usage: ${SYNOPSIS.run}

Run the scenarios of each file (a folder: of every .vmsec file in it). A
file set with errors in any of its files, imports included, is not run.

  --scenario NAME            run only the scenario titled NAME
  --format text|json|junit   output format (default text)
  --root DIR                 checkpoint files must stay inside DIR (default:
                             the folder of each file)
  --checkpoint-dir DIR       write checkpoint files below DIR instead
  --max-checkpoint-size SIZE largest checkpoint file, e.g. 500MB, 2GiB
                             (default 1GiB)
  --export-quotes DIR        write every TPM quote for tpm2_checkquote
  --costs FILE               JSON object overriding simulator costs
  --report FILE              also write the results view as one self-contained
                             HTML file (timeline chart, tables, Export JSON);
                             replaces only an earlier vmsec report
  --trace VM=LOG             replay a real strace -f -tt log into VM's
                             monitors from time 0 (repeatable; docs/traces.md)
  --                         end of options
  -h, --help                 this help

exit 0 every expectation passed, 1 an expectation or a step failed,
2 misuse, a file with errors, or an input or I/O error`,
  ckpt: `usage: ${SYNOPSIS.ckpt}

Read a checkpoint file, verify it (schema and digests), and list the
processes whose memory is in it in clear.

  --format text|json  output format (default text)
  --                  end of options
  -h, --help          this help

exit 0 a whole checkpoint, 2 misuse or a missing, foreign or damaged file`,
};

SYNOPSIS['export-policy'] = EXPORT_POLICY_SYNOPSIS;
HELP['export-policy'] = EXPORT_POLICY_HELP;

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

/** Text for a terminal: control characters from files (titles, names) escaped, line by line. */
function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(text.split('\n').map(escapeControl).join('\n') + '\n');
}

function formatOption(p: ParsedArgs, command: string, allowed: string[]): string {
  const format = p.values.get('format') ?? 'text';
  if (!allowed.includes(format)) {
    const list = allowed.slice(0, -1).join(', ') + ' or ' + allowed[allowed.length - 1];
    throw new UsageError(`unknown format '${format}' for ${command} (${list})`);
  }
  return format;
}

function rootOption(p: ParsedArgs): string | undefined {
  const root = p.values.get('root');
  if (root === undefined) return undefined;
  const abs = nodePath.resolve(root);
  let st: fs.Stats;
  try { st = fs.statSync(abs); } catch { throw new InputError(`--root ${root}: no such folder`); }
  if (!st.isDirectory()) throw new InputError(`--root ${root}: not a folder`);
  return abs;
}

function collect(positional: string[], what: string): Collected {
  if (positional.length === 0) throw new UsageError(`${what} needs at least one file or folder`);
  const c = collectVmsecFiles(positional);
  if (c.missing.length) throw new InputError(`no such file or folder: ${c.missing.join(', ')}`);
  if (c.problems.length) throw new InputError(c.problems.join('; '));
  return c;
}

function unreadable(list: { path: string; error: string }[]): never {
  throw new InputError(list.map((u) => `cannot read ${displayPath(u.path)}: it ${u.error}`).join('\n'));
}

function runCheck(p: ParsedArgs): number {
  const format = formatOption(p, 'check', ['text', 'json', 'sarif']);
  const root = rootOption(p);
  const { files: paths } = collect(p.positional, 'check');
  const { files, diagnostics, unreadable: bad } = checkFiles(paths, root);
  if (bad.length) unreadable(bad);
  const items = locate(files, diagnostics);
  const out = format === 'json' ? formatJson(items) : format === 'sarif' ? formatSarif(items, pkg.version) : formatText(items);
  if (out) (format === 'text' ? write(process.stdout, out) : process.stdout.write(out + '\n'));
  if (format === 'text') {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
    process.stderr.write(`${files.length} file${files.length === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  }
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

function maxCheckpointOption(p: ParsedArgs): number | undefined {
  const raw = p.values.get('max-checkpoint-size');
  if (raw === undefined) return undefined;
  const n = parseSize(raw);
  if (n === undefined) throw new UsageError(`--max-checkpoint-size ${raw}: not a size; write e.g. 500MB or 2GiB`);
  if (n < 1 || n > MAX_CHECKPOINT_LIMIT) throw new UsageError(`--max-checkpoint-size ${raw}: must be at least 1 byte and at most ${formatBytes(MAX_CHECKPOINT_LIMIT)}`);
  return n;
}

/** `--trace VM=LOG` (repeatable): a VM name and a log path, split at the first '='. */
function traceOptions(p: ParsedArgs): { vm: string; path: string }[] | undefined {
  const raw = p.lists.get('trace');
  if (!raw) return undefined;
  return raw.map((t) => {
    const eq = t.indexOf('=');
    if (eq <= 0 || eq === t.length - 1) throw new UsageError(`--trace ${t}: write VM=LOG, e.g. --trace web=web.strace`);
    const path = nodePath.resolve(t.slice(eq + 1));
    // Regular files only (stat, never open a FIFO): a missing log is an input error, not a failed scenario.
    let st: fs.Stats | undefined;
    try { st = fs.statSync(path); } catch { st = undefined; }
    if (!st) throw new InputError(`--trace ${t}: ${t.slice(eq + 1)} does not exist`);
    if (!st.isFile()) throw new InputError(`--trace ${t}: ${t.slice(eq + 1)} is not a regular file`);
    return { vm: t.slice(0, eq), path };
  });
}

function runRun(p: ParsedArgs): number {
  const format = formatOption(p, 'run', ['text', 'json', 'junit']);
  const root = rootOption(p);
  const maxCheckpointBytes = maxCheckpointOption(p) ?? DEFAULT_MAX_CHECKPOINT_BYTES;
  const traces = traceOptions(p);
  let costs;
  try { costs = p.values.has('costs') ? readCostsFile(p.values.get('costs')!) : undefined; } catch (e) {
    if (e instanceof CostsError) throw new InputError(e.message);
    throw e;
  }
  const collected = collect(p.positional, 'run');
  const paths = collected.files;
  if (paths.length === 0) throw new InputError(`no .vmsec files in ${collected.folders.join(', ')}`);
  const quotesDir = p.values.get('export-quotes');
  // A folder vmsec may not write into is refused before anything runs.
  if (quotesDir !== undefined) prepareExportFolder(nodePath.resolve(quotesDir));
  const reportTarget = p.values.has('report') ? nodePath.resolve(p.values.get('report')!) : undefined;
  let viewScript = '';
  if (reportTarget !== undefined) {
    const problem = reportProblem(reportTarget);
    if (problem) throw new InputError(problem);
    const script = readViewScript();
    if (!script.ok) throw new InputError(script.error);
    viewScript = script.text;
  }

  // Every file of every file set is validated before anything runs.
  const checked = validateFiles(new Workspace(diskReader), paths, { workspaceRoot: root });
  if (checked.unreadable.length) unreadable(checked.unreadable);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const files = [...new Set(errors.map((d) => displayPath(d.path)))];
    write(process.stderr, formatText(locate(checked.files, errors)));
    write(process.stderr, `vmsec: ${files.length === 1 ? `${files[0]} has errors` : `${files.length} files have errors`}; fix them before running`);
    return 2;
  }

  const scenario = p.values.get('scenario');
  const results: RunResult[] = [];
  let exportError: unknown;
  let found = false;
  for (const file of paths) {
    const set = checked.graph.fileSet(file)!;
    const outcome = runFileSet(set, {
      scenario,
      costs,
      workspaceRoot: root,
      maxCheckpointBytes,
      traces,
      checkpointDir: p.values.has('checkpoint-dir') ? nodePath.resolve(p.values.get('checkpoint-dir')!) : undefined,
      onWorld: quotesDir === undefined ? undefined : (name, world) => {
        if (exportError !== undefined) return;
        try { exportQuotes(nodePath.resolve(quotesDir), name, world); } catch (e) { exportError = e; }
      },
    });
    if (outcome.kind === 'invalid') {
      // validateFiles above saw the same files; kept for safety.
      write(process.stderr, formatText(locate(set.files, outcome.diagnostics.filter((d) => d.severity === 'error'))) + `\nvmsec: ${displayPath(file)} has errors; fix them before running`);
      return 2;
    }
    if (outcome.kind === 'no-scenario') {
      if (paths.length === 1) {
        write(process.stderr, `vmsec: no scenario "${scenario}"; the file has: ${outcome.names.map((n) => `"${n}"`).join(', ') || 'none'}`);
        return 2;
      }
      continue;
    }
    found = true;
    if (outcome.result.scenarios.length === 0) {
      write(process.stderr, `vmsec: no scenarios in ${displayPath(file)}`);
      continue;
    }
    results.push(outcome.result);
  }
  if (exportError !== undefined) throw exportError;
  if (scenario !== undefined && !found) throw new InputError(`no scenario "${scenario}" in any of the files`);

  const single = p.positional.length === 1 && collected.folders.length === 0;
  if (single && results.length === 0) return 0;
  let out: string;
  if (format === 'json') out = single ? formatRunJson(results[0]) : formatRunJsonFiles(results);
  else if (format === 'junit') out = formatRunJunit(results);
  else out = results.map(formatRunText).join('\n\n') + (results.length > 1 ? `\n\n${totals(results)}` : '');
  if (format === 'text') write(process.stdout, out); else process.stdout.write(out + '\n');
  if (reportTarget !== undefined) {
    writeReport(reportTarget, results, viewScript);
    if (format === 'text') write(process.stderr, `vmsec: report written to ${displayPath(reportTarget)}`);
  }
  return results.every((r) => r.scenarios.every((s) => s.passed)) ? 0 : 1;
}

function totals(results: RunResult[]): string {
  const all = results.flatMap((r) => r.scenarios);
  const passed = all.filter((s) => s.passed).length;
  return `${results.length} files: ${passed} passed, ${all.length - passed} failed`;
}

function runCkpt(p: ParsedArgs): number {
  const format = formatOption(p, 'ckpt', ['text', 'json']);
  if (p.positional.length !== 1) throw new UsageError('ckpt needs exactly one file');
  const r = checkpointReport(p.positional[0]);
  if (!r.ok) throw new InputError(r.error);
  if (format === 'json') process.stdout.write(JSON.stringify(r.report, null, 2) + '\n');
  else write(process.stdout, formatCheckpoint(r.report));
  return 0;
}

const COMMANDS: Record<string, { options: OptionSpec; run: (p: ParsedArgs) => number }> = {
  check: { options: { format: true, root: true }, run: runCheck },
  run: {
    options: { format: true, scenario: true, 'export-quotes': true, 'checkpoint-dir': true, root: true, costs: true, 'max-checkpoint-size': true, report: true, trace: 'many' },
    run: runRun,
  },
  ckpt: { options: { format: true }, run: runCkpt },
};

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

// `vmsec run`: validate every file set, run its scenarios, print and write the results.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { diskReader, displayPath } from './files';
import { formatText, locate } from './format-check';
import { Workspace } from '../model/workspace';
import { validateFiles } from '../validation/validate-files';
import { runFileSet } from '../sim/run';
import { straceLogProblem } from '../sim/strace';
import type { RunResult } from '../sim/results';
import { formatRunJson, formatRunJsonFiles, formatRunJunit, formatRunText } from './format-run';
import { exportQuotes, prepareExportFolder } from './export-quotes';
import { exportCertificates } from './export-certs';
import { CostsError, readCostsFile } from './costs-file';
import { ParsedArgs, UsageError } from './args';
import { maxCheckpointOption } from './checkpoint-size-option';
import { readViewScript, reportProblem, writeReport } from './report-file';
import { collect, Command, formatOption, InputError, rootOption, unreadable, write, writeMessage } from './common';
import { manyRunsRequested, MANY_RUN_HELP, MANY_RUN_OPTIONS, prestartWorkers, runMany, seedOption } from './run-many';

const SYNOPSIS = 'vmsec run PATH... [--scenario NAME] [--format text|json|junit] [--root DIR]\n            [--checkpoint-dir DIR] [--max-checkpoint-size SIZE] [--export-quotes DIR] [--costs FILE]\n            [--export-certs DIR] [--report FILE] [--trace VM=LOG]...\n            [--seed N | --seeds RANGE [--jobs N] [--shard i/n --out FILE]]';

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
    // A log of which no line can be read (another strace format) is a mistake in the command, not a scenario result.
    let problem: string | undefined;
    try { problem = straceLogProblem(path); } catch (e) { throw new InputError(`--trace ${t}: ${e instanceof Error ? e.message : String(e)}`); }
    if (problem) throw new InputError(`--trace ${t}: ${problem}`);
    return { vm: t.slice(0, eq), path };
  });
}

function runRun(p: ParsedArgs): number | Promise<number> {
  const many = manyRunsRequested(p);
  const pool = many ? prestartWorkers(p) : undefined;
  const seed = seedOption(p);
  const format = formatOption(p, 'run', ['text', 'json', 'junit']);
  const root = rootOption(p);
  const maxCheckpointBytes = maxCheckpointOption(p);
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
  const certsDir = p.values.get('export-certs');
  if (certsDir !== undefined) prepareExportFolder(nodePath.resolve(certsDir));
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
    writeMessage(process.stderr, `vmsec: ${files.length === 1 ? `${files[0]} has errors` : `${files.length} files have errors`}; fix them before running`);
    return 2;
  }

  const checkpointDir = p.values.has('checkpoint-dir') ? nodePath.resolve(p.values.get('checkpoint-dir')!) : undefined;
  if (many) return runMany(p, checked.graph, paths, { costs, workspaceRoot: root, maxCheckpointBytes, traces, checkpointDir }, format, reportTarget, pool);

  const scenario = p.values.get('scenario');
  const results: RunResult[] = [];
  let exportError: unknown;
  let found = false;
  for (const file of paths) {
    const set = checked.graph.fileSet(file)!;
    const outcome = runFileSet(set, {
      scenario,
      seed,
      costs,
      workspaceRoot: root,
      maxCheckpointBytes,
      traces,
      checkpointDir: p.values.has('checkpoint-dir') ? nodePath.resolve(p.values.get('checkpoint-dir')!) : undefined,
      onWorld: quotesDir === undefined && certsDir === undefined ? undefined : (name, world) => {
        if (exportError !== undefined) return;
        try {
          if (quotesDir !== undefined) exportQuotes(nodePath.resolve(quotesDir), name, world);
          if (certsDir !== undefined) exportCertificates(nodePath.resolve(certsDir), name, world);
        } catch (e) { exportError = e; }
      },
    });
    if (outcome.kind === 'invalid') {
      // validateFiles above saw the same files; kept for safety.
      write(process.stderr, formatText(locate(set.files, outcome.diagnostics.filter((d) => d.severity === 'error'))));
      writeMessage(process.stderr, `vmsec: ${displayPath(file)} has errors; fix them before running`);
      return 2;
    }
    if (outcome.kind === 'no-scenario') {
      if (paths.length === 1) {
        writeMessage(process.stderr, `vmsec: no scenario "${scenario}"; the file has: ${outcome.names.map((n) => `"${n}"`).join(', ') || 'none'}`);
        return 2;
      }
      continue;
    }
    found = true;
    if (outcome.result.scenarios.length === 0) {
      writeMessage(process.stderr, `vmsec: no scenarios in ${displayPath(file)}`);
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
    if (format === 'text') writeMessage(process.stderr, `vmsec: report written to ${displayPath(reportTarget)}`);
  }
  return results.every((r) => r.scenarios.every((s) => s.passed)) ? 0 : 1;
}

function totals(results: RunResult[]): string {
  const all = results.flatMap((r) => r.scenarios);
  const passed = all.filter((s) => s.passed).length;
  return `${results.length} files: ${passed} passed, ${all.length - passed} failed`;
}

export const runCommand: Command = {
  synopsis: SYNOPSIS,
  help: `usage: ${SYNOPSIS}

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
  --export-certs DIR         write every X.509 certificate (PEM) for openssl
  --costs FILE               JSON object overriding simulator costs
  --report FILE              also write the results view as one self-contained
                             HTML file (timeline chart, tables, Export JSON);
                             replaces only an earlier vmsec report
  --trace VM=LOG             replay a real strace -f -tt log into VM's
                             monitors from time 0 (repeatable; docs/traces.md)
${MANY_RUN_HELP}
  --                         end of options
  -h, --help                 this help

exit 0 every expectation passed, 1 an expectation or a step failed,
2 misuse, a file with errors, or an input or I/O error`,
  options: { format: true, scenario: true, 'export-quotes': true, 'export-certs': true, 'checkpoint-dir': true, root: true, costs: true, 'max-checkpoint-size': true, report: true, trace: 'many', ...MANY_RUN_OPTIONS },
  run: runRun,
};

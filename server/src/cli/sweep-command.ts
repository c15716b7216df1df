// `vmsec sweep FILE --vary PATH=V1,V2 … | --ablate`: runs the file at every
// point of a grid of declared values (or with each defence switched off) and
// prints a table of medians and pass rates, JSON, or an HTML page.
import * as nodePath from 'node:path';
import { Workspace } from '../model/workspace';
import { validateFiles } from '../validation/validate-files';
import { diskReader, displayPath } from './files';
import { formatText, locate } from './format-check';
import { ParsedArgs, UsageError } from './args';
import { collect, Command, formatOption, InputError, rootOption, unreadable, write, writeMessage } from './common';
import { MAX_GRID_POINTS } from '../batch/vary';
import { runSweep, type SweepRun } from '../batch/sweep-run';
import { BatchWorkerError, WorkerPool } from '../batch/run-items';
import { inputsHash, parseShard, partialInfo, PartialWriter, PARTIAL_FAMILY, type Shard } from '../batch/shard';
import { sliceVerdict, sweepOutProblem, sweepOutput, sweepResult, writeSweepOut, type SweepFormat } from '../report/sweep-report';
import { prepareSweep, problemText, sweepRequest, SWEEP_METRICS } from '../report/sweep-prepare';
import { outProblem as partialOutProblem, writeOut as writePartial } from './merge-command';

const SYNOPSIS = 'vmsec sweep FILE (--vary PATH=V1,V2,... | --ablate) [--metric NAME] [--seeds RANGE] [--jobs N]\n            [--samples N] [--scenario NAME] [--format text|json|html] [--out FILE]\n            [--root DIR] [--checkpoint-dir DIR] [--shard i/n --out PART]';

/** Largest --jobs: more threads than this only queue on any machine this runs on. */
const MAX_JOBS = 256;
function positiveInt(p: ParsedArgs, name: string, max: number): number | undefined {
  const raw = p.values.get(name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new UsageError(`--${name} ${raw}: write a whole number from 1 to ${max}`);
  return Number(raw);
}

/** "1 of 3 passed" for the runs of the files as written in an ablation shard. */
const asWrittenText = (r: { runs: number; passed: number }) => (r.runs ? `${r.passed} of ${r.runs} passed` : 'none in this shard');

async function runSweepCommand(p: ParsedArgs): Promise<number> {
  const format = formatOption(p, 'sweep', ['text', 'json', 'html']) as SweepFormat;
  if (p.positional.length > 1) throw new UsageError('sweep takes one file');
  // The same checks and words as the editor's vmsec.sweep (report/sweep-prepare.ts).
  const samples = positiveInt(p, 'samples', MAX_GRID_POINTS);
  const req = sweepRequest({ vary: p.lists.get('vary') ?? [], ablate: p.flags.has('ablate'), metrics: p.lists.get('metric') ?? [], samples, seeds: p.values.get('seeds'), scenario: p.values.get('scenario') });
  if (typeof req === 'string') throw new UsageError(req);
  const jobs = positiveInt(p, 'jobs', MAX_JOBS) ?? 1;
  // Started now, they load while the files and varied values are checked (and keep no process alive until used).
  const pool = jobs > 1 ? new WorkerPool(jobs) : undefined;
  let shard: Shard | undefined;
  if (p.values.has('shard')) {
    const sh = parseShard(p.values.get('shard')!);
    if (typeof sh === 'string') throw new UsageError(`--shard ${sh}`);
    if (!p.values.has('out')) throw new UsageError('--shard needs --out PART, where the partial result goes (vmsec merge reads it)');
    if (p.values.has('format')) throw new UsageError('--format is for vmsec merge of the parts; a shard writes a partial result');
    shard = sh;
  }
  const root = rootOption(p);
  const outTarget = p.values.has('out') ? nodePath.resolve(p.values.get('out')!) : undefined;
  if (outTarget !== undefined) {
    // Checked before anything runs.
    if (shard) {
      const problem = partialOutProblem('--out', outTarget, PARTIAL_FAMILY);
      if (problem) throw new InputError(problem);
    } else {
      const problem = sweepOutProblem(outTarget, format);
      if (problem) throw new InputError(`--out ${p.values.get('out')}: ${problem}`);
    }
  }

  const collected = collect(p.positional, 'sweep');
  if (collected.folders.length || collected.files.length !== 1) throw new UsageError('sweep takes one .vmsec file, not a folder');
  const file = collected.files[0];
  const checked = validateFiles(new Workspace(diskReader), [file], { workspaceRoot: root });
  if (checked.unreadable.length) unreadable(checked.unreadable);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    write(process.stderr, formatText(locate(checked.files, errors)));
    writeMessage(process.stderr, `vmsec: ${displayPath(file)} has errors; fix them before sweeping`);
    return 2;
  }
  const set = checked.graph.fileSet(file)!;
  const settings: SweepRun['settings'] = {
    workspaceRoot: root,
    checkpointDir: p.values.has('checkpoint-dir') ? nodePath.resolve(p.values.get('checkpoint-dir')!) : undefined,
    // Each point and seed keeps its own checkpoints (docs/scale.md).
    checkpointPerItem: true,
  };

  const prepared = prepareSweep(set, req, { workspaceRoot: root, show: displayPath });
  if (!prepared.ok) {
    if (!prepared.problems.length) throw new InputError(prepared.message);
    for (const pr of prepared.problems) writeMessage(process.stderr, `vmsec: ${problemText(pr, displayPath)}`);
    return 2;
  }
  // The plan makes each point when asked (a grid's from its axes), so no list of every point is held during the run.
  const { spec, plan } = prepared;
  let partial: PartialWriter | undefined;
  if (shard) {
    // What changes results or the report, in terms equal on every machine (no absolute paths).
    const { checkpointDir: _dir, checkpointPerItem: _per, workspaceRoot: _root, ...resultSettings } = settings;
    partial = new PartialWriter(partialInfo(plan, shard, inputsHash(plan, resultSettings, spec), spec));
  }
  const run: SweepRun = { plan, settings, jobs, pool, shard, onOutcome: partial ? (o) => partial.add(o) : undefined, metrics: spec.kind === 'sweep' ? spec.metrics : [] };
  let agg;
  try {
    agg = await runSweep(run);
  } catch (e) {
    // A worker that failed or died: exit 2 with what happened, not a hang.
    if (e instanceof BatchWorkerError) throw new InputError(`the sweep stopped: ${e.message}`);
    throw e;
  }
  if (partial && shard && outTarget !== undefined) {
    writePartial('--out', outTarget, PARTIAL_FAMILY, partial.text());
    const failed = partial.count - agg.passed();
    // The exit code follows the unsharded rule for this slice (an ablation: only the runs as written count).
    const verdict = sliceVerdict(spec, agg, partial.count);
    const aw = verdict.asWritten ? ` (as written: ${asWrittenText(verdict.asWritten)})` : '';
    writeMessage(process.stdout, `vmsec: sweep shard ${shard.index}/${shard.count}: ${partial.count} of ${plan.count} runs, ${partial.count - failed} passed, ${failed} failed${aw}; partial result written to ${displayPath(outTarget)}`);
    return verdict.failed ? 1 : 0;
  }
  const { view, failed } = sweepResult(spec, { count: plan.variantCount, at: plan.variant }, agg);
  const text = sweepOutput(view, format);
  if (outTarget === undefined) {
    if (format === 'text') write(process.stdout, text); else process.stdout.write(text + (text.endsWith('\n') ? '' : '\n'));
  } else {
    writeSweepOut(outTarget, displayPath(outTarget), format, text);
    writeMessage(process.stderr, `vmsec: ${format === 'html' ? 'report' : 'results'} written to ${displayPath(outTarget)}`);
  }
  return failed ? 1 : 0;
}

export const sweepCommand: Command = {
  synopsis: SYNOPSIS,
  help: `usage: ${SYNOPSIS}

Run FILE's scenarios at every point of a grid of declared values, or with each
defence switched off in turn (docs/sweeps.md).

  --vary PATH=V1,V2,...  a declared value and the values to try (repeatable;
                         the grid is every combination, first --vary slowest).
                         Paths: NAME.PROP (f.children, h1.memory, web.vcpus),
                         link.A-B.PROP, VM.PROCESS.PROP, ATTACKER.tamper[.TARGET];
                         flags take on,off; list values join names with '+'
  --ablate               switch off each defence in turn (attestation,
                         integrity, encryption, each monitor rule, escalation,
                         each checkpoint exclusion) and report which
                         expectations each one carries
  --metric NAME          a column of medians over seeds (repeatable):
                         ${SWEEP_METRICS.join(', ')}
  --samples N            run N points of the grid, picked the same way every
                         time, instead of all of it
  --seeds RANGE          run every point with these seeds (1..100, 3,7,9);
                         default: each scenario's own seed
  --scenario NAME        only the scenario titled NAME
  --jobs N               run on N worker threads
  --format text|json|html  output format (default text); html: a table and a
                         chart per metric
  --out FILE             write the output to FILE (replaces only an earlier
                         sweep output); with --shard, the partial result
  --shard i/n            run only shard i of n of the (point, scenario, seed)
                         runs and write a partial result to --out PART;
                         vmsec merge PARTS... prints the whole sweep
  --root DIR             checkpoint files must stay inside DIR
  --checkpoint-dir DIR   write checkpoint files below DIR instead
  -h, --help             this help

exit 0 every run passed (ablation: the file as written passed; a shard: the
same rule for its own runs), 1 a run failed, 2 misuse, a wrong path or value, a file with errors, or an I/O error`,
  options: {
    vary: 'many', ablate: false, metric: 'many', samples: true, seeds: true, scenario: true, jobs: true,
    format: true, out: true, root: true, 'checkpoint-dir': true, shard: true,
  },
  run: runSweepCommand,
};

// A sweep or an ablation on the run worker, through the CLI's code: the
// request checked and the points made by report/sweep-prepare.ts, run by
// batch/sweep-run.ts, the view built by report/sweep-report.ts. So the
// editor shows exactly the numbers `vmsec sweep --format json` prints.
import type { FileSet } from '../../model/workspace';
import { nameOf } from '../../batch/plan';
import { runSweep } from '../../batch/sweep-run';
import { BatchWorkerError } from '../../batch/run-items';
import type { RunSettings } from '../../batch/item-runner';
import { prepareSweep, sweepRequest, type SweepRequestText } from '../../report/sweep-prepare';
import { sweepResult } from '../../report/sweep-report';
import type { SweepOutcome, SweepProblem } from '../../protocol';
import { pathToUri, toRange } from '../convert';

/** The most runs (points × scenarios × seeds) one editor sweep takes; the CLI takes more, sharded if need be. */
export const MAX_EDITOR_SWEEP_RUNS = 1_000_000;

export interface SweepJob {
  path: string; uri: string;
  request: SweepRequestText;
  /** Threads of the batch engine (1: this thread). */
  jobs: number;
  settings: RunSettings;
}

/** Runs the sweep of a validated file set; `progress` is called as runs finish. */
export async function runSweepOf(set: FileSet, job: SweepJob, progress: (done: number, failed: number, total: number) => void): Promise<SweepOutcome> {
  const req = sweepRequest(job.request);
  if (typeof req === 'string') return { ok: false, message: req, problems: [] };
  const root = job.settings.workspaceRoot;
  // Files are named relative to the workspace folder, as the CLI run there names them.
  const show = (p: string) => nameOf(p, root);
  const prepared = prepareSweep(set, req, { workspaceRoot: root, show });
  if (!prepared.ok) {
    const problems: SweepProblem[] = prepared.problems.map((p) => ({
      message: p.message,
      ...(p.at ? { uri: p.at.file.path === job.path ? job.uri : pathToUri(p.at.file.path), range: toRange(p.at.file, p.at.span) } : {}),
    }));
    return { ok: false, message: prepared.message, problems };
  }
  const { plan, spec } = prepared;
  if (plan.count > MAX_EDITOR_SWEEP_RUNS) {
    return { ok: false, message: `the sweep has ${plan.count.toLocaleString('en-US')} runs; the editor runs at most ${MAX_EDITOR_SWEEP_RUNS.toLocaleString('en-US')} (use vmsec sweep with --samples, --jobs or --shard)`, problems: [] };
  }
  const total = plan.count;
  const step = Math.max(1, Math.ceil(total / 200));
  let done = 0;
  let failed = 0;
  let agg;
  try {
    agg = await runSweep({
      plan, settings: job.settings, jobs: Math.min(job.jobs, Math.max(1, total)), metrics: spec.kind === 'sweep' ? spec.metrics : [],
      onOutcome: (o) => {
        done++;
        if (!o.passed) failed++;
        if (done % step === 0 || done === total) progress(done, failed, total);
      },
    });
  } catch (e) {
    if (e instanceof BatchWorkerError) return { ok: false, message: `the sweep stopped: ${e.message}`, problems: [] };
    throw e;
  }
  const { view } = sweepResult(spec, { count: plan.variantCount, at: plan.variant }, agg);
  return { ok: true, view, runs: done, passed: done - failed };
}

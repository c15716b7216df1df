// The scenario-run worker thread: runs one file's scenarios (or one of them)
// off the language server's thread, so typing, diagnostics and hover stay
// quick during a run. Reads open documents' texts from the job (unsaved edits
// run) and everything else from disk; posts each scenario's view as soon as
// it has run, then `done`. Cancelling is terminating this thread.
import { parentPort, workerData } from 'node:worker_threads';
import { Workspace, type FileSet } from '../../model/workspace';
import { readSourceFile } from '../../model/source-reader';
import { runFileSet } from '../../sim/run';
import { stopHashWorkers } from '../../sim/page-hasher';
import { buildScenarioView } from '../../report/view-model';
import { validateFileSetFiles } from '../../validation/validate-files';
import { pathToUri } from '../convert';
import type { RunJob, WorkerMessage } from './messages';
import { runSeedsOf } from './seeds-batch';
import { runSweepOf } from './sweep-batch';

function main(job: RunJob): WorkerMessage | Promise<WorkerMessage> {
  const texts = new Map(job.texts);
  const workspace = new Workspace({ read: (p) => (texts.has(p) ? { ok: true, text: texts.get(p)! } : readSourceFile(p)) });
  const loaded = workspace.load(job.path);
  if (!loaded.ok) return { kind: 'done', status: 'unreadable', message: `${job.path} ${loaded.error}` };
  const set = workspace.fileSet(job.path)!;
  if (job.sweep) return sweep(job as RunJob & { sweep: NonNullable<RunJob['sweep']> }, set);
  if (job.seeds) return seeds(job as RunJob & { seeds: number[] }, set);
  const uriOf = (p: string) => (p === job.path ? job.uri : pathToUri(p));
  const outcome = runFileSet(set, {
    scenario: job.scenario,
    seed: job.seed,
    workspaceRoot: job.workspaceRoot,
    maxCheckpointBytes: job.maxCheckpointBytes,
    checkpointLimitHint: 'the vmsec.maxCheckpointSize setting',
    onScenario: (r) => post({ kind: 'scenario', view: buildScenarioView(r, uriOf), wallMs: r.stats.wall_ms }),
  });
  if (outcome.kind === 'invalid') {
    const n = outcome.diagnostics.filter((d) => d.severity === 'error').length;
    return { kind: 'done', status: 'invalid', message: `the file has ${n} error${n === 1 ? '' : 's'}; fix ${n === 1 ? 'it' : 'them'} before running` };
  }
  if (outcome.kind === 'no-scenario') return { kind: 'done', status: 'no-scenario', message: `no scenario "${job.scenario}"; the file has: ${outcome.names.map((n) => `"${n}"`).join(', ') || 'none'}` };
  return { kind: 'done', status: 'ran' };
}

/** Once per seed: the file set must validate, as for a single run. */
function seeds(job: RunJob & { seeds: number[] }, set: FileSet): WorkerMessage {
  const { diagnostics } = validateFileSetFiles(set, { workspaceRoot: job.workspaceRoot });
  const n = diagnostics.filter((d) => d.severity === 'error').length;
  if (n) return { kind: 'done', status: 'invalid', message: `the file has ${n} error${n === 1 ? '' : 's'}; fix ${n === 1 ? 'it' : 'them'} before running` };
  const names = set.root.doc.decls.filter((d) => d.kind === 'scenario').map((d) => (d as { title: { value: string } }).title.value);
  if (job.scenario === undefined || !names.includes(job.scenario)) return { kind: 'done', status: 'no-scenario', message: `no scenario "${job.scenario}"; the file has: ${names.map((x) => `"${x}"`).join(', ') || 'none'}` };
  const scenario = runSeedsOf(set, {
    path: job.path, uri: job.uri, scenario: job.scenario, seeds: job.seeds, jobs: job.jobs ?? 1,
    settings: { workspaceRoot: job.workspaceRoot, maxCheckpointBytes: job.maxCheckpointBytes },
  }, (done, failed, total) => post({ kind: 'progress', done, failed, total }));
  post({ kind: 'seeds', scenario });
  return { kind: 'done', status: 'ran' };
}

/** A sweep or ablation of the file: the file set must validate, as `vmsec sweep` requires. */
async function sweep(job: RunJob & { sweep: NonNullable<RunJob['sweep']> }, set: FileSet): Promise<WorkerMessage> {
  const { diagnostics } = validateFileSetFiles(set, { workspaceRoot: job.workspaceRoot });
  const n = diagnostics.filter((d) => d.severity === 'error').length;
  if (n) return { kind: 'done', status: 'invalid', message: `the file has ${n} error${n === 1 ? '' : 's'}; fix ${n === 1 ? 'it' : 'them'} before sweeping` };
  const outcome = await runSweepOf(set, {
    path: job.path, uri: job.uri, request: job.sweep, jobs: job.jobs ?? 1,
    // Each point and seed keeps its own checkpoints, as with vmsec sweep.
    settings: { workspaceRoot: job.workspaceRoot, maxCheckpointBytes: job.maxCheckpointBytes, checkpointPerItem: true },
  }, (done, failed, total) => post({ kind: 'progress', done, failed, total }));
  post({ kind: 'sweep', outcome });
  return { kind: 'done', status: 'ran' };
}

function post(m: WorkerMessage): void { parentPort!.postMessage(m); }

void (async () => {
  let last: WorkerMessage;
  try { last = await main(workerData as RunJob); } catch (e) {
    last = { kind: 'done', status: 'crashed', message: `the run failed: ${(e as Error)?.stack ?? String(e)}` };
  }
  post(last);
  // The hashing threads would keep this thread alive.
  void stopHashWorkers().finally(() => process.exit(0));
})();

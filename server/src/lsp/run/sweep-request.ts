// vmsec.sweep / vmsec/sweep: checks the arguments' shapes and words (the
// CLI's messages), runs the sweep on a run worker (never this thread: points
// are validated and run there), reports progress, stops on cancellation, and
// answers the sweep's view. A wrong varied path is an InvalidParams error
// whose message is the CLI's and whose data locates each problem.
import { type CancellationToken, type WorkDoneProgressReporter, ResponseError, ErrorCodes, LSPErrorCodes } from 'vscode-languageserver';
import { availableParallelism } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Commands, type SweepArgs, type SweepResult } from '../../protocol';
import { sweepRequest } from '../../report/sweep-prepare';
import type { Runner } from './runner';

export interface SweepHost {
  runner: Runner;
  /** The file to sweep (throws the run commands' errors: untrusted, unknown file or scenario). */
  target(uri: string, scenario: string | undefined): { path: string; uri: string; open?: { version: number }; texts: [string, string][] };
  workspaceRootOf(path: string): string;
  maxCheckpointBytes: number;
  log(message: string): void;
}

const USAGE = `${Commands.sweep} needs [{ uri, vary: ["PATH=V1,V2", ...], metrics?, seeds?, samples?, scenario? }] or [{ uri, ablate: true, seeds?, scenario? }]`;

const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/** The arguments, shape-checked: anything else is a clear InvalidParams error. */
function argsOf(raw: unknown): SweepArgs {
  const a = (raw ?? {}) as Record<string, unknown>;
  const bad = (what: string) => new ResponseError(ErrorCodes.InvalidParams, `${Commands.sweep}: ${what}; ${USAGE}`);
  if (typeof a.uri !== 'string') throw bad('uri must be the file\'s URI');
  if (a.vary !== undefined && !isStrings(a.vary)) throw bad('vary must be a list of "PATH=V1,V2" texts');
  if (a.metrics !== undefined && !isStrings(a.metrics)) throw bad('metrics must be a list of metric names');
  if (a.seeds !== undefined && typeof a.seeds !== 'string') throw bad('seeds must be text such as "1..20"');
  if (a.samples !== undefined && typeof a.samples !== 'number') throw bad('samples must be a number');
  if (a.ablate !== undefined && typeof a.ablate !== 'boolean') throw bad('ablate must be true or false');
  if (a.scenario !== undefined && typeof a.scenario !== 'string') throw bad('scenario must be a scenario\'s title');
  return {
    uri: a.uri, vary: a.vary as string[] | undefined, ablate: a.ablate as boolean | undefined, metrics: a.metrics as string[] | undefined,
    seeds: a.seeds as string | undefined, samples: a.samples as number | undefined, scenario: a.scenario as string | undefined,
  };
}

export async function runSweepRequest(raw: unknown, token: CancellationToken, progress: WorkDoneProgressReporter, host: SweepHost): Promise<SweepResult> {
  try {
    const args = argsOf(raw);
    const { uri: _uri, ...request } = args;
    // The words of the flags are checked here, before a worker starts; paths and values on the worker.
    const checked = sweepRequest(request);
    if (typeof checked === 'string') throw new ResponseError(ErrorCodes.InvalidParams, checked);
    const { path, uri, open, texts } = host.target(args.uri, args.scenario);
    const startedAt = new Date().toISOString();
    const t0 = Date.now();
    const what = args.ablate ? 'ablation' : `sweep of ${request.vary!.map((v) => v.split('=')[0].trim()).join(' × ')}`;
    progress.begin(`vmsec: ${args.ablate ? 'which defences carry the results' : 'sweep'}`, 0, what, true);
    const job = host.runner.start({
      path, uri, texts, scenario: args.scenario ?? (args.ablate ? 'ablation' : 'sweep'), sweep: request,
      jobs: Math.max(1, Math.min(4, availableParallelism() - 1)),
      workspaceRoot: host.workspaceRootOf(path), maxCheckpointBytes: host.maxCheckpointBytes,
    });
    let lastReport = 0;
    job.onProgress = (done, failed, total) => {
      const now = Date.now();
      if (now - lastReport < 100 && done < total) return;
      lastReport = now;
      progress.report(Math.floor((done / total) * 100), `${done}/${total} runs · ${failed} failed`);
    };
    const stop = () => host.runner.cancel((j) => j === job);
    const progressToken = (progress as { token?: CancellationToken }).token;
    const subs = [token.onCancellationRequested(stop), ...(progressToken ? [progressToken.onCancellationRequested(stop)] : [])];
    let o;
    try { o = await job.done; } finally { for (const s of subs) s.dispose(); }
    if (o.status === 'cancelled') throw new ResponseError(LSPErrorCodes.RequestCancelled, 'sweep cancelled');
    if (o.status === 'failed') throw new ResponseError(ErrorCodes.InvalidParams, o.message);
    if (o.status !== 'sweep') throw new ResponseError(ErrorCodes.InternalError, 'the sweep ended without a result');
    if (!o.outcome.ok) throw new ResponseError(ErrorCodes.InvalidParams, o.outcome.message, { problems: o.outcome.problems });
    const result: SweepResult = {
      uri, version: open?.version ?? null, runId: randomUUID(), startedAt, durationMs: Date.now() - t0,
      runs: o.outcome.runs, passed: o.outcome.passed, view: o.outcome.view,
    };
    host.log(`${what} of ${uri}: ${result.passed}/${result.runs} runs passed in ${result.durationMs} ms`);
    return result;
  } finally {
    progress.done();
  }
}

// `vmsec run … --seeds RANGE [--jobs N] [--shard i/n --out FILE]`: every
// scenario once per seed, on N worker threads, or one shard's slice written
// as a partial result for `vmsec merge`. Outcomes stream from the runner into
// the aggregate (and the partial's lines); no run's full result is kept.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { ImportGraph } from '../model/workspace';
import { LIMITS } from '../model/limits';
import { planFromGraph, planItems, parseSeeds } from '../batch/plan';
import { runnerInput, type RunSettings } from '../batch/item-runner';
import { BatchWorkerError, runItemsAsync, WorkerPool } from '../batch/run-items';
import { inputsHash, inShard, parseShard, partialInfo, PartialWriter, PARTIAL_FAMILY, type Shard } from '../batch/shard';
import { Aggregator } from '../batch/aggregate';
import type { ParsedArgs } from './args';
import { UsageError } from './args';
import { InputError, writeMessage } from './common';
import { displayPath } from './files';
import { batchOutTarget, emitBatch, outProblem, writeOut, type BatchFormat } from './merge-command';
import { renderBatchHtml } from '../report/batch-html';
import { REPORT_MAGIC } from '../report/html';

/** The options of many runs, for `run`'s option spec. */
export const MANY_RUN_OPTIONS = { seed: true, seeds: true, jobs: true, shard: true, out: true } as const;

export const MANY_RUN_HELP = `  --seed N                   run every scenario once with seed N instead of its own
  --seeds RANGE              run every scenario once per seed: 1..1000, 3,7,9 or
                             1..10,42; prints pass rates with 95% confidence
                             intervals, failing seeds and quantities
                             (min/median/p95/max); --report writes histograms
  --jobs N                   run on N worker threads (default 1)
  --shard i/n                run only shard i of n (numbered from 1) and write
                             the partial result to --out FILE for vmsec merge
  --out FILE                 where --shard writes its partial result`;

/** The most worker threads --jobs starts. */
const MAX_JOBS = 256;

/** --seed N (one run with seed N), or undefined. */
export function seedOption(p: ParsedArgs): number | undefined {
  const raw = p.values.get('seed');
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > LIMITS.seed.max) throw new UsageError(`--seed ${raw}: a seed is a whole number from 0 to ${LIMITS.seed.max}`);
  return Number(raw);
}

/** Whether the run is one of many runs (--seeds, --jobs or --shard); refuses combinations that make no sense. */
export function manyRunsRequested(p: ParsedArgs): boolean {
  const many = p.values.has('seeds') || p.values.has('jobs') || p.values.has('shard');
  if (p.values.has('seed') && p.values.has('seeds')) throw new UsageError('--seed and --seeds together: give one seed with --seed N, several with --seeds');
  if (p.values.has('shard') && !p.values.has('out')) throw new UsageError('--shard needs --out FILE, where the partial result goes (vmsec merge reads it)');
  if (p.values.has('out') && !p.values.has('shard')) throw new UsageError('--out goes with --shard i/n (without --shard the result is printed; use --report FILE for HTML)');
  // A shard writes a partial only; the reports come from vmsec merge (silently ignoring them lost the user's report).
  for (const flag of ['report', 'format']) {
    if (p.values.has('shard') && p.values.has(flag)) throw new UsageError(`--${flag} does not go with --shard: a shard writes its partial result to --out; give --${flag} to vmsec merge PARTS…`);
  }
  if (many) {
    for (const flag of ['export-quotes', 'export-certs', 'seed']) {
      if (p.values.has(flag)) throw new UsageError(`--${flag} is for one run; with --seeds, --jobs or --shard reproduce a run with --seed N and use --${flag === 'seed' ? 'seeds' : flag} there`);
    }
  }
  return many;
}

/**
 * With --jobs N > 1, the worker threads started now, so they load while this
 * thread reads and validates the files (they keep no process alive until used).
 */
export function prestartWorkers(p: ParsedArgs): WorkerPool | undefined {
  const jobs = jobsOption(p);
  return jobs > 1 ? new WorkerPool(jobs) : undefined;
}

function jobsOption(p: ParsedArgs): number {
  const raw = p.values.get('jobs');
  if (raw === undefined) return 1;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_JOBS) throw new UsageError(`--jobs ${raw}: a number of worker threads from 1 to ${MAX_JOBS} (this machine has ${availableParallelism()} cores)`);
  return Number(raw);
}

export async function runMany(p: ParsedArgs, graph: ImportGraph, paths: string[], settings: RunSettings, format: string, reportTarget: string | undefined, pool?: WorkerPool): Promise<number> {
  const jobs = jobsOption(p);
  const seedsRaw = p.values.get('seeds');
  const seeds = seedsRaw === undefined ? null : parseSeeds(seedsRaw);
  if (typeof seeds === 'string') throw new UsageError(`--seeds ${seedsRaw}: ${seeds}`);
  let shard: Shard | undefined;
  if (p.values.has('shard')) {
    const s = parseShard(p.values.get('shard')!);
    if (typeof s === 'string') throw new UsageError(`--shard ${s}`);
    shard = s;
  }
  const scenario = p.values.get('scenario');
  const plan = planFromGraph(graph, paths, { scenario, seeds });
  if (plan.count === 0) {
    if (scenario !== undefined) throw new InputError(`no scenario "${scenario}" in ${paths.length === 1 ? displayPath(paths[0]) : 'any of the files'}`);
    throw new InputError(`no scenarios in ${paths.length === 1 ? displayPath(paths[0]) : 'any of the files'}`);
  }
  // Where the partial goes is checked before anything runs.
  const partialTarget = shard ? nodePath.resolve(p.values.get('out')!) : undefined;
  if (partialTarget !== undefined) {
    const problem = outProblem('--out', partialTarget, PARTIAL_FAMILY);
    if (problem) throw new InputError(problem);
  }
  // What changes results, in terms equal on every machine (no absolute paths).
  const { checkpointDir: _dir, checkpointPerItem: _per, workspaceRoot: _root, traces, ...resultSettings } = settings;
  // A trace log counts by its bytes: a shard given the same log by another path or from another folder joins; another log does not.
  const inputs = inputsHash(plan, { ...resultSettings, traces: traces?.map((t) => ({ vm: t.vm, sha256: fileSha256(t.path) })) });
  const info = partialInfo(plan, shard ?? { index: 1, count: 1 }, inputs);
  // vmsec run plans no variants (sweeps have their own command).
  const agg = new Aggregator({ files: info.files, seeds: info.seeds, variants: [], items: info.items });
  const partial = partialTarget ? new PartialWriter(info) : undefined;
  try {
    // Each seed's checkpoints go to their own folder below --checkpoint-dir (docs/scale.md).
    await runItemsAsync(runnerInput(plan, { ...settings, checkpointPerItem: true }), planItems(plan, inShard(shard)), jobs, (o) => {
      agg.add(o);
      partial?.add(o);
    }, { pool });
  } catch (e) {
    // A worker that failed or died: exit 2 with what happened, not a hang.
    if (e instanceof BatchWorkerError) throw new InputError(`the run stopped: ${e.message}`);
    throw e;
  }
  const summary = agg.summary();
  if (partialTarget !== undefined && partial && shard) {
    writeOut('--out', partialTarget, PARTIAL_FAMILY, partial.text());
    writeMessage(process.stdout, `vmsec: shard ${shard.index}/${shard.count}: ${summary.runs} of ${plan.count} runs, ${summary.passed} passed, ${summary.runs - summary.passed} failed; partial result written to ${displayPath(partialTarget)}`);
    return summary.passed === summary.runs ? 0 : 1;
  }
  if (reportTarget !== undefined) {
    writeOut('--report', reportTarget, REPORT_MAGIC, renderBatchHtml(summary, agg));
    if (format === 'text') writeMessage(process.stderr, `vmsec: report written to ${displayPath(reportTarget)}`);
  }
  return emitBatch(format as BatchFormat, summary, agg, batchOutTarget(p, format as BatchFormat));
}

/** SHA-256 of a file's bytes, read in 1 MiB pieces (a trace log may be large). */
function fileSha256(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } catch (e) {
    throw new InputError(`--trace: cannot read ${displayPath(path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return h.digest('hex');
}

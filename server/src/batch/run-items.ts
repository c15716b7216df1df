// Runs work items and hands their outcomes on in the order the items were
// given, on `jobs` threads: this one and jobs − 1 worker threads. This thread
// takes part because it is otherwise idle and already warm (its parser and
// simulator code are compiled and optimised; a new worker must load, compile
// and warm up its own copy), which is what makes 2 jobs nearly twice as fast
// as one on 2 cores.
//
// Outcomes that finish early wait in a small reorder buffer, and no item more
// than WINDOW × jobs ahead of the oldest unfinished one is started, so memory
// stays flat however many items there are and however uneven their costs.
//
// `runItemsAsync` is what the CLI uses: worker messages are ordinary events,
// and a worker that dies (an 'error' or 'exit' event before it answered)
// rejects the promise with a BatchWorkerError naming the item, instead of
// leaving the run waiting. `runItems` is for a caller that is itself a worker
// thread and must stay synchronous (the editor's run worker): it waits on a
// shared counter and reads messages with receiveMessageOnPort.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import { ItemRunner, type RunnerInput } from './item-runner';
import type { BatchWorkerData, FromWorker, ToWorker } from './run-worker';
import type { ItemOutcome, WorkItem } from './types';

/** Items queued per worker beyond the one running, so a worker never waits for this thread (which may be busy with an item of its own). */
const AHEAD = 3;
/** Finished outcomes held back for order, per job, at most. */
const WINDOW = 64;

/** A worker failed (an internal error, not a failed item). */
export class BatchWorkerError extends Error {}

/** How a worker thread is started (tests start one that fails). */
export type StartWorker = (data: BatchWorkerData) => Worker;

/** The worker's script: beside the CLI's bundle (dist/batch-worker.js), or from the sources under tsx (tests). */
export const startBatchWorker: StartWorker = (data) => {
  // Each batch worker hashes pages on its own thread unless told otherwise: N jobs already use the cores.
  const env = { ...process.env, VMSEC_HASH_WORKERS: process.env.VMSEC_HASH_WORKERS ?? '0' };
  const options = { workerData: data, transferList: [data.port], env };
  if (typeof __dirname === 'string') return new Worker(join(__dirname, 'batch-worker.js'), options);
  const entry = new URL('./run-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
};

interface Helper { worker: Worker; port: MessagePort; id: number; inFlight: Set<number>; exited: boolean }

/**
 * The bookkeeping both drivers share: which item goes where, the reorder
 * buffer, and delivery in order.
 */
class Schedule {
  private readonly source: Iterator<WorkItem>;
  private exhausted = false;
  /** Next position handed out / delivered. */
  private pos = 0;
  private next = 0;
  private readonly held = new Map<number, ItemOutcome>();
  private readonly items = new Map<number, WorkItem>();

  constructor(items: Iterable<WorkItem>, private readonly jobs: number, private readonly onOutcome: (o: ItemOutcome) => void) {
    this.source = items[Symbol.iterator]();
  }

  get done(): boolean { return this.exhausted && this.next === this.pos; }

  /** The next item if the window allows one more, with its position. */
  take(): { pos: number; item: WorkItem } | undefined {
    if (this.exhausted || this.pos >= this.next + WINDOW * this.jobs) return undefined;
    const r = this.source.next();
    if (r.done) { this.exhausted = true; return undefined; }
    this.items.set(this.pos, r.value);
    return { pos: this.pos++, item: r.value };
  }

  /** An outcome arrived: delivered at once if it is the next in order, else held. */
  accept(pos: number, outcome: ItemOutcome): void {
    this.items.delete(pos);
    this.held.set(pos, outcome);
    while (this.held.has(this.next)) {
      const o = this.held.get(this.next)!;
      this.held.delete(this.next);
      this.next++;
      this.onOutcome(o);
    }
  }

  describe(pos: number): string {
    const it = this.items.get(pos);
    return it ? `scenario "${it.scenario}" of ${it.file} with seed ${it.seed}${it.variant === undefined ? '' : ` (variant ${it.variant})`}` : `item ${pos}`;
  }

  feed(helpers: Helper[]): void {
    for (const h of helpers) {
      while (!h.exited && h.inFlight.size < 1 + AHEAD) {
        const t = this.take();
        if (!t) return;
        h.port.postMessage({ kind: 'item', pos: t.pos, item: t.item } satisfies ToWorker);
        h.inFlight.add(t.pos);
      }
    }
  }
}

function startHelpers(count: number, start: StartWorker, ctl: Int32Array): Helper[] {
  const helpers: Helper[] = [];
  for (let i = 0; i < count; i++) {
    const { port1, port2 } = new MessageChannel();
    const worker = start({ role: 'vmsec-batch', port: port2, ctl });
    helpers.push({ worker, port: port1, id: i + 1, inFlight: new Set(), exited: false });
  }
  return helpers;
}

/**
 * Worker threads started ahead of the work: they load and compile their code
 * while this thread is still reading and validating the files, and get the
 * runner's input when the run starts. Until then they keep no process alive,
 * so a run refused before it starts exits as usual.
 */
export class WorkerPool {
  readonly ctl = new Int32Array(new SharedArrayBuffer(4));
  readonly helpers: Helper[];
  private used = false;

  constructor(readonly jobs: number, start: StartWorker = startBatchWorker) {
    this.helpers = startHelpers(Math.max(0, jobs - 1), start, this.ctl);
    for (const h of this.helpers) h.worker.unref();
  }

  /** The helpers, once, with the input sent. */
  adopt(input: RunnerInput): Helper[] {
    if (this.used) throw new Error('a worker pool serves one run');
    this.used = true;
    for (const h of this.helpers) { h.worker.ref(); h.port.postMessage({ kind: 'input', input } satisfies ToWorker); }
    return this.helpers;
  }

  stop(): void { stopHelpers(this.helpers); }
}

function stopHelpers(helpers: Helper[]): void {
  for (const h of helpers) { h.port.close(); void h.worker.terminate(); }
}

function failedMessage(s: Schedule, h: Helper, msg: Extract<FromWorker, { kind: 'failed' }>): string {
  return `worker thread ${h.id} could not run ${msg.pos === undefined ? 'an item' : s.describe(msg.pos)}: ${msg.message}`;
}

function diedMessage(s: Schedule, h: Helper, why: string): string {
  const first = [...h.inFlight][0];
  return `worker thread ${h.id} stopped (${why})${first === undefined ? '' : ` while running ${s.describe(first)}`}`;
}

export interface RunItemsOptions {
  /** How worker threads are started (default: the batch worker script). */
  startWorker?: StartWorker;
  /** Workers started earlier (their count replaces jobs − 1). */
  pool?: WorkerPool;
}

/**
 * Runs `items` on `jobs` threads and calls `onOutcome` once per item, in the
 * order of `items`. Rejects with BatchWorkerError if a worker fails or dies;
 * rejects with what onOutcome throws. With one job everything runs before the
 * promise is returned.
 */
export function runItemsAsync(input: RunnerInput, items: Iterable<WorkItem>, jobs: number, onOutcome: (o: ItemOutcome) => void, opts: RunItemsOptions = {}): Promise<void> {
  const pool = opts.pool ?? (jobs > 1 ? new WorkerPool(jobs, opts.startWorker) : undefined);
  if (!pool || pool.helpers.length === 0) {
    try { runHere(input, items, onOutcome); } catch (e) { return Promise.reject(e); }
    return Promise.resolve();
  }
  input = concurrently(input);
  return new Promise<void>((resolve, reject) => {
    const s = new Schedule(items, pool.jobs, onOutcome);
    const runner = new ItemRunner(input);
    const helpers = pool.adopt(input);
    let finished = false;
    const finish = (e?: unknown) => {
      if (finished) return;
      finished = true;
      stopHelpers(helpers);
      if (e === undefined) resolve(); else reject(e);
    };
    const guard = (f: () => void) => () => { if (finished) return; try { f(); } catch (e) { finish(e); } };
    for (const h of helpers) {
      h.port.on('message', (msg: FromWorker) => guard(() => {
        if (msg.kind === 'failed') throw new BatchWorkerError(failedMessage(s, h, msg));
        h.inFlight.delete(msg.pos);
        s.accept(msg.pos, msg.outcome);
        s.feed(helpers);
        if (s.done) finish();
      })());
      h.worker.on('error', (e) => guard(() => { throw new BatchWorkerError(diedMessage(s, h, e instanceof Error ? e.message : String(e))); })());
      h.worker.on('exit', (code) => guard(() => {
        h.exited = true;
        throw new BatchWorkerError(diedMessage(s, h, `exit code ${code}`));
      })());
    }
    // This thread runs one item at a time between events, so worker messages are never held up by more than one item.
    const step = guard(() => {
      s.feed(helpers);
      const t = s.take();
      if (t) s.accept(t.pos, runner.run(t.item));
      if (s.done) { finish(); return; }
      if (t) setImmediate(step);
      // Nothing for this thread now (the window is full or the items are handed out): a worker's answer calls it again.
      else waiting = true;
    });
    let waiting = false;
    // Once the window opens again (an outcome was delivered), this thread resumes.
    const wake = () => { if (waiting && !finished) { waiting = false; setImmediate(step); } };
    for (const h of helpers) h.port.on('message', wake);
    setImmediate(step);
  });
}

/** The input for items that run at the same time (RunSettings.concurrent). */
function concurrently(input: RunnerInput): RunnerInput {
  return { ...input, settings: { ...input.settings, concurrent: true } };
}

function runHere(input: RunnerInput, items: Iterable<WorkItem>, onOutcome: (o: ItemOutcome) => void): void {
  const runner = new ItemRunner(input);
  for (const item of items) onOutcome(runner.run(item));
}

/**
 * The same, for a caller that must stay synchronous (it is itself a worker
 * thread): this thread also runs items, and between them waits on a shared
 * counter the workers bump. A worker that dies unannounced is noticed by the
 * wait only if it had posted 'failed' (the batch worker's own guard).
 */
export function runItems(input: RunnerInput, items: Iterable<WorkItem>, jobs: number, onOutcome: (o: ItemOutcome) => void, opts: RunItemsOptions = {}): void {
  if (jobs <= 1 && !opts.pool) { runHere(input, items, onOutcome); return; }
  const pool = opts.pool ?? new WorkerPool(jobs, opts.startWorker);
  input = concurrently(input);
  const s = new Schedule(items, pool.jobs, onOutcome);
  const runner = new ItemRunner(input);
  const ctl = pool.ctl;
  const helpers = pool.adopt(input);
  // Errors arrive as messages on the port; the event keeps Node from treating them as unhandled.
  for (const h of helpers) h.worker.on('error', () => {});
  try {
    while (!s.done) {
      const seen = Atomics.load(ctl, 0);
      let got = false;
      for (const h of helpers) {
        for (let m = receiveMessageOnPort(h.port); m; m = receiveMessageOnPort(h.port)) {
          const msg = m.message as FromWorker;
          if (msg.kind === 'failed') throw new BatchWorkerError(failedMessage(s, h, msg));
          got = true;
          h.inFlight.delete(msg.pos);
          s.accept(msg.pos, msg.outcome);
        }
      }
      s.feed(helpers);
      const t = s.take();
      if (t) { s.accept(t.pos, runner.run(t.item)); continue; }
      // Sleep until a worker posts (the timeout only guards against a missed wake-up).
      if (!got && !s.done) Atomics.wait(ctl, 0, seen, 1000);
    }
  } finally {
    stopHelpers(helpers);
  }
}

// Runs work items and hands their outcomes on in the order the items were
// given: in this thread (jobs 1), or on N worker threads (jobs N). The main
// thread stays synchronous (a subcommand's run() returns its exit code): it
// waits on a shared counter the workers bump and reads outcomes with
// receiveMessageOnPort, as the page hasher does. Outcomes that finish early
// wait in a small reorder buffer, and no item more than WINDOW × jobs ahead of
// the oldest unfinished one is started, so memory stays flat however many
// items there are and however uneven their costs.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import { ItemRunner, type RunnerInput } from './item-runner';
import type { BatchWorkerData, FromWorker, ToWorker } from './run-worker';
import type { ItemOutcome, WorkItem } from './types';

/** Items queued per worker beyond the one running, so a worker never waits for the main thread. */
const AHEAD = 2;
/** Finished outcomes held back for order, per worker, at most. */
const WINDOW = 64;

/** A worker failed (an internal error, not a failed item). */
export class BatchWorkerError extends Error {}

/** The worker's script: beside the CLI's bundle (dist/batch-worker.js), or from the sources under tsx (tests). */
function startWorker(data: BatchWorkerData): Worker {
  // Each batch worker hashes pages on its own thread unless told otherwise: N jobs already use the cores.
  const env = { ...process.env, VMSEC_HASH_WORKERS: process.env.VMSEC_HASH_WORKERS ?? '0' };
  const options = { workerData: data, transferList: [data.port], env };
  if (typeof __dirname === 'string') return new Worker(join(__dirname, 'batch-worker.js'), options);
  const entry = new URL('./run-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}

/**
 * Runs `items` and calls `onOutcome` once per item, in the order of `items`.
 * Throws BatchWorkerError if a worker fails; rethrows what onOutcome throws.
 */
export function runItems(input: RunnerInput, items: Iterable<WorkItem>, jobs: number, onOutcome: (o: ItemOutcome) => void): void {
  if (jobs <= 1) {
    const runner = new ItemRunner(input);
    for (const item of items) onOutcome(runner.run(item));
    return;
  }
  const source = items[Symbol.iterator]();
  const ctl = new Int32Array(new SharedArrayBuffer(4));
  const pool: { worker: Worker; port: MessagePort; inFlight: number }[] = [];
  try {
    for (let i = 0; i < jobs; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = startWorker({ role: 'vmsec-batch', input, port: port2, ctl });
      // Errors arrive as messages on the port; the event keeps Node from treating them as unhandled.
      worker.on('error', () => {});
      pool.push({ worker, port: port1, inFlight: 0 });
    }
    let pos = 0;      // next position handed out
    let next = 0;     // next position delivered
    let exhausted = false;
    const held = new Map<number, ItemOutcome>();
    const feed = () => {
      for (const w of pool) {
        while (!exhausted && w.inFlight < 1 + AHEAD && pos < next + WINDOW * jobs) {
          const r = source.next();
          if (r.done) { exhausted = true; break; }
          w.port.postMessage({ kind: 'item', pos: pos++, item: r.value } satisfies ToWorker);
          w.inFlight++;
        }
      }
    };
    feed();
    while (!(exhausted && next === pos)) {
      const seen = Atomics.load(ctl, 0);
      let got = false;
      for (const w of pool) {
        for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
          const msg = m.message as FromWorker;
          if (msg.kind === 'failed') throw new BatchWorkerError(`a worker could not run an item: ${msg.message}`);
          got = true;
          w.inFlight--;
          held.set(msg.pos, msg.outcome);
        }
      }
      while (held.has(next)) {
        const o = held.get(next)!;
        held.delete(next);
        next++;
        onOutcome(o);
      }
      feed();
      // Sleep until a worker posts (the timeout only guards against a missed wake-up).
      if (!got) Atomics.wait(ctl, 0, seen, 1000);
    }
  } finally {
    for (const w of pool) { w.port.close(); void w.worker.terminate(); }
  }
}

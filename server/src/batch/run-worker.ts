// A worker thread of `--jobs N`: receives the runner's input once, then items
// on its port, and posts each item's outcome back, bumping the shared counter
// the main thread waits on (the main thread stays synchronous, like the page
// hasher's hand-off: it reads outcomes with receiveMessageOnPort).
import { workerData, type MessagePort } from 'node:worker_threads';
import { ItemRunner, type RunnerInput } from './item-runner';
import type { ItemOutcome, WorkItem } from './types';

export type ToWorker = { kind: 'item'; pos: number; item: WorkItem };
export type FromWorker = { kind: 'outcome'; pos: number; outcome: ItemOutcome } | { kind: 'failed'; message: string };

export interface BatchWorkerData { role: 'vmsec-batch'; input: RunnerInput; port: MessagePort; ctl: Int32Array }

function serve(data: BatchWorkerData): void {
  const { port, ctl } = data;
  const send = (m: FromWorker) => { port.postMessage(m); Atomics.add(ctl, 0, 1); Atomics.notify(ctl, 0); };
  // Anything escaping an item (a timer's error) ends this worker: say so rather than leave the main thread waiting.
  process.on('uncaughtException', (e) => { send({ kind: 'failed', message: e instanceof Error ? e.message : String(e) }); process.exit(1); });
  let runner: ItemRunner;
  try { runner = new ItemRunner(data.input); } catch (e) { send({ kind: 'failed', message: (e as Error).message }); return; }
  port.on('message', (m: ToWorker) => {
    try {
      send({ kind: 'outcome', pos: m.pos, outcome: runner.run(m.item) });
    } catch (e) {
      send({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  });
}

if ((workerData as BatchWorkerData | undefined)?.role === 'vmsec-batch') serve(workerData as BatchWorkerData);

// A worker thread of `--jobs N`: receives the runner's input once, then items
// on its port, and posts each item's outcome back. It also bumps a shared
// counter, which only a blocking caller (runItemsBlocking) waits on.
import { workerData, type MessagePort } from 'node:worker_threads';
import { parse } from '../../../grammar/src/parse';
import { ItemRunner, type RunnerInput } from './item-runner';
import type { ItemOutcome, WorkItem } from './types';

export type ToWorker = { kind: 'input'; input: RunnerInput } | { kind: 'item'; pos: number; item: WorkItem };
export type FromWorker = { kind: 'outcome'; pos: number; outcome: ItemOutcome } | { kind: 'failed'; message: string; pos?: number };

export interface BatchWorkerData { role: 'vmsec-batch'; port: MessagePort; ctl: Int32Array }

function serve(data: BatchWorkerData): void {
  const { port, ctl } = data;
  const send = (m: FromWorker) => { port.postMessage(m); Atomics.add(ctl, 0, 1); Atomics.notify(ctl, 0); };
  // Anything escaping an item (a timer's error) ends this worker: say so rather than leave the main thread waiting.
  process.on('uncaughtException', (e) => { send({ kind: 'failed', message: e instanceof Error ? e.message : String(e) }); process.exit(1); });
  // The input comes first (the pool may start this worker before the files are read), then items.
  let runner: ItemRunner | undefined;
  port.on('message', (m: ToWorker) => {
    if (m.kind === 'input') {
      try { runner = new ItemRunner(m.input); } catch (e) { send({ kind: 'failed', message: (e as Error).message }); }
      return;
    }
    if (!runner) { send({ kind: 'failed', pos: m.pos, message: 'an item came before the run\'s input' }); return; }
    try {
      send({ kind: 'outcome', pos: m.pos, outcome: runner.run(m.item) });
    } catch (e) {
      send({ kind: 'failed', pos: m.pos, message: e instanceof Error ? e.message : String(e) });
    }
  });
}

if ((workerData as BatchWorkerData | undefined)?.role === 'vmsec-batch') {
  serve(workerData as BatchWorkerData);
  // While the input is still on its way, set the parser up (its first use builds it), so the first item starts sooner.
  setImmediate(() => { try { parse('host warm { cpus 1 }\nscenario "warm" { expect no tampered page accepted }\n'); } catch { /* the item will say */ } });
}

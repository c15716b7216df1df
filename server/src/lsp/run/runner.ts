// Scenario runs on worker threads: one worker per run of one scenario, so a
// new run of a scenario cancels (terminates) that scenario's older run while
// runs of other scenarios go on. Runs wait in a queue and at most `limit` run
// at once, leaving a core for the language server's own threads.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ScenarioRunView } from '../../report/view-model';
import type { SeedsScenario, SweepOutcome } from '../../protocol';
import type { RunJob, WorkerMessage } from './messages';

export type JobOutcome =
  | { status: 'ran'; view: ScenarioRunView; wallMs: number }
  | { status: 'seeds'; scenario: SeedsScenario }
  | { status: 'sweep'; outcome: SweepOutcome }
  | { status: 'cancelled' }
  | { status: 'failed'; message: string };

export interface Job {
  readonly id: number;
  readonly key: string;
  readonly job: RunJob & { scenario: string };
  /** Settles once: the scenario's view, cancelled, or why it could not run. */
  readonly done: Promise<JobOutcome>;
  /** Called as the runs of a seeds job finish. */
  onProgress?: (done: number, failed: number, total: number) => void;
}

interface Entry extends Job { settle(o: JobOutcome): void; worker?: Worker; settled: boolean; startedAt?: number }

export const runKey = (uri: string, scenario: string) => `${uri}\u0000${scenario}`;
/** A seeds run, a sweep and a single run of one scenario are different runs: none cancels another. */
const jobKey = (job: RunJob & { scenario: string }) => `${runKey(job.uri, job.scenario)}${job.sweep ? '\u0000sweep' : job.seeds ? '\u0000seeds' : ''}`;

/** The worker's script: beside the server's bundle, or (tests under tsx) the TypeScript source. */
function startWorker(job: RunJob): Worker {
  // stdout is the LSP channel: whatever the worker prints is captured, never written there.
  const options = { workerData: job, stdout: true, stderr: true };
  if (typeof __dirname === 'string') return new Worker(join(__dirname, 'run-worker.js'), options);
  const entry = new URL('./run-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}

export class Runner {
  private readonly queue: Entry[] = [];
  private readonly running = new Map<string, Entry>();
  private nextId = 1;

  constructor(private readonly hooks: {
    /** The set of running scenarios changed. */
    stateChanged(running: { uri: string; scenario: string }[]): void;
    /** A scenario started running on its worker. */
    started?(job: Job): void;
    log(message: string): void;
  }, private readonly limit = Math.max(1, Math.min(4, availableParallelism() - 1))) {}

  /** Queues a run of one scenario; an older run of the same scenario (queued or running) is cancelled. */
  start(job: RunJob & { scenario: string }): Job {
    const key = jobKey(job);
    this.cancel((e) => e.key === key);
    let settle!: (o: JobOutcome) => void;
    const done = new Promise<JobOutcome>((r) => { settle = r; });
    const entry: Entry = { id: this.nextId++, key, job, done, settled: false, settle: (o) => { if (!entry.settled) { entry.settled = true; settle(o); } } };
    this.queue.push(entry);
    this.pump();
    return entry;
  }

  /** Cancels queued and running runs that match; returns how many. */
  cancel(match: (j: Job) => boolean): number {
    let n = 0;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const e = this.queue[i];
      if (!match(e)) continue;
      this.queue.splice(i, 1);
      e.settle({ status: 'cancelled' });
      n++;
    }
    let changed = false;
    for (const e of [...this.running.values()]) {
      if (!match(e)) continue;
      this.running.delete(e.key);
      void e.worker?.terminate();
      e.settle({ status: 'cancelled' });
      changed = true;
      n++;
    }
    if (changed) { this.announce(); this.pump(); }
    return n;
  }

  runningJobs(): { uri: string; scenario: string }[] {
    return [...this.running.values()].map((e) => ({ uri: e.job.uri, scenario: e.job.scenario }));
  }

  dispose(): void { this.cancel(() => true); }

  private announce(): void { this.hooks.stateChanged(this.runningJobs()); }

  private pump(): void {
    while (this.running.size < this.limit && this.queue.length) {
      const e = this.queue.shift()!;
      this.launch(e);
    }
  }

  private launch(e: Entry): void {
    this.running.set(e.key, e);
    e.startedAt = Date.now();
    let view: ScenarioRunView | undefined;
    let seeds: SeedsScenario | undefined;
    let sweep: SweepOutcome | undefined;
    let wallMs = 0;
    const finish = (o: JobOutcome) => {
      if (this.running.get(e.key) !== e) return; // cancelled meanwhile: already settled
      this.running.delete(e.key);
      e.settle(o);
      void e.worker?.terminate();
      this.announce();
      this.pump();
    };
    try {
      e.worker = startWorker(e.job);
    } catch (err) {
      this.running.delete(e.key);
      e.settle({ status: 'failed', message: `could not start the run: ${(err as Error).message}` });
      return;
    }
    const printed = (d: Buffer) => this.hooks.log(`run of "${e.job.scenario}": ${String(d).trimEnd()}`);
    e.worker.stdout.on('data', printed);
    e.worker.stderr.on('data', printed);
    e.worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'scenario') { view = m.view; wallMs = m.wallMs; return; }
      if (m.kind === 'progress') { e.onProgress?.(m.done, m.failed, m.total); return; }
      if (m.kind === 'seeds') { seeds = m.scenario; return; }
      if (m.kind === 'sweep') { sweep = m.outcome; return; }
      if (m.status === 'ran' && sweep) finish({ status: 'sweep', outcome: sweep });
      else if (m.status === 'ran' && seeds) finish({ status: 'seeds', scenario: seeds });
      else if (m.status === 'ran' && view) finish({ status: 'ran', view, wallMs });
      else finish({ status: 'failed', message: m.message ?? `the run ended without a result (${m.status})` });
    });
    e.worker.on('error', (err) => {
      this.hooks.log(`run of "${e.job.scenario}" in ${e.job.uri} failed: ${err.stack ?? err}`);
      finish({ status: 'failed', message: `the run failed: ${err.message}` });
    });
    e.worker.on('exit', (code) => finish({ status: 'failed', message: `the run stopped unexpectedly (exit code ${code})` }));
    this.hooks.started?.(e);
    this.announce();
  }
}

// The Merkle tree of many consecutive pages (a batch), with the hashing
// spread over worker threads. The call is synchronous: the batch is cut into
// chunks of 64 pages that the main thread and the workers claim from a shared
// counter; each chunk's pages are made, hashed, and folded into their subtree
// in shared memory; the main thread waits (Atomics) until every chunk is in,
// then hashes the few levels above. The tree is a pure function of the page
// spec and the range, whoever computes which chunk, so the event order and
// every simulated time are the same as on one thread. Without workers (none
// ready yet, or one failed) the main thread does it all.
import { hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import { fillPage, PAGE, sharedPool, type PageSpec } from './page-bytes';
import { merkleLevels, parents } from './merkle';

export interface HashJob {
  spec: PageSpec;
  /** Rewritten pages in the range and their versions (usually none). */
  versions: [number, number][];
  first: number;
  count: number;
}

/** Pages per chunk, and the subtree levels each chunk computes (64 = 2^6). */
const CHUNK = 64;
const CHUNK_DEPTH = 6;
/** Pages made at a time into a scratch buffer (it stays in cache). */
const FILL = 16;
/** A worker that has not finished a claimed chunk after this long is given up on. */
const WORKER_TIMEOUT_MS = 30_000;
export const HASH_WORKER_TIMEOUT_MS = WORKER_TIMEOUT_MS;

/** Where each level of the chunked part of the tree lies in one flat buffer. */
interface Layout { sizes: number[]; offsets: number[]; bytes: number; chunks: number }

function layout(count: number): Layout {
  const sizes: number[] = [];
  const offsets: number[] = [];
  let bytes = 0;
  for (let l = 0, n = count; l <= CHUNK_DEPTH; l++, n = Math.ceil(n / 2)) {
    sizes.push(n); offsets.push(bytes); bytes += n * 32;
    if (n === 1) break;
  }
  return { sizes, offsets, bytes, chunks: Math.ceil(count / CHUNK) };
}

/** Makes and hashes chunk `j`'s pages, then its subtree, into `tree`. */
function hashChunk(job: HashJob, lay: Layout, j: number, tree: Uint8Array, scratch: Buffer, versions?: Map<number, number>): void {
  const from = j * CHUNK;
  const to = Math.min(job.count, from + CHUNK);
  for (let at = from; at < to; at += FILL) {
    const n = Math.min(FILL, to - at);
    for (let i = 0; i < n; i++) fillPage(job.spec, job.first + at + i, versions?.get(job.first + at + i) ?? 0, scratch, i * PAGE);
    for (let i = 0; i < n; i++) tree.set(hash('sha256', scratch.subarray(i * PAGE, (i + 1) * PAGE), 'buffer') as unknown as Buffer, (at + i) * 32);
  }
  // A chunk's nodes at level l are its own: chunks start at multiples of 2^CHUNK_DEPTH.
  for (let l = 1; l < lay.sizes.length; l++) {
    const below = tree.subarray(lay.offsets[l - 1], lay.offsets[l - 1] + lay.sizes[l - 1] * 32);
    parents(below, lay.sizes[l - 1], from >> l, Math.min(lay.sizes[l], (j + 1) * CHUNK >> l), tree, lay.offsets[l]);
  }
}

/** Rewritten pages of a job by index, when there are any. */
const versionMap = (job: HashJob) => (job.versions.length ? new Map(job.versions) : undefined);

/** Chunks hashed in this process so far, and how many of them by workers (for benchmarks and tests). */
export const hashStats = { chunks: 0, byWorkers: 0 };

/** Claims and hashes chunks (at most `max`) until none is left; returns how many it did. */
function work(job: HashJob, lay: Layout, tree: Uint8Array, counters: Int32Array, scratch: Buffer, max = Infinity): number {
  const versions = versionMap(job);
  for (let done = 0; ; done++) {
    if (done >= max) return done;
    const j = Atomics.add(counters, 0, 1);
    if (j >= lay.chunks) return done;
    hashChunk(job, lay, j, tree, scratch, versions);
    Atomics.store(counters, 2 + j, 1);
    Atomics.add(counters, 1, 1);
    Atomics.notify(counters, 1);
  }
}

/** ctl[0]: jobs posted and not yet taken; ctl[1]: 1 once the worker waits for jobs. */
interface Helper { worker: Worker; port: MessagePort; ctl: Int32Array }

let helpers: Helper[] | undefined;
const mainScratch = Buffer.allocUnsafe(FILL * PAGE);

function startWorker(options: WorkerOptions): Worker {
  // Bundled (CommonJS), the worker bundle lies beside this one.
  if (typeof __dirname === 'string') return new Worker(join(__dirname, 'page-hasher.worker.js'), options);
  // From the TypeScript sources (tests under tsx), which workers do not inherit: register tsx, then load the module.
  const entry = new URL('./page-hasher.worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}

/** The worker pool, started on first use: one worker per core beyond this one (VMSEC_HASH_WORKERS overrides). */
function workers(): Helper[] {
  if (helpers) return helpers;
  helpers = [];
  const wanted = process.env.VMSEC_HASH_WORKERS;
  const n = wanted !== undefined && /^\d+$/.test(wanted) ? Number(wanted) : Math.min(7, availableParallelism() - 1);
  for (let i = 0; i < n; i++) {
    try {
      const { port1, port2 } = new MessageChannel();
      const ctl = new Int32Array(new SharedArrayBuffer(8));
      const worker = startWorker({ workerData: { port: port2, ctl }, transferList: [port2] });
      // Idle workers must not keep a finished CLI run alive; a dead one is dropped.
      worker.unref();
      const h = { worker, port: port1, ctl };
      worker.on('error', () => drop(h));
      worker.on('exit', () => drop(h));
      helpers.push(h);
    } catch { break; }
  }
  return helpers;
}

function drop(h: Helper): void { if (helpers) helpers = helpers.filter((x) => x !== h); }

/** Stops the workers (tests, and hosts that are done simulating). */
export async function stopHashWorkers(): Promise<void> {
  const hs = helpers ?? [];
  helpers = undefined;
  await Promise.all(hs.map((h) => h.worker.terminate()));
}

/** A tree being built: its job, layout, shared buffers (also a handle for trees asked for ahead). */
export interface TreeJob { job: HashJob; lay: Layout; tree: Uint8Array; counters: Int32Array; byMain: number }

/** Trees asked for ahead that the workers may not have finished; more would only queue. */
const inFlight = new Set<TreeJob>();
const MAX_IN_FLIGHT = 8;

function ready(): Helper[] { return workers().filter((h) => Atomics.load(h.ctl, 1) === 1); }

function send(h: Helper, message: unknown): void {
  h.port.postMessage(message);
  Atomics.add(h.ctl, 0, 1);
  Atomics.notify(h.ctl, 0);
}

/** Posts another kind of job (see serveHashJobs' `other`) to the workers that are ready; returns how many. */
export function postToHashWorkers(message: unknown): number {
  const hs = ready();
  for (const h of hs) send(h, message);
  return hs.length;
}

/** Gives up on every worker (one stalled or died): later jobs start new ones. */
export function abandonHashWorkers(): void {
  for (const h of helpers ?? []) { drop(h); void h.worker.terminate(); }
}

/** Starts the workers now (they take ~40 ms to boot), for a run that will hash batches. */
export function startHashWorkers(): void { workers(); }

/** Starts the workers if need be and resolves with how many are ready, waiting up to `ms` for at least one. */
export async function hashWorkersReady(ms = 20_000): Promise<number> {
  const until = Date.now() + ms;
  while (ready().length === 0 && workers().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return ready().length;
}

/** Allocates a job's tree and counters, in shared memory when workers take part, and posts it to them. */
function post(job: HashJob, hs: Helper[]): TreeJob {
  const lay = layout(job.count);
  const shared = hs.length > 0;
  const tree = new Uint8Array(shared ? new SharedArrayBuffer(lay.bytes) : new ArrayBuffer(lay.bytes));
  // next chunk to claim, chunks done, then a done flag per chunk.
  const counters = new Int32Array(shared ? new SharedArrayBuffer(4 * (2 + lay.chunks)) : new ArrayBuffer(4 * (2 + lay.chunks)));
  if (shared) {
    // The pool travels as shared memory (a reference), not as a copy.
    const { tag, marks, zeros } = job.spec;
    const message = { job: { ...job, spec: { tag, marks, pool: sharedPool(job.spec.pool), ...(zeros ? { zeros } : {}) } }, tree, counters };
    for (const h of hs) send(h, message);
  }
  return { job, lay, tree, counters, byMain: 0 };
}

/**
 * Asks the workers to build a tree that will be needed soon (a readahead)
 * while the main thread goes on simulating; pass the handle to `pageTree`
 * later. Undefined when there is no worker or enough is in flight: nothing
 * depends on the answer but speed.
 */
export function prefetchTree(job: HashJob): TreeJob | undefined {
  if (job.versions.length) return undefined;
  for (const j of inFlight) if (Atomics.load(j.counters, 1) >= j.lay.chunks) inFlight.delete(j);
  if (inFlight.size >= MAX_IN_FLIGHT) return undefined;
  const hs = ready();
  if (hs.length === 0) return undefined;
  const j = post(job, hs);
  inFlight.add(j);
  return j;
}

/**
 * The Merkle levels of pages [first, first + count): their hashes first, the
 * root last. `early`: the same tree asked for ahead, which this joins.
 */
export function pageTree(job: HashJob, early?: TreeJob): Buffer[] {
  // A page rewritten since the readahead makes it stale.
  let j = early && job.versions.length === 0 && early.job.first === job.first && early.job.count === job.count ? early : undefined;
  if (j) inFlight.delete(j);
  // Only workers that have started take part: a run never waits for one to boot.
  j ??= post(job, layout(job.count).chunks > 1 ? ready() : []);
  const { lay, tree } = j;
  j.byMain += work(job, lay, tree, j.counters, mainScratch);
  if (tree.buffer instanceof SharedArrayBuffer) awaitChunks(j);
  hashStats.chunks += lay.chunks;
  hashStats.byWorkers += lay.chunks - j.byMain;
  const levels = lay.sizes.map((n, l) => Buffer.from(tree.buffer, lay.offsets[l], n * 32));
  return [...levels.slice(0, -1), ...merkleLevels(levels[levels.length - 1])];
}

/**
 * Waits for the chunks workers claimed, meanwhile hashing chunks of trees
 * asked for ahead (work that is due anyway); after the timeout, hashes what
 * is still missing here.
 */
function awaitChunks(t: TreeJob): void {
  const { job, lay, tree, counters } = t;
  const deadline = Date.now() + WORKER_TIMEOUT_MS;
  for (;;) {
    const done = Atomics.load(counters, 1);
    if (done >= lay.chunks) return;
    const other = [...inFlight].find((o) => Atomics.load(o.counters, 0) < o.lay.chunks);
    if (other) { other.byMain += work(other.job, other.lay, other.tree, other.counters, mainScratch, 1); continue; }
    const left = deadline - Date.now();
    if (left <= 0) break;
    Atomics.wait(counters, 1, done, left);
  }
  // A worker stalled or died: its chunks are made here (the same bytes it would have written).
  abandonHashWorkers();
  const versions = versionMap(job);
  for (let j = 0; j < lay.chunks; j++) if (Atomics.load(counters, 2 + j) === 0) { hashChunk(job, lay, j, tree, mainScratch, versions); t.byMain++; }
}

/** The worker's side: wait for jobs, take each, hash chunks until none is left; `other` takes other kinds of job. */
export function serveHashJobs(port: MessagePort, ctl: Int32Array, other?: (message: unknown) => boolean): void {
  const scratch = Buffer.allocUnsafe(FILL * PAGE);
  Atomics.store(ctl, 1, 1);
  for (;;) {
    while (Atomics.load(ctl, 0) === 0) Atomics.wait(ctl, 0, 0);
    let m;
    while ((m = receiveMessageOnPort(port))) {
      Atomics.sub(ctl, 0, 1);
      if (other?.(m.message)) continue;
      const { job, tree, counters } = m.message as { job: HashJob; tree: Uint8Array; counters: Int32Array };
      work(job, layout(job.count), tree, counters, scratch);
    }
  }
}

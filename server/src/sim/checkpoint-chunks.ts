// The records of a checkpoint, 1 MiB chunk by 1 MiB chunk, each with its
// SHA-256, made and hashed on the page-hashing worker threads while the main
// thread writes. Workers and the main thread claim chunk indexes from a shared
// counter and make chunk c into slot c % R of a ring of R shared 1 MiB slots
// (a claimer waits until chunk c − R has been written); the main thread hands
// the chunks to the writer strictly in order. A chunk's bytes and digest are a
// pure function of the job, whoever makes them, so the file is the same with
// any number of workers. No worker ready → the main thread does it all, in a
// private buffer; a worker that stalls → the ring is abandoned (a late worker
// could still write into a slot) and the rest is made in a private buffer.
import { hash } from 'node:crypto';
import { fillPage, PAGE, sharedPool, type PageSpec } from './page-bytes';
import { abandonHashWorkers, HASH_WORKER_TIMEOUT_MS, postToHashWorkers } from './page-hasher';

/** Records per chunk: 1 MiB (the format's digest unit). */
export const CHUNK_PAGES = 256;
const CHUNK_BYTES = CHUNK_PAGES * PAGE;
/** Ring slots: lets workers run ahead of the writer by up to 16 MiB. */
const SLOTS = 16;
/** counters: [0] next chunk to claim, [1] chunks written, [2] 1 once the ring is abandoned, then a done flag per chunk. */
const NEXT = 0;
const WRITTEN = 1;
const ABANDONED = 2;
const DONE = 3;

export interface ChunkJob {
  /** The page specs the ranges refer to (memory, disk). */
  specs: PageSpec[];
  /** The stored ranges in record order: spec index, first page, page count (all at version 0). */
  ranges: { spec: number; first: number; count: number }[];
  /** Total records (the sum of the ranges' counts). */
  records: number;
}

/** Chunks made in this process so far, how many of them by workers, and jobs whose ring was given up (for benchmarks and tests). */
export const chunkStats = { chunks: 0, byWorkers: 0, stalled: 0 };

/** How a job reaches the workers; tests stand in for them (a stalled worker). */
export interface ChunkWorkers { post(message: unknown): number; abandon(): void; timeoutMs: number }
const hashWorkers: ChunkWorkers = { post: postToHashWorkers, abandon: abandonHashWorkers, timeoutMs: HASH_WORKER_TIMEOUT_MS };

/** The first record of each range, for finding where a chunk starts. */
function starts(job: ChunkJob): number[] {
  const out: number[] = [];
  let at = 0;
  for (const r of job.ranges) { out.push(at); at += r.count; }
  return out;
}

/** Makes chunk `c`'s records into `out` from offset 0; returns its length in bytes. */
function makeChunk(job: ChunkJob, first: number[], c: number, out: Uint8Array): number {
  let r = c * CHUNK_PAGES;
  const end = Math.min(job.records, r + CHUNK_PAGES);
  // The last range starting at or before record r.
  let lo = 0, hi = first.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (first[mid] <= r) lo = mid; else hi = mid - 1; }
  let at = 0;
  for (let k = lo; r < end; k++) {
    const range = job.ranges[k];
    const spec = job.specs[range.spec];
    const from = range.first + (r - first[k]);
    const n = Math.min(end - r, first[k] + range.count - r);
    for (let i = 0; i < n; i++, at += PAGE) fillPage(spec, from + i, 0, out, at);
    r += n;
  }
  return at;
}

const digestOf = (b: Uint8Array) => hash('sha256', b, 'buffer') as unknown as Buffer;

/** A job shared with workers: the ring, the digests and the counters. */
interface Shared { ring: Uint8Array; digests: Uint8Array; counters: Int32Array; slots: number; chunks: number }

/** Makes chunk c into its ring slot and digest, then marks it done. */
function makeShared(job: ChunkJob, first: number[], s: Shared, c: number): void {
  const slot = s.ring.subarray((c % s.slots) * CHUNK_BYTES, (c % s.slots + 1) * CHUNK_BYTES);
  const n = makeChunk(job, first, c, slot);
  s.digests.set(digestOf(slot.subarray(0, n)), c * 32);
  Atomics.store(s.counters, DONE + c, 1);
  Atomics.notify(s.counters, DONE + c);
}

/** The worker's side: claims chunks until none is left or the ring is abandoned. */
function serveShared(job: ChunkJob, s: Shared): void {
  const first = starts(job);
  const { counters } = s;
  for (;;) {
    if (Atomics.load(counters, ABANDONED)) return;
    const c = Atomics.add(counters, NEXT, 1);
    if (c >= s.chunks) return;
    // Slot c % R is free once chunk c − R is written.
    for (let w; (w = Atomics.load(counters, WRITTEN)) <= c - s.slots;) {
      if (Atomics.load(counters, ABANDONED)) return;
      Atomics.wait(counters, WRITTEN, w);
    }
    if (Atomics.load(counters, ABANDONED)) return;
    makeShared(job, first, s, c);
  }
}

/** Handles a checkpoint message on a worker; false for any other message. */
export function serveCheckpointChunks(message: unknown): boolean {
  const m = message as { kind?: string; job: ChunkJob; shared: Shared };
  if (m?.kind !== 'checkpoint-chunks') return false;
  serveShared(m.job, m.shared);
  return true;
}

/**
 * Makes every chunk of the job and hands each to `emit` in order, with its
 * SHA-256 (the bytes are only valid during the call). Synchronous.
 */
export function makeCheckpointChunks(job: ChunkJob, emit: (bytes: Uint8Array, digest: Buffer) => void, via: ChunkWorkers = hashWorkers): void {
  const chunks = Math.ceil(job.records / CHUNK_PAGES);
  const first = starts(job);
  chunkStats.chunks += chunks;
  const alone = (from: number) => {
    const own = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let c = from; c < chunks; c++) {
      const n = makeChunk(job, first, c, own);
      emit(own.subarray(0, n), digestOf(own.subarray(0, n)));
    }
  };
  const slots = Math.min(SLOTS, chunks);
  const s: Shared = {
    ring: new Uint8Array(chunks > 1 ? new SharedArrayBuffer(slots * CHUNK_BYTES) : new ArrayBuffer(0)),
    digests: new Uint8Array(chunks > 1 ? new SharedArrayBuffer(chunks * 32) : new ArrayBuffer(0)),
    counters: new Int32Array(chunks > 1 ? new SharedArrayBuffer(4 * (DONE + chunks)) : new ArrayBuffer(0)),
    slots, chunks,
  };
  // Pools travel as shared memory (a reference), not as a copy; the main thread keeps reading its own.
  const shareable = { ...job, specs: job.specs.map((p) => ({ ...p, pool: sharedPool(p.pool) })) };
  const workers = chunks > 1 ? via.post({ kind: 'checkpoint-chunks', job: shareable, shared: s }) : 0;
  if (workers === 0) { alone(0); return; }
  const { counters } = s;
  let w = 0;
  let mine = 0;
  try {
    let deadline = Date.now() + via.timeoutMs;
    while (w < chunks) {
      if (Atomics.load(counters, DONE + w)) {
        const slot = (w % slots) * CHUNK_BYTES;
        const n = Math.min(CHUNK_PAGES, job.records - w * CHUNK_PAGES) * PAGE;
        // The slot is lent for the call only (it is reused once written); the digest is copied, the caller keeps it.
        emit(Buffer.from(s.ring.buffer, slot, n), Buffer.from(s.digests.subarray(w * 32, w * 32 + 32)));
        Atomics.store(counters, WRITTEN, ++w);
        Atomics.notify(counters, WRITTEN);
        deadline = Date.now() + via.timeoutMs;
        continue;
      }
      // Make a chunk here while the next to write is not done, if its slot is free (chunk c − R written).
      const c = Atomics.load(counters, NEXT);
      if (c < chunks && c < w + slots && Atomics.compareExchange(counters, NEXT, c, c + 1) === c) {
        makeShared(job, first, s, c);
        mine++;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      Atomics.wait(counters, DONE + w, 0, left);
    }
  } finally {
    // Workers waiting for a slot (the writer failed, or gave up on one) stop.
    Atomics.store(counters, ABANDONED, 1);
    Atomics.notify(counters, WRITTEN);
  }
  chunkStats.byWorkers += Math.max(0, w - mine);
  if (w < chunks) {
    // A worker stalled or died: the rest is made here, never in the ring a late worker might still write.
    chunkStats.stalled++;
    via.abandon();
    alone(w);
  }
}

// Integrity of what crosses the network (Ma et al.): every page or block is
// hashed and, per the fork's `integrity`, signed by the parent vTPM's AK per
// page, or per batch of N pages with one signature over a Merkle root, or not
// at all. Signed statements bind the fork, its round, the space and the index,
// so a replayed page of another index fails. Identical statements under the
// same key are verified once and the answer reused; the simulated cost is
// still charged to every receiver.
import type { KeyObject } from 'node:crypto';
import { sha256 } from './pcr';
import { KeyPair, sign, verify } from './keys';
import { nodeAt, rootFromPath } from './merkle';
import type { IntegrityMode } from '../model/semantic';

export type Space = 'mem' | 'disk' | 'desc';

/** A Merkle batch as its sender built it: levels of hashes, the root and its signature. */
export interface Batch { levels: Buffer[]; root: Buffer; signature: Buffer }

/**
 * What travels with a page: per page, its hash and signature; batched, the
 * batch (root and signature) and the page's position, from which the page's
 * hash and its path to the root are read when someone needs them.
 */
export interface Proof {
  hash?: Buffer;
  signature?: Buffer;
  batch?: Batch;
  position?: number;
}

/** H(page) as the sender stated it. */
export function proofHash(p: Proof): Buffer {
  return p.hash ?? nodeAt(p.batch!.levels[0], p.position!);
}

/** Sibling hashes from the page's leaf to the root. */
export function proofPath(p: Proof): Buffer[] {
  const path: Buffer[] = [];
  if (!p.batch) return path;
  let pos = p.position!;
  const { levels } = p.batch;
  for (let l = 0; l < levels.length - 1; l++) {
    const sibling = (pos ^ 1) < levels[l].length / 32 ? pos ^ 1 : pos;
    path.push(nodeAt(levels[l], sibling));
    pos = Math.floor(pos / 2);
  }
  return path;
}

/** What is signed: it binds the fork, its round, the space (with the version of a rewritten page) and the index. */
function statement(kind: 'page' | 'batch', fork: string, round: number, space: string, index: number, digest: Buffer): Buffer {
  const head = Buffer.from(`vmsec-${kind}\0${fork}\0${space}\0`, 'utf8');
  const nums = Buffer.alloc(8);
  nums.writeUInt32BE(round >>> 0, 0);
  nums.writeUInt32BE(index >>> 0, 4);
  return Buffer.concat([head, nums, digest]);
}

/** What a signer reads: pages one at a time, or the Merkle tree of a run of them. */
export interface PageSet {
  readonly count: number;
  page(index: number): Buffer;
  /** `early`: what `prefetch` gave for the same range. */
  tree(first: number, count: number, early?: unknown): Buffer[];
  /** Starts building a tree ahead of need elsewhere (worker threads); undefined when it cannot now. */
  prefetch?(first: number, count: number): unknown;
}

/** Trees asked for ahead and not used yet, at most, per signer. */
const MAX_EARLY = 32;

/** The sender's side: proofs for pages, computed once per page or batch and reused for resends and siblings. */
export class Signer {
  private readonly perPage = new Map<string, Proof>();
  private readonly batches: Record<Space, Map<number, Batch>> = { mem: new Map(), disk: new Map(), desc: new Map() };
  /** Batches the run will need, in about the order it will need them (for readahead). */
  private readonly planned: { space: Space; pages: PageSet; batch: number }[] = [];
  private planAt = 0;
  /** Batches already in the plan, by space. */
  private readonly plannedSet: Partial<Record<Space, Set<number>>> = {};
  /** Trees asked for ahead and not used yet, by space and batch. */
  private readonly early: Record<Space, Map<number, unknown>> = { mem: new Map(), disk: new Map(), desc: new Map() };
  /** Real work done, for the simulated cost of the sender. */
  hashes = 0; signatures = 0;

  constructor(readonly key: KeyPair, readonly fork: string, readonly round: number, readonly mode: IntegrityMode) {}

  /** Announces the batches a run will need, so their trees can be built ahead (batched mode only). */
  plan(space: Space, pages: PageSet, indexes: Iterable<number>): void {
    if (this.mode.mode !== 'batched' || !pages.prefetch) return;
    const n = this.mode.batch;
    const seen = (this.plannedSet[space] ??= new Set());
    for (const i of indexes) {
      const b = Math.floor(i / n);
      if (!seen.has(b)) { seen.add(b); this.planned.push({ space, pages, batch: b }); }
    }
    this.readahead();
  }

  /** Asks for the next planned trees not built yet, as far as the workers take them. */
  private readahead(): void {
    const n = (this.mode as { batch: number }).batch;
    const { mem, disk, desc } = this.early;
    while (this.planAt < this.planned.length && mem.size + disk.size + desc.size < MAX_EARLY) {
      const { space, pages, batch } = this.planned[this.planAt];
      if (!this.batches[space].has(batch)) {
        const first = batch * n;
        const handle = pages.prefetch!(first, Math.min(pages.count, first + n) - first);
        if (!handle) return;
        this.early[space].set(batch, handle);
      }
      this.planAt++;
    }
  }

  /** The proof for a page (a batch's pages are hashed together, once). */
  proof(space: Space, index: number, pages: PageSet, version = 0): Proof | undefined {
    if (this.mode.mode === 'none') return undefined;
    if (version > 0 || this.mode.mode === 'per-page') return this.single(space, index, pages.page(index), version);
    const n = this.mode.batch;
    const b = Math.floor(index / n);
    let batch = this.batches[space].get(b);
    if (!batch) {
      // The workers start on what comes next while this batch is made.
      this.readahead();
      const first = b * n;
      const last = Math.min(pages.count, (b + 1) * n);
      const early = this.early[space].get(b);
      this.early[space].delete(b);
      const levels = pages.tree(first, last - first, early);
      this.hashes += last - first;
      const root = Buffer.from(levels[levels.length - 1]);
      this.signatures++;
      batch = { levels, root, signature: sign(this.key, statement('batch', this.fork, this.round, space, b, root)) };
      this.batches[space].set(b, batch);
    }
    return { signature: batch.signature, batch, position: index - b * n };
  }

  /** A page signed on its own (per-page mode, or a page rewritten after the fork, bound to its version). */
  private single(space: Space, index: number, bytes: Buffer, version: number): Proof {
    const id = `${space}/${index}@${version}`;
    let p = this.perPage.get(id);
    if (!p) {
      const hash = sha256(bytes);
      this.hashes++; this.signatures++;
      p = { hash, signature: sign(this.key, statement('page', this.fork, this.round, versioned(space, version), index, hash)) };
      this.perPage.set(id, p);
    }
    return p;
  }
}

export function versioned(space: Space, version: number): string { return version > 0 ? `${space}.v${version}` : space; }

/** Overhead in bytes a proof adds to a message (signatures in their fixed slot). */
export function proofBytes(p: Proof | undefined, signatureBytes: number): number {
  if (!p) return 0;
  const depth = p.batch ? p.batch.levels.length - 1 : 0;
  return 32 + (p.signature ? signatureBytes : 0) + (p.batch ? 32 : 0) + depth * 32;
}

/** The receiver's side, with the verification cache shared by all receivers of one fork. */
export class Verifier {
  private readonly seen = new Map<string, boolean>();
  /** Batch verdicts by the sender's root buffer (unmodified copies share it). */
  private readonly byRoot = new WeakMap<Buffer, boolean>();
  /** Real signature verifications done (the rest came from the cache). */
  verifications = 0;

  constructor(readonly publicKey: KeyObject, readonly fork: string, readonly round: number, readonly mode: IntegrityMode) {}

  /**
   * Checks received bytes against their proof, for the index the receiver
   * asked for. `pristine`: the bytes are known to be the sender's own (an
   * unmodified copy), so the sender's hash of them stands and they need not
   * be hashed again. Returns whether the page may be used and the hashes the
   * receiver must pay for.
   */
  check(space: Space, index: number, bytes: Buffer | undefined, proof: Proof | undefined, pristine = false, version = 0): { ok: boolean; hashes: number } {
    if (this.mode.mode === 'none') return { ok: true, hashes: 0 };
    if (!proof || !proof.signature || (!pristine && !bytes)) return { ok: false, hashes: 0 };
    const hashOf = () => (pristine ? proofHash(proof) : sha256(bytes!));
    // Per page, and a rewritten page in any mode: signed on its own, bound to its version.
    if (version > 0 || this.mode.mode === 'per-page') {
      const st = statement('page', this.fork, this.round, versioned(space, version), index, hashOf());
      return { ok: this.cached(st, proof.signature), hashes: 1 };
    }
    const n = this.mode.batch;
    const b = Math.floor(index / n);
    const depth = proof.batch ? proof.batch.levels.length - 1 : 0;
    // An unmodified copy's path leads to the sender's root, whose signature is
    // then checked once for the whole batch.
    if (pristine && proof.batch) {
      const { root } = proof.batch;
      let ok = this.byRoot.get(root);
      if (ok === undefined) {
        ok = this.cached(statement('batch', this.fork, this.round, space, b, root), proof.signature);
        this.byRoot.set(root, ok);
      }
      return { ok, hashes: 1 + depth };
    }
    const root = rootFromPath(hashOf(), index - b * n, proofPath(proof));
    const st = statement('batch', this.fork, this.round, space, b, root);
    return { ok: this.cached(st, proof.signature), hashes: 1 + depth };
  }

  private cached(st: Buffer, sig: Buffer): boolean {
    const id = sha256(st, sig).toString('base64');
    let ok = this.seen.get(id);
    if (ok === undefined) {
      ok = verify(this.publicKey, st, sig);
      this.verifications++;
      this.seen.set(id, ok);
    }
    return ok;
  }
}

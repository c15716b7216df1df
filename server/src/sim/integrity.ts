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
import type { IntegrityMode } from '../model/semantic';

export type Space = 'mem' | 'disk' | 'desc';

export interface Proof {
  hash: Buffer;              // H(page) as sent
  signature?: Buffer;        // per-page: over the page statement; batched: over the batch statement
  root?: Buffer;             // batched: the Merkle root of the batch
  path?: Buffer[];           // batched: sibling hashes from leaf to root
}

/** What is signed: it binds the fork, its round, the space (with the version of a rewritten page) and the index. */
function statement(kind: 'page' | 'batch', fork: string, round: number, space: string, index: number, digest: Buffer): Buffer {
  const head = Buffer.from(`vmsec-${kind}\0${fork}\0${space}\0`, 'utf8');
  const nums = Buffer.alloc(8);
  nums.writeUInt32BE(round >>> 0, 0);
  nums.writeUInt32BE(index >>> 0, 4);
  return Buffer.concat([head, nums, digest]);
}

/** Merkle levels, each one flat buffer of 32-byte hashes (small Buffers cost ~100 bytes each). */
function merkleLevels(leaves: Buffer): Buffer[] {
  const levels = [leaves];
  while (levels[levels.length - 1].length > 32) {
    const prev = levels[levels.length - 1];
    const n = prev.length / 32;
    const next = Buffer.alloc(Math.ceil(n / 2) * 32);
    for (let i = 0; i < n; i += 2) {
      const right = i + 1 < n ? i + 1 : i;
      sha256(prev.subarray(i * 32, i * 32 + 32), prev.subarray(right * 32, right * 32 + 32)).copy(next, (i / 2) * 32);
    }
    levels.push(next);
  }
  return levels;
}
const at = (level: Buffer, i: number) => level.subarray(i * 32, i * 32 + 32);

function rootFromPath(leaf: Buffer, position: number, path: Buffer[]): Buffer {
  let h = leaf;
  let pos = position;
  for (const sib of path) { h = pos % 2 === 0 ? sha256(h, sib) : sha256(sib, h); pos = Math.floor(pos / 2); }
  return h;
}

/** The sender's side: proofs for pages, computed once per page or batch and reused for resends and siblings. */
export class Signer {
  private readonly perPage = new Map<string, Proof>();
  private readonly batches = new Map<string, { levels: Buffer[]; root: Buffer; signature: Buffer }>();
  /** Real work done, for the simulated cost of the sender. */
  hashes = 0; signatures = 0;

  constructor(readonly key: KeyPair, readonly fork: string, readonly round: number, readonly mode: IntegrityMode) {}

  /**
   * The proof for a page; `span(first, n)` gives n consecutive pages at once
   * (a batch is hashed from one span instead of page by page).
   */
  proof(space: Space, index: number, bytes: (i: number) => Buffer, count: number, span?: (first: number, n: number) => Buffer, version = 0): Proof | undefined {
    if (this.mode.mode === 'none') return undefined;
    if (version > 0) return this.rewritten(space, index, bytes(index), version);
    if (this.mode.mode === 'per-page') {
      const id = `${space}/${index}`;
      let p = this.perPage.get(id);
      if (!p) {
        const hash = sha256(bytes(index));
        this.hashes++; this.signatures++;
        p = { hash, signature: sign(this.key, statement('page', this.fork, this.round, space, index, hash)) };
        this.perPage.set(id, p);
      }
      return p;
    }
    const cached = this.perPage.get(`${space}/${index}`);
    if (cached) return cached;
    const n = this.mode.batch;
    const b = Math.floor(index / n);
    const id = `${space}/${b}`;
    let batch = this.batches.get(id);
    if (!batch) {
      const first = b * n;
      const last = Math.min(count, (b + 1) * n);
      const leaves = Buffer.alloc((last - first) * 32);
      const all = span ? span(first, last - first) : undefined;
      for (let i = 0; i < last - first; i++) {
        sha256(all ? all.subarray(i * 4096, (i + 1) * 4096) : bytes(first + i)).copy(leaves, i * 32);
      }
      this.hashes += last - first;
      const levels = merkleLevels(leaves);
      const root = Buffer.from(levels[levels.length - 1]);
      this.signatures++;
      batch = { levels, root, signature: sign(this.key, statement('batch', this.fork, this.round, space, b, root)) };
      this.batches.set(id, batch);
    }
    const pos = index - b * n;
    const path: Buffer[] = [];
    let p = pos;
    for (let l = 0; l < batch.levels.length - 1; l++) {
      const level = batch.levels[l];
      const sibling = (p ^ 1) < level.length / 32 ? p ^ 1 : p;
      path.push(at(level, sibling));
      p = Math.floor(p / 2);
    }
    const proof = { hash: at(batch.levels[0], pos), signature: batch.signature, root: batch.root, path };
    this.perPage.set(`${space}/${index}`, proof);
    return proof;
  }

  /** A rewritten page (a write on the source after the fork): signed alone, bound to its version. */
  private rewritten(space: Space, index: number, bytes: Buffer, version: number): Proof {
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
  return 32 + (p.signature ? signatureBytes : 0) + (p.root ? 32 : 0) + (p.path?.length ?? 0) * 32;
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
   * asked for. Returns whether the page may be used and the signature checks
   * the receiver must pay for.
   */
  check(space: Space, index: number, bytes: Buffer, proof: Proof | undefined, knownHash?: Buffer, version = 0): { ok: boolean; signatureChecks: number; hashes: number } {
    if (this.mode.mode === 'none') return { ok: true, signatureChecks: 0, hashes: 0 };
    if (!proof || !proof.signature) return { ok: false, signatureChecks: 0, hashes: 0 };
    // `knownHash`: the sender's hash of these very bytes (an unmodified copy), computed once for both ends.
    const h = knownHash ?? sha256(bytes);
    // A rewritten page is signed on its own, bound to its version.
    if (version > 0) {
      const st = statement('page', this.fork, this.round, versioned(space, version), index, h);
      return { ok: this.cached(st, proof.signature), signatureChecks: 1, hashes: 1 };
    }
    if (this.mode.mode === 'per-page') {
      const st = statement('page', this.fork, this.round, space, index, h);
      return { ok: this.cached(st, proof.signature), signatureChecks: 1, hashes: 1 };
    }
    const n = this.mode.batch;
    const b = Math.floor(index / n);
    // With the sender's own hash (an unmodified copy), the path leads to the
    // sender's root, whose signature is then checked once for the whole batch.
    if (knownHash && proof.root) {
      let ok = this.byRoot.get(proof.root);
      if (ok === undefined) {
        ok = this.cached(statement('batch', this.fork, this.round, space, b, proof.root), proof.signature);
        this.byRoot.set(proof.root, ok);
      }
      return { ok, signatureChecks: 1, hashes: 1 + (proof.path?.length ?? 0) };
    }
    const root = rootFromPath(h, index - b * n, proof.path ?? []);
    const st = statement('batch', this.fork, this.round, space, b, root);
    return { ok: this.cached(st, proof.signature), signatureChecks: 1, hashes: 1 + (proof.path?.length ?? 0) };
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

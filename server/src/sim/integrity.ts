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

function statement(kind: 'page' | 'batch', fork: string, round: number, space: Space, index: number, digest: Buffer): Buffer {
  const head = Buffer.from(`vmsec-${kind}\0${fork}\0${space}\0`, 'utf8');
  const nums = Buffer.alloc(8);
  nums.writeUInt32BE(round >>> 0, 0);
  nums.writeUInt32BE(index >>> 0, 4);
  return Buffer.concat([head, nums, digest]);
}

function merkleLevels(leaves: Buffer[]): Buffer[][] {
  const levels = [leaves];
  while (levels[levels.length - 1].length > 1) {
    const prev = levels[levels.length - 1];
    const next: Buffer[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(sha256(prev[i], prev[i + 1] ?? prev[i]));
    levels.push(next);
  }
  return levels;
}

function rootFromPath(leaf: Buffer, position: number, path: Buffer[]): Buffer {
  let h = leaf;
  let pos = position;
  for (const sib of path) { h = pos % 2 === 0 ? sha256(h, sib) : sha256(sib, h); pos = Math.floor(pos / 2); }
  return h;
}

/** The sender's side: proofs for pages, computed once per page or batch and reused for resends and siblings. */
export class Signer {
  private readonly perPage = new Map<string, Proof>();
  private readonly batches = new Map<string, { levels: Buffer[][]; root: Buffer; signature: Buffer }>();
  /** Real work done, for the simulated cost of the sender. */
  hashes = 0; signatures = 0;

  constructor(readonly key: KeyPair, readonly fork: string, readonly round: number, readonly mode: IntegrityMode) {}

  proof(space: Space, index: number, bytes: (i: number) => Buffer, count: number): Proof | undefined {
    if (this.mode.mode === 'none') return undefined;
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
    const n = this.mode.batch;
    const b = Math.floor(index / n);
    const id = `${space}/${b}`;
    let batch = this.batches.get(id);
    if (!batch) {
      const leaves: Buffer[] = [];
      for (let i = b * n; i < Math.min(count, (b + 1) * n); i++) leaves.push(sha256(bytes(i)));
      this.hashes += leaves.length;
      const levels = merkleLevels(leaves);
      const root = levels[levels.length - 1][0];
      this.signatures++;
      batch = { levels, root, signature: sign(this.key, statement('batch', this.fork, this.round, space, b, root)) };
      this.batches.set(id, batch);
    }
    const pos = index - b * n;
    const path: Buffer[] = [];
    let p = pos;
    for (let l = 0; l < batch.levels.length - 1; l++) {
      const level = batch.levels[l];
      path.push(level[p ^ 1] ?? level[p]);
      p = Math.floor(p / 2);
    }
    return { hash: batch.levels[0][pos], signature: batch.signature, root: batch.root, path };
  }
}

/** Overhead in bytes a proof adds to a message (signatures in their fixed slot). */
export function proofBytes(p: Proof | undefined, signatureBytes: number): number {
  if (!p) return 0;
  return 32 + (p.signature ? signatureBytes : 0) + (p.root ? 32 : 0) + (p.path?.length ?? 0) * 32;
}

/** The receiver's side, with the verification cache shared by all receivers of one fork. */
export class Verifier {
  private readonly seen = new Map<string, boolean>();
  /** Real signature verifications done (the rest came from the cache). */
  verifications = 0;

  constructor(readonly publicKey: KeyObject, readonly fork: string, readonly round: number, readonly mode: IntegrityMode) {}

  /**
   * Checks received bytes against their proof, for the index the receiver
   * asked for. Returns whether the page may be used and the signature checks
   * the receiver must pay for.
   */
  check(space: Space, index: number, bytes: Buffer, proof: Proof | undefined): { ok: boolean; signatureChecks: number; hashes: number } {
    if (this.mode.mode === 'none') return { ok: true, signatureChecks: 0, hashes: 0 };
    if (!proof || !proof.signature) return { ok: false, signatureChecks: 0, hashes: 0 };
    const h = sha256(bytes);
    if (this.mode.mode === 'per-page') {
      const st = statement('page', this.fork, this.round, space, index, h);
      return { ok: this.cached(st, proof.signature), signatureChecks: 1, hashes: 1 };
    }
    const n = this.mode.batch;
    const b = Math.floor(index / n);
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

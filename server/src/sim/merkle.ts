// Binary Merkle trees over 32-byte hashes, kept as flat buffers per level
// (small Buffers cost ~100 bytes each; a fork may hold millions of hashes).
// A level of n nodes has ceil(n/2) parents; an odd last node is paired with
// itself.
import { sha256Pair } from './sha256-pair';

/** Parents [from, to) of a level of `n` nodes into `out` (at parent index × 32 from `base`). */
export function parents(level: Uint8Array, n: number, from: number, to: number, out: Uint8Array, base = 0): void {
  for (let p = from; p < to; p++) {
    const l = 2 * p;
    sha256Pair(level, l * 32, (l + 1 < n ? l + 1 : l) * 32, out, base + p * 32);
  }
}

/** The levels above `level` up to the root (level itself first). */
export function merkleLevels(level: Buffer): Buffer[] {
  const levels = [level];
  for (let cur = level; cur.length > 32;) {
    const n = cur.length / 32;
    const next = Buffer.allocUnsafe(Math.ceil(n / 2) * 32);
    parents(cur, n, 0, Math.ceil(n / 2), next);
    levels.push(next);
    cur = next;
  }
  return levels;
}

export const nodeAt = (level: Buffer, i: number): Buffer => level.subarray(i * 32, i * 32 + 32);

/** The root a leaf leads to through its sibling path. */
export function rootFromPath(leaf: Buffer, position: number, path: Buffer[]): Buffer {
  // Left and right children side by side; the parent replaces the node being carried up.
  const pair = Buffer.alloc(64);
  let pos = position;
  leaf.copy(pair, 0);
  for (const sib of path) {
    const mine = pos % 2 === 0 ? 0 : 32;
    if (mine === 32) pair.copyWithin(32, 0, 32);
    sib.copy(pair, 32 - mine);
    sha256Pair(pair, 0, 32, pair, 0);
    pos = Math.floor(pos / 2);
  }
  return pair.subarray(0, 32);
}

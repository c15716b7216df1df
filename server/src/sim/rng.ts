// Deterministic randomness. Every consumer draws from its own stream, derived
// from the scenario seed and a label (SHA-256), so adding a draw in one place
// never shifts the numbers another place sees.
import { createHash } from 'node:crypto';

/** SHA-256 of the seed and labels: the root of every derived value. */
export function derive(seed: number, ...labels: (string | number)[]): Buffer {
  const h = createHash('sha256');
  h.update(`vmsec/${seed}`);
  for (const l of labels) h.update(`/${l}`);
  return h.digest();
}

/** xoshiro128** seeded from a derived hash. */
export class Rng {
  private s0: number; private s1: number; private s2: number; private s3: number;

  constructor(seed: number, ...labels: (string | number)[]) {
    const d = derive(seed, ...labels);
    this.s0 = d.readUInt32LE(0); this.s1 = d.readUInt32LE(4); this.s2 = d.readUInt32LE(8); this.s3 = d.readUInt32LE(12);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uint32. */
  next(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** A float in [0, 1). */
  float(): number { return this.next() / 2 ** 32; }

  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.float() * n); }

  /** True with the given probability in percent. */
  chance(percent: number): boolean { return percent > 0 && this.float() * 100 < percent; }

  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) { const j = this.int(i + 1); [xs[i], xs[j]] = [xs[j], xs[i]]; }
    return xs;
  }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }

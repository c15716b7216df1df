// Page bytes: every page is 4 KiB taken from a per-seed pool of AES-CTR
// keystream at an offset chosen by the page's identity, with that identity
// (VM tag, index, version) written into it, so every page is distinct. Making
// a page costs a memory copy, not a cipher pass over 4 KiB: the simulator's
// real work is then the hashing and signing the scenario asks for, not making
// its input. Free of simulator state, so worker threads make the same bytes.
import { createCipheriv } from 'node:crypto';
import { derive } from './rng';
import { recent } from './recent';

export const PAGE = 4096;
export const MARKER_PREFIX = 'VMSEC-CONFIDENTIAL:';
/** Distinct 16-byte-aligned offsets into the pool (256 KiB of them, plus a page to read past the last). */
const OFFSETS = 16384;
const POOL_BYTES = OFFSETS * 16 + PAGE;

/**
 * Everything needed to make a source's pages: plain data, so a worker thread
 * can make (and hash) the same bytes.
 */
export interface PageSpec {
  pool: Uint8Array;
  /** 8 bytes naming seed, space and VM. */
  tag: Uint8Array;
  /** Confidential regions and their markers, by first index. */
  marks: { first: number; count: number; marker: string }[];
  /** Free memory: its pages are all-zero bytes until written (version 0). */
  zeros?: { first: number; count: number }[];
}

const pools = new Map<number, Uint8Array>();
/** The cipher's input: zero bytes, made once (fresh memory per seed costs page faults). */
let zeroInput: Buffer | undefined;
/** The keystream pool of a seed (260 KiB), made once while the seed is recent. */
function poolFor(seed: number): Uint8Array {
  // A few seeds: without a bound, 1,000 seeds in one process kept 500 MiB of pools.
  return recent(pools, seed, 4, () => {
    const key = derive(seed, 'bytes', 'pool').subarray(0, 16);
    const out = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update((zeroInput ??= Buffer.alloc(POOL_BYTES)));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  });
}

const sharedPools = new WeakMap<Uint8Array, Uint8Array>();
/** A pool in shared memory, for handing to worker threads without a copy (made on first need; reading it is slower). */
export function sharedPool(pool: Uint8Array): Uint8Array {
  let shared = sharedPools.get(pool);
  if (!shared) {
    shared = new Uint8Array(new SharedArrayBuffer(pool.length));
    shared.set(pool);
    sharedPools.set(pool, shared);
  }
  return shared;
}

/** How many seeds' pools this process holds now (bounded; for tests). */
export function keptPools(): number {
  return pools.size;
}

export function pageSpec(seed: number, vm: string, space: string, regions: { name: string; first: number; count: number; confidential: boolean; zero?: boolean }[]): PageSpec {
  const tag = derive(seed, 'bytes', space, vm).subarray(0, 8);
  const marks = regions.filter((r) => r.confidential).map((r) => ({ first: r.first, count: r.count, marker: `${MARKER_PREFIX}${vm}:${r.name}:` }));
  const zeros = regions.filter((r) => r.zero).map((r) => ({ first: r.first, count: r.count }));
  return { pool: poolFor(seed), tag: new Uint8Array(tag), marks, ...(zeros.length ? { zeros } : {}) };
}

/** murmur3's finaliser: spreads consecutive indexes over the pool. */
function mix(x: number): number {
  x ^= x >>> 16; x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13; x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function markerAt(spec: PageSpec, index: number): string | undefined {
  for (const m of spec.marks) if (index >= m.first && index < m.first + m.count) return m.marker;
  return undefined;
}

/** Writes page `index` (at `version`) into `out` at `at`. Pure: the same arguments give the same bytes anywhere. */
export function fillPage(spec: PageSpec, index: number, version: number, out: Uint8Array, at: number): void {
  if (version === 0 && spec.zeros) {
    for (const z of spec.zeros) if (index >= z.first && index < z.first + z.count) { out.fill(0, at, at + PAGE); return; }
  }
  const t = spec.tag;
  const id = (t[0] | (t[1] << 8) | (t[2] << 16) | (t[3] << 24)) ^ Math.imul(index, 0x9e3779b1) ^ Math.imul(version + 1, 0x27d4eb2f);
  const off = (mix(id) % OFFSETS) * 16;
  out.set(spec.pool.subarray(off, off + PAGE), at);
  const marker = spec.marks.length ? markerAt(spec, index) : undefined;
  // The identity follows the marker, so confidential pages stay distinct too.
  let h = at;
  // A marker longer than the page (absurdly long names) is cut so the identity still fits.
  if (marker) for (let i = 0; i < Math.min(marker.length, PAGE - 16); i++) out[h++] = marker.charCodeAt(i) & 0xff;
  out.set(t, h);
  h += 8;
  out[h++] = index >>> 24; out[h++] = (index >>> 16) & 0xff; out[h++] = (index >>> 8) & 0xff; out[h++] = index & 0xff;
  out[h++] = version >>> 24; out[h++] = (version >>> 16) & 0xff; out[h++] = (version >>> 8) & 0xff; out[h] = version & 0xff;
}

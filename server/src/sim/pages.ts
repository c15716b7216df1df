// Page and block contents: real bytes derived from the scenario seed, the VM
// and the index (AES-128-CTR keystream), so hashes, signatures, tampering and
// scans all work on actual data. Pages of a confidential process begin with
// the marker `VMSEC-CONFIDENTIAL:<vm>:<process>:`.
import { createCipheriv } from 'node:crypto';
import type { VmModel } from '../model/semantic';
import { derive } from './rng';

export const PAGE = 4096;
export const MARKER_PREFIX = 'VMSEC-CONFIDENTIAL:';
/** Recently generated pages kept for resends (1 MiB per source: a fleet has many sources). */
const CACHE_PAGES = 256;
/** Keystream input: AES-CTR over zeros; shared, never written, grown as spans need. */
let ZEROS = Buffer.alloc(256 * 4096);
function zeros(bytes: number): Buffer {
  if (ZEROS.length < bytes) ZEROS = Buffer.alloc(bytes);
  return ZEROS.subarray(0, bytes);
}

export interface Region { name: string; first: number; count: number; confidential: boolean }

/** Where each process's pages lie: in declaration order from page 0; the rest is kernel and free memory. */
export function memoryLayout(vm: VmModel): Region[] {
  const out: Region[] = [];
  let at = 0;
  const total = Math.floor(vm.memory / PAGE);
  for (const p of vm.processes) {
    const count = Math.min(Math.ceil(p.memory / PAGE), total - at);
    if (count <= 0) continue;
    out.push({ name: p.name, first: at, count, confidential: p.confidential });
    at += count;
  }
  if (at < total) out.push({ name: '', first: at, count: total - at, confidential: false });
  return out;
}

/** Generates the bytes of one VM's pages (or disk blocks) on demand, keeping recent chunks. */
export class PageSource {
  private readonly key: Buffer;
  private readonly cache = new Map<number, Buffer>();
  /** Pages rewritten since the start (a write on the source): their version. */
  private readonly versions = new Map<number, number>();
  private readonly regions: Region[];

  constructor(seed: number, readonly vm: string, readonly space: 'mem' | 'disk', regions: Region[], readonly count: number) {
    this.key = derive(seed, 'bytes', space, vm).subarray(0, 16);
    this.regions = regions;
  }

  regionOf(index: number): Region | undefined {
    let lo = 0; let hi = this.regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.regions[mid];
      if (index < r.first) hi = mid - 1; else if (index >= r.first + r.count) lo = mid + 1; else return r;
    }
    return undefined;
  }

  version(index: number): number { return this.versions.get(index) ?? 0; }

  /** A write: the page gets new contents (the next version). */
  rewrite(index: number): number {
    const v = this.version(index) + 1;
    this.versions.set(index, v);
    this.cache.delete(index);
    return v;
  }

  private keystream(first: number, count: number): Buffer {
    if (this.versions.size && count > 1) {
      // A span over rewritten pages is assembled page by page.
      return Buffer.concat(Array.from({ length: count }, (_, i) => this.keystream(first + i, 1)));
    }
    // Page i starts at AES block i * 256 of the stream; a rewritten page uses
    // the version in the counter's top word.
    const block = first * (PAGE / 16);
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(this.version(first), 0);
    iv.writeUInt32BE(Math.floor(block / 2 ** 32), 8);
    iv.writeUInt32BE(block >>> 0, 12);
    return createCipheriv('aes-128-ctr', this.key, iv).update(zeros(count * PAGE));
  }

  private mark(index: number, page: Buffer): Buffer {
    const r = this.regionOf(index);
    if (r?.confidential) page.write(`${MARKER_PREFIX}${this.vm}:${r.name}:`, 0, 'latin1');
    return page;
  }

  /** One page. The buffer is shared (cached): copy it before modifying it. */
  page(index: number): Buffer {
    let page = this.cache.get(index);
    if (!page) {
      page = this.mark(index, this.keystream(index, 1));
      if (this.cache.size >= CACHE_PAGES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(index, page);
    }
    return page;
  }

  /** Consecutive pages as one buffer (a fresh one the caller may keep). */
  span(first: number, count: number): Buffer {
    const bytes = this.keystream(first, count);
    for (let i = 0; i < count; i++) this.mark(first + i, bytes.subarray(i * PAGE, (i + 1) * PAGE));
    return bytes;
  }

  /** Consecutive pages at once, for sequential readers (checkpoints, migration). */
  *run(first: number, count: number): Generator<Buffer> {
    for (let at = first; at < first + count; at += 256) {
      const n = Math.min(256, first + count - at);
      const bytes = this.span(at, n);
      for (let i = 0; i < n; i++) yield bytes.subarray(i * PAGE, (i + 1) * PAGE);
    }
  }
}

/**
 * A sparse disk: an OS image (64 MiB) and, for each process file, 1 MiB of
 * blocks; the rest of the disk is zero blocks, which are never sent (the
 * block bitmap marks them).
 */
export function diskLayout(vm: VmModel): Region[] {
  const total = Math.floor(vm.disk / PAGE);
  if (total === 0) return [];
  const out: Region[] = [];
  const os = Math.min(total, (64 * 1024 * 1024) / PAGE);
  out.push({ name: '', first: 0, count: os, confidential: false });
  let at = os;
  for (const p of vm.processes) {
    for (const f of p.files) {
      const count = Math.min(256, total - at);
      if (count <= 0) return out;
      out.push({ name: `${p.name}:${f}`, first: at, count, confidential: p.confidential });
      at += count;
    }
  }
  return out;
}

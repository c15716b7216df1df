// Page and block contents: real bytes derived from the scenario seed, the VM,
// the space (memory or disk) and the index (see page-bytes.ts), so hashes,
// signatures, tampering and scans all work on actual data. Pages of a
// confidential process begin with the marker `VMSEC-CONFIDENTIAL:<vm>:<process>:`.
import type { VmModel } from '../model/semantic';
import { fillPage, PAGE, pageSpec, type PageSpec } from './page-bytes';
import { pageTree, prefetchTree, type TreeJob } from './page-hasher';

export { PAGE, MARKER_PREFIX } from './page-bytes';

/** `zero`: free memory, whose pages are all-zero bytes (a checkpoint records them in its page map only). */
export interface Region { name: string; first: number; count: number; confidential: boolean; zero?: boolean }

/** Kernel memory (code, page tables, caches) after the processes: real data, at most this much. */
export const KERNEL_BYTES = 4 * 1024 * 1024;

/**
 * Where each process's pages lie: in declaration order from page 0, then the
 * kernel (at most 4 MiB), then free memory, which is zero (as in a real
 * guest, where free pages are zeroed), so a checkpoint's size follows the data.
 */
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
  const kernel = Math.min(total - at, KERNEL_BYTES / PAGE);
  if (kernel > 0) { out.push({ name: '', first: at, count: kernel, confidential: false }); at += kernel; }
  if (at < total) out.push({ name: '', first: at, count: total - at, confidential: false, zero: true });
  return out;
}

/** The pages (or disk blocks) of one VM, made on demand. */
export class PageSource {
  readonly spec: PageSpec;
  /** Pages rewritten since the start (a write on the source): their version. */
  private readonly versions = new Map<number, number>();

  constructor(seed: number, readonly vm: string, readonly space: 'mem' | 'disk', regions: Region[], readonly count: number) {
    this.spec = pageSpec(seed, vm, space, regions);
  }

  version(index: number): number { return this.versions.get(index) ?? 0; }

  /** Rewritten pages and their versions, for whoever makes pages elsewhere (worker threads). */
  rewritten(first: number, count: number): [number, number][] {
    if (this.versions.size === 0) return [];
    return [...this.versions].filter(([i]) => i >= first && i < first + count);
  }

  /** A write: the page gets new contents (the next version). */
  rewrite(index: number): number {
    const v = this.version(index) + 1;
    this.versions.set(index, v);
    return v;
  }

  /** One page, in a fresh buffer the caller may keep or modify. */
  page(index: number): Buffer {
    const out = Buffer.allocUnsafe(PAGE);
    fillPage(this.spec, index, this.version(index), out, 0);
    return out;
  }

  /** Consecutive pages as one fresh buffer. */
  span(first: number, count: number): Buffer {
    const out = Buffer.allocUnsafe(count * PAGE);
    const versioned = this.versions.size > 0;
    for (let i = 0; i < count; i++) fillPage(this.spec, first + i, versioned ? this.version(first + i) : 0, out, i * PAGE);
    return out;
  }

  /** The Merkle tree of consecutive pages: their SHA-256 hashes first, the root last (spread over worker threads). */
  tree(first: number, count: number, early?: TreeJob): Buffer[] {
    return pageTree({ spec: this.spec, versions: this.rewritten(first, count), first, count }, early);
  }

  /** Asks worker threads to build that tree ahead of need: a handle for `tree`, or undefined when none can now. */
  prefetch(first: number, count: number): TreeJob | undefined {
    return prefetchTree({ spec: this.spec, versions: this.rewritten(first, count), first, count });
  }

  /** Consecutive pages one at a time, for sequential readers (checkpoints, migration). */
  *run(first: number, count: number): Generator<Buffer> {
    for (let at = first; at < first + count; at += 256) {
      const n = Math.min(256, first + count - at);
      const bytes = this.span(at, n);
      for (let i = 0; i < n; i++) yield bytes.subarray(i * PAGE, (i + 1) * PAGE);
    }
  }
}

/** The OS image at the start of a disk, when the disk has room for it after the processes' files. */
export const OS_IMAGE_BYTES = 64 * 1024 * 1024;
/** Each process `file`'s blocks. */
export const FILE_BYTES = 1024 * 1024;

/**
 * A sparse disk: the OS image first, then each process file's blocks (1 MiB
 * each, in declaration order); the rest of the disk is zero blocks, which are
 * never sent (the block bitmap marks them). The files get their room first:
 * on a small disk the OS image is what is left after them (at most 64 MiB),
 * so an excluded file is always there to sanitise. A disk too small for its
 * files at 1 MiB each shares its blocks among them evenly (the OS image
 * gets the few left over).
 */
export function diskLayout(vm: VmModel): Region[] {
  const total = Math.floor(vm.disk / PAGE);
  if (total === 0) return [];
  const files = vm.processes.flatMap((p) => p.files.map((f) => ({ name: `${p.name}:${f}`, confidential: p.confidential })));
  const wanted = FILE_BYTES / PAGE;
  // Fewer blocks than files (a disk of a few KiB): one block each while they last.
  const each = files.length * wanted <= total ? wanted : Math.max(1, Math.floor(total / files.length));
  const os = Math.min(Math.max(0, total - each * files.length), OS_IMAGE_BYTES / PAGE);
  const out: Region[] = [];
  if (os > 0) out.push({ name: '', first: 0, count: os, confidential: false });
  let at = os;
  for (const f of files) {
    const count = Math.min(each, total - at);
    if (count <= 0) break;
    out.push({ name: f.name, first: at, count, confidential: f.confidential });
    at += count;
  }
  return out;
}

/** How many blocks of a disk's layout are its OS image (the working-set share of them is read after a fork). */
export function osBlocks(regions: readonly Region[]): number {
  return regions[0]?.name === '' ? regions[0].count : 0;
}

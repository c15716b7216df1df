// Privacy-aware checkpoints (SPARC): a real file holding the VM's pages and
// (with `disk include`) its allocated disk blocks, uncompressed. Pages of
// excluded processes, and blocks of their files, are sanitised: all-zero, so
// they are left out of the file and never written in clear.
//
// File format `vmsec-checkpoint/1`:
//   8 bytes  "VMSECCK1"
//   u32 BE   length of the manifest
//   manifest UTF-8 JSON (see CheckpointManifest)
//   records  u8 space (1 = memory page, 2 = disk block), u32 BE index, 4096 bytes
import { closeSync, mkdirSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';
import { dirname } from 'node:path';
import type { VmModel } from '../model/semantic';
import { diskLayout, memoryLayout, PAGE, PageSource } from './pages';

export const MAGIC = Buffer.from('VMSECCK1', 'latin1');
const RECORD = 5 + PAGE;

export interface CheckpointManifest {
  format: 'vmsec-checkpoint/1';
  vm: string; checkpoint: string; seed: number; taken_at_ms: number; page_size: number;
  memory_pages: number; disk_blocks: number; disk_included: boolean;
  excluded: string[];
  sanitized: { pages: number; blocks: number };
  regions: { space: 'mem' | 'disk'; name: string; first: number; count: number; confidential: boolean; excluded: boolean }[];
  records: number;
}

export interface WrittenCheckpoint { manifest: CheckpointManifest; bytes: number }

export function writeCheckpoint(file: string, vm: VmModel, name: string, seed: number, atMs: number, excluded: Set<string>, includeDisk: boolean): WrittenCheckpoint {
  const memRegions = memoryLayout(vm);
  const diskRegions = includeDisk ? diskLayout(vm) : [];
  const isExcluded = (regionName: string) => excluded.has(regionName.split(':')[0]);
  const regions: CheckpointManifest['regions'] = [
    ...memRegions.map((r) => ({ space: 'mem' as const, name: r.name, first: r.first, count: r.count, confidential: r.confidential, excluded: isExcluded(r.name) })),
    ...diskRegions.map((r) => ({ space: 'disk' as const, name: r.name, first: r.first, count: r.count, confidential: r.confidential, excluded: isExcluded(r.name) })),
  ];
  const kept = regions.filter((r) => !r.excluded);
  const records = kept.reduce((n, r) => n + r.count, 0);
  const manifest: CheckpointManifest = {
    format: 'vmsec-checkpoint/1', vm: vm.name, checkpoint: name, seed, taken_at_ms: atMs, page_size: PAGE,
    memory_pages: Math.floor(vm.memory / PAGE), disk_blocks: Math.floor(vm.disk / PAGE), disk_included: includeDisk,
    excluded: [...excluded].sort(),
    sanitized: {
      pages: regions.filter((r) => r.space === 'mem' && r.excluded).reduce((n, r) => n + r.count, 0),
      blocks: regions.filter((r) => r.space === 'disk' && r.excluded).reduce((n, r) => n + r.count, 0),
    },
    regions, records,
  };
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  let bytes = 0;
  try {
    const head = Buffer.from(JSON.stringify(manifest), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(head.length);
    bytes += writeSync(fd, Buffer.concat([MAGIC, len, head]));
    const sources = { mem: new PageSource(seed, vm.name, 'mem', memRegions, manifest.memory_pages), disk: new PageSource(seed, vm.name, 'disk', diskRegions, manifest.disk_blocks) };
    const chunk = Buffer.alloc(RECORD * 256);
    let used = 0;
    for (const r of kept) {
      let i = r.first;
      for (const page of sources[r.space].run(r.first, r.count)) {
        chunk[used] = r.space === 'mem' ? 1 : 2;
        chunk.writeUInt32BE(i++, used + 1);
        page.copy(chunk, used + 5);
        used += RECORD;
        if (used === chunk.length) { bytes += writeSync(fd, chunk); used = 0; }
      }
    }
    if (used) bytes += writeSync(fd, chunk.subarray(0, used));
  } finally { closeSync(fd); }
  return { manifest, bytes };
}

/** Reads a checkpoint file's manifest and checks its records are all there. */
export function readCheckpoint(file: string): CheckpointManifest {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) !== 12 || !head.subarray(0, 8).equals(MAGIC)) throw new Error(`${file} is not a vmsec checkpoint`);
    const len = head.readUInt32BE(8);
    const json = Buffer.alloc(len);
    readSync(fd, json, 0, len, 12);
    const manifest = JSON.parse(json.toString('utf8')) as CheckpointManifest;
    const size = fstatSync(fd).size;
    if (size !== 12 + len + manifest.records * RECORD) throw new Error(`${file} is truncated or padded (${size} bytes, expected ${12 + len + manifest.records * RECORD})`);
    return manifest;
  } finally { closeSync(fd); }
}

/** Reads the file in chunks (for sending it over a network, or scanning it). */
export function* fileChunks(file: string, size = 1 << 20): Generator<Buffer> {
  const fd = openSync(file, 'r');
  try {
    for (let pos = 0; ; pos += size) {
      const b = Buffer.alloc(size);
      const n = readSync(fd, b, 0, size, pos);
      if (n <= 0) return;
      yield n < size ? b.subarray(0, n) : b;
    }
  } finally { closeSync(fd); }
}

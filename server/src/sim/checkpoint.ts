// Privacy-aware checkpoints (SPARC): a real file holding the VM's pages and
// (with `disk include`) its allocated disk blocks, uncompressed. Pages of
// excluded processes, and blocks of their files, are sanitised: they are
// left out of the file and never written in clear. Like CRIU's page map,
// the file stores only what is there: free (zero) memory, unwritten disk
// blocks and sanitised pages are ranges in the manifest's page map, so the
// file's size follows the data, not the declared memory.
//
// File format `vmsec-checkpoint/2` (all integers big-endian):
//   offset        size      what
//   0             8         "VMSECCK2" (CHECKPOINT_MAGIC "VMSECCK" + format version "2")
//   8             4         u32 M: manifest length, at most 16 MiB
//   12            M         manifest: UTF-8 JSON (CheckpointManifest)
//   12+M          32        SHA-256 of bytes [0, 12+M): header and manifest
//   44+M          R × 4096  records: the pages of the page map's `data` ranges,
//                           in page-map order (memory first, then disk); R = manifest.records
//   then          8         "VMSECEND"
//   then          32 × K    SHA-256 of each 1 MiB chunk of records (256 pages; the last may be short),
//                           K = ceil(R / 256)
//   then          32        SHA-256 of (header digest ‖ "VMSECEND" ‖ chunk digests): the content digest
// The exact size follows from the manifest and is checked before writing
// (limit: opts.maxBytes, default 1 GiB). The reader bounds every length
// before allocating, validates the manifest against a schema (types, ranges,
// a page map covering each space exactly once, counts matching the file
// size) and verifies every digest, so any damage is named by section and
// byte offsets instead of being accepted.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { VmModel } from '../model/semantic';
import { ioReason, writeGuarded, WriteRefused } from '../model/guarded-write';
import { escapeControl as show } from '../model/escape-text';
import { CHECKPOINT_MAGIC } from '../model/checkpoint-magic';
import { diskLayout, memoryLayout, PAGE, PageSource, type Region } from './pages';
import { CHUNK_PAGES, makeCheckpointChunks } from './checkpoint-chunks';
import { formatSize } from '../model/units';

// The first bytes of every vmsec checkpoint, whatever its format version (vmsec replaces only such
// files); defined in the model so the validator can check `to` targets without importing the simulator.
export { CHECKPOINT_MAGIC };
/** The format version byte that follows the magic. */
const VERSION = 0x32; // '2'
export const FORMAT = 'vmsec-checkpoint/2';
export const DEFAULT_MAX_CHECKPOINT_BYTES = 1024 ** 3;
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const HEAD = 12;
const DIGEST = 32;
const END = Buffer.from('VMSECEND', 'latin1');
/** Bounds that keep every count a safe integer (2^40 pages is 4 PiB). */
const MAX_PAGES = 2 ** 40;

export type Space = 'mem' | 'disk';
export type PageKind = 'data' | 'zero' | 'sanitised';

export interface CheckpointManifest {
  format: typeof FORMAT;
  vm: string; checkpoint: string; seed: number; taken_at_ms: number; page_size: number;
  memory_pages: number; disk_blocks: number; disk_included: boolean;
  excluded: string[];
  /** Pages and blocks of excluded processes: not stored. */
  sanitized: { pages: number; blocks: number };
  /** Free pages and unwritten blocks: all zero, not stored. */
  zero: { pages: number; blocks: number };
  regions: { space: Space; name: string; first: number; count: number; confidential: boolean; excluded: boolean }[];
  /** Every page of memory (and of the disk when included) exactly once, in order; `data` ranges are stored as records. */
  page_map: { space: Space; first: number; count: number; kind: PageKind }[];
  /** Pages stored in the file (the sum of the `data` ranges). */
  records: number;
}

export interface WrittenCheckpoint { manifest: CheckpointManifest; bytes: number }

/** The exact size of a checkpoint file with this manifest length and record count. */
export function checkpointSize(manifestBytes: number, records: number): number {
  return HEAD + manifestBytes + DIGEST + records * PAGE + END.length + Math.ceil(records / CHUNK_PAGES) * DIGEST + DIGEST;
}

/** The page map of one space: regions and gaps as data, zero or sanitised ranges, adjacent ranges merged. */
function pageMap(space: Space, total: number, regions: (Region & { excluded: boolean })[]): CheckpointManifest['page_map'] {
  const out: CheckpointManifest['page_map'] = [];
  const push = (first: number, count: number, kind: PageKind) => {
    if (count <= 0) return;
    const last = out[out.length - 1];
    if (last && last.kind === kind && last.first + last.count === first) last.count += count;
    else out.push({ space, first, count, kind });
  };
  let at = 0;
  for (const r of [...regions].sort((a, b) => a.first - b.first)) {
    const first = Math.max(r.first, at);
    const end = Math.min(r.first + r.count, total);
    if (end <= first) continue;
    push(at, first - at, 'zero');
    push(first, end - first, r.excluded ? 'sanitised' : r.zero ? 'zero' : 'data');
    at = end;
  }
  push(at, total - at, 'zero');
  return out;
}

export function writeCheckpoint(file: string, vm: VmModel, name: string, seed: number, atMs: number,
  excluded: Set<string>, includeDisk: boolean, opts: { root: string; maxBytes?: number; limitHint?: string }): WrittenCheckpoint {
  const memoryPages = Math.floor(vm.memory / PAGE);
  const diskBlocks = Math.floor(vm.disk / PAGE);
  for (const [what, n] of [['memory', memoryPages], ['disk', diskBlocks]] as const) {
    if (!Number.isSafeInteger(n) || n < 0 || n > MAX_PAGES) throw new WriteRefused(`checkpoint ${show(name)}: vm ${show(vm.name)} has ${what} vmsec cannot checkpoint (${n} pages)`);
  }
  const memRegions = memoryLayout(vm);
  const diskRegions = includeDisk ? diskLayout(vm) : [];
  const isExcluded = (regionName: string) => regionName !== '' && excluded.has(regionName.split(':')[0]);
  const mem = memRegions.map((r) => ({ ...r, excluded: isExcluded(r.name) }));
  const disk = diskRegions.map((r) => ({ ...r, excluded: isExcluded(r.name) }));
  const map = [...pageMap('mem', memoryPages, mem), ...(includeDisk ? pageMap('disk', diskBlocks, disk) : [])];
  const sum = (space: Space, kind: PageKind) => map.filter((m) => m.space === space && m.kind === kind).reduce((n, m) => n + m.count, 0);
  const manifest: CheckpointManifest = {
    format: FORMAT, vm: vm.name, checkpoint: name, seed, taken_at_ms: atMs, page_size: PAGE,
    memory_pages: memoryPages, disk_blocks: diskBlocks, disk_included: includeDisk,
    excluded: [...excluded].sort(),
    sanitized: { pages: sum('mem', 'sanitised'), blocks: sum('disk', 'sanitised') },
    zero: { pages: sum('mem', 'zero'), blocks: sum('disk', 'zero') },
    regions: [
      ...mem.map((r) => ({ space: 'mem' as const, name: r.name, first: r.first, count: r.count, confidential: r.confidential, excluded: r.excluded })),
      ...disk.map((r) => ({ space: 'disk' as const, name: r.name, first: r.first, count: r.count, confidential: r.confidential, excluded: r.excluded })),
    ],
    page_map: map,
    records: map.filter((m) => m.kind === 'data').reduce((n, m) => n + m.count, 0),
  };
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  if (json.length > MAX_MANIFEST_BYTES) throw new WriteRefused(`checkpoint ${show(name)}: its manifest would be ${formatSize(json.length)}; the limit is ${formatSize(MAX_MANIFEST_BYTES)}`);
  const size = checkpointSize(json.length, manifest.records);
  const limit = opts.maxBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES;
  if (size > limit) throw new WriteRefused(`checkpoint ${show(name)} would write ${formatSize(size)}; the limit is ${formatSize(limit)} (raise it with ${opts.limitHint ?? '--max-checkpoint-size'})`);

  const bytes = writeGuarded(file, { root: opts.root, ownMagic: CHECKPOINT_MAGIC, maxBytes: size }, (sink) => {
    const head = Buffer.alloc(HEAD);
    CHECKPOINT_MAGIC.copy(head, 0);
    head[7] = VERSION;
    head.writeUInt32BE(json.length, 8);
    const headDigest = createHash('sha256').update(head).update(json).digest();
    sink.write(head); sink.write(json); sink.write(headDigest);
    // These sources are fresh, so every page is at version 0; the chunks are made and hashed on the
    // hash workers when they are ready (the same bytes either way), and written here in order.
    const specs = [new PageSource(seed, vm.name, 'mem', memRegions, memoryPages).spec, new PageSource(seed, vm.name, 'disk', diskRegions, diskBlocks).spec];
    const ranges = map.filter((m) => m.kind === 'data').map((m) => ({ spec: m.space === 'mem' ? 0 : 1, first: m.first, count: m.count }));
    const chunkDigests: Buffer[] = [];
    makeCheckpointChunks({ specs, ranges, records: manifest.records }, (b, digest) => {
      sink.write(b);
      chunkDigests.push(digest);
    });
    const root = createHash('sha256').update(headDigest).update(END);
    for (const d of chunkDigests) root.update(d);
    sink.write(END);
    for (const d of chunkDigests) sink.write(d);
    sink.write(root.digest());
  });
  return { manifest, bytes };
}

/** A damaged or foreign checkpoint file; the message names the file and the damage. */
export class CheckpointError extends Error {
  constructor(message: string) { super(message); this.name = 'CheckpointError'; }
}

/** Opens a regular file for reading without ever blocking (FIFOs and devices are refused, not opened). */
function openRegular(file: string): { fd: number; size: number } {
  let st;
  try { st = statSync(file); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(code === 'ENOENT' ? `${show(file)} does not exist` : `cannot read ${show(file)}: ${code ? ioReason(code) : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new CheckpointError(`${show(file)} is a folder, not a checkpoint file`);
  if (!st.isFile()) throw new CheckpointError(`${show(file)} is not a regular file (a FIFO, socket or device)`);
  let fd: number;
  try { fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(`cannot read ${show(file)}: ${code ? ioReason(code) : (e as Error).message}`);
  }
  const again = fstatSync(fd);
  if (!again.isFile()) { closeSync(fd); throw new CheckpointError(`${show(file)} is not a regular file`); }
  return { fd, size: again.size };
}

function readExact(fd: number, length: number, position: number): Buffer {
  const b = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, b, got, length - got, position + got);
    if (n <= 0) break;
    got += n;
  }
  return got === length ? b : b.subarray(0, got);
}

const range = (a: number, b: number) => `bytes ${a}–${b - 1}`;

/** Checks untrusted JSON against the manifest schema; returns the problem or undefined. */
export function manifestProblem(m: unknown): string | undefined {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_PAGES;
  if (!isObj(m)) return 'the manifest is not a JSON object';
  const fields: Record<string, (v: unknown) => boolean> = {
    format: (v) => v === FORMAT,
    vm: (v) => typeof v === 'string',
    checkpoint: (v) => typeof v === 'string',
    seed: (v) => typeof v === 'number' && Number.isSafeInteger(v),
    taken_at_ms: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
    page_size: (v) => v === PAGE,
    memory_pages: count, disk_blocks: count,
    disk_included: (v) => typeof v === 'boolean',
    excluded: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
    sanitized: (v) => isObj(v) && count(v.pages) && count(v.blocks) && Object.keys(v).length === 2,
    zero: (v) => isObj(v) && count(v.pages) && count(v.blocks) && Object.keys(v).length === 2,
    regions: (v) => Array.isArray(v) && v.every((r) => isObj(r) && (r.space === 'mem' || r.space === 'disk') && typeof r.name === 'string'
      && count(r.first) && count(r.count) && typeof r.confidential === 'boolean' && typeof r.excluded === 'boolean'),
    page_map: (v) => Array.isArray(v) && v.every((r) => isObj(r) && (r.space === 'mem' || r.space === 'disk') && count(r.first) && count(r.count)
      && (r.count as number) > 0 && (r.kind === 'data' || r.kind === 'zero' || r.kind === 'sanitised')),
    records: count,
  };
  if (m.format !== FORMAT) return typeof m.format === 'string' ? `unsupported format "${show(m.format.slice(0, 40))}" (this vmsec reads ${FORMAT})` : 'the manifest has no format';
  // Own fields only: `in` would take "constructor" or "toString" for known fields.
  for (const [k, ok] of Object.entries(fields)) if (!Object.hasOwn(m, k)) return `the manifest has no field "${k}"`; else if (!ok(m[k])) return `the manifest's field "${k}" is not valid`;
  for (const k of Object.keys(m)) if (!Object.hasOwn(fields, k)) return `the manifest has an unknown field "${k.slice(0, 40)}"`;
  const man = m as unknown as CheckpointManifest;
  // The page map covers each space exactly once, in order: memory, then the disk when included.
  const spaces: [Space, number][] = [['mem', man.memory_pages], ...(man.disk_included ? [['disk', man.disk_blocks] as [Space, number]] : [])];
  let i = 0;
  const totals = { data: 0, mem: { zero: 0, sanitised: 0 }, disk: { zero: 0, sanitised: 0 } };
  for (const [space, total] of spaces) {
    let at = 0;
    for (; i < man.page_map.length && man.page_map[i].space === space; i++) {
      const r = man.page_map[i];
      if (r.first !== at) return `page map entry ${i} starts at ${space} page ${r.first}, expected ${at}`;
      at += r.count;
      if (at > total) return `page map entry ${i} ends past the ${total} ${space} pages`;
      if (r.kind === 'data') totals.data += r.count; else totals[space][r.kind] += r.count;
    }
    if (at !== total) return `the page map covers ${at} of the ${total} ${space} pages`;
  }
  if (i !== man.page_map.length) return `page map entry ${i} is out of order or for a space not in the checkpoint`;
  if (totals.data !== man.records) return `the page map has ${totals.data} data pages but the manifest says ${man.records} records`;
  if (man.sanitized.pages !== totals.mem.sanitised || man.sanitized.blocks !== totals.disk.sanitised) return 'the sanitised counts do not match the page map';
  if (man.zero.pages !== totals.mem.zero || man.zero.blocks !== totals.disk.zero) return 'the zero counts do not match the page map';
  for (const [j, r] of man.regions.entries()) {
    const total = r.space === 'mem' ? man.memory_pages : man.disk_blocks;
    if (r.first + r.count > total) return `region ${j} ends past the ${total} ${r.space} pages`;
  }
  return undefined;
}

/**
 * Reads and verifies a checkpoint: header, manifest (schema and digest), size,
 * every record chunk against its digest, and the content digest. `visit`
 * receives each verified chunk of records (for scanning them). Throws
 * CheckpointError naming the damage (section and byte offsets).
 */
export function verifyCheckpoint(file: string, visit?: (records: Buffer) => void): CheckpointManifest {
  const { fd, size } = openRegular(file);
  try {
    const bad = (what: string) => new CheckpointError(`${show(file)} is damaged: ${what}`);
    const head = readExact(fd, HEAD, 0);
    if (head.length < 8 || !head.subarray(0, 7).equals(CHECKPOINT_MAGIC)) throw new CheckpointError(`${show(file)} is not a vmsec checkpoint (it does not start with "VMSECCK")`);
    if (head[7] === 0x31) throw new CheckpointError(`${show(file)} is a vmsec-checkpoint/1 file, an older format this vmsec does not read; take the checkpoint again`);
    if (head[7] !== VERSION) throw bad(`header: unknown format version byte 0x${head[7].toString(16).padStart(2, '0')} at offset 7`);
    if (head.length < HEAD) throw bad(`header: truncated (${size} bytes)`);
    const len = head.readUInt32BE(8);
    if (len > MAX_MANIFEST_BYTES) throw bad(`header: manifest length ${len} at offset 8 is over the ${formatSize(MAX_MANIFEST_BYTES)} limit`);
    if (HEAD + len + DIGEST > size) throw bad(`header: manifest length ${len} at offset 8 runs past the end of the file (${size} bytes; truncated?)`);
    const json = readExact(fd, len, HEAD);
    const headDigest = readExact(fd, DIGEST, HEAD + len);
    const want = createHash('sha256').update(head).update(json).digest();
    if (!want.equals(headDigest)) throw bad(`header or manifest (${range(0, HEAD + len)}) or their digest (${range(HEAD + len, HEAD + len + DIGEST)}) do not match`);
    let parsed: unknown;
    try { parsed = JSON.parse(json.toString('utf8')); } catch (e) { throw bad(`manifest (${range(HEAD, HEAD + len)}) is not valid JSON: ${(e as Error).message}`); }
    const problem = manifestProblem(parsed);
    if (problem) throw bad(`manifest (${range(HEAD, HEAD + len)}): ${problem}`);
    const manifest = parsed as CheckpointManifest;
    const expected = checkpointSize(len, manifest.records);
    if (size !== expected) throw bad(`the file has ${size} bytes but its manifest says ${expected} (${size < expected ? 'truncated' : 'padded'})`);
    const recordsAt = HEAD + len + DIGEST;
    const trailerAt = recordsAt + manifest.records * PAGE;
    const chunks = Math.ceil(manifest.records / CHUNK_PAGES);
    // The trailer first (at most 32 bytes per MiB of records): its digest vouches for the chunk digests.
    const trailer = readExact(fd, END.length + chunks * DIGEST + DIGEST, trailerAt);
    if (!trailer.subarray(0, END.length).equals(END)) throw bad(`trailer marker (${range(trailerAt, trailerAt + END.length)}) is not "VMSECEND"`);
    const digests = trailer.subarray(END.length, END.length + chunks * DIGEST);
    const root = createHash('sha256').update(headDigest).update(END).update(digests).digest();
    if (!root.equals(trailer.subarray(END.length + chunks * DIGEST))) throw bad(`trailer digests (${range(trailerAt + END.length, size)}) do not match`);
    for (let c = 0; c < chunks; c++) {
      const pages = Math.min(CHUNK_PAGES, manifest.records - c * CHUNK_PAGES);
      const at = recordsAt + c * CHUNK_PAGES * PAGE;
      const b = readExact(fd, pages * PAGE, at);
      if (b.length !== pages * PAGE || !createHash('sha256').update(b).digest().equals(digests.subarray(c * DIGEST, (c + 1) * DIGEST))) {
        throw bad(`records ${c * CHUNK_PAGES}–${c * CHUNK_PAGES + pages - 1} (${range(at, at + pages * PAGE)}) do not match their digest`);
      }
      visit?.(b);
    }
    return manifest;
  } finally { closeSync(fd); }
}

/** Reads and verifies a checkpoint file (see verifyCheckpoint); returns its manifest. */
export function readCheckpoint(file: string): CheckpointManifest {
  return verifyCheckpoint(file);
}

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VmModel } from '../../server/src/model/semantic';
import { WriteRefused } from '../../server/src/model/guarded-write';
import { CHECKPOINT_MAGIC, CheckpointError, checkpointSize, readCheckpoint, verifyCheckpoint, writeCheckpoint } from '../../server/src/sim/checkpoint';
import { diskLayout, KERNEL_BYTES, MARKER_PREFIX, memoryLayout, PAGE, PageSource } from '../../server/src/sim/pages';
import { chunkStats, makeCheckpointChunks, type ChunkJob } from '../../server/src/sim/checkpoint-chunks';
import { pageSpec } from '../../server/src/sim/page-bytes';
import { hashWorkersReady, stopHashWorkers } from '../../server/src/sim/page-hasher';
import { checkpointReport, formatCheckpoint } from '../../server/src/cli/ckpt';
import { tempDir } from '../tmp';

// At least one hash worker, even on a one-core machine, so the shared path is what is tested.
process.env.VMSEC_HASH_WORKERS ??= '1';
after(() => stopHashWorkers());

const KiB = 1024;
const MiB = 1024 * KiB;
type P = { name: string; memory: number; confidential?: boolean; files?: string[] };
/** Just the parts of a VM a checkpoint reads. */
const vm = (name: string, memory: number, processes: P[], disk = 0) =>
  ({ name, memory, disk, processes: processes.map((p) => ({ confidential: false, files: [], ...p })) }) as unknown as VmModel;

/** A tiny VM (10 pages): 2 pages of `keep`, 2 of confidential `secret`, the rest kernel. */
const tiny = vm('v', 10 * PAGE, [{ name: 'keep', memory: 2 * PAGE }, { name: 'secret', memory: 2 * PAGE, confidential: true }]);

function write(v: VmModel, excluded: string[] = [], opts: { maxBytes?: number; disk?: boolean; dir?: string; name?: string } = {}) {
  const dir = opts.dir ?? tempDir('ck-');
  const file = join(dir, opts.name ?? 'c.ckpt');
  const w = writeCheckpoint(file, v, 'c', 7, 12, new Set(excluded), opts.disk ?? false, { root: dir, maxBytes: opts.maxBytes });
  return { dir, file, ...w };
}

const damage = (file: string) => {
  try { readCheckpoint(file); } catch (e) { assert.ok(e instanceof CheckpointError, String(e)); return e.message; }
  return undefined;
};

test('a checkpoint round-trips: manifest, stored pages and sanitised processes', () => {
  const { file, manifest, bytes } = write(tiny, ['secret']);
  const data = readFileSync(file);
  assert.equal(data.length, bytes);
  assert.equal(data.subarray(0, 8).toString('latin1'), 'VMSECCK2');
  assert.ok(data.subarray(0, CHECKPOINT_MAGIC.length).equals(CHECKPOINT_MAGIC));
  assert.deepEqual(readCheckpoint(file), manifest);
  assert.equal(manifest.format, 'vmsec-checkpoint/2');
  assert.deepEqual(manifest.page_map, [
    { space: 'mem', first: 0, count: 2, kind: 'data' },
    { space: 'mem', first: 2, count: 2, kind: 'sanitised' },
    { space: 'mem', first: 4, count: 6, kind: 'data' },
  ]);
  assert.equal(manifest.records, 8);
  assert.deepEqual(manifest.sanitized, { pages: 2, blocks: 0 });
  // The stored pages are exactly the VM's pages of the data ranges, in order.
  const src = new PageSource(7, 'v', 'mem', memoryLayout(tiny), 10);
  const want = Buffer.concat([src.span(0, 2), src.span(4, 6)]);
  const got: Buffer[] = [];
  verifyCheckpoint(file, (b) => got.push(Buffer.from(b)));
  assert.ok(Buffer.concat(got).equals(want));
  assert.equal(data.includes(Buffer.from(MARKER_PREFIX)), false, 'no confidential bytes in clear');
  const leaky = write(tiny, []);
  assert.equal(readFileSync(leaky.file).includes(Buffer.from(`${MARKER_PREFIX}v:secret:`)), true);
});

test('free memory is zero and not stored: a 1 GiB VM with 8 MiB of processes writes a small file', () => {
  const big = vm('big', 1024 * MiB, [{ name: 'a', memory: 4 * MiB }, { name: 'b', memory: 4 * MiB }]);
  const { file, manifest, bytes } = write(big);
  assert.equal(manifest.records, (8 * MiB + KERNEL_BYTES) / PAGE, 'processes and the kernel');
  assert.equal(manifest.zero.pages, (1024 * MiB - 8 * MiB - KERNEL_BYTES) / PAGE);
  assert.ok(bytes < 8 * MiB + KERNEL_BYTES + 64 * KiB, `${bytes} bytes`);
  assert.equal(readFileSync(file).length, bytes);
  assert.deepEqual(readCheckpoint(file), manifest);
  // Free pages really are zero in the simulated VM (migration and fork send the same bytes).
  assert.ok(new PageSource(1, 'big', 'mem', memoryLayout(big), 262144).page(200_000).equals(Buffer.alloc(PAGE)));
});

test('unwritten disk blocks are in the page map, not in the file', () => {
  const v = vm('d', 8 * PAGE, [{ name: 'p', memory: PAGE, files: ['/f'] }], 128 * MiB);
  const { file, manifest } = write(v, [], { disk: true });
  const disk = manifest.page_map.filter((m) => m.space === 'disk');
  assert.deepEqual(disk.map((m) => [m.first, m.count, m.kind]), [[0, 16384 + 256, 'data'], [16640, 32768 - 16640, 'zero']]);
  assert.equal(manifest.zero.blocks, 32768 - 16640);
  assert.deepEqual(readCheckpoint(file), manifest);
});

test('the size limit is checked before writing: nothing is created and an old checkpoint stays', () => {
  const big = vm('web', 4096 * MiB, [{ name: 'db', memory: 2048 * MiB }]);
  const dir = tempDir('ck-');
  assert.throws(() => write(big, [], { dir, maxBytes: 1024 ** 3, name: 'nightly.ckpt' }),
    (e: Error) => e instanceof WriteRefused && e.message === 'checkpoint c would write 2.0 GiB; the limit is 1 GiB (raise it with --max-checkpoint-size)');
  assert.deepEqual(readdirSync(dir), []);
  const old = write(tiny, [], { dir, name: 'nightly.ckpt' });
  const before = readFileSync(old.file);
  assert.throws(() => write(tiny, [], { dir, maxBytes: before.length - 1, name: 'nightly.ckpt' }), /the limit is/);
  assert.ok(readFileSync(old.file).equals(before));
  assert.deepEqual(readdirSync(dir), ['nightly.ckpt']);
});

test('a checkpoint never replaces a file vmsec did not write, and stays inside its root', () => {
  const dir = tempDir('ck-');
  writeFileSync(join(dir, 'main.vmsec'), 'host h { }');
  assert.throws(() => write(tiny, [], { dir, name: 'main.vmsec' }), /not written by vmsec/);
  assert.equal(readFileSync(join(dir, 'main.vmsec'), 'utf8'), 'host h { }');
  // A checkpoint of the old format is still vmsec's own, so it may be replaced.
  writeFileSync(join(dir, 'old.ckpt'), 'VMSECCK1 old format');
  write(tiny, [], { dir, name: 'old.ckpt' });
  assert.equal(readFileSync(join(dir, 'old.ckpt')).subarray(0, 8).toString(), 'VMSECCK2');
  assert.throws(() => write(tiny, [], { dir, name: '../escape.ckpt' }), /outside/);
});

test('every single-bit flip is reported as damage, never accepted', () => {
  const { file } = write(tiny, ['secret']);
  const good = readFileSync(file);
  const len = good.readUInt32BE(8);
  const recordsAt = 12 + len + 32;
  const trailerAt = good.length - (8 + 32 + 32);
  const positions = new Set<number>();
  // Every bit of the header, the header digest and the trailer; then random bits everywhere.
  for (let b = 0; b < 12 * 8; b++) positions.add(b);
  for (let b = (12 + len) * 8; b < recordsAt * 8; b++) positions.add(b);
  for (let b = trailerAt * 8; b < good.length * 8; b++) positions.add(b);
  let seed = 12345;
  const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  for (let i = 0; i < 200; i++) positions.add(12 * 8 + rand(len * 8)); // manifest
  for (let i = 0; i < 200; i++) positions.add(recordsAt * 8 + rand((trailerAt - recordsAt) * 8)); // records
  for (let i = 0; i < 200; i++) positions.add(rand(good.length * 8)); // anywhere
  const where = { header: 0, manifest: 0, records: 0, trailer: 0 };
  for (const bit of positions) {
    const bad = Buffer.from(good);
    bad[bit >> 3] ^= 1 << (bit & 7);
    writeFileSync(file, bad);
    const msg = damage(file);
    assert.ok(msg, `a flip of bit ${bit} (byte ${bit >> 3}) was accepted`);
    const at = bit >> 3;
    if (at < 12) where.header++;
    else if (at < recordsAt) { where.manifest++; if (at >= 7) assert.match(msg, /damaged|not a vmsec checkpoint/, msg); }
    else if (at < trailerAt) { where.records++; assert.match(msg, /records \d+–\d+ \(bytes \d+–\d+\) do not match/, msg); }
    else { where.trailer++; assert.match(msg, /trailer/, msg); }
  }
  assert.ok(Object.values(where).every((n) => n > 50), JSON.stringify(where));
});

test('truncated, padded and wrong-format files are reported clearly', () => {
  const { file } = write(tiny);
  const good = readFileSync(file);
  for (const n of [0, 3, 8, 11, 12, 40, good.length >> 1, good.length - 33, good.length - 1]) {
    writeFileSync(file, good.subarray(0, n));
    assert.match(damage(file)!, /not a vmsec checkpoint|truncated|runs past the end/, `cut at ${n}`);
  }
  writeFileSync(file, Buffer.concat([good, Buffer.from([0])]));
  assert.match(damage(file)!, /padded/);
  writeFileSync(file, 'VMSECCK1\0\0\0\x02{}');
  assert.match(damage(file)!, /vmsec-checkpoint\/1 file, an older format .* take the checkpoint again/);
  writeFileSync(file, 'host h { }\n');
  assert.match(damage(file)!, /is not a vmsec checkpoint/);
});

/** A file with a hand-written manifest and a correct header digest (what a forger could make). */
function forged(file: string, manifest: string | Buffer, lengthField?: number): void {
  const json = Buffer.from(manifest);
  const head = Buffer.alloc(12);
  Buffer.from('VMSECCK2').copy(head);
  head.writeUInt32BE(lengthField ?? json.length, 8);
  writeFileSync(file, Buffer.concat([head, json, createHash('sha256').update(head).update(json).digest()]));
}

test('a minimal, garbage or lying manifest gives a clear error, never a crash or a huge allocation', () => {
  const { file, manifest } = write(tiny);
  const cases: [string | Buffer, RegExp][] = [
    ['{}', /has no format/],
    ['null', /not a JSON object/],
    ['[1,2]', /not a JSON object/],
    ['{"format":"vmsec-checkpoint/2"}', /has no field "vm"/],
    ['{"format":"vmsec-checkpoint/9"}', /unsupported format "vmsec-checkpoint\/9"/],
    [Buffer.from([0xff, 0xfe, 0x7b]), /not valid JSON/],
    ['{"a":', /not valid JSON/],
    [JSON.stringify({ ...manifest, records: 1e12 }), /page map has 10 data pages but the manifest says 1000000000000 records/],
    [JSON.stringify({ ...manifest, records: -1 }), /field "records" is not valid/],
    [JSON.stringify({ ...manifest, memory_pages: 1e300 }), /field "memory_pages" is not valid/],
    [JSON.stringify({ ...manifest, vm: 5 }), /field "vm" is not valid/],
    [JSON.stringify({ ...manifest, extra: 1 }), /unknown field "extra"/],
    [JSON.stringify({ ...manifest, constructor: 1 }), /unknown field "constructor"/],
    [JSON.stringify({ ...manifest, page_map: [{ space: 'mem', first: 0, count: 5, kind: 'data' }, { space: 'mem', first: 4, count: 6, kind: 'data' }] }), /entry 1 starts at mem page 4, expected 5/],
    [JSON.stringify({ ...manifest, page_map: [{ space: 'mem', first: 0, count: 9, kind: 'data' }] }), /covers 9 of the 10 mem pages/],
    [JSON.stringify({ ...manifest, page_map: [{ space: 'mem', first: 0, count: 11, kind: 'data' }] }), /ends past the 10 mem pages/],
    [JSON.stringify({ ...manifest, regions: [{ space: 'mem', name: 'x', first: 5, count: 99, confidential: false, excluded: false }] }), /region 0 ends past/],
    // Consistent manifest, but the file has no records: the size is checked before anything is read or allocated.
    [JSON.stringify(manifest), /has \d+ bytes but its manifest says \d+ \(truncated\)/],
  ];
  for (const [json, want] of cases) {
    forged(file, json);
    const msg = damage(file);
    assert.ok(msg, `accepted: ${json}`);
    assert.match(msg, want);
  }
  forged(file, '{}', 0xffffffff);
  assert.match(damage(file)!, /manifest length 4294967295 at offset 8 is over the 16 MiB limit/);
  forged(file, '{}', 1000);
  assert.match(damage(file)!, /runs past the end of the file/);
});

test('missing files, folders and FIFOs are errors, read without blocking', () => {
  const dir = tempDir('ck-');
  assert.match(damage(join(dir, 'none.ckpt'))!, /does not exist/);
  mkdirSync(join(dir, 'sub'));
  assert.match(damage(join(dir, 'sub'))!, /is a folder/);
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  assert.match(damage(join(dir, 'fifo'))!, /not a regular file/);
  const r = checkpointReport(join(dir, 'fifo'));
  assert.equal(r.ok, false);
  assert.ok(!existsSync(join(dir, 'none.ckpt')));
});

test('vmsec ckpt prints text from the file with control characters escaped', () => {
  const evil = vm('v\u001b[2J', 8 * PAGE, [{ name: 'p\u001b]0;x\u0007', memory: PAGE, confidential: true }, { name: 'q\nr', memory: PAGE }]);
  const { file } = write(evil, ['q\nr']);
  const r = checkpointReport(file);
  assert.ok(r.ok);
  const text = formatCheckpoint(r.report);
  assert.equal(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text), false, JSON.stringify(text));
  assert.match(text, /of vm v\\x1b\[2J,/);
  assert.match(text, /excluded: q\\nr;/);
  assert.match(text, /confidential data in clear: v\\x1b\[2J\/p\\x1b\]0;x\\x07/);
  assert.equal(text.split('\n').length, 4, 'a newline from the file does not add lines');
  const missing = checkpointReport(join(tempDir('ck-'), 'gone.ckpt'));
  assert.deepEqual(missing.ok ? undefined : /does not exist/.test(missing.error), true);
});

test('the size computed before writing is the size written', () => {
  for (const [v, ex] of [[tiny, []], [tiny, ['keep', 'secret']], [vm('e', 0, []), []]] as [VmModel, string[]][]) {
    const { manifest, bytes } = write(v, ex);
    assert.equal(bytes, checkpointSize(Buffer.byteLength(JSON.stringify(manifest)), manifest.records));
  }
});

/** Memory and disk, sanitised, zero and confidential ranges, and a short last chunk. */
const mixed = vm('mix', 48 * MiB + 3 * PAGE, [
  { name: 'keep', memory: 3 * MiB + PAGE, files: ['/a', '/b'] },
  { name: 'secret', memory: 2 * MiB + 2 * PAGE, confidential: true, files: ['/s'] },
  { name: 'other', memory: MiB, confidential: true },
], 80 * MiB + PAGE);

test('a checkpoint file is byte-identical made on the main thread alone or with 1 or 3 hash workers', () => {
  const dir = tempDir('ck-workers-');
  const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  const script = `import { createHash } from 'node:crypto';
    import { readFileSync } from 'node:fs';
    import { writeCheckpoint } from ${mod('../../server/src/sim/checkpoint.ts')};
    import { chunkStats } from ${mod('../../server/src/sim/checkpoint-chunks.ts')};
    import { hashWorkersReady, stopHashWorkers } from ${mod('../../server/src/sim/page-hasher.ts')};
    const vm = ${JSON.stringify(mixed)};
    const wanted = Number(process.env.VMSEC_HASH_WORKERS);
    let ready = 0;
    // Every worker ready (polled with a deadline), so each one can take part.
    for (const until = Date.now() + 20000; wanted > 0 && (ready = await hashWorkersReady()) < wanted && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
    const file = process.env.CK_DIR + '/w' + process.env.VMSEC_HASH_WORKERS + '.ckpt';
    const { manifest } = writeCheckpoint(file, vm, 'c', 7, 12, new Set(['secret']), true, { root: process.env.CK_DIR });
    process.stdout.write(JSON.stringify({ ready, records: manifest.records, sha: createHash('sha256').update(readFileSync(file)).digest('hex'), ...chunkStats }));
    await stopHashWorkers();`;
  const runs = ['0', '1', '3'].map((n) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, VMSEC_HASH_WORKERS: n, CK_DIR: dir }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return { n, ...JSON.parse(r.stdout) as { ready: number; records: number; sha: string; chunks: number; byWorkers: number } };
  });
  assert.notEqual(runs[0].records % 256, 0, 'the last chunk is short');
  assert.equal(runs[0].byWorkers, 0);
  for (const r of runs.slice(1)) {
    assert.equal(r.ready, Number(r.n), `${r.n} workers started`);
    assert.ok(r.byWorkers > 0, `${r.n} worker(s) made some of the ${r.chunks} chunks`);
    assert.equal(r.sha, runs[0].sha, `the file made with ${r.n} worker(s)`);
  }
  // And the file holds exactly the data ranges' pages, in page-map order (memory, then disk), none sanitised.
  const file = join(dir, 'w3.ckpt');
  const manifest = readCheckpoint(file);
  const sources = { mem: new PageSource(7, 'mix', 'mem', memoryLayout(mixed), manifest.memory_pages), disk: new PageSource(7, 'mix', 'disk', diskLayout(mixed), manifest.disk_blocks) };
  const kinds = new Set(manifest.page_map.map((m) => `${m.space} ${m.kind}`));
  assert.deepEqual([...kinds].sort(), ['disk data', 'disk sanitised', 'disk zero', 'mem data', 'mem sanitised', 'mem zero']);
  const want = Buffer.concat(manifest.page_map.filter((m) => m.kind === 'data').map((m) => sources[m.space].span(m.first, m.count)));
  const got: Buffer[] = [];
  verifyCheckpoint(file, (b) => got.push(Buffer.from(b)));
  assert.ok(Buffer.concat(got).equals(want));
  assert.equal(readFileSync(file).includes(Buffer.from(`${MARKER_PREFIX}mix:secret:`)), false, 'no sanitised bytes in clear');
});

/** A job of 40 full chunks and a short one, over two specs. */
const job: ChunkJob = {
  specs: [pageSpec(5, 'j', 'mem', [{ name: 'p', first: 100, count: 50, confidential: true }]), pageSpec(5, 'j', 'disk', [])],
  ranges: [{ spec: 0, first: 3, count: 5000 }, { spec: 1, first: 0, count: 77 }, { spec: 0, first: 6000, count: 5200 }],
  records: 10277,
};
const collect = (via?: Parameters<typeof makeCheckpointChunks>[2]) => {
  const bytes: Buffer[] = [];
  const digests: Buffer[] = [];
  makeCheckpointChunks(job, (b, d) => { bytes.push(Buffer.from(b)); digests.push(d); }, via);
  return { bytes: Buffer.concat(bytes), digests: Buffer.concat(digests), chunks: bytes.length };
};
const alone = collect({ post: () => 0, abandon: () => assert.fail('nothing to abandon'), timeoutMs: 1000 });

test('a stalled hash worker: the checkpoint is made on the main thread, and a late write into the ring changes nothing', async () => {
  assert.equal(alone.chunks, 41);
  assert.ok(alone.digests.subarray(0, 32).equals(createHash('sha256').update(alone.bytes.subarray(0, MiB)).digest()));
  // A stand-in worker claims chunk 0 and never finishes it; once the ring is given up, it writes its slot and digest late.
  const late = new Worker(`const { parentPort } = require('node:worker_threads');
    parentPort.once('message', ({ shared, stop }) => {
      while (Atomics.load(shared.counters, 2) === 0) Atomics.wait(shared.counters, 2, 0, 20);
      while (Atomics.load(stop, 0) === 0) { shared.ring.fill(0xaa, 0, 1 << 20); shared.digests.fill(0xaa, 0, 32); }
      parentPort.postMessage('stopped');
    });`, { eval: true });
  await new Promise((r) => late.once('online', r));
  const stop = new Int32Array(new SharedArrayBuffer(4));
  let abandoned = 0;
  const stalled = chunkStats.stalled;
  const got = collect({
    post: (m) => { const { shared } = m as { shared: { counters: Int32Array } }; Atomics.add(shared.counters, 0, 1); late.postMessage({ shared, stop }); return 1; },
    abandon: () => { abandoned++; },
    timeoutMs: 200,
  });
  Atomics.store(stop, 0, 1);
  await new Promise((r) => late.once('message', r));
  await late.terminate();
  assert.equal(abandoned, 1, 'the workers were given up on');
  assert.equal(chunkStats.stalled, stalled + 1);
  assert.ok(got.bytes.equals(alone.bytes), 'the same records');
  assert.ok(got.digests.equals(alone.digests), 'the same digests');
});

test('a write that fails part way leaves the hash workers free: the next checkpoint uses them again', async () => {
  assert.ok(await hashWorkersReady() > 0, 'a worker started');
  let n = 0;
  assert.throws(() => makeCheckpointChunks(job, () => { if (++n === 3) throw new Error('disk full'); }), /disk full/);
  const before = chunkStats.byWorkers;
  const again = collect();
  assert.ok(again.bytes.equals(alone.bytes) && again.digests.equals(alone.digests), 'the same records and digests');
  assert.ok(chunkStats.byWorkers > before, 'workers made some of the chunks');
});

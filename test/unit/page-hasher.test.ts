// Page bytes and their Merkle trees: the same whoever computes them (worker
// threads or the main thread alone), distinct for every page, VM, space,
// seed and version.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PageSource, PAGE, MARKER_PREFIX } from '../../server/src/sim/pages';
import { pageSpec, keptPools, fillPage } from '../../server/src/sim/page-bytes';
import { hashStats, hashWorkersReady, stopHashWorkers, type TreeJob } from '../../server/src/sim/page-hasher';

// At least one worker, even on a one-core machine, so the shared path is what is tested.
process.env.VMSEC_HASH_WORKERS ??= '1';
after(() => stopHashWorkers());

/** Polls `done` until it holds, failing after a deadline: never a fixed sleep. */
async function until(done: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sha = (...b: Buffer[]) => { const h = createHash('sha256'); for (const x of b) h.update(x); return h.digest(); };

/** An independent Merkle tree: a level of n nodes has ceil(n/2) parents; an odd last node pairs with itself. */
function reference(leaves: Buffer[]): Buffer[][] {
  const levels = [leaves];
  while (levels[levels.length - 1].length > 1) {
    const prev = levels[levels.length - 1];
    const next: Buffer[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(sha(prev[i], prev[i + 1] ?? prev[i]));
    levels.push(next);
  }
  return levels;
}

function checkTree(src: PageSource, first: number, count: number): Buffer[] {
  const tree = src.tree(first, count);
  const want = reference(Array.from({ length: count }, (_, i) => sha(src.page(first + i))));
  assert.equal(tree.length, want.length, `depth for ${count} pages`);
  tree.forEach((level, l) => assert.deepEqual(level, Buffer.concat(want[l]), `level ${l} of ${count} pages`));
  return tree;
}

test('the Merkle tree of a batch has every page hash and node right, for any size', () => {
  const src = new PageSource(7, 'web', 'mem', [{ name: 'db', first: 2000, count: 40, confidential: true }], 8192);
  src.rewrite(2100);
  for (const [first, count] of [[1990, 1024], [0, 1000], [5000, 65], [64, 64], [3, 1], [100, 7], [2048, 255]]) checkTree(src, first, count);
});

test('worker threads and the main thread alone build the same trees', async () => {
  // Once a worker runs, long batches are really shared.
  assert.ok(await hashWorkersReady() > 0, 'a worker started');
  const src = new PageSource(9, 'big', 'disk', [{ name: 'x', first: 10, count: 3, confidential: true }], 1 << 16);
  const before = hashStats.byWorkers;
  const here = checkTree(src, 0, 4096);
  assert.ok(hashStats.byWorkers > before, 'workers hashed some of the chunks');
  const script = `import { PageSource } from ${JSON.stringify(new URL('../../server/src/sim/pages.ts', import.meta.url).href)};
    const t = new PageSource(9, 'big', 'disk', [{ name: 'x', first: 10, count: 3, confidential: true }], 1 << 16).tree(0, 4096);
    process.stdout.write(t[t.length - 1].toString('hex'));`;
  const alone = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, VMSEC_HASH_WORKERS: '0' }, encoding: 'utf8' });
  assert.equal(alone.stdout, here[here.length - 1].toString('hex'), alone.stderr);
});

test('every page is distinct: by index, version, VM, space and seed', () => {
  const src = new PageSource(7, 'web', 'mem', [{ name: 'db', first: 0, count: 4096, confidential: true }], 16384);
  const leaves = src.tree(0, 16384)[0];
  const seen = new Set<string>();
  for (let i = 0; i < 16384; i++) seen.add(leaves.subarray(i * 32, i * 32 + 32).toString('hex'));
  assert.equal(seen.size, 16384, 'no two pages of a VM alike, confidential or not');
  const p = src.page(5000);
  assert.notDeepEqual(new PageSource(7, 'db', 'mem', [], 16384).page(5000), p, 'another VM');
  assert.notDeepEqual(new PageSource(7, 'web', 'disk', [], 16384).page(5000), p, 'the disk');
  assert.notDeepEqual(new PageSource(8, 'web', 'mem', [], 16384).page(5000), p, 'another seed');
  src.rewrite(5000);
  assert.notDeepEqual(src.page(5000), p, 'a rewritten page');
  assert.equal(src.page(10).subarray(0, MARKER_PREFIX.length + 7).toString('latin1'), `${MARKER_PREFIX}web:db:`);
  assert.equal(src.span(4095, 2).subarray(PAGE).includes(Buffer.from(MARKER_PREFIX)), false);
});

test('trees built ahead (readahead from a plan) equal trees built on demand, and a write in between is not missed', async () => {
  const { Signer } = await import('../../server/src/sim/integrity');
  const { keyFor } = await import('../../server/src/sim/keys');
  const key = keyFor(3, 'parent', 'ecdsa-p256');
  const mode = { mode: 'batched', batch: 256 } as const;
  const src = new PageSource(11, 'vm', 'mem', [], 4096);
  const ahead = new Signer(key, 'f', 1, mode);
  ahead.plan('mem', src, [0, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2304]);
  assert.ok(await hashWorkersReady() > 0, 'a worker started');
  ahead.proof('mem', 0, src); // starts the readahead
  // Wait (with a deadline, polling) until the workers have built batch 2 ahead, so the write below makes a finished tree stale.
  const early = (ahead as unknown as { early: { mem: Map<number, TreeJob> } }).early.mem.get(2);
  assert.ok(early, 'batch 2 was asked for ahead');
  await until(() => Atomics.load(early.counters, 1) >= early.lay.chunks, 'the readahead to build batch 2');
  src.rewrite(600); // batch 2, built ahead: that tree is stale now
  const before = hashStats.byWorkers;
  const fresh = new Signer(key, 'f', 1, mode);
  for (let i = 0; i < 2560; i += 97) {
    const a = ahead.proof('mem', i, src)!;
    const b = fresh.proof('mem', i, src)!;
    assert.deepEqual(a.batch!.root, b.batch!.root, `root of the batch of page ${i}`);
  }
  assert.ok(hashStats.byWorkers > before, 'some trees came from the readahead');
  const tree = checkTree(src, 512, 256);
  assert.deepEqual(ahead.proof('mem', 600, src)!.batch!.root, tree[tree.length - 1], 'the rewritten page is in its batch');
});

test('the Merkle node hash (SHA-256 of 64 bytes, in JavaScript) equals node:crypto on any input', async () => {
  const fc = (await import('fast-check')).default;
  const { sha256Pair } = await import('../../server/src/sim/sha256-pair');
  fc.assert(fc.property(fc.uint8Array({ minLength: 96, maxLength: 96 }), fc.nat(32), fc.nat(32), (bytes, l, r) => {
    const src = Buffer.from(bytes);
    const out = Buffer.alloc(40);
    sha256Pair(src, l, r, out, 8);
    return out.subarray(8).equals(sha(src.subarray(l, l + 32), src.subarray(r, r + 32)));
  }), { numRuns: 2000 });
  // The FIPS 180-4 style check: 64 zero bytes.
  const zero = Buffer.alloc(64);
  const out = Buffer.alloc(32);
  sha256Pair(zero, 0, 32, out, 0);
  assert.equal(out.toString('hex'), 'f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b');
});

test('a confidential page of a process with an absurdly long name stays within its page', () => {
  const name = 'p'.repeat(5000);
  const src = new PageSource(1, 'v', 'mem', [{ name, first: 1, count: 1, confidential: true }], 3);
  const span = src.span(1, 2);
  assert.deepEqual(span.subarray(PAGE), src.page(2), 'the page after is untouched');
  assert.deepEqual(span.subarray(0, PAGE), src.page(1), 'the page alone is made the same');
  assert.equal(src.page(1).subarray(0, MARKER_PREFIX.length).toString('latin1'), MARKER_PREFIX);
  assert.notDeepEqual(src.page(1), new PageSource(1, 'v', 'mem', [{ name, first: 0, count: 2, confidential: true }], 3).page(0), 'still distinct by index');
});

test('a process running many seeds keeps a bounded number of seed pools, and a pool made again gives the same bytes', () => {
  const page = (seed: number) => { const out = Buffer.alloc(PAGE); fillPage(pageSpec(seed, 'app', 'mem', []), 7, 0, out, 0); return out; };
  const first = page(1001);
  for (let seed = 1002; seed < 1100; seed++) page(seed);
  assert.ok(keptPools() <= 4, `${keptPools()} pools kept after 99 seeds`);
  assert.deepEqual(page(1001), first);
});

test('worker threads build the same trees over free (all-zero) memory as the main thread', async () => {
  assert.ok(await hashWorkersReady() > 0, 'a worker started');
  // Pages 1000 on are free memory: zero bytes until written.
  const src = new PageSource(11, 'web', 'mem', [{ name: 'p', first: 0, count: 1000, confidential: false }, { name: '', first: 1000, count: 7192, confidential: false, zero: true }], 8192);
  const before = hashStats.byWorkers;
  checkTree(src, 0, 8192);
  assert.ok(hashStats.byWorkers > before, 'workers hashed some of the chunks');
});

test('the same workers make checkpoint chunks and trees: after a checkpoint job they still share trees', async () => {
  const { makeCheckpointChunks, chunkStats } = await import('../../server/src/sim/checkpoint-chunks');
  assert.ok(await hashWorkersReady() > 0, 'a worker started');
  const src = new PageSource(13, 'ck', 'mem', [{ name: 'p', first: 0, count: 64, confidential: true }], 1 << 14);
  const chunksBefore = chunkStats.byWorkers;
  const digests: Buffer[] = [];
  makeCheckpointChunks({ specs: [src.spec], ranges: [{ spec: 0, first: 0, count: 1 << 14 }], records: 1 << 14 }, (b, d) => {
    assert.deepEqual(d, sha(Buffer.from(b)), 'each chunk comes with its SHA-256');
    digests.push(d);
  });
  assert.equal(digests.length, 64);
  assert.deepEqual(digests[5], sha(src.span(5 * 256, 256)), 'chunk 5 holds pages 1280–1535');
  assert.ok(chunkStats.byWorkers > chunksBefore, 'workers made some of the chunks');
  const before = hashStats.byWorkers;
  checkTree(src, 0, 4096);
  assert.ok(hashStats.byWorkers > before, 'workers hashed some of the tree chunks afterwards');
});

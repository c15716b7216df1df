// A VM's disk: the OS image, then 1 MiB per process `file`. Declared files get
// their blocks first, so on a small disk (64 MiB or less) an excluded file is
// still sanitised and a kept one is still in the checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmModel } from '../../server/src/model/semantic';
import { readCheckpoint } from '../../server/src/sim/checkpoint';
import { diskLayout, osBlocks, PAGE } from '../../server/src/sim/pages';
import { run } from '../helpers';

const MiB = 1024 * 1024;
type P = { name: string; confidential?: boolean; files?: string[] };
/** Just the parts of a VM the disk layout reads. */
const vm = (disk: number, processes: P[]) =>
  ({ name: 'v', memory: 64 * MiB, disk, processes: processes.map((p) => ({ confidential: false, files: [], ...p })) }) as unknown as VmModel;
const shape = (v: VmModel) => diskLayout(v).map((r) => [r.name, r.first, r.count, r.confidential]);
const two: P[] = [{ name: 'a', files: ['/a'] }, { name: 'b', confidential: true, files: ['/b1', '/b2'] }];

test('a large disk: a 64 MiB OS image, then 1 MiB per file in declaration order', () => {
  assert.deepEqual(shape(vm(8192 * MiB, two)), [['', 0, 16384, false], ['a:/a', 16384, 256, false], ['b:/b1', 16640, 256, true], ['b:/b2', 16896, 256, true]]);
  assert.equal(osBlocks(diskLayout(vm(8192 * MiB, two))), 16384);
});

test('a small disk gives its files their 1 MiB first and the OS image what is left', () => {
  assert.deepEqual(shape(vm(16 * MiB, two)), [['', 0, 3328, false], ['a:/a', 3328, 256, false], ['b:/b1', 3584, 256, true], ['b:/b2', 3840, 256, true]]);
  // Just over 64 MiB: the OS image shrinks rather than a file.
  assert.deepEqual(shape(vm(65 * MiB, two)).map((r) => r[2]), [15872, 256, 256, 256]);
  // Without files, the OS image is the whole small disk, and no more than 64 MiB of a large one.
  assert.deepEqual(shape(vm(16 * MiB, [])), [['', 0, 4096, false]]);
  assert.deepEqual(shape(vm(100 * MiB, [])), [['', 0, 16384, false]]);
});

test('a disk too small for its files shares its blocks among them evenly; the OS image gets the rest', () => {
  assert.deepEqual(shape(vm(2 * MiB, two)), [['', 0, 2, false], ['a:/a', 2, 170, false], ['b:/b1', 172, 170, true], ['b:/b2', 342, 170, true]]);
  assert.equal(osBlocks(diskLayout(vm(2 * MiB, two))), 2);
  assert.deepEqual(shape(vm(3 * MiB, two)).map((r) => r[2]), [256, 256, 256]);
  assert.equal(osBlocks(diskLayout(vm(3 * MiB, two))), 0);
  // Fewer blocks than files: one block each while they last.
  assert.deepEqual(shape(vm(2 * PAGE, two)), [['a:/a', 0, 1, false], ['b:/b1', 1, 1, true]]);
  assert.deepEqual(shape(vm(0, two)), []);
});

test('on a 16 MiB disk, an excluded confidential file is sanitised and a kept one is in the checkpoint', () => {
  const [s] = run(`host lab { cpus 8 memory 32 GiB }
vm clinic on lab {
  memory 64 MiB
  disk 16 MiB
  process portal  { memory 4 MiB file "/srv/portal" }
  process records { memory 8 MiB confidential file "/srv/records.db" }
}
checkpoint out of clinic { exclude records to "out.ckpt" }
checkpoint all of clinic { to "all.ckpt" }
scenario "s" { at 0 ms checkpoint out at 0 ms checkpoint all }`);
  assert.deepEqual(s.errors, []);
  assert.match(s.steps[0].outcome, /sanitised 2048 pages and 256 blocks of records$/);
  const kept = readCheckpoint(s.checkpoints[1].file);
  const records = kept.regions.find((r) => r.space === 'disk' && r.name === 'records:/srv/records.db');
  assert.deepEqual(records && [records.first, records.count, records.confidential, records.excluded], [3840, 256, true, false]);
  // Every disk block of the kept checkpoint's files is stored as data.
  const data = kept.page_map.filter((m) => m.space === 'disk' && m.kind === 'data');
  const stored = (b: number) => data.some((m) => b >= m.first && b < m.first + m.count);
  for (const b of [3584, 3839, 3840, 4095]) assert.ok(stored(b), `disk block ${b} stored: ${JSON.stringify(kept.page_map)}`);
});

test('after a fork, a child reads every block of the files and the working-set share of the OS image, on a small disk too', async () => {
  const { diskTouches } = await import('../../server/src/sim/fork/disk');
  const layout = diskLayout(vm(16 * MiB, two));
  const blocks = layout.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.first + i));
  const touched = diskTouches(blocks, osBlocks(layout), 10, 1, 'v');
  // 10% of the 3,328 OS blocks, then all 768 file blocks.
  assert.equal(touched.length, Math.round(3328 * 0.1) + 768);
  assert.deepEqual(touched.slice(-768), blocks.slice(3328));
});

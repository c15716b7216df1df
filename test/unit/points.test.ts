// A plan's points are made from the grid when asked: a plan of 100,000 grid
// points holds its axes (and a sample's indexes), not the points; reading a
// few points makes only those; what goes to workers and into a shard's
// header is the same as when every point was listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePlan, planItems } from '../../server/src/batch/plan';
import { gridPoint, pointAt, pointCount, type GridAxis, type PointSource } from '../../server/src/batch/points';
import { inputsHash, parsePartial, partialInfo, PartialWriter, PARTIAL_MAGIC } from '../../server/src/batch/shard';
import { runnerInput } from '../../server/src/batch/item-runner';
import { Grid, parseVaryArg, resolveAxes } from '../../server/src/batch/vary';
import { sweepView } from '../../server/src/report/sweep-view';
import { SweepAggregate } from '../../server/src/batch/sweep-aggregate';
import { Workspace } from '../../server/src/model/workspace';
import type { Variant } from '../../server/src/batch/types';

const FILE = '/w/sub/f.vmsec';
const files = [{ path: FILE, name: 'sub/f.vmsec', scenarios: [{ name: 's', seed: 1 }], texts: [{ path: FILE, name: 'sub/f.vmsec', text: 'x'.repeat(2000) }] }];

/** An axis of `n` values, each an edit at its own offset; `reads` collects the value indexes a reader looked up. */
function axis(path: string, n: number, at: number, reads?: Set<number>): GridAxis {
  const values = Array.from({ length: n }, (_, i) => `${path}${i}`);
  const spied = reads ? new Proxy(values, { get(t, k, r) { if (typeof k === 'string' && /^\d+$/.test(k)) reads.add(Number(k)); return Reflect.get(t, k, r); } }) : values;
  return { path, values: spied, edits: values.map((v) => [{ path: FILE, start: at, end: at + 1, text: v }]) };
}

/** Every object, array, map and set reachable from `root` (functions' closures are not followed), and the longest array, map or set. */
function holdings(root: unknown): { objects: number; longest: number } {
  const seen = new Set<object>();
  let longest = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null || seen.has(x)) continue;
    seen.add(x);
    if (Array.isArray(x)) { longest = Math.max(longest, x.length); stack.push(...x); continue; }
    if (x instanceof Map) { longest = Math.max(longest, x.size); for (const [k, v] of x) stack.push(k, v); continue; }
    if (x instanceof Set) { longest = Math.max(longest, x.size); stack.push(...x); continue; }
    stack.push(...Object.values(x));
  }
  return { objects: seen.size, longest };
}

test('a plan of 100,000 grid points holds its axes, not the points, and reading 3 points makes only those 3', () => {
  const reads = new Set<number>();
  const axes = [axis('a', 100, 10), axis('b', 1000, 20, reads)];
  const plan = makePlan(files, [1, 2], { kind: 'grid', axes });
  assert.equal(plan.variantCount, 100_000);
  assert.equal(plan.count, 200_000);
  // Making the plan, listing its items and describing a shard read no value of the point-by-point axis.
  let items = 0;
  for (const it of planItems(plan, (k) => k % 1000 === 7)) { items++; assert.equal(it.variant, Math.floor(it.index / 2)); }
  assert.equal(items, 200);
  partialInfo(plan, { index: 1, count: 4 }, 'h');
  assert.deepEqual([...reads], []);
  const got = [0, 12_345, 99_999].map((i) => plan.variant(i));
  assert.deepEqual(got.map((v) => v.id), ['a=a0,b=b0', 'a=a12,b=b345', 'a=a99,b=b999']);
  assert.deepEqual(got[1].values, { a: 'a12', b: 'b345' });
  // Edits go by key (relative to the plan's folder) from the plan on.
  assert.deepEqual(got[1].edits, [{ path: 'f.vmsec', start: 10, end: 11, text: 'a12' }, { path: 'f.vmsec', start: 20, end: 21, text: 'b345' }]);
  assert.deepEqual([...reads].sort((x, y) => x - y), [0, 345, 999]);
  // What the plan holds: the axes' 1,100 values and their edits, nothing per point.
  const held = holdings(plan);
  assert.ok(held.longest <= 1000, `the plan holds a list of ${held.longest}`);
  assert.ok(held.objects < 5000, `the plan holds ${held.objects} objects`);
  assert.throws(() => plan.variant(100_000), /variant 100000 is not part of the plan \(it has 100000\)/);
});

test('a sample is kept as grid indexes, and the runner\'s input is plain data a worker can be sent', () => {
  const axes = [axis('a', 100, 10), axis('b', 1000, 20)];
  const grid = new Grid(axes.map((a) => ({ ...a, target: undefined as never })));
  const src = grid.points(50, 1);
  assert.equal(src.kind, 'grid');
  assert.deepEqual((src as Extract<PointSource, { kind: 'grid' }>).sample, grid.indices(50, 1));
  const plan = makePlan(files, null, src);
  assert.equal(plan.variantCount, 50);
  const idx = grid.indices(50, 1);
  for (const i of [0, 17, 49]) assert.equal(plan.variant(i).id, grid.point(idx[i]).id);
  const input = runnerInput(plan, {});
  // The target (a parsed file) stays behind: a worker gets the axes' paths, values and edits.
  assert.deepEqual(Object.keys((input.points as Extract<PointSource, { kind: 'grid' }>).axes[0]), ['path', 'values', 'edits']);
  const sent = structuredClone(input);
  assert.deepEqual(pointAt(sent.points, 17), plan.variant(17));
  assert.equal(pointCount(sent.points), 50);
  assert.ok(holdings(input).longest <= 1000);
});

test('a plan made from the grid hashes, describes a shard and reports exactly as one made from the list of its points', () => {
  const axes = [axis('a', 3, 10), axis('b', 4, 20)];
  const list: Variant[] = Array.from({ length: 12 }, (_, i) => gridPoint(axes, i));
  const fromGrid = makePlan(files, [1, 2], { kind: 'grid', axes });
  const fromList = makePlan(files, [1, 2], list);
  assert.equal(inputsHash(fromGrid, { x: 1 }, { kind: 'sweep' }), inputsHash(fromList, { x: 1 }, { kind: 'sweep' }));
  // The header as JSON.stringify wrote it when partialInfo listed every point.
  const info = partialInfo(fromGrid, { index: 2, count: 3 }, 'h', { kind: 'sweep', file: 'f' });
  const w = new PartialWriter(info);
  const listed = { inputs: 'h', shard: { index: 2, count: 3 }, items: 24, files: ['sub/f.vmsec'], seeds: '1,2', cwd: process.cwd(), variants: list.map((v) => ({ id: v.id, label: v.label, values: v.values })), sweep: { kind: 'sweep', file: 'f' } };
  const text = w.text();
  assert.equal(text[0], PARTIAL_MAGIC + JSON.stringify({ ...listed, scenarios: [], expectations: [], quantities: [] }) + '\n');
  const parsed = parsePartial(text.join(''));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.header.variants, listed.variants);
  // A run's partial (no points) lists none.
  assert.match(new PartialWriter(partialInfo(makePlan(files, [1], []), { index: 1, count: 1 }, 'h')).text()[0], /"seeds":"1","cwd":"[^"]*","variants":\[\],"scenarios"/);
  // The report reads each row's id and values from the plan when it makes the row.
  const agg = new SweepAggregate(12, ['s'], { seedsPerCell: 2 });
  agg.finish();
  const asked: number[] = [];
  const view = sweepView({ file: 'f', seeds: '1,2', axes: [], metrics: [], agg, points: { count: 12, at: (i) => { asked.push(i); return fromGrid.variant(i); } } });
  assert.deepEqual(asked, [...Array(12).keys()]);
  assert.deepEqual(view.points.map((p) => p.id), list.map((v) => v.id));
  assert.deepEqual(view.points[5].values, list[5].values);
});

test('a sweep\'s axes from --vary become a grid plan whose points are those of the grid', () => {
  const main = 'host h1 { cpus 4 memory 8 GiB }\nhost h2 { cpus 4 memory 8 GiB }\nlink h1 <-> h2 { bandwidth 1 Gbps latency 1 ms }\nvm web on h1 { vcpus 1 memory 64 MiB }\nfork f of web {\n  children 2\n  on h2\n}\nscenario "s" { at 0 ms fork f expect f ready within 1 s }\n';
  const set = new Workspace({ read: () => ({ ok: true, text: main }) }).fileSet('/w/main.vmsec')!;
  const { axes, problems } = resolveAxes(set, ['f.children=1,2,3', 'link.h1-h2.latency=1ms,2ms'].map(parseVaryArg));
  assert.deepEqual(problems, []);
  const grid = new Grid(axes);
  const plan = makePlan([{ path: '/w/main.vmsec', name: 'main.vmsec', scenarios: [{ name: 's', seed: 1 }], texts: [{ path: '/w/main.vmsec', name: 'main.vmsec', text: main }] }], null, grid.points());
  assert.equal(plan.variantCount, 6);
  for (let i = 0; i < 6; i++) {
    const p = grid.point(i);
    assert.deepEqual(plan.variant(i), { ...p, edits: p.edits.map((e) => ({ ...e, path: 'main.vmsec' })) });
  }
});

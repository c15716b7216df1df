// The sweep aggregate keeps a few numbers per point, not the runs: cells are
// finished and dropped once their last seed is in, whatever the sweep's size,
// and the result is the same whatever order the outcomes arrive in (a merge
// folds its parts in any order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepAggregate } from '../../server/src/batch/sweep-aggregate';
import { inShard } from '../../server/src/batch/shard';
import type { ItemOutcome } from '../../server/src/batch/types';

const SCENARIOS = ['fork', 'monitor'];

/** The outcome of item `index` of a plan of `points` variants × SCENARIOS × `seeds` (plan order: scenario, variant, seed). */
function outcome(index: number, points: number, seeds: number[]): ItemOutcome {
  const k = seeds.length;
  const seed = seeds[index % k];
  const variant = Math.floor(index / k) % points;
  const scenario = SCENARIOS[Math.floor(index / (k * points))];
  // Every seventh point fails its second expectation in seeds other than the first; every 11th has a step error.
  const fails = variant % 7 === 3 && index % k !== 0;
  const err = variant % 11 === 5;
  return {
    index, file: 'f.vmsec', scenario, seed, variant, passed: !fails && !err,
    expectations: [
      { text: 'expect f ready within 1 s', line: 20, passed: true, actual: '5 ms' },
      { text: 'expect f pages rejected > 0', line: 21, passed: !fails, actual: '0' },
    ],
    errors: err ? [{ line: 30, message: `step failed at ${variant}` }, { line: 12, message: 'also this' }] : [],
    quantities: { ready_ms: variant + seed / 10, pages_sent: 100 + variant, ...(variant % 5 === 0 ? {} : { decisions: seed }) },
  };
}

test('folding 5,000 points in plan order keeps at most one open cell, and finished cells keep only their numbers and failures', () => {
  const points = 5000, seeds = [4, 2, 9];
  const agg = new SweepAggregate(points, SCENARIOS, { seedsPerCell: seeds.length, metrics: ['ready_ms', 'decisions', 'pass_rate'] });
  const total = points * SCENARIOS.length * seeds.length;
  let maxOpen = 0;
  for (let i = 0; i < total; i++) {
    agg.add(outcome(i, points, seeds));
    maxOpen = Math.max(maxOpen, agg.openCells);
  }
  assert.equal(maxOpen, 1);
  assert.equal(agg.openCells, 0);
  // Only cells with a failing expectation or an error are kept beyond their counts: points 3 mod 7 and 5 mod 11, per scenario.
  let failingPoints = 0;
  for (let v = 0; v < points; v++) if (v % 7 === 3 || v % 11 === 5) failingPoints++;
  assert.equal(agg.cellsWithFailures, failingPoints * SCENARIOS.length);

  const c = agg.cell(10, 1);
  assert.deepEqual({ runs: c.runs, passed: c.passed, failing: [...c.failing.values()] }, { runs: 3, passed: 1, failing: [{ line: 21, text: 'expect f pages rejected > 0', seeds: [2, 9] }] });
  assert.equal(agg.metric(10, 1, 'ready_ms'), 10.4);
  assert.equal(agg.metric(12, 1, 'decisions'), 4);
  assert.equal(agg.metric(10, 1, 'pass_rate'), 1 / 3);
  // Point 0 measured no decisions: no median, not a zero.
  assert.equal(agg.metric(0, 0, 'decisions'), undefined);
  assert.deepEqual([...agg.cell(16, 0).errors.values()], [
    { line: 30, message: 'step failed at 16', seeds: [4, 2, 9] },
    { line: 12, message: 'also this', seeds: [4, 2, 9] },
  ]);
  assert.equal(agg.passed(), (points - failingPoints) * 2 * 3 + [...Array(points).keys()].filter((v) => v % 7 === 3 && v % 11 !== 5).length * 2);
  // A metric the report does not show is not kept.
  assert.throws(() => agg.metric(0, 0, 'pages_sent'), /metric 'pages_sent' was not kept/);
});

test('parts folded out of order give the same cells as the whole sweep in order', () => {
  const points = 40, seeds = [5, 1, 3, 8];
  const total = points * SCENARIOS.length * seeds.length;
  const make = () => new SweepAggregate(points, SCENARIOS, { seedsPerCell: seeds.length, metrics: ['ready_ms', 'decisions'] });
  const inOrder = make();
  for (let i = 0; i < total; i++) inOrder.add(outcome(i, points, seeds));
  const merged = make();
  for (const shard of [3, 1, 2]) {
    const keep = inShard({ index: shard, count: 3 });
    for (let i = total - 1; i >= 0; i--) if (keep(i)) merged.add(outcome(i, points, seeds));
  }
  const dump = (a: SweepAggregate) => Array.from({ length: points }, (_, v) => SCENARIOS.map((_, s) => {
    const c = a.cell(v, s);
    return { runs: c.runs, passed: c.passed, failing: [...c.failing.entries()], errors: [...c.errors.entries()], ready: a.metric(v, s, 'ready_ms'), decisions: a.metric(v, s, 'decisions') };
  }));
  assert.deepEqual(dump(merged), dump(inOrder));
  // Seeds in the plan's order (5, 1, 3, 8 minus the passing first), not arrival or numeric order.
  assert.deepEqual(inOrder.cell(3, 0).failing.get(21)?.seeds, [1, 3, 8]);
});

test('a shard\'s aggregate finishes each cell once the shard\'s seeds of it are in', () => {
  const points = 100, seeds = [1, 2, 3, 4, 5];
  const total = points * SCENARIOS.length * seeds.length;
  const keep = inShard({ index: 2, count: 3 });
  const agg = new SweepAggregate(points, SCENARIOS, { seedsPerCell: seeds.length, keep });
  let maxOpen = 0;
  for (let i = 0; i < total; i++) if (keep(i)) { agg.add(outcome(i, points, seeds)); maxOpen = Math.max(maxOpen, agg.openCells); }
  assert.equal(maxOpen, 1);
  assert.equal(agg.openCells, 0);
  // Cell 0 of shard 2/3 holds items 1 and 4: seeds 2 and 5.
  assert.equal(agg.cell(0, 0).runs, 2);
});

test('a run beyond a point\'s seeds is refused, not counted twice', () => {
  const agg = new SweepAggregate(2, SCENARIOS, { seedsPerCell: 1 });
  agg.add(outcome(0, 2, [1]));
  assert.throws(() => agg.add({ ...outcome(0, 2, [1]), index: 7 }), /holds item 7 \(scenario "fork", variant 0, seed 1\) beyond the runs of its point/);
  assert.equal(agg.cell(0, 0).runs, 1);
});

test('reading a cell finishes the cells still open (a run cut short)', () => {
  const agg = new SweepAggregate(3, SCENARIOS, { seedsPerCell: 4, metrics: ['ready_ms'] });
  agg.add(outcome(0, 3, [1, 2, 3, 4]));
  agg.add(outcome(1, 3, [1, 2, 3, 4]));
  assert.equal(agg.openCells, 1);
  assert.equal(agg.cell(0, 0).runs, 2);
  assert.equal(agg.metric(0, 0, 'ready_ms'), (0.1 + 0.2) / 2);
  assert.equal(agg.openCells, 0);
  assert.equal(agg.cell(1, 0).runs, 0);
});

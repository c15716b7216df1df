// The engine of many runs: seeds and shards parsed, the canonical order,
// Wilson intervals and exact quantiles, aggregation independent of order and
// chunking, partial files read back, and the runner deterministic with one
// thread or two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseSeeds, seedsText, makePlan, planItems, planFromGraph } from '../../server/src/batch/plan';
import { parseShard, shardSize, inShard, parsePartial, mergeProblems, partProblem, partialInfo, inputsHash, PartialWriter, type PartialInfo } from '../../server/src/batch/shard';
import { wilson, orderStats, Aggregator } from '../../server/src/batch/aggregate';
import { applyVariantEdits, itemFolder, runnerInput } from '../../server/src/batch/item-runner';
import { Worker } from 'node:worker_threads';
import { BatchWorkerError, runItems, runItemsAsync, WorkerPool } from '../../server/src/batch/run-items';
import { quantitiesOf } from '../../server/src/batch/outcome';
import type { ItemOutcome } from '../../server/src/batch/types';
import { Workspace } from '../../server/src/model/workspace';
import { readSourceFile } from '../../server/src/model/source-reader';
import { formatBatchJson } from '../../server/src/report/batch-json';
import { formatBatchSarif, BATCH_SARIF_MAGIC } from '../../server/src/report/batch-sarif';
import { formatBatchJunit, BATCH_JUNIT_MAGIC } from '../../server/src/report/batch-junit';
import { BATCH_JSON_MAGIC } from '../../server/src/report/batch-json';
import { renderBatchHtml, histogram } from '../../server/src/report/batch-html';
import { REPORT_MAGIC } from '../../server/src/report/html';
import { reproduceCommand } from '../../server/src/report/batch-text';

const SMALL = join(import.meta.dirname, '..', 'fixtures', 'batch', 'small-fork.vmsec');
const r4 = (ci: [number, number]) => ci.map((x) => Math.round(x * 1e4) / 1e4);

test('Wilson score intervals match the published values', () => {
  assert.deepEqual(r4(wilson(34, 40)), [0.7093, 0.9294]);
  assert.deepEqual(r4(wilson(0, 10)), [0, 0.2775]);
  assert.deepEqual(r4(wilson(10, 10)), [0.7225, 1]);
  assert.deepEqual(r4(wilson(500, 1000)), [0.4691, 0.5309]);
  assert.deepEqual(wilson(0, 0), [0, 1]);
});

test('quantiles are exact order statistics (median of an even count is the mean of the middle two, p95 by nearest rank)', () => {
  const one2ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.deepEqual(orderStats(one2ten), { n: 10, min: 1, median: 5.5, p95: 10, max: 10 });
  const one2twenty = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.deepEqual(orderStats(one2twenty), { n: 20, min: 1, median: 10.5, p95: 19, max: 20 });
  assert.deepEqual(orderStats([7]), { n: 1, min: 7, median: 7, p95: 7, max: 7 });
  assert.deepEqual(histogram([1, 1, 1]), [{ from: 1, to: 1, count: 3 }]);
  assert.equal(histogram(one2twenty).reduce((n, b) => n + b.count, 0), 20);
});

test('seeds and shards parse, with a clear message for each mistake', () => {
  assert.deepEqual(parseSeeds('1..3,7'), [1, 2, 3, 7]);
  assert.deepEqual(parseSeeds('5'), [5]);
  assert.match(parseSeeds('3..1') as string, /range is empty/);
  assert.match(parseSeeds('1,2,1') as string, /seed 1 is given twice/);
  assert.match(parseSeeds('a..b') as string, /'a\.\.b' is not a seed/);
  assert.match(parseSeeds('0..2000000') as string, /more than 1,000,000 seeds/);
  assert.equal(seedsText([1, 2, 3, 4, 7, 9, 10]), '1..4,7,9,10');
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  assert.match(parseShard('0/4') as string, /numbered 1 to 4.*JOB_COMPLETION_INDEX, add 1/);
  assert.match(parseShard('5/4') as string, /numbered 1 to 4/);
  assert.match(parseShard('two') as string, /write i\/n/);
  // Round-robin: every index in exactly one shard; sizes within one of each other.
  for (const [total, n] of [[10, 4], [3, 5], [1000, 7]]) {
    const sizes = Array.from({ length: n }, (_, i) => shardSize(total, { index: i + 1, count: n }));
    assert.equal(sizes.reduce((a, b) => a + b, 0), total);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    for (let k = 0; k < total; k++) assert.equal(sizes.filter((_, i) => inShard({ index: i + 1, count: n })(k)).length, 1);
  }
});

test('items come in the canonical order file, scenario, variant, seed', () => {
  const v = (id: string) => ({ id, label: id, values: {}, edits: [] });
  const plan = makePlan([
    { path: '/a', name: 'a', scenarios: [{ name: 's', seed: 1 }, { name: 't', seed: 9 }], texts: [] },
    { path: '/b', name: 'b', scenarios: [{ name: 'u', seed: 1 }], texts: [] },
  ], [5, 6], [v('x'), v('y')]);
  assert.equal(plan.count, 12);
  const items = [...planItems(plan)];
  assert.deepEqual(items.slice(0, 5).map((i) => [i.index, i.file, i.scenario, i.variant, i.seed]), [[0, 'a', 's', 0, 5], [1, 'a', 's', 0, 6], [2, 'a', 's', 1, 5], [3, 'a', 's', 1, 6], [4, 'a', 't', 0, 5]]);
  assert.deepEqual(items.map((i) => i.index), items.map((_, k) => k));
  // Without seeds each scenario runs once with its own; a shard keeps its slice.
  const own = makePlan(plan.files, null, []);
  assert.deepEqual([...planItems(own)].map((i) => [i.scenario, i.seed, i.variant]), [['s', 1, undefined], ['t', 9, undefined], ['u', 1, undefined]]);
  assert.deepEqual([...planItems(plan, inShard({ index: 2, count: 5 }))].map((i) => i.index), [1, 6, 11]);
});

test('edits apply from the end, and overlapping edits are refused', () => {
  const texts = new Map([['/f', 'children 8\nmemory 1 GiB']]);
  const out = applyVariantEdits(texts, [{ path: '/f', start: 9, end: 10, text: '16' }, { path: '/f', start: 18, end: 19, text: '2' }]);
  assert.equal((out as Map<string, string>).get('/f'), 'children 16\nmemory 2 GiB');
  assert.match(applyVariantEdits(texts, [{ path: '/f', start: 0, end: 5, text: '' }, { path: '/f', start: 3, end: 6, text: '' }]) as string, /overlap/);
  assert.match(applyVariantEdits(texts, [{ path: '/g', start: 0, end: 0, text: '' }]) as string, /not part of the run/);
});

function synthetic(n: number): ItemOutcome[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i, file: 'f.vmsec', scenario: i % 2 ? 'odd' : 'even', seed: 100 + i, passed: i % 7 !== 3,
    expectations: [{ text: 'expect x', line: 10, passed: i % 7 !== 3, actual: String(i) }],
    errors: i % 11 === 5 ? [{ line: 12, message: `step failed at ${i}` }] : [],
    quantities: { ready_ms: (i * 37) % 101, bytes_sent: i },
  }));
}
const INFO = { files: ['f.vmsec'], seeds: '100..199', variants: [], items: 100 };

test('the summary does not depend on the order or the chunks outcomes arrive in', () => {
  const all = synthetic(100);
  const one = new Aggregator(INFO);
  for (const o of all) one.add(o);
  const expected = formatBatchJson(one.summary());
  // A deterministic shuffle (LCG), and shards of 3 added shard by shard.
  let x = 7;
  const shuffled = [...all].sort(() => ((x = (x * 1103515245 + 12345) % 2 ** 31) % 3) - 1);
  const two = new Aggregator(INFO);
  for (const o of shuffled) two.add(o);
  assert.equal(formatBatchJson(two.summary()), expected);
  const three = new Aggregator(INFO);
  for (const s of [3, 1, 2]) for (const o of all.filter((o) => inShard({ index: s, count: 3 })(o.index))) three.add(o);
  assert.equal(formatBatchJson(three.summary()), expected);
  const s = one.summary().scenarios.find((g) => g.scenario === 'even')!;
  assert.equal(s.runs, 50);
  // Failing: i % 7 == 3 and even → 10, 24, 38, 52, 66, 80, 94 → seeds + 100.
  assert.deepEqual(s.failingSeeds.slice(0, 7), [110, 124, 138, 152, 166, 180, 194]);
  assert.equal(s.expectations[0].failing[0].actual, '10');
  assert.deepEqual(s.errors.map((e) => [e.line, e.message, e.runs]), [[12, 'step failed at 16', 4]]);
  assert.deepEqual(Object.keys(s.quantities), ['ready_ms', 'bytes_sent']);
});

test('the output formats name failing seeds and how to reproduce one; each starts with its own marker', () => {
  const agg = new Aggregator(INFO);
  for (const o of synthetic(100)) agg.add(o);
  const sum = agg.summary();
  const junit = formatBatchJunit(sum);
  assert.ok(junit.startsWith(BATCH_JUNIT_MAGIC));
  assert.match(junit, /<testcase classname="f\.vmsec" name="even" file="f\.vmsec"><failure message="[^"]*seeds 110, 124/);
  assert.match(junit, /reproduce with vmsec run f\.vmsec --scenario even --seed 110/);
  assert.equal((junit.match(/<testcase /g) ?? []).length, 2);
  const sarif = formatBatchSarif(sum, '1.2.3');
  assert.ok(sarif.startsWith(BATCH_SARIF_MAGIC));
  const results = JSON.parse(sarif).runs[0].results;
  assert.deepEqual(results.map((r: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }) => [r.ruleId, r.locations[0].physicalLocation.region.startLine]), [['expectation-failed', 10], ['step-failed', 12], ['expectation-failed', 10], ['step-failed', 12]]);
  assert.ok(formatBatchJson(sum).startsWith(BATCH_JSON_MAGIC));
  const html = renderBatchHtml(sum, agg);
  assert.ok(html.startsWith(REPORT_MAGIC));
  assert.equal((html.match(/<figure>/g) ?? []).length, 4, 'a histogram per quantity and scenario');
  assert.equal(reproduceCommand("it's.vmsec", 'a b', 3), `vmsec run 'it'\\''s.vmsec' --scenario 'a b' --seed 3`);
  // A file whose name starts with '-' is not read as an option.
  assert.equal(reproduceCommand('-x.vmsec', 's', 1), 'vmsec run ./-x.vmsec --scenario s --seed 1');
});

test('a partial reads back to the same outcomes; cut-short, foreign and mismatched parts are refused', () => {
  const header: PartialInfo = { inputs: 'abc', shard: { index: 1, count: 2 }, items: 5, files: ['f.vmsec'], seeds: '1..5', variants: [] };
  const outs = synthetic(5).filter((o) => o.index % 2 === 0);
  const w = new PartialWriter(header);
  for (const o of outs) w.add(o);
  const text = w.text().join('');
  assert.ok(text.startsWith('vmsec-partial/2\n'));
  const parsed = parsePartial(text);
  assert.ok(parsed.ok);
  // Everything the aggregates read comes back; what a passing check saw is not kept.
  const expected = outs.map(({ wall_ms: _w, ...o }) => ({ ...o, expectations: o.expectations.map((e) => ({ ...e, actual: e.passed ? '' : e.actual })) }));
  assert.deepEqual(parsed.outcomes, expected);
  // Texts once in the header; an outcome line is numbers.
  assert.ok(text.split('\n')[2].startsWith('[0,0,0,-1,'), text.split('\n')[2]);
  assert.equal(partProblem('p1', parsed.header, parsed.outcomes), undefined);
  assert.match(partProblem('p1', parsed.header, parsed.outcomes.slice(1))!, /should hold the 3 items of shard 1\/2 and holds 2/);
  assert.match((parsePartial(text.slice(0, text.lastIndexOf('{"end"'))) as { error: string }).error, /incomplete/);
  assert.match((parsePartial('{"not":"ours"}\n') as { error: string }).error, /is not a vmsec partial result/);
  assert.match((parsePartial('vmsec-partial/1\n{}\n') as { error: string }).error, /earlier vmsec \(format vmsec-partial\/1\)/);
  assert.match((parsePartial(text.replace('[2,0,', 'oops')) as { error: string }).error, /line 4: not JSON/);
  assert.match((parsePartial(text.replace('[2,0,0,', '[2,7,0,')) as { error: string }).error, /line 4: not an item outcome \(unknown file\)/);
  assert.match((parsePartial(text.replace('"outcomes":3', '"outcomes":4')) as { error: string }).error, /line 6: the end line counts 4 outcomes, the file has 3/);
  const other = { ...header, inputs: 'def', shard: { index: 2, count: 2 } };
  assert.match(mergeProblems([{ name: 'p1', header }, { name: 'p2', header: other }])[0], /p2 is a result of different inputs than p1/);
  assert.deepEqual(mergeProblems([{ name: 'p1', header }]), ['shard 2 of 2 is missing']);
  assert.match(mergeProblems([{ name: 'p1', header }, { name: 'p1b', header }])[0], /shard 1\/2 is given twice: p1 and p1b/);
  assert.match(mergeProblems([{ name: 'p1', header }, { name: 's2', header: { ...header, shard: { index: 2, count: 2 }, sweep: { kind: 'sweep' } } }])[0], /s2 is a part of vmsec sweep --shard and p1 is a part of vmsec run --shard/);
});

test('files go by one key from the plan on: equal inputs hash equal wherever the files are and whatever the working folder', () => {
  const at = (base: string, name: string) => makePlan([{
    path: `${base}/sub/f.vmsec`, name, scenarios: [{ name: 's', seed: 1 }],
    texts: [{ path: `${base}/sub/f.vmsec`, name, text: 'x' }, { path: `${base}/lib/l.vmsec`, name: 'l', text: 'y' }],
  }], [1, 2], [{ id: 'v', label: 'v', values: {}, edits: [{ path: `${base}/lib/l.vmsec`, start: 0, end: 1, text: 'z' }] }]);
  const a = at('/ci/one', 'sub/f.vmsec');
  const b = at('/home/me/checkout', '/home/me/checkout/sub/f.vmsec');
  assert.equal(a.base, '/ci/one');
  assert.deepEqual(a.variant(0).edits[0].path, 'lib/l.vmsec');
  assert.deepEqual(runnerInput(a, {}).texts, [['sub/f.vmsec', 'x'], ['lib/l.vmsec', 'y']]);
  assert.deepEqual(runnerInput(b, {}).files, [{ name: '/home/me/checkout/sub/f.vmsec', key: 'sub/f.vmsec' }]);
  assert.equal(inputsHash(a, {}), inputsHash(b, {}));
  assert.notEqual(inputsHash(a, {}), inputsHash(at('/ci/one', 'sub/f.vmsec'), { costs: 1 }));
  // A sweep's description counts, its shown file names do not.
  assert.equal(inputsHash(a, {}, { metrics: ['ready_ms'], file: 'a' }), inputsHash(b, {}, { metrics: ['ready_ms'], file: 'b' }));
  assert.notEqual(inputsHash(a, {}, { metrics: ['ready_ms'] }), inputsHash(a, {}, { metrics: ['sim_ms'] }));
});

test('the runner gives the same outcomes on one thread and on two worker threads, seed by seed', () => {
  const graph = new Workspace({ read: readSourceFile }).graph([SMALL]);
  const plan = planFromGraph(graph, [SMALL], { seeds: parseSeeds('9..14') as number[] });
  assert.equal(plan.count, 6);
  const run = (jobs: number) => {
    const out: ItemOutcome[] = [];
    runItems(runnerInput(plan, {}), planItems(plan), jobs, (o) => out.push(o));
    return out.map(({ wall_ms: _w, ...o }) => o);
  };
  const one = run(1);
  assert.deepEqual(one.map((o) => o.seed), [9, 10, 11, 12, 13, 14]);
  // Seeds 11 and 14 reject no page (the fixture's attacker flips too little), so their last expectation fails.
  assert.deepEqual(one.map((o) => o.passed), [true, true, false, true, true, false]);
  assert.equal(one[2].expectations[2].actual, 0, 'a count, as run --format json gives it');
  assert.ok(one[0].quantities.ready_ms! > 0 && one[0].quantities.pages_sent! > 0);
  assert.deepEqual(run(2), one);
  assert.deepEqual(run(1), one, 'deterministic');
  // A partial header carries what the merge checks.
  assert.deepEqual(partialInfo(plan, { index: 1, count: 1 }, 'h').files, [plan.files[0].name]);
});

test('the asynchronous runner gives the same outcomes in order on 1, 2 and 3 threads, also with workers started ahead', async () => {
  const graph = new Workspace({ read: readSourceFile }).graph([SMALL]);
  const plan = planFromGraph(graph, [SMALL], { seeds: parseSeeds('9..14') as number[] });
  const run = async (jobs: number, pool?: WorkerPool) => {
    const out: ItemOutcome[] = [];
    await runItemsAsync(runnerInput(plan, {}), planItems(plan), jobs, (o) => out.push(o), { pool });
    return out.map(({ wall_ms: _w, ...o }) => o);
  };
  const one = await run(1);
  assert.deepEqual(one.map((o) => o.index), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(one.map((o) => o.passed), [true, true, false, true, true, false]);
  assert.deepEqual(await run(2), one);
  assert.deepEqual(await run(3), one);
  assert.deepEqual(await run(2, new WorkerPool(2)), one);
});

// A worker that exits as soon as it is given an item, as a crash would.
const dyingWorker = (data: { port: unknown }) => new Worker(
  `const { workerData } = require('node:worker_threads');
   workerData.port.on('message', (m) => { if (m.kind === 'item') process.exit(7); });`,
  { eval: true, workerData: data, transferList: [data.port as never] },
);

test('a worker thread that dies is reported with the item it was running, not waited for', async () => {
  const graph = new Workspace({ read: readSourceFile }).graph([SMALL]);
  const plan = planFromGraph(graph, [SMALL], { seeds: parseSeeds('1..4') as number[] });
  let delivered = 0;
  await assert.rejects(
    runItemsAsync(runnerInput(plan, {}), planItems(plan), 2, () => { delivered++; }, { startWorker: dyingWorker }),
    (e: unknown) => {
      assert.ok(e instanceof BatchWorkerError);
      assert.match(e.message, /^worker thread 1 stopped \(exit code 7\) while running scenario "fork under tampering" of .*small-fork\.vmsec with seed \d$/);
      return true;
    },
  );
  assert.ok(delivered < 4, 'the run stopped');
});

test('many runs write each item\'s checkpoints into a folder of its own', () => {
  // Titles become safe path segments (a hash keeps changed names apart); the file only when the run has several.
  assert.match(itemFolder({ index: 3, file: 'a.vmsec', scenario: 'fork under tampering', seed: 7 }, false), /^fork-under-tampering-[0-9a-f]{8}\/seed-7$/);
  assert.match(itemFolder({ index: 3, file: 'dir/a.vmsec', scenario: 'boot', seed: 7, variant: 0 }, true), /^dir-a\.vmsec-[0-9a-f]{8}\/boot\/point-1\/seed-7$/);
});

test('quantities come from transfers, attestations, monitor decisions, moves and stats; pages count disk blocks as the expectation does', () => {
  const r = {
    transfers: [{ ready_ms: 10, pages: { sent: 4, rejected: 1 }, blocks: { sent: 1, rejected: 0 }, corrupted_accepted: 0 }, { ready_ms: null, pages: { sent: 1, rejected: 0 }, blocks: { sent: 1, rejected: 0 }, corrupted_accepted: 1 }],
    attestations: [{ passed: true }, { passed: false }], monitor: [{ delay_us: 50 }, { delay_us: 7 }], moves: [{ ready_ms: 30.5 }],
    stats: { bytes_sent: 99, sim_ms: 1.23456789 },
  } as unknown as Parameters<typeof quantitiesOf>[0];
  assert.deepEqual(quantitiesOf(r), { ready_ms: 10, pages_sent: 7, pages_rejected: 1, corrupted_accepted: 1, bytes_sent: 99, attestations_failed: 1, decisions: 2, delay_us_max: 50, move_ready_ms: 30.5, sim_ms: 1.234568 });
});

test('the pages_rejected quantity of a run is what `expect F pages rejected` saw, disk blocks included', async () => {
  const { run } = await import('../helpers');
  const [s] = run(`host h1 { tpm ecdsa-p256 } host h2 { tpm ecdsa-p256 }
link h1 <-> h2 { bandwidth 1 Gbps }
vm web on h1 { memory 16 MiB disk 80 MiB vtpm workingset 50% process app { memory 4 MiB file "/srv/app" } }
fork f of web { children 2 on h2 integrity per-page }
attacker eve { tamper h1 <-> h2 10% }
scenario "s" { at 0 ms fork f expect f pages rejected > 0 }`);
  const blocks = s.transfers.reduce((n, t) => n + t.blocks.rejected, 0);
  assert.ok(blocks > 0, 'some disk blocks are rejected, so the two counts could differ');
  assert.equal(quantitiesOf(s).pages_rejected, s.expectations[0].actual);
});

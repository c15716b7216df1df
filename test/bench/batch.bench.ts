// `npm run bench` (many runs): 200 seeds of a small fork-with-attacker sample
// on 2 threads against 1, as whole CLI processes in the same run (target
// ≥ 1.8× on 2 free cores); merging 100 shard partials of 1,000 outcomes each
// against 10 (linear, target ≤ 1 s); and the memory of a 10,000-point sweep
// against a 1,000-point one, retained at the end and at its peak during the
// run (results streamed, points made from the grid when they run: flat).
//
// Wall-clock figures depend on what else the machine runs, so each process's
// CPU time (all its threads) is printed beside them: with --jobs 2 it should
// stay close to --jobs 1's (the work is the same), and wall / CPU shows how
// much of a core the run really got. Memory is the heap after a forced GC,
// which unlike the RSS does not depend on when the collector ran.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as nodePath from 'node:path';
import { tempDir } from '../tmp';
import { makePlan, planItems } from '../../server/src/batch/plan';
import { inShard, PartialWriter } from '../../server/src/batch/shard';
import { runnerInput } from '../../server/src/batch/item-runner';
import { runItemsAsync } from '../../server/src/batch/run-items';
import { SweepAggregate } from '../../server/src/batch/sweep-aggregate';
import type { ItemOutcome } from '../../server/src/batch/types';
import type { GridAxis } from '../../server/src/batch/points';

const ROOT = process.cwd();
const CLI = nodePath.join(ROOT, 'dist', 'vmsec.js');
const SMALL = 'test/fixtures/batch/small-fork.vmsec';

// A preload that reports the process's CPU time (every thread) when it exits.
const CPU_PRELOAD = nodePath.join(tempDir('bench-cpu-'), 'cpu.cjs');
writeFileSync(CPU_PRELOAD, `process.on('exit', () => { const c = process.cpuUsage(); require('node:fs').writeFileSync(process.env.VMSEC_BENCH_CPU, String((c.user + c.system) / 1000)); });\n`);

function timed(args: string[]): { ms: number; cpuMs: number; out: string; code: number | null } {
  const cpuFile = nodePath.join(nodePath.dirname(CPU_PRELOAD), `cpu-${process.hrtime.bigint()}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', CPU_PRELOAD, CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, VMSEC_BENCH_CPU: cpuFile } });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`vmsec ${args.join(' ')}: ${r.stderr}`);
  return { ms, cpuMs: Number(readFileSync(cpuFile, 'utf8')), out: r.stdout, code: r.status };
}

const only = process.argv[2];
console.log(`many runs benchmark (${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)})`);

// 1. --jobs 2 against --jobs 1.
if (!only || only === 'jobs') {
  const seeds = ['run', SMALL, '--seeds', '1..200', '--format', 'json'];
  const j1 = timed([...seeds, '--jobs', '1']);
  const j2 = timed([...seeds, '--jobs', '2']);
  if (j1.out !== j2.out) throw new Error('--jobs 2 printed something else than --jobs 1');
  console.log(`200 seeds of ${SMALL}: --jobs 1 ${(j1.ms / 1000).toFixed(2)} s (CPU ${(j1.cpuMs / 1000).toFixed(2)} s), --jobs 2 ${(j2.ms / 1000).toFixed(2)} s (CPU ${(j2.cpuMs / 1000).toFixed(2)} s) → ${(j1.ms / j2.ms).toFixed(2)}× (target ≥ 1.8× with 2 free cores); --jobs 2 costs ${((j2.cpuMs / j1.cpuMs - 1) * 100).toFixed(0)}% more CPU; on 2 free cores its wall time would be about its CPU / 2 → ${(j1.ms / (j2.cpuMs / 2)).toFixed(2)}× at best, since --jobs 1 already keeps ${(j1.cpuMs / j1.ms).toFixed(2)} cores busy`);
}

// 2. Merging synthetic partials: 10 and 100 shards of 1,000 outcomes each.
function partials(shards: number, perShard: number): string[] {
  const dir = tempDir('bench-merge-');
  const items = shards * perShard;
  const scenarios = Array.from({ length: 1000 }, (_, i) => ({ name: `scenario ${i}`, seed: 1 }));
  const seedsPer = items / scenarios.length;
  const plan = makePlan([{ path: '/bench/f.vmsec', name: 'f.vmsec', scenarios, texts: [] }], Array.from({ length: seedsPer }, (_, i) => i + 1), []);
  const info = (i: number) => ({ inputs: 'bench', shard: { index: i, count: shards }, items, files: ['f.vmsec'], seeds: `1..${seedsPer}`, variants: [] });
  const files: string[] = [];
  for (let s = 1; s <= shards; s++) {
    const w = new PartialWriter(info(s));
    for (const it of planItems(plan, inShard({ index: s, count: shards }))) {
      const o: ItemOutcome = {
        index: it.index, file: it.file, scenario: it.scenario, seed: it.seed, passed: it.index % 97 !== 0,
        expectations: [{ text: 'expect f ready within 1 s', line: 30, passed: true, actual: `${50 + (it.index % 13)} ms` }, { text: 'expect f pages rejected > 0', line: 31, passed: it.index % 97 !== 0, actual: String(it.index % 5) }],
        errors: [], quantities: { ready_ms: 50 + (it.index % 13), pages_sent: 400 + (it.index % 17), pages_rejected: it.index % 5, bytes_sent: 1_800_000 + it.index, sim_ms: 116 + (it.index % 3) },
      };
      w.add(o);
    }
    const lines = w.text();
    const file = nodePath.join(dir, `part-${s}.jsonl`);
    writeFileSync(file, lines.join(''));
    files.push(file);
  }
  return files;
}
if (!only || only === 'merge') {
  const nodeStart = (() => { const t0 = performance.now(); spawnSync(process.execPath, ['-e', '0']); return performance.now() - t0; })();
  const m10 = timed(['merge', ...partials(10, 1000), '--format', 'json']);
  const m100 = timed(['merge', ...partials(100, 1000), '--format', 'json']);
  console.log(`merge: 10 partials (10,000 outcomes) ${m10.ms.toFixed(0)} ms (CPU ${m10.cpuMs.toFixed(0)} ms); 100 partials (100,000 outcomes) ${m100.ms.toFixed(0)} ms (CPU ${m100.cpuMs.toFixed(0)} ms) → ${((m100.ms - nodeStart) / (m10.ms - nodeStart)).toFixed(1)}× the time for 10× the outcomes beyond node's start (${nodeStart.toFixed(0)} ms; linear ≈ 10 or less; target ≤ 1 s)`);
}

// 3. Memory of a sweep: 10,000 points of a tiny scenario against 1,000, in this process.
const TINY = `host a { cpus 4 memory 8 GiB }
vm v on a { vcpus 1 memory 64 MiB process p { memory 8 MiB } }
monitor m for v { mode serial default allow rule r on open when fileEq(0, "/x") then deny(13) }
scenario "one call" {
  at 0 ms syscall v p open("/x")
  expect m denies == 1
}
`;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => { gc(); gc(); return process.memoryUsage().heapUsed; };

/**
 * Runs a sweep of `axes` axes of 10 values (10^axes points) and returns the
 * heap retained at the end (the aggregate alive) and at its largest during the
 * run, above the heap before the plan was made: the plan counts, as in vmsec sweep.
 */
async function sweepMemory(axes: number): Promise<{ points: number; retained: number; peak: number; ms: number }> {
  const dir = tempDir('bench-mem-');
  const path = nodePath.join(dir, 'tiny.vmsec');
  writeFileSync(path, TINY);
  // Each axis value puts a comment before its own line, so each point's text differs and is parsed, validated and run on its own, as a sweep's points are.
  const lineStarts = [0, ...[...TINY.matchAll(/\n/g)].map((m) => m.index! + 1)];
  const grid: GridAxis[] = Array.from({ length: axes }, (_, k) => {
    const values = Array.from({ length: 10 }, (_, i) => String(i));
    return { path: `c${k}`, values, edits: values.map((v) => [{ path, start: lineStarts[k], end: lineStarts[k], text: `// c${k}=${v}\n` }]) };
  });
  const base = heapAfterGc();
  const plan = makePlan([{ path, name: 'tiny.vmsec', scenarios: [{ name: 'one call', seed: 1 }], texts: [{ path, name: 'tiny.vmsec', text: TINY }] }], [1], { kind: 'grid', axes: grid });
  const points = plan.variantCount;
  const agg = new SweepAggregate(points, ['one call'], { seedsPerCell: 1, metrics: ['decisions'] });
  let peak = 0;
  let n = 0;
  const t0 = performance.now();
  await runItemsAsync(runnerInput(plan, { checkpointDir: dir }), planItems(plan), 1, (o) => {
    if (!o.passed && n === 0) throw new Error(`the tiny scenario failed: ${JSON.stringify(o)}`);
    agg.add(o);
    if (++n % 1000 === 0) peak = Math.max(peak, heapAfterGc() - base);
  });
  const ms = performance.now() - t0;
  const retained = heapAfterGc() - base;
  if (agg.openCells !== 0) throw new Error(`${agg.openCells} cells are still open after the sweep`);
  if (agg.cell(points - 1, 0).runs !== 1) throw new Error('the last point did not run');
  return { points, retained, peak: Math.max(peak, retained), ms };
}
// (The bench is bundled as CommonJS: no top-level await.)
if (!only || only === 'memory') void (async () => {
  // Once first, so what the first sweep of a process allocates for good (compiled code, caches) is not counted against 1,000 points.
  await sweepMemory(2);
  const small = await sweepMemory(3);
  const large = await sweepMemory(4);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const growth = (a: number, b: number) => `${b / a < 10 ? `${(b / a).toFixed(2)}× for 10× the points, ` : ''}${((b - a) / (large.points - small.points)).toFixed(0)} bytes per point beyond the first ${small.points.toLocaleString('en-US')}`;
  console.log(`memory of a sweep (heap after GC, above the heap before the plan): ${small.points.toLocaleString('en-US')} points ${mib(small.retained)} MiB (peak ${mib(small.peak)}, ${(small.ms / 1000).toFixed(1)} s), ${large.points.toLocaleString('en-US')} points ${mib(large.retained)} MiB (peak ${mib(large.peak)}, ${(large.ms / 1000).toFixed(1)} s)`);
  console.log(`  retained: ${growth(small.retained, large.retained)} (target flat: a finished point keeps its counts and medians, its cell is dropped)`);
  console.log(`  peak: ${growth(small.peak, large.peak)} (target flat: the plan holds the grid's axes and makes each point when it runs)`);
})();

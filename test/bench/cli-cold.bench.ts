// `npm run bench` (cold CLI): `vmsec` as CI and pre-commit hooks run it, a
// fresh process each time. Each figure is the median of whole-process wall
// times, and of the ratios to `node -e 0` timed just before in the same pair
// (so a busy machine moves both). Targets: a one-line check ≤ 1.5 × node,
// a 10k-line check ≤ 3 × node, a 100k-line check ≤ 1 s.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../tmp';
import { generate } from './generate';
import { median } from './timing';

// VMSEC_BENCH_CLI=path/to/vmsec.js measures another build (an earlier one, for a before/after).
const cli = resolve(process.env.VMSEC_BENCH_CLI ?? 'dist/vmsec.js');
const dir = tempDir('cli-cold-bench-');
const files = { one: join(dir, 'one.vmsec'), '10k': join(dir, '10k.vmsec'), '100k': join(dir, '100k.vmsec') };
writeFileSync(files.one, 'host h1 { cpus 4 memory 8 GiB }\n');
writeFileSync(files['10k'], generate(10_000));
writeFileSync(files['100k'], generate(100_000));

function wall(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0 && !(r.status === 1 && args.includes('check'))) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

interface Row { what: string; ms: number; node: number; ratio: number }

function measure(what: string, args: string[], runs: number): Row {
  wall(args); wall(['-e', '0']); // warm the file cache
  const ms: number[] = [], node: number[] = [], ratio: number[] = [];
  for (let i = 0; i < runs; i++) {
    const n = wall(['-e', '0']);
    const m = wall(args);
    node.push(n); ms.push(m); ratio.push(m / n);
  }
  return { what, ms: median(ms), node: median(node), ratio: median(ratio) };
}

const rows = [
  measure('vmsec --version', [cli, '--version'], 15),
  measure('vmsec check (1 line)', [cli, 'check', files.one], 15),
  measure('vmsec check (10k lines)', [cli, 'check', files['10k']], 9),
  measure('vmsec check (100k lines)', [cli, 'check', files['100k']], 5),
];
console.log('cold CLI benchmark (whole processes; medians; ratio = paired with node -e 0)');
console.log('| command | ms | node -e 0 ms | ratio |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.what} | ${r.ms.toFixed(0)} | ${r.node.toFixed(0)} | ${r.ratio.toFixed(2)} |`);
const [, one, tenK, hundredK] = rows;
console.log(`targets: 1-line check ≤ 1.5 × node → ${one.ratio.toFixed(2)}; 10k-line check ≤ 3 × node → ${tenK.ratio.toFixed(2)}; 100k-line check ≤ 1000 ms → ${hundredK.ms.toFixed(0)} ms`);

// The long fuzz run (`npm run fuzz`): mutated samples under `check` and
// `run`, damaged checkpoints under `ckpt`, each in a sandbox with symlinks,
// FIFOs and precious files planted around it (see harness.ts for the
// properties). Build first: it runs dist/vmsec.js.
//
//   node esbuild.mjs && node --import tsx test/fuzz/main.ts --runs 300 [--seed N]
//     --runs N            source cases (plus N/4 checkpoint cases); default 300
//     --seed N            deterministic given the seed (printed at the start)
//     --kind source|ckpt|all
//     --run-share F       share of source cases that `run` (default 0.25; the rest `check`)
//     --timeout MS        per case (default 20000); longer is a hang
//     --shrink-budget MS  per failure class (default 90000)
//     --no-shrink         save the first case of each class as found
//     --no-reduce         skip the line-by-line reduction after shrinking
//   node --import tsx test/fuzz/main.ts --replay test/.tmp/fuzz-failures/X/case.json [--keep]
//
// It does not stop at the first failure: every case runs, failures are
// grouped by class (hang, exit:133, js-error:TypeError, outside-write,
// overwrote:source, ckpt-accepts-damage, …), and the first case of each
// class is shrunk and saved under test/.tmp/fuzz-failures/<class>-seed<S>/
// (case.json, the files, README.txt with the command and the output).
// Exit 1 if any class other than raw-errno:* was found.
import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { CLI, ckptCaseArb, describe, isHard, runCase, saveFailure, sourceCaseArb, type Case, type Outcome } from './harness';
import { search } from './runner';
import { EXAMPLES } from './examples';
import { reduceLines } from './reduce';

function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const has = (name: string) => process.argv.includes(`--${name}`);

if (!existsSync(CLI)) { console.error(`vmsec fuzz: ${CLI} is missing; build it first: node esbuild.mjs`); process.exit(2); }

const timeoutMs = Number(flag('timeout', '20000'));

const replay = flag('replay');
if (replay) {
  const c = JSON.parse(readFileSync(replay, 'utf8')) as Case;
  const o = runCase(c, { timeoutMs, keep: has('keep') });
  console.log(`$ cd ${o.cwd} && node ${CLI} ${o.args.map((a) => JSON.stringify(a)).join(' ')}`);
  console.log(`exit ${o.code}${o.signal ? ` (${o.signal})` : ''} after ${o.ms} ms`);
  console.log(`--- stdout\n${o.out.slice(0, 3000)}\n--- stderr\n${o.err.slice(0, 3000)}`);
  console.log(o.problems.length ? `problems:\n${describe(o.problems)}` : 'no problem found');
  if (has('keep')) console.log(`sandbox kept: ${o.box.dir}`);
  process.exit(o.problems.some(isHard) ? 1 : 0);
}

if (has('examples')) {
  let bad = 0;
  for (const [i, c] of EXAMPLES.entries()) {
    const o = runCase(c, { timeoutMs });
    bad += o.problems.some(isHard) ? 1 : 0;
    console.log(`example ${i} (${o.ms} ms, exit ${o.code}): vmsec ${o.args.join(' ').slice(0, 100)}${o.problems.length ? '\n' + describe(o.problems) : '  ok'}`);
  }
  process.exit(bad ? 1 : 0);
}

const seed = Number(flag('seed', String(Date.now() % 2 ** 31)));
const runs = Number(flag('runs', '300'));
const kind = flag('kind', 'all');
const shrinkBudgetMs = Number(flag('shrink-budget', '90000'));
console.log(`vmsec fuzz: seed ${seed}, ${runs} runs, kind ${kind}, time limit ${timeoutMs} ms per case`);

interface Seen { count: number; first: number; hard: boolean; example: Outcome }
let anyHard = false;

function survey(name: string, arb: fc.Arbitrary<Case>, n: number) {
  const classes = new Map<string, Seen>();
  const t = Date.now();
  search(arb, {
    seed, numRuns: n, timeoutMs, shrinkBudgetMs: 0, fails: () => false,
    onCase: (_c, o, i) => {
      for (const p of o.problems) {
        const s = classes.get(p.cls);
        if (s) s.count++;
        else {
          classes.set(p.cls, { count: 1, first: i, hard: isHard(p), example: o });
          console.log(`\n[${name} #${i}] new class ${p.cls}: ${p.detail}`);
        }
      }
      if (has('verbose')) console.log(`#${i} ${o.ms} ms exit ${o.code}: vmsec ${o.args.join(' ').slice(0, 120)}  ${o.problems.map((p) => p.cls).join(' ')}`);
      else process.stdout.write(o.problems.length ? 'x' : '.');
    },
  });
  console.log(`\n${name}: ${n} cases in ${Math.round((Date.now() - t) / 1000)} s, ${classes.size} failure classes`);
  for (const [cls, s] of classes) {
    anyHard ||= s.hard;
    let saved: string;
    let shown: Outcome = s.example;
    if (has('no-shrink')) {
      const c = fc.sample(arb, { seed, numRuns: s.first + 1 })[s.first];
      saved = saveFailure(c, s.example, `seed${seed}-${name}${s.first}`);
    } else {
      const f = search(arb, { seed, numRuns: n, path: String(s.first), timeoutMs, shrinkBudgetMs, fails: (o) => o.problems.some((p) => p.cls === cls) });
      if (!f) { console.log(`  ${cls}: did not fail again on replay (flaky?); ${s.count} cases`); continue; }
      let best = { case: f.case, outcome: f.outcome };
      if (f.case.kind === 'source' && !has('no-reduce')) best = reduceLines(f.case, f.outcome, cls, shrinkBudgetMs, timeoutMs);
      shown = best.outcome;
      saved = saveFailure(best.case, best.outcome, `seed${seed}-${name}${s.first}`);
    }
    console.log(`  ${s.hard ? 'FAIL' : 'note'} ${cls}: ${s.count} case${s.count === 1 ? '' : 's'}, first #${s.first}`);
    console.log(`       ${shown.problems.find((p) => p.cls === cls)?.detail ?? ''}`);
    console.log(`       $ vmsec ${shown.args.join(' ')}   → ${saved.slice(process.cwd().length + 1)}/README.txt`);
  }
}

if (kind === 'all' || kind === 'source') survey('source', sourceCaseArb(Number(flag('run-share', '0.25'))) as fc.Arbitrary<Case>, runs);
if (kind === 'all' || kind === 'ckpt') survey('ckpt', ckptCaseArb() as fc.Arbitrary<Case>, kind === 'ckpt' ? runs : Math.max(1, Math.round(runs / 4)));
console.log(anyHard ? `vmsec fuzz: failures found (seed ${seed})` : `vmsec fuzz: no failure (seed ${seed})`);
process.exit(anyHard ? 1 : 0);

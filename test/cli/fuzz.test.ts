// A modest fuzz run inside `npm test` (the long one: `npm run fuzz`, see
// test/fuzz/main.ts): the hand-written cases of issue 9 plus a few random
// mutations of the samples under `check` and `run`, and damaged checkpoints
// under `ckpt`, each in a sandbox with symlinks, FIFOs and precious files
// planted around it. Deterministic for its seed (VMSEC_FUZZ_SEED to change
// it); a failure is shrunk, saved under test/.tmp/fuzz-failures/ and named
// with its replay command. Uses dist/vmsec.js: build first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type fc from 'fast-check';
import { tempDir } from '../tmp';
import { changeProblems, ckptCaseArb, describe, outputProblems, ROOT, saveFailure, sourceCaseArb, validCheckpoints, type Case, type Exec } from '../fuzz/harness';
import { CKPT_EXAMPLES, SOURCE_EXAMPLES } from '../fuzz/examples';
import { search, type Search } from '../fuzz/runner';
import { diff, plant, PRECIOUS, snapshot } from '../fuzz/sandbox';

const SEED = Number(process.env.VMSEC_FUZZ_SEED ?? 20260601);

function fuzz(name: string, arb: fc.Arbitrary<Case>, s: Omit<Search, 'seed' | 'timeoutMs' | 'shrinkBudgetMs'>) {
  const f = search(arb, { seed: SEED, timeoutMs: 20_000, shrinkBudgetMs: 30_000, ...s });
  if (!f) return;
  const dir = saveFailure(f.case, f.outcome, `seed${SEED}-${name}`);
  assert.fail([
    `fuzz (${name}, seed ${SEED}${f.path ? `, path ${f.path}` : ''}): vmsec ${f.outcome.args.join(' ')} exited ${f.outcome.code}`,
    describe(f.outcome.problems),
    `saved: ${dir.slice(ROOT.length + 1)}/README.txt`,
    `replay: node --import tsx test/fuzz/main.ts --replay ${dir.slice(ROOT.length + 1)}/case.json --keep`,
  ].join('\n'));
}

test('the fuzz oracle sees crashes, leaks, escapes and overwrites (it can fail)', () => {
  const exec = (e: Partial<Exec>): Exec => ({ code: 0, signal: null, timedOut: false, flooded: false, out: '', err: '', ms: 1, ...e });
  const classes = (e: Partial<Exec>, format = 'text') => outputProblems(exec(e), format).map((p) => p.cls);
  assert.deepEqual(classes({}), []);
  assert.deepEqual(classes({ out: 'a.vmsec:1:1: error VMS003 children must be at most 1000\n' }), []);
  assert.deepEqual(classes({ code: 133, signal: null }), ['exit:133']);
  assert.deepEqual(classes({ code: null, timedOut: true }), ['hang']);
  assert.deepEqual(classes({ code: 1, err: 'TypeError: x is not a function\n    at f (/work/main/dist/vmsec.js:10:5)\n' }), ['js-error:TypeError']);
  assert.deepEqual(classes({ code: 1, err: 'boom\n    at f (/work/main/dist/vmsec.js:10:5)\n' }), ['stack-trace']);
  assert.deepEqual(classes({ code: 2, err: 'vmsec: internal error: x\n' }), ['internal-error']);
  assert.deepEqual(classes({ code: 0, out: 'ready within Infinity ms\n' }), ['internal-leak:Infinity']);
  assert.deepEqual(classes({ code: 0, out: 'title \u001b[2J\n' }), ['raw-control-char']);
  assert.deepEqual(classes({ code: 0, out: '{"a":' }, 'json'), ['bad-json']);

  const { quick } = validCheckpoints();
  const box = plant(tempDir('fuzz-self-'), { 'main.vmsec': 'host h { }\n' }, 'main.vmsec', quick);
  const before = snapshot(box.dir);
  writeFileSync(join(box.outside, 'plain.txt'), 'changed');                 // outside, through nothing
  writeFileSync(join(box.ws, 'main.vmsec'), 'host h { cpus 2 }\n');          // the source itself
  writeFileSync(join(box.ws, 'old.ckpt'), Buffer.concat([quick, Buffer.from('x')])); // a checkpoint: may be replaced
  writeFileSync(join(box.ws, 'stray.tmp'), 'half a checkpoint');           // not a checkpoint
  mkdirSync(join(box.ws, 'out'));
  writeFileSync(join(box.ws, 'new.ckpt'), quick);                            // a checkpoint outside --checkpoint-dir
  assert.equal(readFileSync(join(box.ws, 'notes.txt'), 'utf8'), PRECIOUS);
  const found = changeProblems(diff(before, snapshot(box.dir)), box, { mayWrite: true, checkpointDir: 'out', sources: ['main.vmsec'] }, 20_000).map((p) => p.cls).sort();
  assert.deepEqual(found, ['foreign-file', 'outside-checkpoint-dir', 'outside-write', 'overwrote:source']);
  const readOnly = changeProblems(diff(before, snapshot(box.dir)), box, { mayWrite: false, sources: [] }, 20_000);
  assert.ok(readOnly.some((p) => p.cls === 'read-only-command-wrote' && p.detail.includes('old.ckpt')), describe(readOnly));
});

test('fuzz: mutated samples under check and run never crash, hang, escape or overwrite', () => {
  fuzz('source', sourceCaseArb(0.25) as fc.Arbitrary<Case>, { numRuns: SOURCE_EXAMPLES.length + 8, examples: SOURCE_EXAMPLES });
});

test('fuzz: damaged checkpoints are rejected by ckpt with exit 2, never accepted or crashed on', () => {
  fuzz('ckpt', ckptCaseArb() as fc.Arbitrary<Case>, { numRuns: CKPT_EXAMPLES.length + 4, examples: CKPT_EXAMPLES });
});

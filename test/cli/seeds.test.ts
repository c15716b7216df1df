// `vmsec run --seed N / --seeds RANGE / --jobs N` as a user runs them: pass
// rates with intervals, failing seeds named and reproducible, the same output
// with one thread or two, and clear refusals of misuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'vmsec.js');
// Relative to ROOT, the folder every command runs in: results name files as given.
const SMALL = 'test/fixtures/batch/small-fork.vmsec';

function vmsec(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--seeds runs every seed and reports pass rates, failing seeds and quantities; --jobs 2 prints the same', () => {
  const one = vmsec(['run', SMALL, '--seeds', '9..14', '--format', 'json']);
  assert.equal(one.code, 1, one.err);
  const j = JSON.parse(one.out);
  assert.equal(j.format, 'vmsec-batch/1');
  assert.equal(j.seeds, '9..14');
  assert.deepEqual([j.runs, j.passed, j.failed], [6, 4, 2]);
  const [s] = j.scenarios;
  assert.deepEqual([s.scenario, s.failing_seeds, s.pass_rate], ['fork under tampering', [11, 14], 0.666667]);
  assert.deepEqual(s.ci95.map((x: number) => x.toFixed(4)), ['0.3000', '0.9032']);
  const rejected = s.expectations.find((e: { line: number }) => e.line === 33);
  assert.deepEqual([rejected.text, rejected.passed, rejected.runs, rejected.failing], ['expect f pages rejected > 0', 4, 6, [{ seed: 11, actual: 0 }, { seed: 14, actual: 0 }]]);
  assert.equal(s.reproduce, "vmsec run test/fixtures/batch/small-fork.vmsec --scenario 'fork under tampering' --seed 11");
  assert.equal(s.quantities.pages_rejected.min, 0);
  assert.equal(s.quantities.ready_ms.n, 6);
  assert.ok(s.quantities.ready_ms.median > 0 && s.quantities.ready_ms.median <= s.quantities.ready_ms.max);
  assert.ok(!/wall/.test(one.out), 'no timing fields');

  const two = vmsec(['run', SMALL, '--seeds', '9..14', '--format', 'json', '--jobs', '2']);
  assert.equal(two.code, 1, two.err);
  assert.equal(two.out, one.out, '--jobs 2 prints exactly what --jobs 1 prints');
  assert.equal(vmsec(['run', SMALL, '--seeds', '9..14', '--format', 'json']).out, one.out, 'same seeds, same JSON');
});

test('the text and JUnit outputs name the failing seeds and the command that reproduces one, and it does', () => {
  const text = vmsec(['run', SMALL, '--seeds', '10,11']);
  assert.equal(text.code, 1);
  assert.match(text.out, /✗ fork under tampering: 1\/2 runs passed \(50\.0%, 95% CI 9\.5–90\.5%\)/);
  assert.match(text.out, /✗ line 33: expect f pages rejected > 0: 1\/2 .*\n\s+failing seed 11; seed 11 saw 0/);
  assert.match(text.out, /reproduce: vmsec run test\/fixtures\/batch\/small-fork\.vmsec --scenario 'fork under tampering' --seed 11/);
  assert.match(text.out, /^2 runs \(seeds 10,11\): 1 passed, 1 failed$/m);
  const junit = vmsec(['run', SMALL, '--seeds', '10,11', '--format', 'junit']);
  assert.match(junit.out, /<testcase classname="test\/fixtures\/batch\/small-fork\.vmsec" name="fork under tampering"[^>]*><failure message="1\/2 runs failed; seeds 11">/);
  assert.match(junit.out, /reproduce with vmsec run test\/fixtures\/batch\/small-fork\.vmsec --scenario &apos;fork under tampering&apos; --seed 11/);

  // The reproduction: one run with that seed fails on the same line, another seed passes.
  const again = vmsec(['run', SMALL, '--scenario', 'fork under tampering', '--seed', '11']);
  assert.equal(again.code, 1);
  assert.match(again.out, /scenario "fork under tampering" \(seed 11\)/);
  assert.match(again.out, /FAIL test\/fixtures\/batch\/small-fork\.vmsec:33\s+expect f pages rejected > 0\s+\(actual: 0\)/);
  const ok = vmsec(['run', SMALL, '--seed', '10', '--format', 'json']);
  assert.equal(ok.code, 0);
  assert.equal(JSON.parse(ok.out).scenarios[0].seed, 10);
});

test('--report writes the many-runs page with a histogram per quantity', () => {
  const dir = tempDir('seeds-');
  const report = join(dir, 'r.html');
  const r = vmsec(['run', SMALL, '--seeds', '1..3', '--report', report]);
  assert.equal(r.code, 0, r.err);
  const html = readFileSync(report, 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>\n<!-- vmsec report -->\n'));
  assert.match(html, /3\/3 runs passed/);
  assert.match(html, /aria-label="histogram of ready_ms"/);
  assert.match(html, /aria-label="histogram of pages_rejected"/);
  // A file vmsec did not write is never replaced.
  const foreign = join(dir, 'mine.html');
  writeFileSync(foreign, 'my notes');
  const refused = vmsec(['run', SMALL, '--seeds', '1..2', '--report', foreign]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /was not written by vmsec/);
  assert.equal(readFileSync(foreign, 'utf8'), 'my notes');
});

test('misuse of the many-runs options is exit 2 with a message', () => {
  const cases: [string[], RegExp][] = [
    [['--seeds', '5..1'], /--seeds 5\.\.1: 5\.\.1: the range is empty/],
    [['--seeds', '1,1'], /seed 1 is given twice/],
    [['--seed', '-3'], /--seed needs a value|a seed is a whole number/],
    [['--seed', 'x'], /--seed x: a seed is a whole number/],
    [['--seed', '1', '--seeds', '1..3'], /--seed and --seeds together/],
    [['--seeds', '1..3', '--shard', '1/2'], /--shard needs --out FILE/],
    [['--seeds', '1..3', '--shard', '0/2', '--out', '/tmp/x'], /shards are numbered 1 to 2 \(for a 0-based index such as JOB_COMPLETION_INDEX, add 1\)/],
    [['--jobs', '0'], /--jobs 0: a number of worker threads from 1 to 256/],
    [['--seeds', '1..2', '--export-quotes', '/tmp/q'], /--export-quotes is for one run/],
    [['--seeds', '1..3', '--shard', '1/2', '--out', '/tmp/x', '--report', '/tmp/r.html'], /--report does not go with --shard: .* give --report to vmsec merge/],
    [['--seeds', '1..3', '--shard', '1/2', '--out', '/tmp/x', '--format', 'junit'], /--format does not go with --shard/],
    [['--seeds', '1..2', '--scenario', 'nope'], /no scenario "nope"/],
  ];
  for (const [args, message] of cases) {
    const r = vmsec(['run', SMALL, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message, args.join(' '));
  }
});

test('a worker thread that cannot start or dies ends the run with exit 2 and says so, instead of hanging', () => {
  // A partial install: the command's bundle without the worker's script beside it.
  const dir = tempDir('partial-dist-');
  for (const f of ['vmsec.js', 'cli-run.js', 'cli-run.js.cache', 'package.json']) copyFileSync(join(ROOT, 'dist', f), join(dir, f));
  const r = spawnSync(process.execPath, [join(dir, 'vmsec.js'), 'run', SMALL, '--seeds', '1..6', '--jobs', '2'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.signal, null, 'it did not hang');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^vmsec: the run stopped: worker thread 1 stopped \(Cannot find module '.*batch-worker\.js'\)/);
  assert.equal(r.stdout, '');
});

test('with --seeds and --checkpoint-dir every seed writes its checkpoints into its own folder', () => {
  const dir = tempDir('seeds-ckpt-');
  const r = vmsec(['run', 'test/fixtures/report/small.vmsec', '--seeds', '1..2', '--jobs', '2', '--checkpoint-dir', dir]);
  assert.ok(r.code === 0 || r.code === 1, r.err);
  const scenario = readdirSync(dir);
  assert.equal(scenario.length, 1);
  assert.match(scenario[0], /^small-script-run-[0-9a-f]{8}$/);
  assert.deepEqual(readdirSync(join(dir, scenario[0])).sort(), ['seed-1', 'seed-2']);
  for (const seed of ['seed-1', 'seed-2']) assert.deepEqual(readdirSync(join(dir, scenario[0], seed)), ['snap.ckpt']);
  // Different seeds, different page contents: two files, not one overwritten.
  assert.notDeepEqual(readFileSync(join(dir, scenario[0], 'seed-1', 'snap.ckpt')), readFileSync(join(dir, scenario[0], 'seed-2', 'snap.ckpt')));
});

test('with --jobs 2 and no --checkpoint-dir, each run checkpoints and restores its own file: the same results as --jobs 1, nothing left beside the file', () => {
  // Every seed would write and then read back snap.ckpt beside the file; two threads did so at once.
  const dir = tempDir('seeds-restore-');
  writeFileSync(join(dir, 'restore.vmsec'), `host a { cpus 8 memory 16 GiB }
host b { cpus 8 memory 16 GiB }
link a <-> b { bandwidth 100 Mbps }
vm app on a { memory 64 MiB process p { memory 32 MiB } }
checkpoint snap of app { to "snap.ckpt" }
scenario "s" { at 0 ms checkpoint snap  at 1 ms restore snap as app2 on b  expect app2 is running }
`);
  const args = ['run', join(dir, 'restore.vmsec'), '--seeds', '8..13', '--format', 'json', '--root', dir];
  const two = vmsec([...args, '--jobs', '2']);
  assert.equal(two.code, 0, two.err);
  assert.deepEqual(readdirSync(dir), ['restore.vmsec'], 'runs on threads write their checkpoints into scratch folders');
  const one = vmsec([...args, '--jobs', '1']);
  assert.equal(one.code, 0, one.err);
  assert.equal(two.out, one.out);
});

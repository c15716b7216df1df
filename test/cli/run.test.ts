// `vmsec run` as a user runs it: samples, formats, exit codes, determinism,
// and the exported quotes checked by Debian's tpm2_checkquote.
import { test } from 'node:test';
import { skipOrFail } from '../skips';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readdirSync, readFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tempDir } from '../tmp';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');
const SAMPLES = join(import.meta.dirname, '..', '..', 'samples');

function vmsec(args: string[], cwd?: string, env?: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = () => tempDir('run-');

test('the flagship sample runs green and reports what the contract asks for', () => {
  const r = vmsec(['run', join(SAMPLES, 'trusted-fork.vmsec'), '--format', 'json', '--checkpoint-dir', tmp()]);
  assert.equal(r.code, 0, r.out.slice(0, 2000));
  const [s] = JSON.parse(r.out).scenarios;
  assert.equal(s.name, 'burst under tampering');
  assert.equal(s.seed, 7);
  assert.equal(s.passed, true);
  for (const e of s.expectations) assert.deepEqual(Object.keys(e).filter((k) => ['line', 'passed', 'actual'].includes(k)).sort(), ['actual', 'line', 'passed']);
  const gamma = s.attestations.find((a: { verifier: string; target: string }) => a.verifier === 'alpha' && a.target === 'gamma');
  assert.deepEqual({ kind: gamma.kind, passed: gamma.passed, id: gamma.failures[0].id, pcr: gamma.failures[0].pcr }, { kind: 'host', passed: false, id: 'invalid_pcr_8', pcr: 8 });
  const t = s.transfers[0];
  for (const k of ['fork', 'child', 'host', 'ready_ms', 'bytes']) assert.ok(k in t, k);
  assert.deepEqual(Object.keys(t.pages).sort(), ['fetched', 'rejected', 'sent', 'verified']);
  assert.ok(t.ready_ms > 0 && t.ready_ms < 1000);
  assert.deepEqual(s.monitor.map((m: Record<string, unknown>) => [m.monitor, m.vm, m.process, m.call, m.rule, m.action]), [['guard', 'burst[1]', 'apache', 'open', 'shadow', 'deny(13)']]);
  assert.ok(typeof s.monitor[0].delay_us === 'number');
  assert.deepEqual(s.checkpoints.map((c: { name: string; excluded: string[] }) => [c.name, c.excluded]), [['nightly', ['mysql', 'payments']]]);
  assert.ok(s.checkpoints[0].sanitized_pages > 0 && s.checkpoints[0].bytes > 0);
});

test('every sample runs green from the CLI', () => {
  for (const f of ['monitoring.vmsec', 'private-checkpoint.vmsec', 'cow-sharing.vmsec', 'fleet/main.vmsec', 'lazy-vs-eager.vmsec']) {
    const r = vmsec(['run', join(SAMPLES, f), '--checkpoint-dir', tmp()]);
    assert.equal(r.code, 0, `${f}\n${r.out}`);
    assert.match(r.out, / passed, 0 failed$/m);
  }
});

test('the same file and seed give the same JSON, wall-clock aside, with or without hashing threads', () => {
  const determinismDir = tmp();
  const once = (file: string, env?: Record<string, string>) => {
    const r = vmsec(['run', join(SAMPLES, file), '--format', 'json', '--checkpoint-dir', determinismDir], undefined, env);
    return JSON.stringify(JSON.parse(r.out), (k, v) => (k === 'wall_ms' ? 0 : v));
  };
  const flagship = once('trusted-fork.vmsec');
  assert.equal(once('trusted-fork.vmsec'), flagship);
  assert.equal(once('trusted-fork.vmsec', { VMSEC_HASH_WORKERS: '0' }), flagship, 'main thread only');
  const lazy = once('lazy-vs-eager.vmsec', { VMSEC_HASH_WORKERS: '0' });
  assert.equal(once('lazy-vs-eager.vmsec', { VMSEC_HASH_WORKERS: '3' }), lazy, 'three workers');
});

test('a failing expectation exits 1 and says what was seen; text, junit and --scenario work', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'f.vmsec'), `host a { tpm ecdsa-p256 } host b { tpm ecdsa-p256 } link a <-> b { }
vm v on a { memory 32 MiB }
fork f of v { on b integrity none }
attacker e { tamper a <-> b 5% }
scenario "one" { at 0 ms fork f expect no tampered page accepted }
scenario "two" { at 0 ms fork f expect f ready within 1 s }
`);
  const text = vmsec(['run', 'f.vmsec'], dir);
  assert.equal(text.code, 1);
  assert.match(text.out, /FAIL f\.vmsec:5 {2}expect no tampered page accepted {2}\(actual: \d+ tampered pages accepted\)/);
  assert.match(text.out, /PASS f\.vmsec:6 {2}expect f ready within 1 s/);
  assert.match(text.out, /^1 passed, 1 failed$/m);
  const one = vmsec(['run', 'f.vmsec', '--scenario', 'two'], dir);
  assert.equal(one.code, 0);
  assert.doesNotMatch(one.out, /scenario "one"/);
  const junit = vmsec(['run', 'f.vmsec', '--format', 'junit'], dir);
  assert.match(junit.out, /<testsuite name="one" tests="1" failures="1" errors="0"/);
  assert.match(junit.out, /<failure message="actual: \d+ tampered pages accepted"\/>/);
  assert.equal(vmsec(['run', 'f.vmsec', '--scenario', 'nope'], dir).code, 2);
});

test('a file with errors is not run (exit 2, located errors); a step before time 0 is one', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'bad.vmsec'), 'host a { }\nvm v on a { }\nscenario "s" { at -1 ms syscall v p open() }\n');
  const r = vmsec(['run', 'bad.vmsec'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /^bad\.vmsec:3:19: error VMS000 unexpected character "-"/m);
  assert.match(r.err, /fix them before running/);
});

test('exported quotes verify with tpm2_checkquote, and a tampered one does not', (t) => {
  const has = spawnSync('tpm2_checkquote', ['--version']).status === 0;
  if (!has) {
    skipOrFail(t, 'tpm2_checkquote interop (test/cli/run.test.ts)', 'tpm2_checkquote is not installed', ['tpm2-tools']);
    return;
  }
  const out = tmp();
  const r = vmsec(['run', join(SAMPLES, 'trusted-fork.vmsec'), '--export-quotes', out, '--checkpoint-dir', tmp()]);
  assert.equal(r.code, 0);
  // Folder names are sanitised titles, with a short hash when sanitising changed them.
  const scenarioDir = readdirSync(out).find((d) => d.startsWith('burst-under-tampering'));
  assert.ok(scenarioDir, readdirSync(out).join(', '));
  const dirs = readdirSync(join(out, scenarioDir)).map((d) => join(out, scenarioDir, d));
  assert.ok(dirs.length >= 7, `${dirs.length} quotes`);
  const check = (d: string, msg = 'quote.msg') => spawnSync('tpm2_checkquote', [
    '-u', 'ak.pub.pem', '-m', msg, '-s', 'quote.sig', '-g', 'sha256', '-q', readFileSync(join(d, 'nonce.hex'), 'utf8'),
    '-f', 'pcrs.bin', '-l', readFileSync(join(d, 'pcrlist'), 'utf8'),
  ], { cwd: d, encoding: 'utf8' }).status;
  for (const d of dirs) assert.equal(check(d), 0, `tpm2_checkquote rejected ${d}`);
  // gamma's quote is genuine (its PCRs are the problem): tpm2-tools accepts it, vmsec's policy does not.
  const gamma = dirs.find((d) => d.includes('alpha-to-gamma'))!;
  assert.equal(JSON.parse(readFileSync(join(gamma, 'verdict.json'), 'utf8')).passed, false);
  const bad = join(tmp(), 'q');
  mkdirSync(bad);
  for (const f of readdirSync(dirs[0])) copyFileSync(join(dirs[0], f), join(bad, f));
  const msg = readFileSync(join(bad, 'quote.msg'));
  msg[msg.length - 5] ^= 1;
  writeFileSync(join(bad, 'quote.msg'), msg);
  assert.notEqual(check(bad), 0);
});

test('vmsec ckpt reads a checkpoint back and finds confidential data left in clear', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'c.vmsec'), `host h { } vm v on h { memory 16 MiB process s { memory 4 MiB confidential } process t { memory 4 MiB } }
checkpoint safe of v { exclude s to "out/safe.ckpt" }
checkpoint leaky of v { exclude t to "out/leaky.ckpt" }
scenario "x" { at 0 ms checkpoint safe at 1 ms checkpoint leaky }
`);
  assert.equal(vmsec(['run', 'c.vmsec'], dir).code, 0);
  const safe = JSON.parse(vmsec(['ckpt', 'out/safe.ckpt', '--format', 'json'], dir).out);
  assert.deepEqual(safe.manifest.excluded, ['s']);
  assert.equal(safe.manifest.sanitized.pages, 1024);
  assert.deepEqual(safe.confidential_in_clear, []);
  const leaky = vmsec(['ckpt', 'out/leaky.ckpt'], dir);
  assert.equal(leaky.code, 0);
  assert.match(leaky.out, /confidential data in clear: v\/s/);
  // Not a checkpoint: an input error (exit 2) with a one-line message, no stack.
  const foreign = vmsec(['ckpt', 'c.vmsec'], dir);
  assert.equal(foreign.code, 2);
  assert.doesNotMatch(foreign.err, /\n\s+at /);
});

test('--costs overrides the cost table; unknown names are a usage error', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'slow.json'), '{"tpmQuote": 400000}');
  writeFileSync(join(dir, 'bad.json'), '{"tpmQuot": 1}');
  writeFileSync(join(dir, 'f.vmsec'), `boot b { pcr 0 "x" } host a { tpm ecdsa-p256 boot b } host c { tpm ecdsa-p256 boot b } link a <-> c { }
vm v on a { memory 16 MiB } fork f of v { on c attest hosts against b }
scenario "s" { at 0 ms fork f expect f ready within 300 ms }
`);
  assert.equal(vmsec(['run', 'f.vmsec'], dir).code, 0);
  const slow = vmsec(['run', 'f.vmsec', '--costs', 'slow.json'], dir);
  assert.equal(slow.code, 1);
  assert.match(slow.out, /FAIL f\.vmsec:3 {2}expect f ready within 300 ms/);
  const bad = vmsec(['run', 'f.vmsec', '--costs', 'bad.json'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown cost 'tpmQuot'/);
});

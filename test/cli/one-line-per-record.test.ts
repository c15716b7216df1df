// A scenario file is untrusted: a newline (or carriage return) inside a title,
// path, file name or message must not start a line of its own in vmsec's text
// output, where it could pass for a diagnostic or a PASS line that CI problem
// matchers and reviewers trust. Each case counts the lines a user sees and
// finds the value escaped (`a\nb` as the four characters a, \, n, b).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');

function vmsec(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  assert.equal(r.signal, null, `vmsec ${args.join(' ')} did not finish (${r.signal})`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function dirWith(files: Record<string, string>): string {
  const dir = tempDir('one-line-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The lines of an output (its final newline ends the last line). */
const lines = (s: string) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));

/** What the forged text may never be: a line of its own. */
function noForgedLine(s: string, forged: RegExp) {
  for (const l of lines(s)) assert.doesNotMatch(l, forged, `a forged line reached the output: ${JSON.stringify(l)}`);
}

const SETUP = 'host a { }\nvm v on a { memory 16 MiB process p { memory 1 MiB } }\nmonitor m for v { default allow }\n';
/** A scenario titled `title` (as written in the source, `\\n` is the escape) that fails its one expectation. */
const failing = (title: string) => `${SETUP}scenario "${title}" { at 0 ms syscall v p open("/x") expect m allows == 2 }\n`;

test('check: a newline in an import path is one diagnostic line, the path escaped', () => {
  const dir = dirWith({ 'imp.vmsec': 'import "nope\\nevil.vmsec:1:1: error VMS999 forged"\nhost a { }\n' });
  const r = vmsec(['check', 'imp.vmsec'], dir);
  assert.equal(r.code, 1);
  assert.equal(lines(r.out).length, 1, r.out);
  assert.match(r.out, /^imp\.vmsec:1:8: error VMS004 cannot read 'nope\\nevil\.vmsec:1:1: error VMS999 forged': /);
  noForgedLine(r.out, /^evil\.vmsec/);
  assert.equal(r.err, '1 file checked: 1 error, 0 warnings\n');
});

test('check: a duplicated scenario title and a checkpoint path with a newline stay on their lines', () => {
  const dir = dirWith({
    'dup.vmsec': `${SETUP}scenario "dup\\nx.vmsec:1:1: error VMS999 forged" { }\nscenario "dup\\nx.vmsec:1:1: error VMS999 forged" { }\n`,
    'ck.vmsec': 'host h { } vm v on h { memory 16 MiB }\ncheckpoint c of v { to "../\\nx.vmsec:1:1: error VMS999 forged" }\n',
  });
  const dup = vmsec(['check', 'dup.vmsec'], dir);
  assert.equal(dup.code, 1);
  assert.equal(lines(dup.out).length, 1, dup.out);
  assert.match(dup.out, /^dup\.vmsec:5:\d+: error VMS002 a scenario titled "dup\\nx\.vmsec:1:1: error VMS999 forged" already exists/);
  const ck = vmsec(['check', 'ck.vmsec'], dir);
  assert.equal(ck.code, 1);
  assert.equal(lines(ck.out).length, 1, ck.out);
  assert.match(ck.out, /^ck\.vmsec:2:\d+: error VMS003 checkpoint file '\.\.\/\\nx\.vmsec:1:1: error VMS999 forged' cannot be written/);
  noForgedLine(dup.out + ck.out, /^x\.vmsec/);
});

test('run: a title with a newline cannot print a PASS line; a write path neither', () => {
  const dir = dirWith({
    't.vmsec': failing('x\\n  PASS t.vmsec:4  all good'),
    'w.vmsec': `${SETUP}scenario "w" { at 0 ms write v "/a\\n  PASS w.vmsec:9  forged" }\n`,
  });
  const r = vmsec(['run', 't.vmsec'], dir);
  assert.equal(r.code, 1);
  assert.deepEqual(lines(r.out).map((l) => l.split(' ').filter(Boolean)[0]), ['scenario', 'step', 'FAIL', 'FAILED:', '0']);
  assert.match(r.out, /^scenario "x\\n  PASS t\.vmsec:4  all good" \(seed 1\)$/m);
  noForgedLine(r.out, /^\s*PASS/);
  const w = vmsec(['run', 'w.vmsec'], dir);
  assert.equal(w.code, 1);
  assert.equal(lines(w.out).length, 4, w.out);
  assert.match(w.out, /^ {2}ERROR w\.vmsec:4 at 0 ms {2}v neither shares "\/a\\n  PASS w\.vmsec:9  forged"/m);
  // One error, said in the singular.
  assert.match(w.out, /^ {2}FAILED: 0\/0 expectations, 1 error; simulated /m);
  noForgedLine(w.out, /^\s*PASS/);
});

test('run --seeds: the title escaped in the table, the reproduce command one line that names the same scenario', () => {
  const dir = dirWith({ 't.vmsec': failing('x\\nreproduce: rm -rf ~') });
  const r = vmsec(['run', 't.vmsec', '--seeds', '1..2'], dir);
  assert.equal(r.code, 1);
  assert.match(r.out, /^ {2}✗ x\\nreproduce: rm -rf ~: 0\/2 runs passed/m);
  const repro = lines(r.out).filter((l) => /^\s*reproduce:/.test(l));
  assert.deepEqual(repro, ["      reproduce: vmsec run t.vmsec --scenario $'x\\nreproduce: rm -rf ~' --seed 1"]);
  // bash reads $'…' back as the title with its newline: the command runs that scenario.
  const bash = spawnSync('bash', ['-c', `${process.execPath} ${CLI} run t.vmsec --scenario $'x\\nreproduce: rm -rf ~' --seed 1`], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (bash.error) return; // no bash: the line count above is what matters
  assert.equal(bash.status, 1, bash.stderr);
  assert.match(bash.stdout, /^scenario "x\\nreproduce: rm -rf ~" \(seed 1\)$/m);
});

test('a .vmsec file whose name holds a newline, found by a folder scan, is named escaped', () => {
  const dir = tempDir('one-line-');
  mkdirSync(join(dir, 'f'));
  writeFileSync(join(dir, 'f', 'a\nb.vmsec:1:1: error VMS999 forged.vmsec'), 'vm v on nowhere { }\n');
  const c = vmsec(['check', 'f'], dir);
  assert.equal(c.code, 1);
  assert.equal(lines(c.out).length, 1, c.out);
  assert.match(c.out, /^f\/a\\nb\.vmsec:1:1: error VMS999 forged\.vmsec:1:9: error VMS001 /);
  const r = vmsec(['run', 'f'], dir);
  assert.equal(r.code, 2);
  assert.equal(lines(r.err).length, 2, r.err);
  assert.match(r.err, /^vmsec: f\/a\\nb\.vmsec:1:1: error VMS999 forged\.vmsec has errors; fix them before running$/m);
  noForgedLine(c.out + r.err, /^b\.vmsec/);
});

test('merge: a partial whose titles and file name hold newlines prints one line per record', () => {
  const dir = dirWith({ 'a\nb.vmsec': failing('x\\n  ✓ forged: 2/2 runs passed') });
  const shard = vmsec(['run', 'a\nb.vmsec', '--seeds', '1..2', '--shard', '1/1', '--out', 'part'], dir);
  assert.equal(shard.code, 1, shard.err);
  assert.match(shard.out, /partial result written to part$/m);
  const m = vmsec(['merge', 'part'], dir);
  assert.equal(m.code, 1, m.err);
  const out = lines(m.out);
  assert.equal(out[0], 'a\\nb.vmsec');
  assert.match(m.out, /^ {2}✗ x\\n {2}✓ forged: 2\/2 runs passed: 0\/2 runs passed/m);
  assert.match(m.out, /--scenario \$'x\\n {2}✓ forged: 2\/2 runs passed' --seed 1$/m);
  noForgedLine(m.out, /^\s*✓ forged/);
  // A part that is damaged, named with a newline: the problem is one line.
  writeFileSync(join(dir, 'p\nvmsec: merged, all passed'), 'nothing\n');
  const bad = vmsec(['merge', 'p\nvmsec: merged, all passed'], dir);
  assert.equal(bad.code, 2);
  assert.equal(lines(bad.err).length, 1, bad.err);
  assert.match(bad.err, /^vmsec: cannot merge: p\\nvmsec: merged, all passed /);
});

test('sweep --vary and --ablate: titles with newlines stay in their rows', () => {
  const fork = `host h1 { tpm ecdsa-p256 }
host h2 { tpm ecdsa-p256 }
link h1 <-> h2 { bandwidth 100 Mbps latency 1 ms }
vm web on h1 { memory 8 MiB vtpm process app { memory 2 MiB } }
fork f of web { children 1 on h2 memory eager }
scenario "fork\\n  f.children  passed" {
  at 0 ms fork f
  expect f ready within 3 s
}
`;
  const tampered = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'batch', 'tampered-fork.vmsec'), 'utf8').replace('scenario "fork under tampering"', 'scenario "fork\\nwithout integrity on f: nothing fails"');
  const dir = dirWith({ 'fork.vmsec': fork, 'tampered.vmsec': tampered });
  const v = vmsec(['sweep', 'fork.vmsec', '--vary', 'f.children=1,2', '--metric', 'ready_ms'], dir);
  assert.equal(v.code, 0, v.err);
  assert.match(v.out, /^scenario "fork\\n {2}f\.children {2}passed" \(medians over seeds\)$/m);
  assert.equal(lines(v.out).length, 6, v.out);
  const a = vmsec(['sweep', 'tampered.vmsec', '--ablate'], dir);
  assert.equal(a.code, 0, a.err);
  assert.equal(lines(a.out).length, 6, a.out);
  assert.match(a.out, /\("fork\\nwithout integrity on f: nothing fails", seed 1\)$/m);
  noForgedLine(a.out, /^without integrity on f: nothing/);
});

test('ckpt and --costs: input quoted in an error stays on the error line', () => {
  // A checkpoint whose header and digest are right, with a foreign format naming itself "ok".
  const head = Buffer.alloc(12);
  head.write('VMSECCK2', 0, 'latin1');
  const json = Buffer.from(JSON.stringify({ format: 'x\nFAKE: checkpoint ok' }));
  head.writeUInt32BE(json.length, 8);
  const digest = createHash('sha256').update(head).update(json).digest();
  const dir = dirWith({ 'c.vmsec': failing('c'), 'costs.json': '{"tpmQuote\nvmsec: costs accepted": 1}' });
  writeFileSync(join(dir, 'x.ckpt'), Buffer.concat([head, json, digest]));
  const c = vmsec(['ckpt', 'x.ckpt'], dir);
  assert.equal(c.code, 2);
  assert.equal(lines(c.err).length, 1, c.err);
  assert.match(c.err, /unsupported format "x\\nFAKE: checkpoint ok"/);
  const k = vmsec(['run', 'c.vmsec', '--costs', 'costs.json'], dir);
  assert.equal(k.code, 2);
  assert.equal(lines(k.err).length, 1, k.err);
  assert.match(k.err, /^vmsec: --costs costs\.json: not valid JSON /);
  noForgedLine(c.err + k.err, /^(FAKE|vmsec: costs accepted)/);
});

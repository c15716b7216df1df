// `vmsec run`'s text output says what happened to each VM: a fork child that
// failed after it was ready, a refused one, an escalation, a killed process,
// a paused VM (issue 11 walkthrough, R1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');

function run(text: string, ...args: string[]) {
  const dir = tempDir('run-text-');
  const file = join(dir, 'main.vmsec');
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [CLI, 'run', file, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A line of the output that matches, with its groups; fails the test with the whole output otherwise. */
function line(out: string, re: RegExp): RegExpExecArray {
  for (const l of out.split('\n')) { const m = re.exec(l); if (m) return m; }
  assert.fail(`no line matches ${re}\n${out}`);
}

// Seed 3: f[2] on c is ready, then a page tampered with 4 times makes it fail; b's boot chain is refused.
const FORK = `boot good { pcr 0 "fw-1.0" }
boot bad { pcr 0 "fw-evil" }
host a { cpus 8 memory 16 GiB tpm ecdsa-p256 boot good }
host b { cpus 8 memory 16 GiB tpm ecdsa-p256 boot bad }
host c { cpus 8 memory 16 GiB tpm ecdsa-p256 boot good }
link a <-> b { bandwidth 10 Gbps }
link a <-> c { bandwidth 10 Gbps }
vm app on a { memory 64 MiB process web { memory 16 MiB } }
fork f of app { children 2 on b, c attest hosts against good integrity per-page }
attacker m { tamper a <-> c 30% }
scenario "late failure" {
  seed 3
  at 10 ms fork f
  expect f[2] is running
  expect f[1] is running
}
`;

test('a child that failed after it was ready says when and why, on its line, the fork step and the expectation', () => {
  const r = run(FORK);
  assert.equal(r.code, 1, r.out + r.err);
  const child = line(r.out, /^ {2}child {2}f\[2\] on c \(10\.0\.0\.3\): ready at ([\d.]+) ms, failed at ([\d.]+) ms: (page \d+ rejected 4 times); /);
  const [readyAt, failedAt] = [Number(child[1]), Number(child[2])];
  assert.ok(failedAt > readyAt, `failed at ${failedAt} after ready at ${readyAt}`);
  const step = line(r.out, /^ {2}step \S+:13 at 10 ms {2}fork f: 1\/2 children ready on c within [\d.]+ ms; b refused \(.*\); then f\[2\] failed at ([\d.]+) ms: (.*)$/);
  assert.deepEqual([Number(step[1]), step[2]], [failedAt, child[3]]);
  line(r.out, new RegExp(`^ {2}FAIL \\S+:14 {2}expect f\\[2\\] is running {2}\\(actual: failed \\(${child[3]}\\)\\)$`));
  // A refused child: when, and the host's reason, without "not created" twice.
  const refused = line(r.out, /^ {2}child {2}f\[1\] on b \(10\.0\.0\.2\): not created at ([\d.]+) ms: b refused \(attestation failed, b: invalid_pcr_0\); /);
  assert.ok(Number(refused[1]) > 10 && Number(refused[1]) < readyAt, refused[0]);
  line(r.out, /^ {2}FAIL \S+:15 {2}expect f\[1\] is running {2}\(actual: not created \(b refused: attestation failed, b: invalid_pcr_0\)\)$/);

  // The JSON adds `failed_ms`, counted from the fork step as `ready_ms` is; the text's times are the scenario's.
  const j = run(FORK, '--format', 'json');
  const [s] = JSON.parse(j.out).scenarios;
  const t2 = s.transfers.find((t: { child: string }) => t.child === 'f[2]');
  assert.deepEqual([t2.state, t2.failed, Number((t2.ready_ms + 10).toFixed(3)), Number((t2.failed_ms + 10).toFixed(3))], ['failed', child[3], readyAt, failedAt]);
  const t1 = s.transfers.find((t: { child: string }) => t.child === 'f[1]');
  assert.deepEqual([t1.state, t1.ready_ms, Number((t1.failed_ms + 10).toFixed(3))], ['not created', null, Number(refused[1])]);
  assert.equal(s.expectations[0].actual, `failed (${child[3]})`);
});

const MONITOR = `host box { cpus 8 memory 32 GiB }
vm shop on box {
  memory 2 GiB
  process nginx { memory 256 MiB }
  process worker { memory 128 MiB }
}
monitor guard for shop {
  rule secrets on open when fileEq(0, "/etc/shadow") then deny(13)
  rule kill-shell on execve when filePrefix(0, "/bin/sh") then killProc
  escalate 3 violations within 5 s then terminate
}
scenario "escalation" {
  at 5 ms syscall shop worker execve("/bin/sh")
  at 10 ms syscall shop worker open("/etc/passwd")
  at 20 ms syscall shop nginx open("/etc/shadow")
  at 30 ms syscall shop nginx open("/etc/shadow")
  at 40 ms syscall shop nginx open("/etc/hosts")
  expect shop is paused
}
`;

test('an escalation is listed after the call that fired it, and a killed process says when and by which rule', () => {
  const r = run(MONITOR);
  assert.equal(r.code, 1, r.out + r.err);
  const lines = r.out.split('\n');
  const esc = lines.findIndex((l) => l.startsWith('  escalate '));
  assert.ok(esc > 0, r.out);
  assert.match(lines[esc - 1], /^ {2}step \S+:16 at 30 ms {2}open by shop\/nginx: guard rule secrets → deny\(13\)/);
  assert.match(lines[esc], /^ {2}escalate \S+:16 at 30\.002 ms {2}guard on shop: 3 violations within 5000 ms \(the last: open by shop\/nginx, rule secrets\) → terminate: shop terminated$/);
  line(r.out, /^ {2}ERROR \S+:14 at 10 ms {2}process worker of shop is gone: killed at 5\.05 ms by rule kill-shell of monitor guard$/);
  line(r.out, /^ {2}FAIL \S+:18 {2}expect shop is paused {2}\(actual: terminated \(at 30\.002 ms by the escalation of monitor guard\)\)$/);
});

test('a call to a VM a rule paused says which rule paused it, and when', () => {
  const r = run(`host box { }
vm shop on box { process nginx { } }
monitor watch for shop { rule beacon on connect when port(4444) then pause }
scenario "paused" {
  at 1 ms syscall shop nginx connect(203.0.113.7, 4444)
  at 2 ms syscall shop nginx open("/etc/hosts")
  expect shop is running
}
`);
  assert.equal(r.code, 1, r.out + r.err);
  line(r.out, /^ {2}ERROR \S+:6 at 2 ms {2}shop is paused at 1\.05 ms by rule beacon of monitor watch; the call does not run$/);
  line(r.out, /^ {2}FAIL \S+:7 {2}expect shop is running {2}\(actual: paused \(at 1\.05 ms by rule beacon of monitor watch\)\)$/);
});

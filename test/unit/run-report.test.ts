// What a run says about each VM, in the simulator's own records and the
// editor's hover texts: a child that failed after it was ready, an
// escalation's cause and effect, a process gone because a checkpoint left it out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import { forkDetail, monitorDetail, expectText } from '../../server/src/report/inline-text';

test('the fork hover says when a child failed after being ready, and the expectation says why it is not running', () => {
  const [s] = run(`boot good { pcr 0 "fw-1.0" }
host a { tpm ecdsa-p256 boot good } host c { tpm ecdsa-p256 boot good }
link a <-> c { bandwidth 10 Gbps }
vm app on a { memory 64 MiB process web { memory 16 MiB } }
fork f of app { children 1 on c attest hosts against good integrity per-page }
attacker m { tamper a <-> c 30% }
scenario "late" { seed 3 at 10 ms fork f expect f[1] is running }`);
  const [t] = s.transfers;
  assert.equal(t.state, 'failed', JSON.stringify(t));
  assert.ok(t.ready_ms !== null && t.failed_ms !== undefined && t.failed_ms > t.ready_ms, JSON.stringify(t));
  const detail = forkDetail('f', s.transfers, s.attestations, []);
  assert.match(detail, /^- f\\\[1\\\] on c: ready after [\d.]+ ms, failed after [\d.]+ ms: page \d+ rejected 4 times$/m);
  const [e] = s.expectations;
  assert.equal(e.actual, `failed (${t.failed})`);
  assert.equal(expectText(e), `✗ actual: failed (${t.failed})`);
});

test('the syscall hover lists an escalation with what fired it and what it did', () => {
  const [s] = run(`host h { } vm v on h { process p { } }
monitor m for v { rule a on open when fileEq(0, "/etc/shadow") then deny(13) escalate 2 violations within 1 s then pause }
scenario "s" {
  at 1 ms syscall v p open("/etc/shadow")
  at 2 ms syscall v p open("/etc/shadow")
  at 3 ms syscall v p open("/x")
  expect v is running
}`);
  const second = s.monitor.filter((m) => m.line === s.steps[1].line);
  assert.deepEqual(second.map((m) => m.rule), ['a', 'escalate']);
  const detail = monitorDetail(second, s.steps[1]);
  assert.match(detail, /^- \*\*m\*\* escalation at 2 ms: 2 violations within 1000 ms \(the last: open by v\/p, rule a\) → \*\*pause\*\*: v paused$/m);
  assert.equal(s.steps[2].outcome, 'v is paused at 2.002 ms by the escalation of monitor m; the call does not run');
  assert.equal(s.expectations[0].actual, 'paused (at 2.002 ms by the escalation of monitor m)');
});

test('a process a restore came back without is gone because its checkpoint left it out', () => {
  const [s] = run(`host h { } vm v on h { memory 32 MiB process a { memory 4 MiB } process b { memory 4 MiB } }
checkpoint c of v { exclude b }
scenario "s" { at 0 ms checkpoint c at 1 ms restore c as v2 on h at 2 ms syscall v2 b open("/x") }`);
  const call = s.steps.find((x) => x.step.startsWith('syscall'))!;
  assert.deepEqual([call.ok, call.outcome], [false, 'process b of v2 is gone: left out of the checkpoint v2 was restored from']);
});

test('a call to a VM an escalation terminated says when and by which monitor', () => {
  const [s] = run(`host h { } vm v on h { process p { } }
monitor m for v { rule a on open then deny(13) escalate 2 violations within 1 s then terminate }
scenario "s" { at 0 ms syscall v p open("/x") at 1 ms syscall v p open("/y") at 5 ms syscall v p read(3) }`);
  assert.match(s.errors[0]?.message ?? '', /^v is terminated at [\d.]+ ms by the escalation of monitor m; /);
});

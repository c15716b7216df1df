// The simulator's meanings (issue 11, "Semantics to fix"): stolen
// certificates are copies, terminated is final, not ready is not refused,
// serial monitoring never drops, transient children are discarded after the
// expectations, every migration goes through the network, and escalations
// are reported like rule decisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import type { ScenarioResult } from '../../server/src/sim/results';

const step = (s: ScenarioResult, prefix: string, nth = 0) => {
  const found = s.steps.filter((x) => x.step.startsWith(prefix));
  assert.ok(found.length > nth, `a step ${prefix}: ${JSON.stringify(s.steps)}`);
  return found[nth];
};

test('a stolen certificate is the copy as stolen: the owner\'s rotate does not renew it', () => {
  const [s] = run(`host h { } vm a on h { virtualization os-level } vm b on h { virtualization os-level }
authority ca { key ecdsa-p256 } certificate ca-a for a by ca valid 1 s
share "/lib" between a, b require certificate
attacker x { steal ca-a }
scenario "s" { at 500 ms present ca-a for "/lib" at 4500 ms rotate ca-a at 5 s present ca-a for "/lib" at 5 s write a "/lib"
  expect write a "/lib" allowed }`);
  assert.match(step(s, 'present', 0).outcome, /^attacker x presents ca-a for "\/lib": accepted \(valid until 1000 ms\)$/);
  assert.equal(step(s, 'present', 1).outcome, 'attacker x presents ca-a for "/lib": rejected (expired at 1000 ms)');
  assert.equal(step(s, 'write').outcome, 'write by a to "/lib": allowed (valid until 5500 ms)');
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
});

test('a VM holding several certificates may write when any one of them is valid', () => {
  const [s] = run(`host h { } vm a on h { virtualization os-level } vm b on h { virtualization os-level }
authority ca { key ecdsa-p256 } certificate short for a by ca valid 1 s certificate long for a by ca valid 1 h
share "/lib" between a, b require certificate
scenario "s" { at 5 s write a "/lib" expect write a "/lib" allowed }`);
  assert.equal(step(s, 'write').outcome, 'write by a to "/lib": allowed (long valid until 3600000 ms)');
  assert.equal(s.passed, true);
});

test('terminated is final: no write, no migration by a step or a monitor', () => {
  const [s] = run(`host h { } host g { } link h <-> g { } vm v on h { virtualization os-level memory 8 MiB process p { } }
vm w on h { virtualization os-level memory 8 MiB }
share "/lib" between v, w
monitor m for v { rule end on open then terminate rule go on read then migrate to g }
scenario "s" { at 1 ms syscall v p open("/x") at 1 ms syscall v p read() at 1 s write v "/lib" at 2 s migrate v to g
  expect v is terminated }`);
  // Each says who terminated v, and when.
  assert.deepEqual([step(s, 'write').ok, step(s, 'write').outcome], [false, 'v is terminated at 1.05 ms by rule end of monitor m; it cannot write']);
  assert.deepEqual([step(s, 'migrate').ok, step(s, 'migrate').outcome], [false, 'v is terminated at 1.05 ms by rule end of monitor m; it cannot be migrated']);
  // The second call (decided after the first) found v terminated: its migrate did nothing.
  const go = s.monitor.find((x) => x.rule === 'go')!;
  assert.equal(go.effect, 'none: v is terminated');
  assert.deepEqual(s.moves, []);
  assert.equal(s.expectations[0].passed, true);
});

const FORK = `boot b { pcr 0 "fw" } boot bad { pcr 0 "evil" }
host h { tpm ecdsa-p256 boot b } host g { tpm ecdsa-p256 boot b } host r { tpm ecdsa-p256 boot bad }
link h <-> g { bandwidth 10 Mbps } link h <-> r { bandwidth 10 Mbps }
vm v on h { memory 64 MiB process p { memory 8 MiB } }`;

test('a step naming a fork child before it is ready is an error that says when it will be ready', () => {
  const [s] = run(`${FORK}
fork f of v { children 1 on g attest hosts against b }
scenario "s" { at 0 ms fork f at 5 ms syscall f[1] p open("/x") }`);
  const t = s.transfers[0];
  assert.ok(t.ready_ms !== null && t.ready_ms > 5, JSON.stringify(t));
  const call = step(s, 'syscall');
  assert.equal(call.ok, false);
  assert.equal(call.at_ms, 5);
  assert.equal(call.outcome, `f[1] is not ready at 5.0 ms: it is being forked from h to g and will be ready at ${t.ready_ms!.toFixed(1)} ms`);
  assert.ok(s.errors.some((e) => e.message === call.outcome && e.line === 6));
});

test('a child whose host was refused says it was not created, before and after the refusal', () => {
  const [s] = run(`${FORK}
fork f of v { children 1 on r attest hosts against b }
scenario "s" { at 0 ms fork f at 1 ms syscall f[1] p open("/x") at 10 s syscall f[1] p read() }`);
  const early = step(s, 'syscall', 0);
  const late = step(s, 'syscall', 1);
  assert.match(early.outcome, /^f\[1\] is not ready at 1\.0 ms: it is being forked from h to r, and then f\[1\] was not created: r refused \(.*invalid_pcr_0.*\)$/);
  assert.match(late.outcome, /^f\[1\] was not created: r refused \(.*invalid_pcr_0.*\)$/);
  assert.equal(late.ok, false);
});

const BURST = (mode: string) => `host h { } vm v on h { process p { } }
monitor m for v { mode ${mode} buffer 1 drop rule look on open then killProc }
scenario "s" { at 0 ms syscall v p open("/a") at 0 ms syscall v p open("/b") at 0 ms syscall v p open("/c") }`;

test('serial monitoring waits for each verdict: a burst is never dropped, whatever the buffer', () => {
  const [serial] = run(BURST('serial'));
  assert.deepEqual(serial.monitor.map((x) => x.action), ['killProc', 'killProc', 'killProc']);
  assert.ok(serial.steps.every((x) => !/dropped/.test(x.outcome)), JSON.stringify(serial.steps));
  // The same burst in concurrent mode overflows the one-slot buffer.
  const [concurrent] = run(BURST('concurrent'));
  assert.ok(concurrent.monitor.some((x) => x.action === 'dropped (buffer full)'), JSON.stringify(concurrent.monitor));
});

test('transient children are discarded after the expectations; the state they saw is the JSON\'s', () => {
  const [s] = run(`${FORK}
fork f of v { children 1 on g transient }
scenario "s" { at 0 ms fork f expect f[1] is running }`);
  assert.equal(s.expectations[0].passed, true, JSON.stringify(s.expectations));
  assert.equal(s.transfers[0].state, 'running');
  assert.equal(s.transfers[0].discarded, true);
});

const MOVE = `host h { } host a { } host g { } host z { memory 1 GiB } link h <-> z { } link h <-> g { bandwidth 10 Gbps }
vm v on h { memory 2 GiB process p { memory 16 MiB confidential } }
attacker x { vm spy on g }`;

test('a monitor\'s migrate crosses the network to the first linked host with room; the VM is there afterwards', () => {
  // a: no link; z: linked but only 1 GiB; g: linked with room.
  const [s] = run(`${MOVE}
monitor m for v { rule flee on open then migrate }
scenario "s" { at 0 ms syscall v p open("/x") at 2 s syscall v p read() expect v is migrated expect x sees confidential data }`);
  assert.equal(s.moves.length, 1);
  const mv = s.moves[0];
  assert.deepEqual([mv.kind, mv.from, mv.to, mv.link, mv.by], ['migrate', 'h', 'g', 'h<->g', 'monitor m rule flee']);
  assert.ok(mv.ready_ms !== null && mv.bytes > 0 && mv.loc?.line === 5, JSON.stringify(mv));
  const d = s.monitor[0];
  assert.match(d.effect!, /^migration to g over h<->g started; v migrated from h to g over h<->g, ready at [\d.]+ ms/);
  assert.equal(step(s, 'syscall', 1).ok, true);
  assert.deepEqual(s.expectations.map((e) => e.passed), [true, true]);
  assert.equal(s.expectations[0].actual, 'migrated');
  assert.match(String(s.expectations[1].actual), /^co-resident with v \(confidential p\) on g from [\d.]+ ms$/);
});

test('a monitor\'s migrate to a host no link reaches is refused and reported; the VM stays and runs', () => {
  const [s] = run(`${MOVE}
monitor m for v { rule flee on open then migrate to a }
scenario "s" { at 0 ms syscall v p open("/x") at 1 s syscall v p read() expect v is running }`);
  assert.deepEqual(s.moves, []);
  assert.equal(s.monitor[0].effect, 'refused: migrate v to a: no link or network joins h and a; v stays on h');
  assert.equal(step(s, 'syscall', 1).ok, true);
  assert.equal(s.passed, true);
});

test('a migrate step to a host without room is refused', () => {
  const [s] = run(`${MOVE}
scenario "s" { at 0 ms migrate v to z }`);
  assert.deepEqual([step(s, 'migrate').ok, step(s, 'migrate').outcome], [false, 'migrate v to z: z has no room for v (2 GiB needed, 1 GiB free); v stays on h']);
});

test('escalations and policy changes are reported: what fired, when, what it did to the VM', () => {
  const [s] = run(`host h { } vm v on h { process p { } }
monitor m for v { rule no on open then deny(13) rule strict on read then policyChange(n) escalate 2 violations within 1 s then pause }
monitor n for v { default allow }
scenario "s" { at 0 ms syscall v p open("/a") at 10 ms syscall v p open("/b") at 20 ms syscall v p read() expect v is paused }`);
  const esc = s.monitor.filter((x) => x.rule === 'escalate');
  assert.equal(esc.length, 1, JSON.stringify(s.monitor));
  assert.deepEqual([esc[0].action, esc[0].effect, esc[0].fired, esc[0].line],
    ['pause', 'v paused', '2 violations within 1000 ms (the last: open by v/p, rule no)', 4]);
  assert.ok(esc[0].at_ms! >= 10 && esc[0].at_ms! < 11, String(esc[0].at_ms));
  assert.equal(esc[0].loc?.line, 4);
  assert.equal(s.expectations[0].passed, true);
  // The call after the pause does not run; a policy change is reported on the rule that made it.
  const [t] = run(`host h { } vm v on h { process p { } }
monitor m for v { rule strict on read then policyChange(n) }
monitor n for v { default deny(1) }
scenario "s" { at 0 ms syscall v p read() at 1 ms syscall v p read() }`);
  assert.equal(t.monitor[0].effect, 'v now monitored by n');
  assert.deepEqual(t.monitor.map((x) => [x.monitor, x.action]), [['m', 'policyChange(n)'], ['n', 'deny(1)']]);
});

// Simulator fidelity (issue 11 leftovers), each as the user sees it in the
// run's JSON and step texts: a refused child's refusal is data, not text to
// parse; one retry rule for forks and migrations; a restore on its own host
// is a move like any other; `buffer N block` holds calls; `present` and
// `write` share one rule for a VM that left the share's host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import type { ScenarioResult } from '../../server/src/sim/results';
import { MAX_REJECTIONS, MAX_TIMEOUTS } from '../../server/src/sim/retry';

const steps = (s: ScenarioResult, prefix: string) => s.steps.filter((x) => x.step.startsWith(prefix));
const step = (s: ScenarioResult, prefix: string, nth = 0) => {
  const found = steps(s, prefix);
  assert.ok(found.length > nth, `a step ${prefix}: ${JSON.stringify(s.steps)}`);
  return found[nth];
};

const FORK = `boot b { pcr 0 "fw" } boot bad { pcr 0 "evil" }
host h { tpm ecdsa-p256 boot b } host g { tpm ecdsa-p256 boot b } host r { tpm ecdsa-p256 boot bad }
link h <-> g { bandwidth 1 Gbps } link h <-> r { bandwidth 1 Gbps }
vm v on h { memory 64 MiB process p { memory 8 MiB } }`;

test('a child whose host was refused carries the refusal as data; its expectation says which host and why', () => {
  const [s] = run(`${FORK}
fork f of v { children 2 on g, r attest hosts against b }
scenario "s" { at 0 ms fork f expect f[2] is running expect f[1] is running }`);
  const [ok, refused] = s.transfers;
  assert.equal(ok.refused, undefined);
  assert.equal(refused.refused?.host, 'r');
  assert.match(refused.refused!.reason, /^attestation failed, .*invalid_pcr_0/);
  // The step's text and the expectation are both built from it.
  assert.equal(refused.failed, `not created: r refused (${refused.refused!.reason})`);
  assert.equal(s.expectations[0].passed, false);
  assert.equal(s.expectations[0].actual, `not created (r refused: ${refused.refused!.reason})`);
  assert.equal(s.expectations[1].passed, true);
});

// One retry rule: a fork child and a migration under 100% drop give up after the same number of losses.
test('a migration and a fork give up after the same number of lost messages', () => {
  const [s] = run(`host h { } host g { } link h <-> g { } vm v on h { memory 8 MiB process p { memory 1 MiB } }
vm w on h { memory 8 MiB process p { memory 1 MiB } }
fork f of w { children 1 on g memory eager }
attacker x { drop h <-> g 100% }
scenario "s" { at 0 ms migrate v to g at 0 ms fork f }`);
  const lost = MAX_TIMEOUTS + 1;
  assert.match(step(s, 'migrate').outcome, new RegExp(`^migrate v to g failed: chunk 1 of \\d+ lost ${lost} times on h<->g; v stays on h$`));
  assert.match(s.moves[0].failed ?? '', new RegExp(`^chunk 1 of \\d+ lost ${lost} times on h<->g$`));
  assert.match(s.transfers[0].failed ?? '', new RegExp(`^page \\d+ lost ${lost} times$`));
  assert.equal(lost, 9, 'the documented figure (docs/simulator.md)');
});

test('a migration and a fork give up after the same number of rejections', () => {
  const [s] = run(`host h { } host g { } link h <-> g { } vm v on h { memory 8 MiB process p { memory 1 MiB } }
vm w on h { memory 8 MiB process p { memory 1 MiB } }
fork f of w { children 1 on g memory eager integrity per-page }
attacker x { tamper h <-> g 100% }
scenario "s" { at 0 ms migrate v to g at 0 ms fork f }`);
  const rejected = MAX_REJECTIONS + 1;
  assert.match(step(s, 'migrate').outcome, new RegExp(`^migrate v to g failed: chunk 1 of \\d+ rejected ${rejected} times on h<->g `));
  assert.match(s.transfers[0].failed ?? '', new RegExp(`^(page|block) \\d+ rejected ${rejected} times$`));
});

test('a restore on the host its checkpoint was taken on is a move: from = to, nothing sent, ready at once', () => {
  const [s] = run(`host h { } vm v on h { memory 16 MiB process a { memory 4 MiB } }
checkpoint c of v { }
scenario "s" { at 0 ms checkpoint c at 10 ms restore c as v2 on h at 10 ms syscall v2 a open("/x") expect v2 is running }`);
  assert.equal(s.moves.length, 1, JSON.stringify(s.moves));
  const [m] = s.moves;
  assert.equal(m.kind, 'restore');
  assert.equal(m.vm, 'v2');
  assert.equal(m.from, 'h');
  assert.equal(m.to, 'h');
  assert.equal(m.link, 'same host');
  assert.equal(m.bytes, s.checkpoints[0].bytes, 'the checkpoint file, read on the host');
  assert.deepEqual([m.chunks, m.sent, m.dropped, m.rejected, m.ready_ms, m.failed], [0, 0, 0, 0, 0, undefined]);
  assert.equal(m.line, 3);
  assert.ok(m.loc, 'located on its step');
  assert.equal(s.stats.bytes_sent, 0, 'nothing crossed a network');
  const r = step(s, 'restore');
  assert.equal(r.ok, true);
  assert.match(r.outcome, new RegExp(`^restored v2 on h, ready at 10\\.0 ms: ${m.bytes} bytes of .*c\\.ckpt read on h, where it was taken \\(nothing crossed a network\\); lost: nothing$`));
  assert.equal(step(s, 'syscall').ok, true);
  assert.equal(s.passed, true);
});

const BURST = (buffer: string, calls: number) => `host h { } vm v on h { process p { } }
monitor m for v { mode concurrent ${buffer} rule look on open then killProc }
scenario "s" { ${Array.from({ length: calls }, (_, i) => `at 1 ms syscall v p open("/f${i}")`).join(' ')} }`;

test('buffer N block: a burst larger than N holds the calls until the analyzer frees a slot', () => {
  const [one] = run(BURST('buffer 2 block', 1));
  const [burst] = run(BURST('buffer 2 block', 5));
  const [roomy] = run(BURST('buffer 1024 block', 5));
  assert.equal(one.monitor.length, 1);
  assert.equal(one.monitor[0].blocked_us, undefined);
  assert.deepEqual(burst.monitor.map((x) => x.action), Array(5).fill('killProc'), 'nothing dropped');
  // The first two fit; each later call waits for the one two places before it to be analysed.
  assert.deepEqual(burst.monitor.map((x) => x.blocked_us ?? 0), [0, 0, 50, 80, 110]);
  assert.ok(burst.monitor[4].delay_us > one.monitor[0].delay_us, JSON.stringify(burst.monitor));
  // p is killed at 1.05 ms, when the first verdict frees the third call's slot: the held calls never ran (monitor-effects.test.ts).
  assert.match(step(burst, 'syscall', 4).outcome, /^open by v\/p: the call never ran: process p was killed at 1\.05 ms .*\(m rule look → killProc after 170 us \(the call was held 110 us: m's buffer was full\)\)$/);
  // Without the burst filling the buffer, no call is held.
  assert.ok(roomy.monitor.every((x) => x.blocked_us === undefined), JSON.stringify(roomy.monitor));
});

test('buffer 1 block: a held event is handed off only once its slot frees, so its verdict comes later than with room', () => {
  const [tight] = run(BURST('buffer 1 block', 3));
  const [roomy] = run(BURST('buffer 1024 block', 3));
  // hand-off 20 µs, analysis 30 µs: with room the hand-offs overlap the analysis ahead; held, they cannot.
  assert.deepEqual(roomy.monitor.map((x) => x.delay_us), [50, 80, 110]);
  assert.deepEqual(tight.monitor.map((x) => x.delay_us), [50, 100, 150]);
  assert.deepEqual(tight.monitor.map((x) => x.blocked_us ?? 0), [0, 50, 100]);
});

test('buffer N drop: the same burst drops the calls past N instead of holding them', () => {
  const [s] = run(BURST('buffer 2 drop', 5));
  assert.deepEqual(s.monitor.map((x) => x.action), ['killProc', 'killProc', 'dropped (buffer full)', 'dropped (buffer full)', 'dropped (buffer full)']);
  assert.ok(s.monitor.every((x) => x.blocked_us === undefined));
  assert.equal(step(s, 'syscall', 4).outcome, 'open by v/p: m buffer full, event dropped');
});

const SHARE = `host a { } host b { } link a <-> b { }
vm v on a { virtualization os-level memory 16 MiB } vm w on a { virtualization os-level memory 16 MiB }
authority ca { key ecdsa-p256 } certificate cv for v by ca valid 1 h
share "/lib" between v, w require certificate
attacker x { steal cv }`;

test('present follows the write rule: once the subject has left the share\'s host, its stolen certificate is rejected', () => {
  const [s] = run(`${SHARE}
scenario "s" { at 0 ms present cv for "/lib" at 0 ms migrate v to b at 10 s present cv for "/lib" at 10 s write v "/lib" }`);
  assert.equal(step(s, 'present', 0).outcome, 'attacker x presents cv for "/lib": accepted (valid until 3600000 ms)');
  assert.equal(step(s, 'migrate').ok, true, step(s, 'migrate').outcome);
  const why = 'the share joins vms on a; v now runs on b';
  assert.equal(step(s, 'write').outcome, `write by v to "/lib": denied (${why})`);
  assert.equal(step(s, 'present', 1).outcome, `attacker x presents cv for "/lib": rejected (${why})`);
  assert.deepEqual(s.steps.filter((x) => /^(present|write)/.test(x.step)).map((x) => x.ok), [true, true, true]);
});

test('present for a share without require certificate is still refused once the subject has left its host', () => {
  const [s] = run(`${SHARE.replace(' require certificate', '')}
scenario "s" { at 0 ms migrate v to b at 10 s present cv for "/lib" }`);
  assert.equal(step(s, 'present').outcome, 'attacker x presents cv for "/lib": rejected (the share joins vms on a; v now runs on b)');
});

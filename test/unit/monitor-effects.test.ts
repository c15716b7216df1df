// What a monitor decision really did, as the user reads it in the JSON's
// `effect`s, the step errors and the expectations: a decision that finds its
// effect already there does not claim it, so "killed at … by …" names the
// decision that did it; a call held by a full `block` buffer whose process is
// killed before its slot frees never runs, and its verdict acts on nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import type { ScenarioResult } from '../../server/src/sim/results';

const steps = (s: ScenarioResult, prefix: string) => s.steps.filter((x) => x.step.startsWith(prefix));
const effects = (s: ScenarioResult) => s.monitor.map((m) => m.effect);

// Two calls of p at 1 ms are analysed one after the other: verdicts at 1.05 and 1.08 ms.
const TWO = (actions: string, later: string) => `host h { } vm v on h { process p { } process q { } }
monitor m for v { mode concurrent buffer 1024 block rule look on open then ${actions} }
scenario "s" { at 1 ms syscall v p open("/a") at 1 ms syscall v p open("/b") ${later} }`;

test('a second kill of a dead process says so; the later call names the first kill', () => {
  const [s] = run(TWO('killProc', 'at 2 ms syscall v p open("/c")'));
  assert.deepEqual(s.monitor.map((m) => m.delay_us), [50, 80]);
  assert.deepEqual(effects(s), ['process p killed', 'none: process p already killed']);
  const late = steps(s, 'syscall')[2];
  assert.equal(late.ok, false);
  assert.equal(late.outcome, 'process p of v is gone: killed at 1.05 ms by rule look of monitor m');
  // Both verdicts count: the analyzer made them.
  assert.equal(s.monitor.length, 2);
});

test('a second pause of a paused VM says so; the later call and the expectation name the first pause', () => {
  const [s] = run(TWO('pause', 'at 2 ms syscall v q open("/c") expect v is running'));
  assert.deepEqual(effects(s), ['v paused', 'none: v already paused']);
  assert.equal(steps(s, 'syscall')[2].outcome, 'v is paused at 1.05 ms by rule look of monitor m; the call does not run');
  assert.equal(s.expectations[0].actual, 'paused (at 1.05 ms by rule look of monitor m)');
});

test('a policy change to the monitor already active says so', () => {
  const [s] = run(`host h { } vm v on h { process p { } }
monitor m for v { mode concurrent rule look on open then policyChange(n) }
monitor n for v { mode concurrent rule look on open then policyChange(n) }
scenario "s" { at 1 ms syscall v p open("/a") at 2 ms syscall v p open("/b") }`);
  assert.deepEqual(effects(s), ['v now monitored by n', 'none: v already monitored by n']);
});

test('a terminate of a terminated VM claims nothing; the expectation names the first', () => {
  const [s] = run(TWO('terminate', 'expect v is paused'));
  assert.deepEqual(effects(s), ['v terminated', 'none: v is terminated']);
  assert.equal(s.expectations[0].actual, 'terminated (at 1.05 ms by rule look of monitor m)');
});

// buffer 2 block, five calls of p at 1 ms: the first two are handed off at once (verdicts at 1.05
// and 1.08 ms); the third waits for the slot freed at 1.05 ms, when the first verdict kills p.
const BURST = `host h { } vm v on h { process p { } process q { } }
monitor m for v { mode concurrent buffer 2 block rule look on open then killProc rule stop on stat then pause }
scenario "s" { ${Array.from({ length: 4 }, (_, i) => `at 1 ms syscall v p open("/f${i}")`).join(' ')} at 1 ms syscall v p stat("/x")
  at 2 ms syscall v q open("/y") expect v is running expect m kills == 5 }`;

test('a call held by a full block buffer whose process was killed meanwhile never runs, and its verdict acts on nothing', () => {
  const [s] = run(BURST);
  assert.deepEqual(s.monitor.map((m) => m.blocked_us ?? 0), [0, 0, 50, 80, 110, 0]);
  const never = 'none: the call never ran (process p was killed at 1.05 ms by rule look of monitor m while m\'s full buffer held the call)';
  assert.deepEqual(effects(s), ['process p killed', 'none: process p already killed', never, never, never, 'process q killed']);
  const calls = steps(s, 'syscall');
  assert.deepEqual(calls.map((c) => c.ok), [true, true, false, false, false, true]);
  assert.equal(calls[4].outcome, 'stat by v/p: the call never ran: process p was killed at 1.05 ms by rule look of monitor m while m\'s full buffer held the call (m rule stop → pause after 170 us (the call was held 110 us: m\'s buffer was full))');
  assert.ok(s.errors.some((e) => e.message === calls[2].outcome), 'a step error');
  // The pause of the call that never ran was not applied: v runs, q's later call goes through.
  assert.equal(s.expectations[0].passed, true, String(s.expectations[0].actual));
  assert.match(calls[5].outcome, /^open by v\/q: m rule look → killProc after 50 us$/);
  // The verdicts were made (the recorder had the events) and count; only the effects are void.
  assert.equal(s.expectations[1].passed, true, String(s.expectations[1].actual));
});

test('a held call whose process is still there runs when its slot frees, and its step says how long it was held', () => {
  const [s] = run(`host h { } vm v on h { process p { } process q { } }
monitor m for v { mode concurrent buffer 1 block rule look on open then killProc }
scenario "s" { at 1 ms syscall v p open("/a") at 1 ms syscall v q open("/b") }`);
  assert.deepEqual(effects(s), ['process p killed', 'process q killed']);
  const calls = steps(s, 'syscall');
  assert.deepEqual(calls.map((c) => c.ok), [true, true]);
  assert.equal(calls[1].outcome, 'open by v/q: m rule look → killProc after 100 us (the call was held 50 us: m\'s buffer was full)');
});

test('the same file and seed give the same effects and steps', () => {
  const a = run(BURST)[0];
  const b = run(BURST)[0];
  assert.deepEqual([effects(a), a.steps.map((x) => x.outcome)], [effects(b), b.steps.map((x) => x.outcome)]);
});

test('serial: a call waiting for its verdict when its process is killed never runs, and its verdict acts on nothing', () => {
  const [s] = run(`host h { } vm v on h { process p { } process q { } }
monitor m for v { mode serial rule look on open then killProc rule stop on stat then pause }
scenario "s" { at 1 ms syscall v p open("/a") at 1 ms syscall v p stat("/b") at 1 ms syscall v q open("/c") expect v is running }`);
  // One analyzer, one event at a time: verdicts at 1.05, 1.08 and 1.11 ms.
  assert.deepEqual(s.monitor.map((m) => m.delay_us), [50, 80, 110]);
  assert.deepEqual(effects(s), ['process p killed', 'none: the call never ran (process p was killed at 1.05 ms by rule look of monitor m while the call waited for m\'s verdict)', 'process q killed']);
  const calls = steps(s, 'syscall');
  // Reported in step order, the one that never ran as an error.
  assert.deepEqual(calls.map((c) => [c.step.split(' ')[2], c.ok]), [['p', true], ['p', false], ['q', true]]);
  assert.equal(calls[1].outcome, 'stat by v/p: the call never ran: process p was killed at 1.05 ms by rule look of monitor m while the call waited for m\'s verdict (m rule stop → pause after 80 us)');
  assert.deepEqual(s.errors.map((e) => e.message), [calls[1].outcome]);
  assert.equal(s.expectations[0].passed, true, 'the pause never applied');
  assert.equal(s.passed, false, 'a step error fails the scenario');
});

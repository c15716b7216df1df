// Co-residency is judged over the whole run, not at its end (LANGUAGE.md §3,
// "VM life"): a VM that sat beside an attacker's VM and then left (migrated,
// terminated) was exposed while it was there, and a VM migrated onto an
// attacker's host is exposed from when it is ready there. And a copy-on-write
// share joins VMs on one host: a VM migrated off it no longer writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import type { ScenarioResult } from '../../server/src/sim/results';

const HOSTS = 'host a {} host b {} link a <-> b { bandwidth 100 Mbps latency 1 ms }';
const vmOn = (host: string, extra = '') => `vm v on ${host} { ${extra} memory 64 MiB process p { memory 4 MiB confidential } }`;
const ATTACKER = 'attacker mal { tenant evil vm spy2 on a }';

/** Each expectation's [passed, actual]. */
const verdicts = (s: ScenarioResult) => s.expectations.map((e) => [e.passed, e.actual]);
/** When each migration step's VM was ready (its outcome says, to 0.1 ms). */
const readyAts = (s: ScenarioResult) => s.steps.map((st) => /ready at ([\d.]+) ms/.exec(st.outcome)).filter((m) => m).map((m) => Number(m![1]));
const fromTo = /^co-resident with v \(confidential p\) on a from ([\d.]+) ms to ([\d.]+) ms$/;

test('a VM migrated away from the spy was seen while it was beside it', () => {
  const [s, never] = run(`${HOSTS}\n${vmOn('a')}\n${ATTACKER}
scenario "away" { at 10 s migrate v to b  expect mal sees confidential data }
scenario "away, never" { at 10 s migrate v to b  expect mal never sees confidential data }`);
  assert.deepEqual(s.moves.map((m) => m.to), ['b']);
  const [ready] = readyAts(s);
  assert.ok(ready > 10000, String(ready));
  const [passed, actual] = verdicts(s)[0];
  assert.equal(passed, true, String(actual));
  // From the start until the copy was done (the VM stays on a, paused, while it crosses).
  const m = fromTo.exec(String(actual));
  assert.ok(m, String(actual));
  assert.deepEqual([Number(m[1]), Number(m[2])], [0, ready]);
  assert.deepEqual(verdicts(never), [[false, actual]]);
});

test('a VM terminated by a monitor at 5 s was seen until then', () => {
  const [s] = run(`${HOSTS}\n${vmOn('a')}\n${ATTACKER}
monitor m for v { mode serial rule end on open then terminate }
scenario "ended" { at 5 s syscall v p open("/x") expect v is terminated expect mal never sees confidential data }`);
  assert.equal(s.expectations[0].passed, true, String(s.expectations[0].actual));
  const [passed, actual] = verdicts(s)[1];
  assert.equal(passed, false);
  const m = fromTo.exec(String(actual));
  assert.ok(m, String(actual));
  assert.equal(Number(m[1]), 0);
  assert.ok(Number(m[2]) >= 5000 && Number(m[2]) < 6000, String(actual));
});

test('a VM migrated onto the spy\'s host and away again was seen from when it was ready there', () => {
  const [s] = run(`${HOSTS}\n${vmOn('b')}\n${ATTACKER}
scenario "visit" { at 10 s migrate v to a at 20 s migrate v to b expect v is migrated expect mal sees confidential data }`);
  assert.equal(s.errors.length, 0, JSON.stringify(s.errors));
  assert.deepEqual(s.moves.map((m) => m.to), ['a', 'b']);
  const [inAt, outAt] = readyAts(s);
  const [passed, actual] = verdicts(s)[1];
  assert.equal(passed, true, String(actual));
  const m = fromTo.exec(String(actual));
  assert.ok(m, String(actual));
  // Not from 10 s: while its memory crossed, it was not yet on a.
  assert.deepEqual([Number(m[1]), Number(m[2])], [inAt, outAt]);
  assert.ok(inAt > 10000, String(inAt));
});

test('a VM migrated onto the spy\'s host that stays there is seen from its arrival to the end', () => {
  const [s] = run(`${HOSTS}\n${vmOn('b')}\n${ATTACKER}
scenario "stay" { at 10 s migrate v to a expect mal sees confidential data }`);
  const [ready] = readyAts(s);
  assert.ok(ready > 10000, String(ready));
  assert.deepEqual(verdicts(s), [[true, `co-resident with v (confidential p) on a from ${ready} ms`]]);
});

test('a VM of the attacker\'s own tenant is not exposed, wherever it moves', () => {
  const [s] = run(`${HOSTS}\n${vmOn('b', 'tenant evil')}\n${ATTACKER}
scenario "own" { at 1 s migrate v to a at 5 s migrate v to b expect mal never sees confidential data }`);
  assert.deepEqual(verdicts(s), [[true, 'no tap, no co-resident vm with confidential data']]);
});

test('a restored VM that came back without its confidential process exposes nothing', () => {
  const [s] = run(`${HOSTS}\n${vmOn('b')}\n${ATTACKER}
checkpoint c of v { exclude p }
scenario "restored" { at 1 s checkpoint c at 2 s restore c as v2 on a expect mal never sees confidential data }`);
  assert.equal(s.errors.length, 0, JSON.stringify(s.errors));
  assert.ok(s.steps.some((st) => /^restored v2 on a/.test(st.outcome)), JSON.stringify(s.steps));
  assert.deepEqual(verdicts(s), [[true, 'no tap, no co-resident vm with confidential data']]);
});

test('the same file and seed give the same exposure text', () => {
  const text = `${HOSTS}\n${vmOn('a')}\n${ATTACKER}
scenario "away" { at 3 s migrate v to b at 7 s migrate v to a at 9 s migrate v to b expect mal sees confidential data }`;
  const [one] = run(text);
  const [two] = run(text);
  assert.match(String(one.expectations[0].actual), /^co-resident with v \(confidential p\) on a from 0 ms to [\d.]+ ms \(and 1 more\)$/);
  assert.equal(one.expectations[0].actual, two.expectations[0].actual);
});

const SHARE = `${HOSTS}
vm v on a { virtualization os-level memory 64 MiB process p { memory 4 MiB } }
vm w on a { virtualization os-level memory 64 MiB process p { memory 4 MiB } }
share "/d" between v, w`;

test('a VM migrated off the share\'s host cannot write the share; its partner still can', () => {
  const [s] = run(`${SHARE}
scenario "s" { at 1 s migrate v to b at 2 s write v "/d" at 3 s write w "/d" expect write v "/d" denied expect write w "/d" allowed }`);
  const write = s.steps.find((st) => st.step.startsWith('write v'))!;
  assert.deepEqual([write.ok, write.outcome], [true, 'write by v to "/d": denied (the share joins vms on a; v now runs on b)']);
  assert.deepEqual(verdicts(s), [[true, 'denied'], [true, 'allowed']]);
});

test('a VM migrated back onto the share\'s host writes the share again', () => {
  const [, back] = run(`${SHARE}
scenario "s" { at 1 s migrate v to b }
scenario "back" { at 1 s migrate v to b at 2 s migrate v to a at 3 s write v "/d" expect write v "/d" allowed }`);
  assert.equal(back.errors.length, 0, JSON.stringify(back.errors));
  assert.deepEqual(verdicts(back), [[true, 'allowed']]);
});

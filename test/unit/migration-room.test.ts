// Migration room (issue 11, "Migration has one meaning"): a move holds the
// VM's memory on its target from its start until the VM is ready there or the
// move failed, so two migrations (or a migration and a restore) under way
// cannot both count on the same free memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import type { ScenarioResult } from '../../server/src/sim/results';

const steps = (s: ScenarioResult, prefix: string) => s.steps.filter((x) => x.step.startsWith(prefix)).map((x) => [x.ok, x.outcome]);

// g has room for one of a and b (768 MiB each), not for both.
const HOSTS = `host h { } host g { memory 1 GiB } link h <-> g { bandwidth 1 Gbps }
vm a on h { memory 768 MiB process p { memory 8 MiB } }
vm b on h { memory 768 MiB process q { memory 8 MiB } }`;

test('two simultaneous migrations into a host with room for one: the second is refused and says why', () => {
  const [s] = run(`${HOSTS}
scenario "s" { at 0 ms migrate a to g at 0 ms migrate b to g expect a is migrated expect b is running }`);
  const out = steps(s, 'migrate');
  assert.equal(out.length, 2, JSON.stringify(s.steps));
  assert.deepEqual(out.find(([ok]) => !ok), [false, 'migrate b to g: g has no room for b (768 MiB needed, 256 MiB free; 768 MiB held for a, on its way there); b stays on h']);
  assert.match(String(out.find(([ok]) => ok)![1]), /^a migrated from h to g over h<->g, ready at [\d.]+ ms/);
  assert.deepEqual(s.moves.map((m) => [m.vm, m.to, m.failed ?? null, m.ready_ms !== null]), [['a', 'g', null, true]]);
  assert.deepEqual(s.expectations.map((e) => [e.passed, e.actual]), [[true, 'migrated'], [true, 'running']]);
});

test('after the first migration has arrived, the VM itself fills the room: a later one is still refused', () => {
  const [s] = run(`${HOSTS}
scenario "s" { at 0 ms migrate a to g at 60 s migrate b to g }`);
  const refused = steps(s, 'migrate').find(([ok]) => !ok);
  assert.deepEqual(refused, [false, 'migrate b to g: g has no room for b (768 MiB needed, 256 MiB free); b stays on h']);
});

test('a failed migration gives its room back: a later migration to the same host goes through', () => {
  // Every message on the link is lost: a's move fails after its resends, and b may then use the room.
  const [s] = run(`${HOSTS}
attacker x { drop h <-> g 100% }
scenario "s" { at 0 ms migrate a to g at 0 ms migrate b to g at 30 s migrate b to g expect a is running }`);
  // Outcomes are in step-time order: b's refusal at 0 ms comes before a's failure, reported later on its own 0 ms step.
  const out = s.steps.filter((x) => x.step.startsWith('migrate')).map((x) => [x.at_ms, x.outcome]);
  assert.equal(out.length, 3, JSON.stringify(s.steps));
  assert.deepEqual(out[0], [0, 'migrate b to g: g has no room for b (768 MiB needed, 256 MiB free; 768 MiB held for a, on its way there); b stays on h']);
  assert.match(String(out[1][1]), /^migrate a to g failed: chunk \d+ of \d+ lost 9 times on h<->g; a stays on h$/);
  assert.equal(out[2][0], 30_000);
  assert.doesNotMatch(String(out[2][1]), /no room/);
  // b's second try starts after a's failure released the hold (it fails too, on the same link, but it was let start).
  assert.deepEqual(s.moves.map((m) => m.vm), ['a', 'b']);
  assert.equal(s.expectations[0].passed, true);
});

test('a restore under way holds its room too: a migration to the same host meanwhile is refused', () => {
  const [s] = run(`${HOSTS}
checkpoint ca of a { to "ca.ckpt" }
scenario "s" { at 0 ms checkpoint ca at 1 ms restore ca as a2 on g at 1 ms migrate b to g }`);
  assert.equal(steps(s, 'checkpoint')[0][0], true, JSON.stringify(s.steps));
  assert.match(String(steps(s, 'restore')[0][1]), /^restored a2 on g, ready at/);
  assert.deepEqual(steps(s, 'migrate'), [[false, 'migrate b to g: g has no room for b (768 MiB needed, 256 MiB free); b stays on h']]);
});

test('a migration under way holds its room against a restore to the same host', () => {
  const [s] = run(`${HOSTS}
checkpoint cb of b { to "cb.ckpt" }
scenario "s" { at 0 ms checkpoint cb at 1 ms migrate a to g at 1 ms restore cb as b2 on g }`);
  assert.deepEqual(steps(s, 'restore'), [[false, 'restore cb as b2 on g: g has no room for b2 (768 MiB needed, 256 MiB free; 768 MiB held for a, on its way there)']]);
  assert.match(String(steps(s, 'migrate')[0][1]), /^a migrated from h to g/);
});

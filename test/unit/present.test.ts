// `present C for "PATH"` is checked as a write by C's subject would be
// (LANGUAGE.md §3 "Certificates and sharing"): only for a declared share,
// only when C's subject is one of that share's VMs, and only a stolen copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import type { ScenarioResult } from '../../server/src/sim/results';

const HEAD = `host h { cpus 16 memory 64 GiB }
vm app1 on h { virtualization os-level memory 512 MiB }
vm app2 on h { virtualization os-level memory 512 MiB }
vm app3 on h { virtualization os-level memory 512 MiB }
authority ca { key ecdsa-p256 }
certificate c1 for app1 by ca valid 1 h
certificate c3 for app3 by ca valid 1 h
share "/f" between app1, app2 require certificate
share "/g" between app1, app2
`;

const presents = (s: ScenarioResult) => s.steps.filter((x) => x.step.startsWith('present')).map((x) => x.outcome);

test('a present for a path no share declares is a step error, as a write there is', () => {
  const [s] = run(`${HEAD}attacker thief { steal c1 }
scenario "s" { at 1 s present c1 for "/nope" at 2 s write app1 "/nope" }`);
  assert.equal(s.passed, false);
  assert.deepEqual(s.errors.map((e) => [e.line, e.message]), [
    [11, 'no share declares "/nope"; a certificate is presented for a shared file'],
    [11, 'app1 neither shares "/nope" nor has it as a process file of a forked vm'],
  ]);
});

test('a stolen certificate whose subject is not among the share\'s vms is rejected, saying why', () => {
  const [s] = run(`${HEAD}attacker thief { steal c3 }
scenario "s" { at 1 s present c3 for "/f" at 2 s present c3 for "/g" }`);
  assert.deepEqual(presents(s), [
    'attacker thief presents c3 for "/f": rejected (c3 is for app3, which is not among the vms sharing "/f" (app1, app2))',
    'attacker thief presents c3 for "/g": rejected (c3 is for app3, which is not among the vms sharing "/g" (app1, app2))',
  ]);
  assert.deepEqual(s.errors, []);
});

test('a stolen certificate of a share\'s vm is accepted while valid; without `require certificate` none is needed', () => {
  const [s] = run(`${HEAD}attacker thief { steal c1 }
scenario "s" { at 1 s present c1 for "/f" at 2 s present c1 for "/g" at 2 h present c1 for "/f" }`);
  assert.deepEqual(presents(s), [
    'attacker thief presents c1 for "/f": accepted (valid until 3600000 ms)',
    'attacker thief presents c1 for "/g": accepted (no certificate required)',
    'attacker thief presents c1 for "/f": rejected (expired at 3600000 ms)',
  ]);
});

test('a certificate no attacker steals cannot be presented', () => {
  const [s] = run(`${HEAD}attacker thief { steal c3 }
scenario "s" { at 1 s present c1 for "/f" }`);
  assert.deepEqual(s.steps.map((x) => x.ok), [false]);
  assert.deepEqual(s.errors.map((e) => e.message), ['no attacker steals certificate c1; only a stolen certificate can be presented (add `steal c1` to an attacker)']);
});

test('of two shares of one path, the one holding the subject decides', () => {
  const [s] = run(`${HEAD.replace('share "/g" between app1, app2', 'share "/f" between app2, app3')}attacker thief { steal c3 }
scenario "s" { at 1 s present c3 for "/f" }`);
  assert.deepEqual(presents(s), ['attacker thief presents c3 for "/f": accepted (no certificate required)']);
});

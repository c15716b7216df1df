// One rule for co-residency (model/coresidency.ts): the validator's VMS050
// (placement as declared) and the simulated attacker's `sees` (placement as
// it is now) agree wherever the placement is the same, and after a migration
// the simulator sees the VM on its new host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, run } from '../helpers';

const file = (vm: string, attacker: string, steps = '') => `host h { } host g { } link h <-> g { }
vm v on ${vm} { memory 64 MiB process p { memory 4 MiB confidential } }
attacker x { ${attacker} }
scenario "s" { ${steps} expect x sees confidential data }`;

const cases: { name: string; vm: string; attacker: string; exposed: boolean }[] = [
  { name: 'same host, no tenants', vm: 'h', attacker: 'vm spy on h', exposed: true },
  { name: 'same host, other tenants', vm: 'h', attacker: 'tenant b vm spy on h', exposed: true },
  { name: 'same host, the attacker\'s own tenant', vm: 'h', attacker: 'tenant a vm spy on h', exposed: false },
  { name: 'another host', vm: 'g', attacker: 'vm spy on h', exposed: false },
  { name: 'one of several attacker VMs on its host', vm: 'g', attacker: 'vm spy on h vm spy2 on g', exposed: true },
];

for (const c of cases) {
  test(`VMS050 and the simulated attacker agree: ${c.name}`, () => {
    let text = file(c.vm, c.attacker);
    if (c.name.includes('own tenant')) text = text.replace('{ memory 64 MiB', '{ tenant a memory 64 MiB');
    if (c.name.includes('other tenants')) text = text.replace('{ memory 64 MiB', '{ tenant a memory 64 MiB');
    const warned = check(text).filter((d) => d.code === 'VMS050');
    const [s] = run(text);
    const seen = s.expectations[0];
    assert.equal(warned.length > 0, c.exposed, JSON.stringify(warned));
    assert.equal(seen.passed, c.exposed, String(seen.actual));
    if (c.exposed) {
      assert.match(warned[0].message, /^vm 'v' shares host '(h|g)' with vm 'spy2?' of attacker 'x' \(co-residency: cross-VM side channels\)/);
      assert.match(String(seen.actual), /^co-resident with v \(confidential p\) on (h|g)$/);
      // Both name the same host.
      assert.equal(/host '(\w+)'/.exec(warned[0].message)![1], /on (\w+)$/.exec(String(seen.actual))![1]);
    } else assert.equal(seen.actual, 'no tap, no co-resident vm with confidential data');
  });
}

test('after a migration the attacker sees the VM where it is now', () => {
  // Declared on g, away from the spy: no VMS050; migrated to h, it is co-resident.
  const text = file('g', 'vm spy on h', 'at 0 ms migrate v to h');
  assert.deepEqual(check(text).filter((d) => d.code === 'VMS050'), []);
  const [s] = run(text);
  assert.equal(s.steps[0].ok, true, s.steps[0].outcome);
  assert.equal(s.expectations[0].passed, true);
  // From the moment its copy is ready on h, not from the step.
  assert.match(String(s.expectations[0].actual), /^co-resident with v \(confidential p\) on h from [\d.]+ ms$/);
});

test('a VM migrated away from the spy was seen until it left (co-residency counts over the whole run)', () => {
  const text = file('h', 'vm spy on h', 'at 0 ms migrate v to g');
  assert.equal(check(text).filter((d) => d.code === 'VMS050').length, 1);
  const [s] = run(text);
  assert.equal(s.expectations[0].passed, true);
  assert.match(String(s.expectations[0].actual), /^co-resident with v \(confidential p\) on h from 0 ms to [\d.]+ ms$/);
});

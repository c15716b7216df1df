// Forks checked against LANGUAGE.md §3: multicast sends the descriptor once
// per network, a fork without `on` follows its migrated parent, and a fork
// refused because another fork's descriptor is being built says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import type { TransferResult } from '../../server/src/sim/results';

const ready = (ts: TransferResult[], fork: string) => ts.filter((t) => t.fork === fork).map((t) => [t.child, t.host, t.ready_ms]);

const fourHosts = (link: string, forks: string, steps: string) => `
host a {} host b {} host c {} host d {}
${link}
vm v on a { memory 1 GiB process p { memory 4 MiB } }
${forks}
scenario "s" { ${steps} }
`;

test('with multicast the descriptor goes once per network: every child on it is ready at the same time', () => {
  const [mc] = run(fourHosts('network n { hosts a, b, c, d }', 'fork fm of v { children 3 on b, c, d multicast }', 'at 0 ms fork fm'));
  assert.deepEqual(mc.errors, []);
  // 200 ms to build the 1 GiB parent's descriptor, then one 1 MiB frame at 1 Gbps for all three hosts.
  assert.deepEqual(ready(mc.transfers, 'fm'), [['fm[1]', 'b', 228.737], ['fm[2]', 'c', 228.737], ['fm[3]', 'd', 228.737]]);
  assert.equal(mc.steps[0].outcome, 'fork fm: 3/3 children ready on b, c, d within 228.7 ms');
});

test('without multicast, or over links, each host waits for its own copy of the descriptor', () => {
  const [plain] = run(fourHosts('network n { hosts a, b, c, d }', 'fork fn of v { children 3 on b, c, d }', 'at 0 ms fork fn'));
  assert.deepEqual(ready(plain.transfers, 'fn'), [['fn[1]', 'b', 228.737], ['fn[2]', 'c', 237.375], ['fn[3]', 'd', 246.012]]);
  // Separate links are separate frames even with multicast; each link is idle, so every copy comes at once.
  const [links] = run(fourHosts('link a <-> b {} link a <-> c {} link a <-> d {}', 'fork fl of v { children 3 on b, c, d multicast }', 'at 0 ms fork fl'));
  assert.deepEqual(ready(links.transfers, 'fl').map(([c, h]) => [c, h]), [['fl[1]', 'b'], ['fl[2]', 'c'], ['fl[3]', 'd']]);
  assert.equal(links.transfers.every((t) => t.descriptor.sent === 263), true, JSON.stringify(links.transfers));
});

test('with multicast and attested hosts, the hosts of a network wait for each other and a refused host does not hold the others', () => {
  const src = `
boot good { pcr 0 "fw" }
boot bad { pcr 0 "evil" }
host a { tpm ecdsa-p256 boot good } host b { tpm ecdsa-p256 boot good }
host c { tpm ecdsa-p256 boot bad } host d { tpm ecdsa-p256 boot good }
network n { hosts a, b, c, d }
vm v on a { memory 1 GiB process p { memory 4 MiB } }
fork fm of v { children 3 on b, c, d multicast attest hosts against good }
scenario "s" { at 0 ms fork fm }
`;
  const [s] = run(src);
  const [b, c, d] = s.transfers;
  assert.equal(c.state, 'not created', JSON.stringify(c));
  assert.equal(b.ready_ms, d.ready_ms);
  assert.ok(b.ready_ms !== null && b.ready_ms < 237, `ready at ${b.ready_ms}`);
});

test('a fork without `on` puts its children on the host its parent migrated to, and nothing crosses a network', () => {
  const [s] = run(`
host a {} host b {} link a <-> b {}
vm v on a { memory 64 MiB process p { memory 4 MiB } }
fork g of v { children 1 }
scenario "s" { at 0 ms migrate v to b  at 2 s fork g  expect g[1] is running }
`);
  assert.deepEqual(s.errors, []);
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  const [t] = s.transfers;
  assert.equal(t.host, 'b');
  assert.deepEqual([t.pages.fetched, t.descriptor.sent, t.bytes], [0, 0, 0]);
  assert.equal(s.steps[1].outcome, 'fork g: 1/1 children ready on b within 32.5 ms');
});

test('a fork with `on` the parent\'s declared host still goes there after the parent migrated', () => {
  const [s] = run(`
host a {} host b {} link a <-> b {}
vm v on a { memory 64 MiB process p { memory 4 MiB } }
fork g of v { children 1 on a }
scenario "s" { at 0 ms migrate v to b  at 2 s fork g }
`);
  const [t] = s.transfers;
  assert.equal(t.host, 'a');
  assert.ok(t.pages.fetched > 0, JSON.stringify(t));
});

test('a second fork while the first builds its descriptor is refused, saying which fork paused the parent and until when', () => {
  const [s] = run(`
host a {} host b {} link a <-> b {}
vm v on a { memory 1 GiB process p { memory 4 MiB } }
fork fb of v { children 1 on b }
fork fc of v { children 1 on b }
scenario "s" { at 0 ms fork fb  at 0 ms fork fc  at 300 ms fork fc }
`);
  // Steps are listed as they are reported: the refusal comes at once, each fork once its children are ready.
  assert.deepEqual(s.steps.map((x) => [x.at_ms, x.ok, x.outcome]), [
    [0, false, "fork fc: parent vm 'v' is paused until 200.0 ms while fork fb's descriptor is built"],
    [0, true, 'fork fb: 1/1 children ready on b within 228.7 ms'],
    [300, true, 'fork fc: 1/1 children ready on b within 228.7 ms'],
  ]);
});

test('a call to the parent while its descriptor is built says why it is paused and until when', () => {
  const [s] = run(fourHosts('link a <-> b {}', 'fork f of v { children 1 on b }', 'at 0 ms fork f at 10 ms syscall v p open("/x") at 300 ms syscall v p read()'));
  const at = (ms: number) => s.steps.filter((st) => st.at_ms === ms).map((st) => [st.ok, st.outcome]);
  assert.deepEqual(at(10), [[false, "v is paused until 200.0 ms while fork f's descriptor is built; the call does not run"]]);
  // After the build, the parent runs again.
  assert.deepEqual(at(300).map(([ok]) => ok), [true]);
});

test('a fork without `on` after its parent migrated meets VMS014\'s room rule on the new host', () => {
  const src = (children: number) => `
host a { memory 64 GiB } host b { memory 2 GiB cpus 8 } link a <-> b {}
vm web on a { memory 1 GiB process p { memory 4 MiB } }
fork f of web { children ${children} }
scenario "s" { at 0 ms migrate web to b  at 30 s fork f }
`;
  const [full] = run(src(8));
  const fork = full.steps.find((st) => st.at_ms === 30000)!;
  assert.deepEqual([fork.ok, fork.outcome], [false, "fork f: 8 children on host 'b', where vm 'web' runs since it migrated, need 8 GiB, but it has 2 GiB; give the fork `on` hosts or lower `children`"]);
  assert.deepEqual(full.transfers, []);
  // Two fit beside nothing else counted, as VMS014 counts.
  const [fits] = run(src(2));
  assert.deepEqual(ready(fits.transfers, 'f').map(([c, h]) => [c, h]), [['f[1]', 'b'], ['f[2]', 'b']]);
});

// The limits table: every count, size, rate, duration and percentage has a
// documented range; out of range is a located VMS003 naming the range, and
// the model treats such a value as absent (nothing grows with it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { check } from '../helpers';
import { LIMITS, limitsTable, within } from '../../server/src/model/limits';
import { parseQuantity } from '../../grammar/src/literals';

const q = (text: string) => parseQuantity(text, { start: 0, end: text.length });

for (const page of ['language.md', 'safety.md']) {
  test(`docs/${page}'s Limits section holds exactly the table of limits.ts`, () => {
    const doc = readFileSync(new URL(`../../docs/${page}`, import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Limits'));
    const next = section.indexOf('\n## ', 4);
    const table = (next > 0 ? section.slice(0, next) : section).split('\n').filter((l) => l.startsWith('|')).join('\n');
    assert.equal(table, limitsTable());
    assert.equal(limitsTable().split('\n').length, Object.keys(LIMITS).length + 2);
  });
}

test('within() accepts a value in range and of the right kind only', () => {
  assert.equal(within(q('4096'), LIMITS.hostCpus), 4096);
  assert.equal(within(q('4097'), LIMITS.hostCpus), undefined);
  assert.equal(within(q('1.5'), LIMITS.hostCpus), undefined);
  assert.equal(within(q('4 KiB'), LIMITS.vmMemory), 4096);
  assert.equal(within(q('5000 B'), LIMITS.vmMemory), undefined);
  assert.equal(within(q('17 TiB'), LIMITS.vmMemory), undefined);
  assert.equal(within(q('0'), LIMITS.latency), 0);
  assert.equal(within(q('5 s'), LIMITS.vmMemory), undefined);
  assert.equal(within(q('9'.repeat(400)), LIMITS.seed), undefined);
  assert.equal(within(q(''), LIMITS.seed), undefined);
});

/** The one diagnostic of a code, with the text it covers. */
function one(text: string, code: string) {
  const found = check(text).filter((d) => d.code === code);
  assert.equal(found.length, 1, JSON.stringify(check(text)));
  return found[0];
}

const HV = 'host h { cpus 8 memory 64 GiB } vm v on h { memory 1 GiB }';
const cases: [string, string, string][] = [
  ['host h { cpus 5000 }', '5000', "cpus must be between 1 and 4096; found '5000'"],
  ['host h { memory 65 TiB }', '65 TiB', "host memory must be between 4 KiB and 64 TiB; found '65 TiB'"],
  ['host h { } vm v on h { vcpus 4097 }', '4097', "vcpus must be between 1 and 4096; found '4097'"],
  ['host h { } vm v on h { memory 17 TiB }', '17 TiB', "vm memory must be between 4 KiB and 16 TiB; found '17 TiB'"],
  ['host h { } vm v on h { disk 65 TiB }', '65 TiB', "disk must be between 4 KiB and 64 TiB; found '65 TiB'"],
  ['host a { } host b { } link a <-> b { bandwidth 100 bps }', '100 bps', "bandwidth must be between 1 Kbps and 10000 Gbps; found '100 bps'"],
  ['host a { } host b { } link a <-> b { latency 11 s }', '11 s', "latency must be between 0 s and 10 s; found '11 s'"],
  [`${HV} fork f of v { children 100001 }`, '100001', "children must be between 1 and 100_000; found '100001'"],
  [`${HV} fork f of v { children 100000000000000000000 }`, '100000000000000000000', "children must be between 1 and 100_000; found '100000000000000000000'"],
  [`${HV} fork f of v { integrity batched 2000000 }`, '2000000', "the batch size must be between 2 and 1_048_576; found '2000000'"],
  [`${HV} monitor m for v { buffer 20000000 }`, '20000000', "the buffer size (events) must be between 1 and 16_777_216; found '20000000'"],
  [`${HV} monitor m for v { escalate 2000000 violations within 1 s then pause }`, '2000000', "the violation count must be between 1 and 1_000_000; found '2000000'"],
  [`${HV} monitor m for v { escalate 2 violations within 9000 h then pause }`, '9000 h', "the escalation window must be between 1 us and 8760 h (1 year); found '9000 h'"],
  [`${HV} monitor m for v { default deny(5000) }`, '5000', "the errno of deny must be between 1 and 4095; found '5000'"],
  [`${HV} monitor m for v { rule r on connect when port(70000) then allow }`, '70000', "a port must be between 0 and 65535; found '70000'"],
  [`${HV} monitor m for v { rule r on open when fileEq(6, "/x") then allow }`, '6', "the argument index must be between 0 and 5; found '6'"],
  ['host h { } vm v on h { } authority ca { key ecdsa-p256 } certificate c for v by ca valid 87601 h', '87601 h', "certificate validity must be between 1 us and 87600 h (10 years); found '87601 h'"],
  ['network n { } attacker e { drop n 101% }', '101%', "the share of messages to drop must be between 0% and 100%; found '101%'"],
  ['scenario "s" { seed 9007199254740992 }', '9007199254740992', "the seed must be between 0 and 9_007_199_254_740_991; found '9007199254740992'"],
  [`${HV} fork f of v { } scenario "s" { at 8761 h fork f }`, '8761 h', "a step time must be between 0 s and 8760 h (1 year); found '8761 h'"],
  [`${HV} fork f of v { } scenario "s" { expect f ready within 9000 h }`, '9000 h', "a readiness bound must be between 0 s and 8760 h (1 year); found '9000 h'"],
  [`${HV} monitor m for v { } scenario "s" { expect m denies == 9007199254740992 }`, '9007199254740992', "a count must be between 0 and 9_007_199_254_740_991; found '9007199254740992'"],
  ['boot b { pcr 24 "x" }', '24', "a PCR index must be between 0 and 23; found '24'"],
  ['host h { } vm v on h { workingset 101% }', '101%', "workingset must be between 0% and 100%; found '101%'"],
  ['host h { } vm v on h { process p { memory 17 TiB } }', '17 TiB', "process memory must be between 0 B and 16 TiB; found '17 TiB'"],
];
for (const [text, at, message] of cases) {
  test(`out of range: ${at} in ${text.slice(0, 50)}`, () => {
    const d = one(text, 'VMS003');
    assert.deepEqual([d.text, d.message, d.severity], [at, message, 'error']);
  });
}

test('a number written too long to hold (Infinity) is out of range, not "not whole"', () => {
  const big = '9'.repeat(400);
  const d = one(`host h { cpus ${big} }`, 'VMS003');
  assert.deepEqual([d.text, d.message], [big, `cpus must be between 1 and 4096; found '${big}'`]);
});

test('a child count of 10^20 is reported once and builds nothing per child', () => {
  const found = check('host h { } vm v on h { memory 4 KiB process p { } } fork f of v { children 100000000000000000000 } scenario "s" { at 0 s syscall f[3] p open() }');
  // Only the range error: the out-of-range count stands for the default, and f[3] is not judged against it.
  assert.deepEqual(found.filter((d) => d.severity === 'error').map((d) => [d.code, d.text]), [['VMS003', '100000000000000000000']]);
});

test('children × pages beyond what the simulator holds is VMS003 on children', () => {
  const d = one('host h { } vm v on h { memory 4 KiB disk 2 TiB } fork f of v { children 1 }', 'VMS003');
  assert.equal(d.text, '1');
  assert.equal(d.message, "1 child of vm 'v' (4 KiB memory, 2 TiB disk) make 536_870_913 pages to track; the limit is 268_435_456 (1 TiB of child memory and disk in all); lower `children` or the vm's memory");
});

test('a VM larger than its host is VMS018, on the value', () => {
  const mem = one('host h { memory 8 GiB } vm v on h { memory 16 GiB }', 'VMS018');
  assert.deepEqual([mem.text, mem.line, mem.col, mem.severity], ['16 GiB', 1, 44, 'error']);
  assert.equal(mem.message, "vm 'v' needs 16 GiB of memory but host 'h' has 8 GiB; lower the vm's `memory` or raise the host's");
  const cpu = one('host h { cpus 4 } vm v on h { vcpus 8 }', 'VMS018');
  assert.deepEqual([cpu.text, cpu.message], ['8', "vm 'v' has 8 vcpus but host 'h' has 4 cpus; lower `vcpus` or raise the host's `cpus`"]);
  // The default memory (1 GiB) against a small host: on the host name.
  const dflt = one('host h { memory 512 MiB } vm v on h { }', 'VMS018');
  assert.equal(dflt.text, 'h');
  assert.equal(dflt.line, 1);
});

test('a host without `cpus` takes any vcpus; a VM that fits passes', () => {
  assert.deepEqual(check('host h { } vm v on h { vcpus 64 }').map((d) => d.code), []);
  assert.deepEqual(check('host h { cpus 8 memory 8 GiB } vm v on h { vcpus 8 memory 8 GiB }').map((d) => d.code), []);
});

test("a fork's children must fit their hosts' cpus (VMS014)", () => {
  const d = one('host a { cpus 4 } vm v on a { vcpus 2 } fork f of v { children 3 }', 'VMS014');
  assert.deepEqual([d.text, d.message], ['f', "3 children of 2 vcpus on host 'a' need 6 cpus, but it has 4; add hosts to `on` or lower `children`"]);
});

test('children are counted per host arithmetically: 100,000 children on 3 hosts', () => {
  const found = check('host a { memory 64 GiB } host b { } host c { } network n { hosts a, b, c } vm v on a { memory 4 KiB } fork f of v { children 100000 on a, b, c attest hosts against x } boot x { pcr 0 "f" }')
    .filter((d) => d.code === 'VMS014');
  assert.deepEqual(found, []);
  const over = check('host a { memory 64 KiB } host b { } network n { hosts a, b } vm v on b { memory 4 KiB } fork f of v { children 33 on a, b }').filter((d) => d.code === 'VMS014');
  assert.deepEqual(over.map((d) => [d.text, d.message]), [['a', "17 children of 4 KiB on host 'a' need 68 KiB, but it has 64 KiB; add hosts to `on` or lower `children`"]]);
});

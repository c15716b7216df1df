// A name the parser could not read is one syntax error (VMS000). Recovery
// leaves it empty, or takes the next keyword for it (`checkpoint of web { }`
// is read as a checkpoint named `of`); no other check may then quote it or
// judge what hangs on it. Each broken form below would otherwise draw a
// VMS0xx that quotes '' or the keyword.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check } from '../helpers';

const BASE = `
boot good { pcr 0 "fw" }
host a { memory 64 GiB tpm ecdsa-p256 boot good }
host b { memory 64 GiB tpm ecdsa-p256 boot good }
host z { }
network net { hosts a, b }
vm web on a { process app { } process db { confidential } ipc db -> app socket }
checkpoint c of web { exclude db ipc follow }
authority ca { key ecdsa-p256 }
certificate cert for web by ca valid 1 h
`;

/** Each form with the message it drew before names were checked for being written. */
const BROKEN: [form: string, was: string][] = [
  ['host { }', ''],
  ['vm on a { memory 128 GiB }', "VMS018 vm 'on' needs 128 GiB"],
  ['vm v on a { process { confidential } } checkpoint c2 of v { }', "VMS030 keeps confidential process ''"],
  ['vm v on a { process , { confidential } } checkpoint c2 of v { }', "VMS030 keeps confidential process ''"],
  ['vm v on a { process p { confidential } process q { } ipc p -> q } checkpoint c2 of v { exclude p }', "VMS031 'p' has  IPC with 'q'"],
  ['checkpoint of web { }', "VMS030 checkpoint 'of'"],
  ['checkpoint of web { exclude db, db }', "VMS002 in the exclusions of checkpoint 'of'"],
  ['fork of web { }', ''],
  ['monitor for web { rule on open then deny(1) }', ''],
  ['monitor for web, web { rule r on open then deny(1) rule r on open then deny(1) }', "VMS002/VMS020 in monitor 'for'"],
  ['monitor m for web { rule on open then allow, deny(1) rule on open then deny(1) }', "VMS003/VMS002/VMS020 on rule 'on'"],
  ['monitor m for web { rule r on open when process(5) then deny(1) rule s on open when process(6) then deny(1) }', 'VMS020: two missing process names taken as equal'],
  ['monitor m for web { rule r on open, , close then deny(1) }', "VMS021 '' is not a Linux system call"],
  ['monitor m for web { rule r on then deny(1) }', "VMS021 'then' is not a Linux system call"],
  ['authority { }', "VMS003 authority '' needs a key"],
  ['authority -> { }', "VMS003 authority '' needs a key"],
  ['attacker 5 { tap a <-> z }', "VMS001 attacker '' would tap nothing"],
  ['attacker e2 { vm on a }', "VMS050 with vm 'on' of attacker 'e2'"],
  ['scenario { }', ''],
  ['scenario "s" { at 0 ms syscall web app ("/x") }', "VMS021 '' is not a Linux system call"],
  ['scenario "s" { at 0 ms syscall web app 5("/x") }', "VMS021 ''"],
  ['scenario "s" { at 0 ms fork }', ''],
  ['scenario "s" { at 0 ms restore as r on a }', "VMS001 checkpoint 'as'"],
  ['scenario "s" { at 0 ms migrate to b }', "VMS001 vm 'to'"],
  ['scenario "s" { at 0 ms present for "x" }', "VMS001 certificate 'for'"],
  ['scenario "s" { at 0 ms write "/x" }', ''],
  ['scenario "s" { expect 5 is running }', ''],
  ['scenario "s" { expect c excludes 5 }', ''],
  ['scenario "s" { expect attestation of 5 passes }', ''],
];

describe('a name left out is reported once, as a syntax error', () => {
  test('the base file is clean', () => assert.deepEqual(check(BASE), []));
  for (const [form, was] of BROKEN) {
    test(`${form}${was ? ` (was: ${was})` : ''}`, () => {
      const found = check(`${BASE}${form}\n`);
      assert.ok(found.length > 0, 'the syntax error is reported');
      assert.deepEqual(found.filter((d) => d.code !== 'VMS000').map((d) => `${d.code} ${d.message}`), []);
      assert.deepEqual(found.filter((d) => d.message.includes("''")).map((d) => d.message), []);
    });
  }
});

describe('a name that is written is still judged, keyword or not', () => {
  const only = (form: string) => check(`${BASE}${form}\n`).map((d) => [d.code, d.text, d.message]);
  test('a checkpoint really named `of`', () => {
    assert.deepEqual(only('checkpoint of of web { }'),
      [['VMS030', 'of', "checkpoint 'of' keeps confidential process 'db' of vm 'web' in clear; add `exclude db`"]]);
  });
  test('a vm really named `on`', () => {
    assert.deepEqual(only('vm on on a { memory 128 GiB }'),
      [['VMS018', '128 GiB', "vm 'on' needs 128 GiB of memory but host 'a' has 64 GiB; lower the vm's `memory` or raise the host's"]]);
  });
  test('a shadowed rule, a misspelt call, an undeclared vm, a keyless authority', () => {
    assert.deepEqual(only('monitor m for web { rule r on open then deny(1) rule s on open then deny(2) }').map(([c, t]) => [c, t]), [['VMS020', 's']]);
    assert.deepEqual(only('monitor m for web { rule r on opne then deny(1) }').map(([c, t]) => [c, t]), [['VMS021', 'opne']]);
    assert.deepEqual(only('scenario "s" { at 0 ms migrate wbe to b }').map(([c, t]) => [c, t]), [['VMS001', 'wbe']]);
    assert.deepEqual(only('authority x { }').map(([c, t]) => [c, t]), [['VMS003', 'x']]);
  });
  test('a nameless process beside a named one: the named one is still reported', () => {
    const found = check(`${BASE}vm v on a { process { confidential } process p { confidential } } checkpoint c2 of v { }\n`);
    assert.deepEqual(found.map((d) => [d.code, d.message]), [
      ['VMS000', "expected a name but found '{'"],
      ['VMS030', "checkpoint 'c2' keeps confidential process 'p' of vm 'v' in clear; add `exclude p`"],
    ]);
  });
  test('an excluded process with IPC to a kept one, the channel read', () => {
    const found = check(`${BASE}vm v on a { process p { confidential } process q { } ipc p -> q pipe } checkpoint c2 of v { exclude p }\n`);
    assert.deepEqual(found.map((d) => [d.code, d.text]), [['VMS031', 'p']]);
  });
});

test('forks and shares: a name recovery made up, or could not read, is its syntax error only', () => {
  // A confidential process without a name is not quoted as '' (VMS013 would name it).
  const tapped = check('boot g { pcr 0 "fw" }\nhost a { tpm ecdsa-p256 boot g }\nhost b { tpm ecdsa-p256 boot g }\nlink a <-> b { }\nvm v on a { process { confidential } }\nfork f of v { on b attest hosts against g integrity per-page }\nattacker x { tap a <-> b }\n');
  assert.ok(tapped.some((d) => d.code === 'VMS000') && !tapped.some((d) => d.message.includes("''")), JSON.stringify(tapped.map((d) => [d.code, d.message])));
  for (const text of [
    'host a { tpm ecdsa-p256 }\nhost b { tpm ecdsa-p256 }\nlink a <-> b { }\nvm web on a { }\nfork of web { on b }\n',
    'host a { }\nvm on a { vtpm virtualization os-level }\n',
    'host a { }\nvm web on a { virtualization os-level }\nshare "s" between web, 5\n',
  ]) {
    const found = check(text);
    assert.ok(found.length > 0 && found.every((d) => d.code === 'VMS000'), `${text}\n${JSON.stringify(found.map((d) => [d.code, d.message]))}`);
  }
});

// A syntax error is the one message about its mistake: no "not declared" for
// a misspelt keyword read as a name, no "you left out X" for a property X
// that was written but could not be read. Each case asserts what a user sees (code,
// line, column, the text covered, the message).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check } from '../helpers';
import { parse } from '../../grammar/src/parse';
import type * as A from '../../grammar/src/ast';

type Seen = [code: string, line: number, col: number, text: string, message: string];
function seen(text: string): Seen[] {
  return check(text).map((d) => [d.code, d.line, d.col, d.text, d.message]);
}

// Lines 1-10; a fork to a remote host, a confidential process, an attacker
// who taps and tampers: every absence warning of forks and checkpoints can fire.
const BASE = `boot g { pcr 0 "fw" }
host a { cpus 4 memory 8 GiB tpm ecdsa-p256 boot g }
host b { cpus 4 memory 8 GiB tpm ecdsa-p256 boot g }
link a <-> b { }
vm v on a {
  memory 1 GiB
  vtpm
  process web { memory 8 MiB }
  process postgres { memory 8 MiB confidential }
}
`;

const fork = (attest: string) => `${BASE}fork f of v {
  on b
  ${attest}
  integrity per-page
  encrypt
}
`;

describe('a misspelt keyword is read as the keyword', () => {
  test('attest hosts agianst g: the syntax error alone, and g is the chain', () => {
    assert.deepEqual(seen(fork('attest hosts agianst g')), [
      ['VMS000', 13, 16, 'agianst', "expected 'against' but found 'agianst' — did you mean 'against'?"],
    ]);
    const f = parse(fork('attest hosts agianst g')).decls.find((d): d is A.ForkDecl => d.kind === 'fork')!;
    const attest = f.props.find((p) => p.key === 'attest hosts') as A.ValueProp<'attest hosts', A.Ident[]>;
    assert.deepEqual(attest.value.map((i) => i.text), ['g']);
  });

  test('the same in other places: `of`, `as`, `on`, `then`, `violations`', () => {
    const text = `${BASE}fork f on v { on b attest hosts against g }
monitor m for v {
  rule r on open thne deny(1)
  escalate 3 violatoins within 10 s then terminate
}
checkpoint c of v { exclude postgres }
scenario "s" {
  at 0 ms checkpoint c
  at 1 ms restore c sa r1 on b
  at 2 ms restore c as r2 no b
  expect r1 is running
  expect r2 is running
}
`;
    assert.deepEqual(seen(text), [
      ['VMS000', 11, 8, 'on', "expected 'of' but found 'on' — did you mean 'of'?"],
      ['VMS000', 13, 18, 'thne', "expected 'then' but found 'thne' — did you mean 'then'?"],
      ['VMS000', 14, 14, 'violatoins', "expected 'violations' but found 'violatoins' — did you mean 'violations'?"],
      ['VMS000', 19, 21, 'sa', "expected 'as' but found 'sa' — did you mean 'as'?"],
      ['VMS000', 20, 27, 'no', "expected 'on' but found 'no' — did you mean 'on'?"],
    ]);
    // Each was read as meant: the rule, the escalation and both restores are there.
    const doc = parse(text);
    const m = doc.decls.find((d): d is A.MonitorDecl => d.kind === 'monitor')!;
    assert.deepEqual(m.props.map((p) => p.key), ['rule', 'escalate']);
    const s = doc.decls.find((d): d is A.ScenarioDecl => d.kind === 'scenario')!;
    assert.deepEqual(s.items.map((i) => (i.key === 'step' && i.body.kind === 'restore' ? `${i.body.as.text} on ${i.body.host.text}` : i.key)),
      ['step', 'r1 on b', 'r2 on b', 'expect', 'expect']);
  });

  test('a word that is no typo of the keyword is read as the name after a missing one, as before', () => {
    assert.deepEqual(seen(fork('attest hosts golden')), [
      ['VMS000', 13, 16, 'golden', "expected 'against' but found 'golden'"],
      ['VMS001', 13, 16, 'golden', "boot chain 'golden' is not declared; declare it with `boot golden …`"],
    ]);
    assert.deepEqual(seen(fork('attest hosts g')), [['VMS000', 13, 16, 'g', "expected 'against' but found 'g'"]]);
  });
});

describe('a property that could not be read is not also reported missing', () => {
  test('a broken attest: no VMS011', () => {
    assert.deepEqual(seen(fork('attest against g hosts')), [
      ['VMS000', 13, 10, 'against', "expected 'hosts' or 'vtpm' but found 'against'"],
    ]);
    // Without the property at all the warning is due.
    assert.deepEqual(seen(fork('')).map((d) => d[0]), ['VMS011']);
  });

  test('a string where a process name is due: no VMS030', () => {
    const ck = (exclude: string) => `${BASE}checkpoint c of v {
  ${exclude}
  to "x.ckpt"
}
`;
    assert.deepEqual(seen(ck('exclude "postgres"')), [
      ['VMS000', 12, 11, '"postgres"', 'expected a name but found \'"postgres"\''],
    ]);
    assert.deepEqual(seen(ck('')), [
      ['VMS030', 11, 12, 'c', "checkpoint 'c' keeps confidential process 'postgres' of vm 'v' in clear; add `exclude postgres`"],
    ]);
  });

  test('a misspelt property word counts as written: no VMS013 after `encrpyt`', () => {
    const text = (word: string) => `${BASE}attacker eve { tap a <-> b }
fork f of v {
  on b
  attest hosts against g
  integrity per-page
  ${word}
}
`;
    assert.deepEqual(seen(text('encrpyt')), [
      ['VMS000', 16, 3, 'encrpyt', "unknown fork property 'encrpyt' — did you mean 'encrypt'?; expected one of: children, on, memory, disk, multicast, attest, integrity, encrypt, transient, isolate"],
    ]);
    assert.deepEqual(seen(text('')).map((d) => d[0]), ['VMS013']);
  });

  test('a broken integrity: no VMS012; a broken ipc: no VMS031; a broken to: the default file is not judged', () => {
    const text = `${BASE}attacker eve { tamper a <-> b 5% }
fork f of v {
  on b
  attest hosts against g
  integrity "per-page"
  encrypt
}
vm w on a {
  process p { memory 1 MiB }
  process q { memory 1 MiB }
  ipc p -> q pipe
}
checkpoint c of w {
  exclude p
  ipc "follow"
}
checkpoint d of w {
  exclude p, q
  to 5
}
`;
    assert.deepEqual(seen(text), [
      ['VMS000', 15, 13, '"per-page"', 'expected a name but found \'"per-page"\''],
      ['VMS000', 25, 7, '"follow"', 'expected a name but found \'"follow"\''],
      ['VMS000', 29, 6, '5', "expected a string but found '5'"],
    ]);
  });

  test('a host whose tpm could not be read: no VMS010 from the fork that attests it', () => {
    const text = fork('attest hosts against g').replace('host b { cpus 4 memory 8 GiB tpm ecdsa-p256 boot g }', 'host b { cpus 4 memory 8 GiB tpm "ecdsa-p256" boot g }');
    assert.deepEqual(seen(text), [['VMS000', 3, 34, '"ecdsa-p256"', 'expected a name but found \'"ecdsa-p256"\'']]);
  });

  test('the parser records the unread property words on the declaration', () => {
    const doc = parse(`${fork('attest against g hosts')}checkpoint c of v { exclude "postgres" }\n`);
    assert.deepEqual(doc.decls.map((d) => `${d.kind}: ${(d.broken ?? []).join(',')}`).slice(-2), ['fork: attest', 'checkpoint: exclude']);
    // A valid file leaves none.
    assert.deepEqual(parse(fork('attest hosts against g')).decls.filter((d) => d.broken), []);
  });
});

describe('a name restored twice in one scenario (restoring over a VM is a run-time error, §3)', () => {
  const text = `${BASE}checkpoint c of v { exclude postgres }
scenario "s" {
  at 0 ms checkpoint c
  at 1 ms restore c as r1 on b
  at 2 ms restore c as r1 on b
}
scenario "t" {
  at 0 ms checkpoint c
  at 1 ms restore c as r1 on b
}
`;
  test('is no check-time error: the second restore fails at run time', () => {
    assert.deepEqual(seen(text), []);
  });
  test('a restore over a declared name is reported once, as before', () => {
    assert.deepEqual(seen(text.replace(/as r1/g, 'as v')).filter((d) => d[0] === 'VMS002').map((d) => [d[1], d[4]]), [
      [14, "'v' is already declared as a vm (line 5); restore under a new name"],
      [15, "'v' is already declared as a vm (line 5); restore under a new name"],
      [19, "'v' is already declared as a vm (line 5); restore under a new name"],
    ]);
  });
});

test('a share of a vm whose virtualization could not be read or is no kind: that error only, not VMS040 "add virtualization os-level"', () => {
  for (const [value, code] of [['"os-level"', 'VMS000'], ['os-levle', 'VMS003']]) {
    const text = `host h { }
vm a on h { virtualization ${value} }
vm b on h { virtualization os-level }
share "/srv" between a, b
`;
    const codes = check(text).map((d) => d.code);
    assert.ok(codes.includes(code), JSON.stringify(codes));
    assert.ok(!codes.includes('VMS040'), JSON.stringify(codes));
  }
  // Left out, it is still VMS040.
  assert.ok(check('host h { }\nvm a on h { }\nvm b on h { virtualization os-level }\nshare "/srv" between a, b\n').some((d) => d.code === 'VMS040'));
});

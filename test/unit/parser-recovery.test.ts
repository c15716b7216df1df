// Recovery that must not change what a valid file means, and single messages
// for mistakes that used to give two. Each case asserts what a user sees
// (code, line, column, the text covered, the message).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check } from '../helpers';
import { parse } from '../../grammar/src/parse';
import { reparse } from '../../server/src/model/incremental';
import { parseSource } from '../../server/src/model/source-file';
import type * as A from '../../grammar/src/ast';

type Seen = [code: string, line: number, col: number, text: string, message: string];
function seen(text: string): Seen[] {
  return check(text).map((d) => [d.code, d.line, d.col, d.text, d.message]);
}
/** Each declaration as `kind name: property keys`. */
function shape(text: string): string[] {
  return parse(text).decls.map((d) => {
    const name = 'name' in d ? ` ${d.name.text}` : '';
    const props = 'props' in d ? (d.props as { key: string }[]).map((p) => p.key).join(',') : 'items' in d ? d.items.map((i) => i.key).join(',') : '';
    return `${d.kind}${name}: ${props}`;
  });
}

const BASE = `boot good { pcr 0 "fw" }
host h1 { tpm ecdsa-p256 }
`;

describe('a declaration keyword at the start of a line inside a block', () => {
  test('a property word (`boot` in a host, `vm` in an attacker) reads as if indented', () => {
    const text = `${BASE}host h2 {
cpus 2
boot good
tpm ecdsa-p256
}
attacker eve {
vm spy on h2
vm spy2 on h1
tenant mallory
}
`;
    assert.deepEqual(seen(text).filter((d) => d[0] === 'VMS000'), []);
    assert.deepEqual(shape(text).slice(2), ['host h2: cpus,boot,tpm', 'attacker eve: vm,vm,tenant']);
    assert.deepEqual(shape(text).slice(2), shape(text.replace(/\n(boot|vm) /g, '\n  $1 ')).slice(2));
  });

  test('a step word at the start of a line: the same message as indented', () => {
    const file = (indent: string) => `${BASE}vm app on h1 { }\nfork clone of app { }\nscenario "s" {\n${indent}fork clone\n}\n`;
    assert.deepEqual(seen(file('')), [['VMS000', 6, 1, 'fork', "a step starts with 'at TIME': write 'at 0 ms fork clone'"]]);
    assert.deepEqual(seen(file('  ')), [['VMS000', 6, 3, 'fork', "a step starts with 'at TIME': write 'at 0 ms fork clone'"]]);
  });

  test('a missing `}` before a declaration that uses the same word: one error, and the declaration is read', () => {
    const text = `host h2 {
  cpus 2
boot other {
  pcr 1 "x"
}
host h3 { boot other }
`;
    assert.deepEqual(seen(text), [['VMS000', 3, 1, 'boot', "expected '}' but found 'boot'"]]);
    assert.deepEqual(shape(text), ['host h2: cpus', 'boot other: ', 'host h3: boot']);
  });

  test('a missing `}` at the end of the file, before a declaration that uses the same word', () => {
    const text = `host h1 { }\nattacker eve {\n  tenant t\nvm spy on h1 { }\n`;
    assert.deepEqual(seen(text), [['VMS000', 4, 1, 'vm', "expected '}' but found 'vm'"]]);
    assert.deepEqual(shape(text), ['host h1: ', 'attacker eve: tenant', 'vm spy: ']);
  });

  test('a missing `}` before another declaration keyword still ends the block there', () => {
    const text = `host h1 {\n  cpus 2\nhost h2 {\n  cpus 1\n}\n`;
    assert.deepEqual(seen(text), [['VMS000', 3, 1, 'host', "expected '}' but found 'host'"]]);
    assert.deepEqual(shape(text), ['host h1: cpus', 'host h2: cpus']);
  });

  test('an edit reparses as the full parse does, whether the block is closed or not', () => {
    const pad = `// ${'x'.repeat(5000)}\n`;
    const closed = `${pad}boot good { pcr 0 "fw" }\nhost h1 {\nboot good\n}\nhost h2 { cpus 1 }\n`;
    const edits = [
      closed.replace('cpus 1', 'cpus 2'),
      closed.replace('boot good\n}', 'boot good\n'),
      closed.replace('host h2 { cpus 1 }', 'host h2 { cpus 1 } }'),
      closed.replace('host h1 {\nboot good\n}', 'host h1 {\nboot good { pcr 1 "y" }\n'),
    ];
    for (const after of edits) assert.deepEqual(reparse(parseSource('/m.vmsec', closed), after).doc, parse(after), after.slice(pad.length));
    for (const before of edits) assert.deepEqual(reparse(parseSource('/m.vmsec', before), closed).doc, parse(closed), before.slice(pad.length));
  });
});

describe('a comment between a number and its unit', () => {
  test('a block comment on the line is whitespace', () => {
    const text = `host h2 { memory 4 /* four */ GiB cpus 2 }\nlink h1 <-> h2 { bandwidth 10 /*x*/ MiB/s }\n${BASE}`;
    assert.deepEqual(seen(text), []);
    const mem = (parse(text).decls[0] as A.HostDecl).props[0] as A.ValueProp<'memory', A.Quantity>;
    assert.deepEqual([mem.value.value, text.slice(mem.value.span.start, mem.value.span.end)], [4 * 1024 ** 3, '4 /* four */ GiB']);
  });
  test('one with a line break still parts them (a number and its unit are on one line)', () => {
    assert.deepEqual(seen('host h2 { memory 4 /* four\n */ GiB }\n'), [
      ['VMS003', 1, 18, '4', "host memory needs a size such as 64 GiB; '4' is a plain number"],
      ['VMS000', 2, 5, 'GiB', "unknown host property 'GiB'; expected one of: cpus, memory, hypervisor, tpm, boot, tenant"],
    ]);
  });
});

describe('one message per mistake', () => {
  test('a misspelt property after a bad value on the same line gets its own message', () => {
    assert.deepEqual(seen('host h { }\nvm v on h { vcpus two memroy 4 GiB }\n'), [
      ['VMS000', 2, 19, 'two', "expected a number but found 'two'"],
      ['VMS000', 2, 23, 'memroy', "unknown vm property 'memroy' — did you mean 'memory'?; expected one of: vcpus, memory, disk, virtualization, vtpm, tenant, subnet, workingset, process, ipc"],
    ]);
  });
  test('…and after an unknown property with its value', () => {
    assert.deepEqual(seen('host h { hypervizor xen tenent acme }\n').map((d) => [d[2], d[3]]), [[10, 'hypervizor'], [25, 'tenent']]);
  });
  test('the words after a failed property are still not reported one by one', () => {
    assert.deepEqual(seen('boot b { pcr 0 "x" }\nhost h { tpm rsa-2048 }\nvm v on h { }\nfork f of v { on h attest hosts agianst b, b memory lazy }\n').filter((d) => d[0] === 'VMS000'), [
      ['VMS000', 4, 33, 'agianst', "expected 'against' but found 'agianst' — did you mean 'against'?"],
    ]);
  });

  const FILE = `host h { }
host n2 { }
vm v on h { }
checkpoint snap of v { }
monitor m for v {
  rule r on open then deny(13)
}
scenario "s" {
  at 0 ms checkpoint snap
  at 1 ms restore snap as v2 on n2
}
`;
  const broken = (from: string, to: string) => { assert.ok(FILE.includes(from)); return FILE.replace(from, to); };
  test('the base file is valid', () => assert.deepEqual(seen(FILE), []));
  test('a restore step without `as NAME`', () => {
    assert.deepEqual(seen(broken('restore snap as v2 on n2', 'restore snap on n2')), [
      ['VMS000', 10, 24, 'on', "a restore step names the VM it brings back: write 'restore snap as NAME on n2'"],
    ]);
  });
  test('deny without parentheses, as a rule action and as the default', () => {
    assert.deepEqual(seen(broken('deny(13)', 'deny 13')), [
      ['VMS000', 6, 28, '13', "the return code of deny goes in parentheses: write 'deny(13)'"],
    ]);
    assert.deepEqual(seen(broken('  rule r', '  default deny 1\n  rule r')), [
      ['VMS000', 6, 16, '1', "the return code of deny goes in parentheses: write 'deny(1)'"],
    ]);
    // Neither form: the message still asks for the parenthesis.
    assert.deepEqual(seen(broken('deny(13)', 'deny')), [['VMS000', 7, 1, '}', "expected '(' but found '}'"]]);
  });
  test('a monitor written with `on` instead of `for`', () => {
    assert.deepEqual(seen(broken('monitor m for v {', 'monitor m on v {')), [
      ['VMS000', 5, 11, 'on', "a monitor names the VMs it watches with 'for', not 'on': write 'monitor m for v'"],
    ]);
  });
});

describe('recovery does not take the next property as a value', () => {
  test('a string where a name is due is not dropped to read the next property word as the name', () => {
    const text = `${BASE}host h2 { tpm "ecdsa-p256" boot good }
vm app on h1 { }
fork clone of app {
  integrity "per-page"
  encrypt
}
`;
    // The broken property is left out (and recorded as written); the next one is read.
    assert.deepEqual(shape(text).slice(2), ['host h2: boot', 'vm app: ', 'fork clone: encrypt']);
    assert.deepEqual(parse(text).decls.slice(2).map((d) => d.broken), [['tpm'], undefined, ['integrity']]);
    assert.deepEqual(seen(text), [
      ['VMS000', 3, 15, '"ecdsa-p256"', 'expected a name but found \'"ecdsa-p256"\''],
      ['VMS000', 6, 13, '"per-page"', 'expected a name but found \'"per-page"\''],
    ]);
  });
  test('a misspelt keyword is replaced, not assumed missing: the words after it keep their places', () => {
    const text = `${BASE}vm app on h1 { }\ncheckpoint snap of app { }\nscenario "s" {\n  at 0 ms checkpoint snap\n  at 1 ms restore snap sa v2 on h1\n}\n`;
    assert.deepEqual(seen(text), [['VMS000', 7, 24, 'sa', "expected 'as' but found 'sa' — did you mean 'as'?"]]);
    const s = parse(text).decls.find((d): d is A.ScenarioDecl => d.kind === 'scenario')!;
    const step = s.items[1] as Extract<A.ScenarioItem, { key: 'step' }>;
    assert.deepEqual(step.body.kind === 'restore' && [step.body.checkpoint.text, step.body.as.text, step.body.host.text], ['snap', 'v2', 'h1']);
  });
});

describe('what a review found in the recovery rules', () => {
  test('an unknown property\'s value is not a second unknown property, and warnings about other things stay', () => {
    const text = 'host h1 { }\nvm web on h1 { process db { confidential } }\ncheckpoint c of web {\n  dsik include\n}\n';
    const found = seen(text);
    assert.deepEqual(found.filter((d) => d[0] === 'VMS000').map((d) => [d[1], d[2], d[3]]), [[4, 3, 'dsik']]);
    assert.ok(found.some((d) => d[0] === 'VMS030'), JSON.stringify(found));
    assert.deepEqual(seen('host h { }\nattacker a { tpa vm2 }\n').filter((d) => d[0] === 'VMS000').map((d) => d[3]), ['tpa']);
  });
  test('a step line with a misspelt `at` is one error, not one per word that looks like `at`', () => {
    const text = 'host h1 { }\nvm web on h1 { }\ncheckpoint safe of web { }\nscenario "s" {\n  t 1100 ms restore safe as clinic2 on h1\n}\n';
    assert.deepEqual(seen(text).filter((d) => d[0] === 'VMS000').map((d) => [d[1], d[3]]), [[5, 't']]);
  });
  test('a name one letter from a two-letter keyword is a name: `restore snap a1 on t1` is one error', () => {
    const text = `host h1 { cpus 2 }
host t1 { cpus 2 }
link h1 <-> t1 { }
vm web on h1 { memory 64 MiB }
checkpoint snap of web { to "s.ckpt" }
scenario "s" {
  at 1 ms checkpoint snap
  at 5 ms restore snap a1 on t1
  at 6 ms migrate web t1
}
`;
    assert.deepEqual(seen(text).filter((d) => d[0] === 'VMS000').map((d) => [d[1], d[2], d[3]]), [[8, 24, 'a1'], [9, 23, 't1']]);
  });
  test('`monitor m on web,` suggests `for web`, without the comma recovery left', () => {
    const found = seen('host h1 { }\nvm web on h1 { }\nmonitor m on web, {\n}\n').filter((d) => d[0] === 'VMS000');
    assert.ok(found.some((d) => d[4].includes("write 'monitor m for web'")), JSON.stringify(found));
  });
});

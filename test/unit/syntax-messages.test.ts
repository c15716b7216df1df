// One clear error per newcomer mistake, not a cascade: each case asserts the
// whole list of diagnostics a user sees for the file (code, line, column,
// the text it covers, the message).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check } from '../helpers';
import { lex, parse } from '../../grammar/src/parse';
import { reparse } from '../../server/src/model/incremental';
import { parseSource } from '../../server/src/model/source-file';

/** A small valid file; each case breaks one line of it. */
const FILE = `boot good { pcr 0 "fw" }
host h1 { cpus 16 memory 64 GiB tpm ecdsa-p256 boot good }
host h2 { cpus 16 memory 64 GiB tpm ecdsa-p256 boot good }
link h1 <-> h2 { bandwidth 10 Gbps latency 100 us }
vm app on h1 {
  memory 512 MiB
  vtpm
  process server { memory 128 MiB file "/srv" }
}
fork clone of app { children 2 on h2 attest hosts against good integrity per-page }
monitor watch for app {
  default allow
  rule secrets on open when fileEq(0, "/etc/shadow") then deny(13)
  rule beacon on connect when ip(203.0.113.0/24) or port(4444) then killProc
  escalate 4 violations within 5 s then terminate
}
scenario "s" {
  seed 3
  at 0 ms fork clone
  at 100 ms syscall app server open("/etc/shadow")
  expect watch denies == 1
  expect clone ready within 2 s
  expect app is running
}
`;

/** FILE with the first occurrence of `from` replaced by `to` (which must be there). */
function broken(from: string, to: string): string {
  assert.ok(FILE.includes(from), from);
  return FILE.replace(from, to);
}

type Seen = [code: string, line: number, col: number, text: string, message: string];
function seen(text: string): Seen[] {
  return check(text).map((d) => [d.code, d.line, d.col, d.text, d.message]);
}

test('the base file is valid', () => assert.deepEqual(seen(FILE), []));

describe('a misspelt declaration keyword', () => {
  test('one error with a did-you-mean; the declaration is read as the one meant', () => {
    assert.deepEqual(seen(broken('host h2', 'hots h2')), [
      ['VMS000', 3, 1, 'hots', "unknown declaration 'hots' — did you mean 'host'?"],
    ]);
  });
  test('a word like no declaration: its whole block is skipped, braces balanced', () => {
    const text = 'frob h2 { cpus 2 boot good { } memory 1 GiB }\nhost h3 { cpus 2 }\n';
    const doc = parse(text);
    assert.deepEqual(doc.problems.map((p) => [text.slice(p.span.start, p.span.end), p.message]), [
      ['frob', "unknown declaration 'frob'; a declaration starts with one of: import, boot, host, link, network, vm, fork, monitor, checkpoint, authority, certificate, share, attacker, scenario"],
    ]);
    assert.deepEqual(doc.decls.map((d) => `${d.kind} ${'name' in d ? d.name.text : ''}`), ['host h3']);
  });
  test('a declaration keyword at the start of a line ends the skip of an unclosed block', () => {
    const text = 'frob h2 { cpus 2\nhost h3 { cpus 2 }\n';
    assert.deepEqual(parse(text).decls.map((d) => d.kind), ['host']);
  });
  test('an edit inside a misspelt declaration reparses as the full parse does', () => {
    const pad = `// ${'x'.repeat(5000)}\n`;
    const before = `${pad}host h1 { }\nhots h2 { cpus 2 }\nhost h3 { }\n`;
    const after = before.replace('cpus 2', 'cpus 3');
    assert.deepEqual(reparse(parseSource('/m.vmsec', before), after).doc, parse(after));
    const fixed = before.replace('host h1 { }', 'host h1 { cpus 1 }');
    assert.deepEqual(reparse(parseSource('/m.vmsec', before), fixed).doc, parse(fixed));
  });
});

describe('an unknown unit: one error at the unit, no "plain number"', () => {
  const cases: [string, string, number, number, string, string][] = [
    ['memory 512 MiB', 'memory 512 mib', 6, 14, 'mib', "unknown unit 'mib' — units are case-sensitive: did you mean 'MiB'?"],
    ['memory 512 MiB', 'memory 512 Mb', 6, 14, 'Mb', "unknown unit 'Mb' — units are case-sensitive: did you mean 'MiB' (2^20 bytes) or 'MB' (10^6 bytes)?"],
    ['bandwidth 10 Gbps', 'bandwidth 10 gbps', 4, 31, 'gbps', "unknown unit 'gbps' — units are case-sensitive: did you mean 'Gbps'?"],
    ['bandwidth 10 Gbps', 'bandwidth 10 Gb/s', 4, 31, 'Gb/s', "unknown unit 'Gb/s' — units are case-sensitive: did you mean 'Gbps' (bits per second) or 'GB/s' (bytes per second)?"],
    ['latency 100 us', 'latency 100 msec', 4, 48, 'msec', "unknown unit 'msec' — did you mean 'ms'?"],
    ['latency 100 us', 'latency 100 µs', 4, 48, 'µs', "unknown unit 'µs' — did you mean 'us'?"],
    ['within 5 s then', 'within 5 sec then', 15, 34, 'sec', "unknown unit 'sec' — did you mean 's'?"],
    ['ready within 2 s', 'ready within 2 seconds', 22, 31, 'seconds', "unknown unit 'seconds' — did you mean 's'?"],
  ];
  for (const [from, to, line, col, text, message] of cases) {
    test(to, () => assert.deepEqual(seen(broken(from, to)), [['VMS000', line, col, text, message]]));
  }
  test('a bare number with no word after it still needs its unit (VMS003)', () => {
    assert.deepEqual(seen(broken('memory 512 MiB', 'memory 512')), [
      ['VMS003', 6, 10, '512', "vm memory needs a size such as 4 GiB; '512' is a plain number"],
    ]);
  });
});

describe('a mistake in the middle of a line is reported once', () => {
  const cases: [string, string, Seen[]][] = [
    ['expect watch denies == 1', 'expect watch denied == 1', [['VMS000', 21, 16, 'denied',
      "expected 'ready', 'pages', 'denies', 'kills', 'allows', 'is', 'excludes', 'never', … but found 'denied' — did you mean 'denies'?"]]],
    ['expect app is running', 'expect app running', [['VMS000', 23, 14, 'running',
      "expected 'ready', 'pages', 'denies', 'kills', 'allows', 'is', 'excludes', 'never', … but found 'running' — did you mean 'is running'?"]]],
    ['then killProc', 'then kill', [['VMS000', 14, 69, 'kill',
      "expected 'allow', 'killProc', 'pause', 'terminate', 'deny', 'policyChange' or 'migrate' but found 'kill' — did you mean 'killProc'?"]]],
    ['or port(4444)', '|| port(4444)', [['VMS000', 14, 50, '||', 'unexpected character "|" — conditions are joined with \'or\'']]],
    ['fileEq(0, "/etc/shadow")', 'fileEq("/etc/shadow")', [['VMS000', 13, 36, '"/etc/shadow"', 'expected a number but found \'"/etc/shadow"\'']]],
    // The attest property was written, only not read: no VMS011 "left out" warning besides the error.
    ['attest hosts against good', 'attest against good hosts', [['VMS000', 10, 45, 'against', "expected 'hosts' or 'vtpm' but found 'against'"]]],
    ['open("/etc/shadow")', 'open(/etc/shadow)', [['VMS000', 20, 37, '/etc/shadow', 'unquoted path \'/etc/shadow\': a path is a string — write "/etc/shadow"']]],
  ];
  for (const [from, to, want] of cases) test(to, () => assert.deepEqual(seen(broken(from, to)), want));
  test('a missing `{` is one error, not also an unknown property at the next word', () => {
    assert.deepEqual(seen(broken('monitor watch for app {', 'monitor watch for app shop {')), [
      ['VMS000', 11, 23, 'shop', "expected '{' but found 'shop'"],
    ]);
  });
  test("after a stray character, a problem at the next declaration's keyword is its own", () => {
    const text = 'host a { cpus 1 @ host b { }';
    assert.deepEqual(parse(text).problems.map((p) => [text.slice(p.span.start, p.span.end), p.message]), [
      ['@', 'unexpected character "@"'],
      ['host', "expected '}' but found 'host'"],
    ]);
  });
  test('an unquoted path is one lexing problem, not one per slash', () => {
    const text = 'scenario "s" { at 0 ms syscall v p open(/a/b/c) }';
    const lexed = lex(text);
    assert.deepEqual([lexed.problems.map((p) => text.slice(p.span.start, p.span.end)), lexed.unshown], [['/a/b/c'], 0]);
  });
  test('two mistakes on two lines are both reported', () => {
    assert.deepEqual(seen(broken('expect watch denies == 1\n  expect clone ready within 2 s', 'expect watch denied == 1\n  expect clone redy within 2 s')).map((d) => [d[1], d[3]]), [[21, 'denied'], [22, 'redy']]);
  });
});

describe('a step written without `at` first', () => {
  test('one error showing the step in order', () => {
    assert.deepEqual(seen(broken('at 0 ms fork clone', 'fork clone at 0 ms')), [
      ['VMS000', 19, 3, 'fork', "a step starts with 'at TIME': write 'at 0 ms fork clone'"],
    ]);
  });
  test('any step word, with or without a time on the line', () => {
    assert.deepEqual(seen(broken('at 100 ms syscall app server open("/etc/shadow")', 'syscall app server open("/etc/shadow")')), [
      ['VMS000', 20, 3, 'syscall', 'a step starts with \'at TIME\': write \'at 0 ms syscall app server open("/etc/shadow")\''],
    ]);
  });
});

describe('found by a hunt in the first version', () => {
  test('a misspelt property after a plain number stays a misspelt property, not a unit', () => {
    assert.deepEqual(seen(broken('children 2 on h2', 'children 2 ons h2')).filter((d) => d[0] === 'VMS000').map((d) => [d[3], d[4].split(';')[0]]), [
      ['ons', "unknown fork property 'ons' — did you mean 'on'?"],
    ]);
  });
  test('more unquoted paths than the cap: 200 shown and the rest counted as problems, not as lexer errors (it crashed)', () => {
    const many = (n: number) => parse('/a/b\n'.repeat(n)).problems;
    assert.deepEqual([many(150).length, many(150).every((p) => p.more === undefined)], [150, true]);
    const capped = many(300);
    assert.deepEqual([capped.length, capped[200].more, capped[199].message], [201, 100, 'unquoted path \'/a/b\': a path is a string — write "/a/b"']);
  });
});

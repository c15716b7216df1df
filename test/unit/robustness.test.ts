// Never crash, never hang, nothing quadratic: the parser and validator on
// random and hostile input. Each case asserts the diagnostics a user sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { check } from '../helpers';
import { KEYWORDS } from '../../grammar/src/tokens';
import { lex, parse } from '../../grammar/src/parse';
import { CODES } from '../../server/src/model/diagnostics';

const PIECES = [
  ...KEYWORDS, '{', '}', '(', ')', '[', ']', ',', '->', '<->', '==', '<', '0', '1', '3', '24', '4 KiB', '1 GiB', '2 s', '15%',
  '1 Gbps', '"x"', '"/a\\q"', '10.0.0.0/24', '1.2.3.4', 'h', 'v', 'f', 'm', 'a', `sha256:${'ab'.repeat(32)}`, '@', '\u00a0',
  '"open', '/*', '//x\n', '\n', '9'.repeat(30),
];
const PREFIXES = [
  '', 'scenario "s" { at 0 ms ', 'scenario "s" { expect ', 'scenario "s" { at 0 ms syscall ', 'monitor m for v { rule r on open when ',
  'vm w on h { ', 'fork g of v { ', 'attacker e { ', 'checkpoint c of v { ',
];
const SETUP = 'host h { } vm v on h { process p { } } fork f of v { children 2 } ';

/** Validates and checks what every diagnostic must be: a known code on a span inside the text. */
function sane(text: string): void {
  const found = check(text);
  for (const d of found) {
    assert.ok(d.code in CODES, d.code);
    assert.ok(d.line >= 1 && d.col >= 1, JSON.stringify(d));
    assert.equal(typeof d.message, 'string');
  }
}

test('token soups never make the parser or validator throw', () => {
  fc.assert(fc.property(fc.constantFrom(...PREFIXES), fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), (pre, words) => {
    sane(SETUP + pre + words.join(' '));
  }), { numRuns: 400, seed: 9 });
});

test('mutated samples never make the parser or validator throw', () => {
  const dir = new URL('../../samples/', import.meta.url);
  const samples = readdirSync(dir).filter((f) => f.endsWith('.vmsec')).map((f) => readFileSync(new URL(f, dir), 'utf8'));
  fc.assert(fc.property(fc.nat(samples.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.constantFrom('', ...PIECES)), { minLength: 1, maxLength: 4 }), (i, edits) => {
    let text = samples[i];
    for (const [at, len, insert] of edits) { const p = at % (text.length + 1); text = text.slice(0, p) + insert + text.slice(p + len); }
    sane(text);
  }), { numRuns: 60, seed: 4 });
});

test('5,000 stray characters: the first 200 problems are made, the rest only counted', () => {
  const text = 'host h { }\n' + 'a@'.repeat(5000);
  const lexed = lex(text, 0, 3);
  assert.deepEqual([lexed.problems.map((p) => [p.message, p.span.start]), lexed.unshown], [[['unexpected character "@"', 12], ['unexpected character "@"', 14], ['unexpected character "@"', 16]], 4997]);
  const found = parse(text).problems;
  assert.equal(found.length, 201);
  // One for the first stray `a`, one per `@`: the same count as when every problem was made.
  assert.deepEqual([found[200].message, found[200].span.start, found[200].more], ['4801 more syntax problems not shown; fix the ones above first', 408, 4801]);
});

test('a reference `name [` without an index is a syntax error, not a crash', () => {
  const found = check('host h { } vm v on h { } scenario "s" { at 0 ms syscall x [ p open() }');
  assert.deepEqual(found.map((d) => [d.code, d.text, d.line, d.col, d.message]), [['VMS000', 'p', 1, 61, "expected a number but found 'p'"]]);
});

test('150,000 duplicate declarations: 500 diagnostics and one saying how many more', () => {
  const found = check('host a { }\n'.repeat(150_000));
  assert.equal(found.length, 501);
  assert.deepEqual(found.slice(0, 500).map((d) => d.code), Array(500).fill('VMS002'));
  assert.deepEqual([found[0].line, found[0].message], [2, "'a' is already declared as a host (line 1); names must be unique — rename one"]);
  const last = found[500];
  assert.deepEqual([last.code, last.severity, last.line, last.message], ['VMS009', 'info', 501, '149499 more problems not shown (149499 errors); fix the ones above first']);
});

test('errors are kept before warnings when the diagnostics are capped', () => {
  // 600 shadowed rules (warnings) first, then one error at the end of the file.
  const rules = Array.from({ length: 601 }, (_, i) => `rule r${i} on open then allow`).join('\n');
  const found = check(`host h { } vm v on h { }\nmonitor m for v {\n${rules}\n}\nhost h2 { cpus 0 }`);
  assert.equal(found.length, 501);
  assert.deepEqual(found.filter((d) => d.severity === 'error').map((d) => [d.code, d.text]), [['VMS003', '0']]);
  assert.equal(found[500].message, '101 more problems not shown (101 warnings); fix the ones above first');
});

test('a 50,000-character name gets no did-you-mean, and no quadratic search', () => {
  const long = 'b'.repeat(50_000);
  const found = check(`host ${'b'.repeat(49_999)}c { }\nvm v on ${long} { }`);
  assert.deepEqual(found.map((d) => [d.code, d.line, d.col]), [['VMS001', 2, 9]]);
  assert.equal(found[0].message, `host '${long}' is not declared; declare it with \`host ${long} …\``);
});

test('did-you-mean still finds a close name among many', () => {
  const hosts = Array.from({ length: 5000 }, (_, i) => `host node${i} { }`).join('\n');
  const found = check(`${hosts}\nhost storage-main { }\nvm v on storage-mian { }`);
  assert.deepEqual(found.map((d) => [d.code, d.message]), [['VMS001', "host 'storage-mian' is not declared — did you mean 'storage-main'?"]]);
});

test('a 20,000-rule monitor: each shadowed rule is found through the index', () => {
  const rules = Array.from({ length: 20_000 }, (_, i) => `rule r${i} on open${i % 3 === 0 ? ', read' : ''} when fileEq(0, "/x${i % 19_600}") then allow`).join('\n');
  const found = check(`host h { } vm v on h { } monitor m for v {\n${rules}\n}`);
  // Rules 19600…19999 repeat the paths of rules 0…399; a shadowing rule must cover all calls too, so
  // those on `open, read` (i % 3 == 0) are not shadowed by theirs (on `open` alone, as 19600 % 3 == 1).
  const expected = Array.from({ length: 400 }, (_, k) => 19_600 + k).filter((i) => i % 3 !== 0);
  assert.deepEqual(found.map((d) => d.text), expected.map((i) => `r${i}`));
  assert.equal(found[0].message, "rule 'r19600' can never fire: rule 'r0' (line 2) matches all its events first; move it above 'r0' or narrow 'r0'");
  assert.ok(found.every((d) => d.code === 'VMS020'));
});

test('a file prefix shadows the paths below it; a compound condition under an earlier predicate too', () => {
  const found = check(`host h { } vm v on h { } monitor m for v {
    rule t on execve when filePrefix(0, "/tmp/") then killProc
    rule u on execve when fileEq(0, "/tmp/x") then deny(1)
    rule w on execve when fileEq(0, "/tmp/y") and port(1) then deny(1)
    rule z on execve when fileEq(0, "/etc/x") then deny(1)
  }`);
  assert.deepEqual(found.map((d) => [d.code, d.text, d.line]), [['VMS020', 'u', 3], ['VMS020', 'w', 4]]);
});

test('a condition nested 60 deep validates, and shadowing is still found', () => {
  const deep = (leaf: (i: number) => string) => {
    let c = leaf(0);
    for (let i = 1; i <= 60; i++) c = `(${c} ${i % 2 ? 'and' : 'or'} ${leaf(i)})`;
    return c;
  };
  const a = deep((i) => `port(${i})`);
  const b = deep((i) => `port(${i + 1000})`);
  const found = check(`host h { } vm v on h { } monitor m for v {\nrule a on open when ${b} then allow\nrule b on open when ${a} then allow\nrule c on open when ${a} then deny(1)\n}`);
  assert.deepEqual(found.map((d) => [d.code, d.text, d.line]), [['VMS020', 'c', 4]]);
  assert.match(found[0].message, /rule 'b' \(line 3\) matches all its events first/);
});

test('an unknown escape is a located warning (VMS005); known escapes are not', () => {
  const text = 'host h { } vm v on h { process p { file "C:\\data\\u1" file "a\\"b\\\\c\\nd\\te" } }';
  const found = check(text);
  assert.deepEqual(found.map((d) => [d.code, d.severity, d.text, d.col]), [['VMS005', 'warning', '\\d', 44], ['VMS005', 'warning', '\\u', 49]]);
  assert.equal(found[0].message, "unknown escape '\\d' in a string; it stands for 'd' — write 'd' alone, or '\\\\' for a backslash");
});

test('a byte order mark at the start is not an error', () => {
  assert.deepEqual(check('\ufeffhost h { }').map((d) => d.code), []);
});

test('a list of 150,000 names is read without spreading it onto the stack', () => {
  const found = check(`network net { hosts ${Array.from({ length: 150_000 }, (_, i) => `h${i}`).join(', ')} }`);
  assert.equal(found.length, 501);
  assert.deepEqual([found[0].code, found[0].message], ['VMS001', "host 'h0' is not declared; declare it with `host h0 …`"]);
  assert.equal(found[500].message, '149500 more problems not shown (149500 errors); fix the ones above first');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lex } from '../../grammar/src/parse';
import { parseQuantity } from '../../grammar/src/literals';

const kinds = (text: string) => lex(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

test('quantities carry their unit and canonical value', () => {
  const q = (t: string) => parseQuantity(t, { start: 0, end: t.length });
  assert.deepEqual([q('4 KiB').kind, q('4 KiB').value], ['size', 4096]);
  assert.equal(q('2 GiB').value, 2 * 1024 ** 3);
  assert.equal(q('1 GB').value, 1e9);
  assert.deepEqual([q('1 Gbps').kind, q('1 Gbps').value], ['rate', 1e9]);
  assert.deepEqual([q('10 MiB/s').kind, q('10 MiB/s').value], ['rate', 8 * 10 * 1024 ** 2]);
  assert.deepEqual([q('250 us').kind, q('250 us').value], ['duration', 250]);
  assert.equal(q('5 ms').value, 5000);
  assert.equal(q('2 s').value, 2e6);
  assert.equal(q('1 min').value, 60e6);
  assert.equal(q('1 h').value, 3600e6);
  assert.deepEqual([q('15%').kind, q('15%').value], ['percent', 15]);
  assert.equal(q('1_000_000').value, 1e6);
  assert.equal(q('0.5').value, 0.5);
});

test('a number and its unit form one token only on one line', () => {
  assert.deepEqual(kinds('memory 4 KiB'), ['KW_memory:memory', 'Quantity:4 KiB']);
  assert.deepEqual(kinds('children 6\n s'), ['KW_children:children', 'Quantity:6', 'Identifier:s']);
  assert.deepEqual(kinds('4 KiBs'), ['Quantity:4', 'Identifier:KiBs']);
});

test('addresses, CIDRs and digests', () => {
  const hex = 'ab'.repeat(32);
  assert.deepEqual(kinds(`ip(203.0.113.9) 10.0.0.0/24 sha256:${hex}`), [
    'KW_ip:ip', 'LParen:(', 'Ipv4:203.0.113.9', 'RParen:)', 'Cidr:10.0.0.0/24', `Digest:sha256:${hex}`,
  ]);
  // A digest of the wrong length is not a digest.
  assert.equal(kinds('sha256:abcd')[0], 'Identifier:sha256');
});

test('identifiers may contain hyphens but not dots; -> still splits', () => {
  assert.deepEqual(kinds('xen-stack tmp-exec'), ['Identifier:xen-stack', 'Identifier:tmp-exec']);
  assert.deepEqual(kinds('ecdsa-p256 os-level'), ['KW_ecdsa-p256:ecdsa-p256', 'KW_os-level:os-level']);
  assert.deepEqual(kinds('a->b'), ['Identifier:a', 'Arrow:->', 'Identifier:b']);
  assert.deepEqual(kinds('a<->b'), ['Identifier:a', 'BiArrow:<->', 'Identifier:b']);
  // A dot ends an identifier: `xen-4.17` is not one name.
  assert.deepEqual(kinds('xen-4.17'), ['Identifier:xen-4', 'Quantity:17']);
  assert.deepEqual(lex('xen-4.17').problems, [{ message: 'unexpected character "."', span: { start: 5, end: 6 } }]);
});

test('comments are kept aside, strings unescape, comparisons lex', () => {
  const r = lex('// line\nhost /* block */ a "q\\"x" >= != <');
  assert.deepEqual(r.comments.map((c) => c.block), [false, true]);
  assert.deepEqual(r.tokens.map((t) => t.tokenType.name), ['KW_host', 'Identifier', 'StringLit', 'Cmp', 'Cmp', 'Cmp']);
});

test('a block comment never closed runs to the end: one located problem, the rest is not read as code', () => {
  const text = 'host a { }\n/* note\nhost b { @ }\n';
  const r = lex(text);
  assert.deepEqual(r.tokens.map((t) => t.image), ['host', 'a', '{', '}']);
  assert.deepEqual(r.comments.map((c) => [c.block, c.span.start, c.span.end]), [[true, 11, text.length]]);
  assert.deepEqual(r.problems.map((p) => [p.message, p.span.start, p.span.end]), [['unterminated block comment: this `/*` is never closed by `*/`, so the rest of the file is a comment', 11, 13]]);
  // `/*/` does not close itself; `/**/` is a whole comment.
  assert.equal(lex('/*/').problems.length, 1);
  assert.equal(lex('/**/').problems.length, 0);
});

test('digits group by single underscores between digits only', () => {
  assert.deepEqual(kinds('1_000_000 2.5_0'), ['Quantity:1_000_000', 'Quantity:2.5_0']);
  assert.deepEqual(kinds('1__0'), ['Quantity:1', 'Identifier:__0']);
  assert.deepEqual(kinds('1_'), ['Quantity:1', 'Identifier:_']);
});

test('bad characters are located problems, not crashes', () => {
  const r = lex('host a { @ }');
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].span.start, 9);
  assert.match(r.problems[0].message, /unexpected character "@"/);
});

test('a byte order mark at the start is whitespace; anywhere else it is named', () => {
  const r = lex('\ufeffhost a { }');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.tokens.map((t) => [t.image, t.startOffset]), [['host', 1], ['a', 6], ['{', 8], ['}', 10]]);
  assert.deepEqual(lex('host \ufeff a').problems, [{ message: 'unexpected character U+FEFF (zero width no-break space, a byte order mark)', span: { start: 5, end: 6 } }]);
});

test('invisible and look-alike characters are reported by code point', () => {
  const problem = (text: string) => lex(text).problems.map((p) => [p.message, p.span.start, p.span.end]);
  assert.deepEqual(problem('host\u00a0a { }'), [['unexpected character U+00A0 (no-break space)', 4, 5]]);
  assert.deepEqual(problem('host a { \u200b }'), [['unexpected character U+200B (zero width space)', 9, 10]]);
  assert.deepEqual(problem('host a {\u2028}'), [['unexpected character U+2028 (line separator)', 8, 9]]);
  assert.deepEqual(problem('host a {\u2029}'), [['unexpected character U+2029 (paragraph separator)', 8, 9]]);
  assert.deepEqual(problem('host a { \u0001 }'), [['unexpected character U+0001 (a control character)', 9, 10]]);
  assert.deepEqual(problem('share \u201cx\u201d between a, b'), [['unexpected character U+201C (left double quotation mark; use a straight quote ")', 6, 7], ['unexpected character U+201D (right double quotation mark; use a straight quote ")', 8, 9]]);
  assert.deepEqual(problem('host \u00e9 { }'), [['unexpected character "\u00e9" (U+00E9)', 5, 6]]);
  assert.deepEqual(problem('host a { \u{1F600} }'), [['unexpected character "\u{1F600}" (U+1F600)', 9, 11]]);
});

test('a block comment between a number and its unit is whitespace; one with a line break still splits them', () => {
  assert.deepEqual(kinds('memory 4 /*c*/ GiB'), ['KW_memory:memory', 'Quantity:4 /*c*/ GiB']);
  assert.deepEqual(kinds('10 /* a **/ /**/MiB/s'), ['Quantity:10 /* a **/ /**/MiB/s']);
  assert.deepEqual(kinds('4 /* a\n */ GiB'), ['Quantity:4', 'Identifier:GiB']);
  // Not followed by a unit: the comment stays a comment.
  assert.deepEqual([kinds('cpus 4 /*c*/ memory'), lex('cpus 4 /*c*/ memory').comments.map((c) => c.text)], [['KW_cpus:cpus', 'Quantity:4', 'KW_memory:memory'], ['/*c*/']]);
  const q = (t: string) => parseQuantity(t, { start: 0, end: t.length });
  assert.deepEqual([q('4 /*c*/ GiB').unit, q('4 /*c*/ GiB').value], ['GiB', 4 * 1024 ** 3]);
  assert.deepEqual([q('10 /* a **/ /**/MiB/s').unit, q('10 /* a **/ /**/MiB/s').kind], ['MiB/s', 'rate']);
});

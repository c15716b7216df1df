// The test client's own arithmetic (no server spawned): `applyEdits` and
// `pos` count lines as LSP does — `\r\n`, `\r` and `\n` are each one line
// break — so rename, formatting and quick-fix tests on CR and CRLF documents
// compare with the text an editor would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TextEdit } from 'vscode-languageserver-protocol';
import { applyEdits, pos } from './client';

const at = (line: number, character: number) => ({ line, character });
const edit = (sl: number, sc: number, el: number, ec: number, newText: string): TextEdit => ({ range: { start: at(sl, sc), end: at(el, ec) }, newText });

test('applyEdits counts a lone CR as a line break (old Mac line ends)', () => {
  const text = 'host a { }\rvm v on a { }\rvm w on a { }\r';
  // `a` of `on a` on lines 1 and 2, renamed to `alpha`.
  assert.equal(applyEdits(text, [edit(1, 8, 1, 9, 'alpha'), edit(2, 8, 2, 9, 'alpha')]), 'host a { }\rvm v on alpha { }\rvm w on alpha { }\r');
});

test('applyEdits counts CRLF as one line break, in documents that mix all three', () => {
  const text = 'host a { }\r\nvm v on a { }\rvm w on a { }\nvm x on a { }\r\n';
  const out = applyEdits(text, [edit(0, 5, 0, 6, 'b'), edit(1, 8, 1, 9, 'b'), edit(2, 8, 2, 9, 'b'), edit(3, 8, 3, 9, 'b')]);
  assert.equal(out, 'host b { }\r\nvm v on b { }\rvm w on b { }\nvm x on b { }\r\n');
  // An edit across a CRLF removes the whole break; an insert at the start of the line after it lands after both characters.
  assert.equal(applyEdits('ab\r\ncd', [edit(0, 2, 1, 0, ' ')]), 'ab cd');
  assert.equal(applyEdits('ab\r\ncd', [edit(1, 0, 1, 0, '>')]), 'ab\r\n>cd');
});

test('applyEdits clamps positions past a line end or the last line, as the specification says', () => {
  // Past the end of a CRLF line: the end of that line's text, before its break.
  assert.equal(applyEdits('ab\r\ncd', [edit(0, 99, 0, 99, 'X')]), 'abX\r\ncd');
  assert.equal(applyEdits('ab\rcd', [edit(0, 99, 0, 99, 'X')]), 'abX\rcd');
  // Past the last line: the end of the text.
  assert.equal(applyEdits('ab\ncd', [edit(0, 1, 7, 0, '')]), 'a');
});

test('applyEdits keeps the array order of inserts at one position, and refuses overlapping edits', () => {
  assert.equal(applyEdits('host h { }\n', [edit(0, 9, 0, 9, 'cpus 2 '), edit(0, 9, 0, 9, 'memory 1 GiB ')]), 'host h { cpus 2 memory 1 GiB }\n');
  assert.equal(applyEdits('abcdef', [edit(0, 4, 0, 6, 'X'), edit(0, 0, 0, 2, 'Y')]), 'YcdX');
  assert.throws(() => applyEdits('abcdef', [edit(0, 0, 0, 3, 'X'), edit(0, 2, 0, 4, 'Y')]), /overlapping edits/);
});

test('pos counts CR and CRLF as line breaks', () => {
  assert.deepEqual(pos('host a { }\r\nvm v on a { }', 'vm v'), at(1, 0));
  assert.deepEqual(pos('host a { }\rvm v on a { }\rvm w', 'vm w', 3), at(2, 3));
  assert.deepEqual(pos('a\r\nb\rc\nd', 'd'), at(3, 0));
});

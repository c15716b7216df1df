// Start-up shortcuts in tokens.ts, held to what they replace: the keywords
// join the Identifier category in one pass (createToken's categories are
// quadratic in their number) and must end up as createToken leaves them; each
// pattern names its first characters (so the lexer need not analyse it) and
// must name exactly those it can start with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken, Lexer, tokenMatcher, type IToken, type TokenType } from 'chevrotain';
import { BlockComment, Identifier, KEYWORDS, KW, LineComment, StringLit, WhiteSpace } from '../../grammar/src/tokens';

// Chevrotain's own fields on a token type (not in its public typings).
const fields = (t: TokenType) => {
  const a = t as TokenType & { categoryMatches: number[]; categoryMatchesMap: Record<number, boolean>; isParent: boolean };
  return { CATEGORIES: a.CATEGORIES?.map((c) => c.name), matches: a.categoryMatches.length, map: Object.keys(a.categoryMatchesMap).length, isParent: a.isParent };
};
const tokenOf = (type: TokenType): IToken => ({ image: 'x', startOffset: 0, tokenType: type, tokenTypeIdx: type.tokenTypeIdx! } as IToken);

test('keywords are Identifier-category tokens, as createToken with categories makes them', () => {
  // The reference: the same shape built the ordinary way.
  const ident = createToken({ name: 'RefIdent', pattern: /[a-z]+/ });
  const refs = ['a', 'b', 'c'].map((w) => createToken({ name: `Ref_${w}`, pattern: Lexer.NA, categories: [ident], label: `'${w}'` }));
  const ref = fields(refs[0]);
  for (const word of KEYWORDS) {
    const kw = KW[word];
    assert.deepEqual(fields(kw), { ...ref, CATEGORIES: ['Identifier'] }, word);
    assert.equal(kw.LABEL, `'${word}'`);
    assert.ok(tokenMatcher(tokenOf(kw), Identifier), `${word} matches Identifier`);
    assert.ok(tokenMatcher(tokenOf(kw), kw));
    assert.ok(!tokenMatcher(tokenOf(Identifier), kw));
  }
  const refParent = fields(ident);
  assert.deepEqual({ isParent: refParent.isParent, matches: refParent.matches, map: refParent.map }, { isParent: true, matches: 3, map: 3 });
  const id = fields(Identifier);
  assert.deepEqual({ isParent: id.isParent, matches: id.matches, map: id.map }, { isParent: true, matches: KEYWORDS.length, map: KEYWORDS.length });
  const members = (Identifier as TokenType & { categoryMatches: number[] }).categoryMatches;
  assert.deepEqual(members, [...members].sort((a, b) => a - b), 'members by ascending index, as Chevrotain lists them');
  // Distinct keywords never match each other.
  assert.ok(!tokenMatcher(tokenOf(KW.host), KW.vm));
});

test('each start_chars_hint names exactly the characters its pattern can start with', () => {
  // A shortest rest of a match for each token, appended to the first character.
  const rests = new Map<TokenType, string>([[WhiteSpace, ''], [LineComment, '/'], [BlockComment, '**/'], [StringLit, '"'], [Identifier, '']]);
  for (const [type, rest] of rests) {
    const pattern = new RegExp((type.PATTERN as RegExp).source, 'y');
    const can: number[] = [];
    for (let c = 0; c < 0x10000; c++) {
      pattern.lastIndex = 0;
      if (pattern.test(String.fromCharCode(c) + rest)) can.push(c);
    }
    const hint = (type.START_CHARS_HINT ?? []).map((h) => (typeof h === 'string' ? h.charCodeAt(0) : h)).sort((a, b) => a - b);
    assert.deepEqual(hint, can, type.name);
  }
});

// Text → Document: lex, map keywords, parse with recovery, and gather every
// problem with its span. Never throws: any input gives a Document.
import { IToken, Lexer, tokenMatcher, TokenType } from 'chevrotain';
import type { Comment, Decl, Document, Span, SyntaxProblem } from './ast';
import { Identifier, KEYWORDS, KW, lexingTokens, LCurly, LParen, LSquare, Quantity, RCurly, RParen, RSquare, DECL_KEYWORDS, GRAMMAR_SELF_CHECKS } from './tokens';
import { atLineStart, lineBreakBetween, VmsecParser } from './parser';
import { closest, MAX_WORD } from './suggest';
import { expectedKeywordAt, unknownUnitMessage } from './messages';

/** Deeper nesting than this is cut off (and reported) so recursion stays bounded. */
export const MAX_NESTING = 64;
/** At most this many problems are reported per file; the rest are summarised. */
export const MAX_PROBLEMS = 200;

// Offsets only: line/column come from the LineIndex when (rarely) needed.
// The lexer's self-checks run under tests; the bundles skip them (start-up time).
// Messages are made from offsets below, so the lexer's own (one string per
// error: gigabytes for a file of stray characters) are one constant.
const lexer = new Lexer(lexingTokens, {
  ensureOptimizations: true, positionTracking: 'onlyOffset', skipValidations: !GRAMMAR_SELF_CHECKS,
  errorMessageProvider: { buildUnexpectedCharactersMessage: () => '', buildUnableToPopLexerModeMessage: () => '' },
});
let parser: VmsecParser | undefined;
// The word itself is kept too: a keyword token's image becomes this one
// string, so the copy the lexer made dies young instead of living on in the
// syntax tree (property keys are keyword images).
const keywordTypes = new Map<string, { type: TokenType; word: string }>(KEYWORDS.map((k) => [k, { type: KW[k], word: k }]));
const declTypes = DECL_KEYWORDS.map((k) => KW[k]);

/**
 * Lexes text and re-types keyword words; exported for the editor's tokens.
 * `base` is added to every offset (lexing a slice of a larger text). Only the
 * first `maxProblems` lexing problems are made; `unshown` counts the rest.
 */
export function lex(text: string, base = 0, maxProblems = Infinity): { tokens: IToken[]; comments: Comment[]; problems: SyntaxProblem[]; unshown: number; unclosed: boolean } {
  // A byte order mark at the very start is whitespace (editors strip it, so
  // `check` must not see it as an error); the same length keeps offsets.
  const result = lexer.tokenize(base === 0 && text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text);
  for (const t of result.tokens) {
    if (t.tokenType === Identifier) {
      const kw = keywordTypes.get(t.image);
      if (kw) { t.tokenType = kw.type; t.tokenTypeIdx = kw.type.tokenTypeIdx!; t.image = kw.word; }
    }
    if (base) t.startOffset += base;
  }
  const comments: Comment[] = (result.groups.comments ?? []).map((c) => ({
    text: c.image, span: { start: base + c.startOffset, end: base + c.startOffset + c.image.length }, block: c.image.startsWith('/*'),
  }));
  // Problems are made until there are maxProblems of them; the rest are only
  // counted (a file of stray characters has millions). The rest of an
  // unquoted path (`/etc/shadow`'s second `/`) is part of its one problem.
  const problems: SyntaxProblem[] = [];
  let unshown = 0;
  let pathEnd = -1;
  for (const e of result.errors) {
    if (e.offset < pathEnd) continue;
    const path = text.charAt(e.offset) === '/' ? /^\/[\w.\-/]+/.exec(text.slice(e.offset, e.offset + 4096)) : null;
    if (path) pathEnd = e.offset + path[0].length;
    if (problems.length >= maxProblems) { unshown++; continue; }
    if (path) {
      problems.push({ message: `unquoted path '${path[0]}': a path is a string — write "${path[0]}"`, span: { start: base + e.offset, end: base + pathEnd } });
      continue;
    }
    const what = text.charAt(e.offset) === '"' ? 'unterminated string' : `unexpected character ${describeChar(text, e.offset)}${OPERATOR_HINTS[text.charAt(e.offset)] ?? ''}`;
    problems.push({ message: what, span: { start: base + e.offset, end: base + e.offset + Math.max(1, e.length) } });
  }
  // Only the last comment can run to the end of the text.
  const last = comments[comments.length - 1];
  const unclosed = !!last && last.block && (last.text.length < 4 || !last.text.endsWith('*/'));
  if (unclosed) {
    problems.push({ message: 'unterminated block comment: this `/*` is never closed by `*/`, so the rest of the file is a comment', span: { start: last.span.start, end: last.span.start + 2 } });
    problems.sort((a, b) => a.span.start - b.span.start);
  }
  return { tokens: result.tokens, comments, problems, unshown, unclosed };
}

/** Operators of other languages, with the word vmsec uses. */
const OPERATOR_HINTS: Record<string, string> = {
  '|': " — conditions are joined with 'or'", '&': " — conditions are joined with 'and'", '=': " — compare with '=='; a property's value follows its word without '='",
};

/** Characters that are easy to paste and hard to see, named in messages. */
const CHAR_NAMES: Record<number, string> = {
  0x00a0: 'no-break space', 0x00ad: 'soft hyphen', 0x0085: 'next line', 0x1680: 'ogham space mark',
  0x2000: 'en quad', 0x2001: 'em quad', 0x2002: 'en space', 0x2003: 'em space', 0x2004: 'three-per-em space',
  0x2005: 'four-per-em space', 0x2006: 'six-per-em space', 0x2007: 'figure space', 0x2008: 'punctuation space',
  0x2009: 'thin space', 0x200a: 'hair space', 0x200b: 'zero width space', 0x200c: 'zero width non-joiner',
  0x200d: 'zero width joiner', 0x200e: 'left-to-right mark', 0x200f: 'right-to-left mark',
  0x2028: 'line separator', 0x2029: 'paragraph separator', 0x202f: 'narrow no-break space',
  0x205f: 'medium mathematical space', 0x2060: 'word joiner', 0x3000: 'ideographic space',
  0xfeff: 'zero width no-break space, a byte order mark', 0xfffd: 'replacement character',
  0x2018: 'left single quotation mark', 0x2019: 'right single quotation mark',
  0x201c: 'left double quotation mark; use a straight quote "', 0x201d: 'right double quotation mark; use a straight quote "',
};

/**
 * A character as a message shows it: printable ASCII quoted (`"@"`);
 * anything else by code point, with its name when it is a common invisible
 * or look-alike one (`U+00A0 (no-break space)`).
 */
export function describeChar(text: string, offset: number): string {
  const cp = text.codePointAt(offset) ?? 0;
  if (cp > 0x20 && cp < 0x7f) return JSON.stringify(String.fromCodePoint(cp));
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHAR_NAMES[cp] ?? (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) ? 'a control character' : undefined);
  if (name) return `${hex} (${name})`;
  // Other visible characters (letters of other scripts, symbols): show them too.
  return /\p{L}|\p{N}|\p{P}|\p{S}/u.test(String.fromCodePoint(cp)) ? `${JSON.stringify(String.fromCodePoint(cp))} (${hex})` : hex;
}

/** Drops tokens nested deeper than MAX_NESTING, reporting the first place. */
function limitNesting(tokens: IToken[], problems: SyntaxProblem[]): IToken[] {
  let depth = 0;
  let dropping = 0;
  let out: IToken[] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const opens = t.tokenType === LParen || t.tokenType === LCurly || t.tokenType === LSquare;
    const closes = t.tokenType === RParen || t.tokenType === RCurly || t.tokenType === RSquare;
    if (dropping > 0) {
      if (opens) dropping++;
      else if (closes) dropping--;
      continue;
    }
    if (opens && depth >= MAX_NESTING) {
      if (!out) {
        out = tokens.slice(0, i);
        problems.push({ message: `nesting deeper than ${MAX_NESTING} levels is not supported; the inner part is skipped`, span: { start: t.startOffset, end: t.startOffset + t.image.length } });
      }
      dropping = 1;
      continue;
    }
    if (opens) depth++;
    else if (closes && depth > 0) depth--;
    out?.push(t);
  }
  return out ?? tokens;
}

export function parse(text: string): Document {
  return parseRange(text, 0, text.length).doc;
}

/**
 * Parses `text[start, end)` with offsets into the whole text (for reparsing
 * the declarations an edit touched). `unfinished` counts declarations whose
 * closing brace was never read; `balanced` says the slice's braces match
 * (false too where a full parse is needed for another reason).
 */
export function parseRange(text: string, start: number, end: number): { doc: Document; unfinished: number; balanced: boolean } {
  // The lexing problems come in text order, so those past the first
  // MAX_PROBLEMS would be cut below anyway: they are only counted.
  const lexed = lex(text.slice(start, end), start, MAX_PROBLEMS);
  let depth = 0;
  let balanced = true;
  for (const t of lexed.tokens) {
    if (t.tokenType === LCurly) depth++;
    else if (t.tokenType === RCurly && --depth < 0) balanced = false;
  }
  // A comment left open swallowed the rest of the slice; in the whole text it would swallow more.
  if (depth !== 0 || lexed.unclosed) balanced = false;
  // Nor when the declaration after the slice is a misspelt one (see below).
  if (end < text.length && misspeltAt(text, end)) balanced = false;
  const problems: SyntaxProblem[] = [...lexed.problems];
  let tokens = limitNesting(lexed.tokens, problems);
  parser ??= new VmsecParser();
  parser.startDocument(text);
  let decls: Decl[] = [];
  const endOf = (t: IToken): Span => (Number.isNaN(t.startOffset)
    ? { start: end, end }
    : { start: t.startOffset, end: t.startOffset + t.image.length });
  try {
    // Top-level garbage stops the parser; report it, skip to the next
    // declaration keyword and go on.
    let at = 0;
    for (;;) {
      decls = parser.parseTokens(tokens, at);
      let rest: IToken | undefined;
      for (const e of parser.errors) {
        if (e.name === 'NotAllInputParsedException') rest = e.token;
        else {
          const expected = e.name === 'MismatchedTokenException' ? expectedKeywordAt.get(e.token) : undefined;
          problems.push(expected ? { message: e.message, span: endOf(e.token), expected } : { message: e.message, span: endOf(e.token) });
        }
      }
      if (!rest) break;
      const restAt = tokenAt(tokens, rest.startOffset);
      // Always forward: a token not found (cannot happen: it is the input's) ends the loop.
      if (restAt < at) { problems.push({ message: parser.errors.find((e) => e.token === rest)!.message, span: endOf(rest) }); break; }
      const guess = misspeltDeclaration(rest);
      problems.push({
        message: guess ? `unknown declaration '${rest.image}' — did you mean '${guess}'?` : garbageMessage(rest) ?? parser.errors.find((e) => e.token === rest)!.message,
        span: endOf(rest),
        topLevel: { word: rest.image, typo: !!guess },
      });
      if (guess && rest.tokenType === Identifier) {
        // Read it as the declaration it is a typo of: its name is then
        // declared, so the names that refer to it are not errors too. (A
        // keyword such as `for` is more likely left over from a broken
        // declaration: its block is skipped below.)
        rest.tokenType = KW[guess];
        rest.tokenTypeIdx = KW[guess].tokenTypeIdx!;
        at = restAt;
        // Its problem sits on the declaration's own first token, which the
        // incremental reparse takes for the text before's: parse whole.
        balanced = false;
        continue;
      }
      // Each round resumes where the last one stopped: linear in the file, however many rounds.
      const i = nextDeclaration(tokens, restAt + 1, text);
      if (i >= tokens.length) break;
      at = i;
    }
  } catch (err) {
    // Chevrotain recovery should make this unreachable; keep the text usable regardless.
    problems.push({ message: `the parser stopped: ${(err as Error).message}`, span: { start: 0, end: 0 } });
  }
  const unfinished = parser.unfinished().size;
  fixUnfinished(decls, parser.unfinished(), end);
  for (const p of parser.problems) problems.push(p);
  if (problems.length > lexed.problems.length) {
    const lexing = unknownUnits(problems, lexed.problems.length, lexed.tokens, text);
    if (lexing > 0) consequences(problems, lexing, lexed.tokens, text);
  }
  problems.sort((a, b) => a.span.start - b.span.start);
  if (problems.length + lexed.unshown > MAX_PROBLEMS) {
    // Never more than were made (the unshown ones were only counted).
    const kept = Math.min(problems.length, MAX_PROBLEMS);
    const extra = problems.length + lexed.unshown - kept;
    problems.length = kept;
    problems.push({ message: `${extra} more syntax problems not shown; fix the ones above first`, span: kept ? problems[kept - 1].span : { start: 0, end: 0 }, more: extra });
  }
  return { doc: { decls, comments: lexed.comments, problems }, unfinished, balanced };
}

/** The declaration keyword a word where a declaration is due is a typo of (`hots` → `host`). */
function misspeltDeclaration(t: IToken): (typeof DECL_KEYWORDS)[number] | undefined {
  return tokenMatcher(t, Identifier) ? closest(t.image, DECL_KEYWORDS) as (typeof DECL_KEYWORDS)[number] | undefined : undefined;
}

/** Whether the text at `offset` starts with a word read as a misspelt declaration keyword. */
function misspeltAt(text: string, offset: number): boolean {
  const word = /^[A-Za-z_](?:[A-Za-z0-9_]|-(?!>))*/.exec(text.slice(offset, offset + MAX_WORD + 1))?.[0];
  return !!word && !keywordTypes.has(word) && closest(word, DECL_KEYWORDS) !== undefined;
}

/** The message for another word where a declaration is due (other tokens keep the parser's). */
function garbageMessage(t: IToken): string | undefined {
  if (!tokenMatcher(t, Identifier)) return undefined;
  return `unknown declaration '${t.image}'; a declaration starts with one of: ${DECL_KEYWORDS.join(', ')}`;
}

/**
 * Where parsing resumes after top-level garbage: the next declaration
 * keyword outside braces, so the block of a misspelt declaration is skipped
 * whole (its property words, some of them declaration keywords too, are not
 * read as declarations). A declaration keyword at the start of a line ends
 * the skip even inside braces, as after a missing `}`.
 */
function nextDeclaration(tokens: IToken[], from: number, text: string): number {
  let depth = 0;
  let i = from;
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.tokenType === LCurly) depth++;
    else if (t.tokenType === RCurly) depth = Math.max(0, depth - 1);
    else if (declTypes.some((d) => tokenMatcher(t, d)) && (depth === 0 || atLineStart(text, t.startOffset))) break;
  }
  return i;
}


/**
 * A parser problem at a word right after a bare number (`512 mib`, `5 sec`,
 * `100 µs`, `10 Gb/s`) is about a unit the lexer did not know: it becomes
 * one `unknown unit` problem covering the whole unit as written, and the
 * lexing problems inside it (`µ`, `/`) go. Only files with parser problems
 * come here. Problems before `parserFrom` are the lexer's; returns how
 * many of those are left.
 */
function unknownUnits(problems: SyntaxProblem[], parserFrom: number, tokens: IToken[], text: string): number {
  const covered: Span[] = [];
  for (let i = parserFrom; i < problems.length; i++) {
    const p = problems[i];
    const k = tokenAt(tokens, p.span.start);
    if (k < 1 || !tokenMatcher(tokens[k], Identifier) || tokens[k - 1].tokenType !== Quantity || !/^[\d_.]+$/.test(tokens[k - 1].image)) continue;
    let start = tokens[k - 1].startOffset + tokens[k - 1].image.length;
    while (text[start] === ' ' || text[start] === '\t') start++;
    // Characters the lexer could not read may be glued before the word (`µs`), no space.
    if (/\s/.test(text.slice(start, tokens[k].startOffset))) continue;
    let end = tokens[k].startOffset + tokens[k].image.length;
    const per = /^\/[A-Za-z]+/.exec(text.slice(end, end + 8));
    if (per) end += per[0].length;
    const before = tokens[k - 2];
    const message = unknownUnitMessage(text.slice(start, end), before && tokenMatcher(before, Identifier) ? before.image : undefined);
    if (!message) continue;
    problems[i] = { message, span: { start, end }, unit: text.slice(start, end) };
    covered.push(problems[i].span);
  }
  if (!covered.length) return parserFrom;
  const inside = (s: Span) => covered.some((c) => s.start >= c.start && s.end <= c.end);
  let lexing = parserFrom;
  for (let i = parserFrom - 1; i >= 0; i--) if (inside(problems[i].span)) { problems.splice(i, 1); lexing--; }
  return lexing;
}

/**
 * The parser's first problem after a character the lexer could not read, on
 * the same line and in the same declaration, is a consequence of it (`ip(…)
 * || port(…)`: the parser then misses its `then` at `port`): dropped. The
 * first `lexing` problems are the lexer's, in text order.
 */
function consequences(problems: SyntaxProblem[], lexing: number, tokens: IToken[], text: string): void {
  const parsed = problems.slice(lexing).sort((a, b) => a.span.start - b.span.start);
  const drop = new Set<SyntaxProblem>();
  let next = 0;
  for (let l = 0; l < lexing; l++) {
    const { start: at, end } = problems[l].span;
    while (next < parsed.length && parsed[next].span.start < at) next++;
    if (next >= parsed.length) break;
    const p = parsed[next].span.start;
    // Far apart (a long line) they are not one mistake, and a long line costs no more to look at.
    if (p - at > 4096 || lineBreakBetween(text, at, p)) continue;
    // A declaration keyword up to the problem (included: `expected '}' but found 'host'`) means another declaration's.
    let k = firstTokenFrom(tokens, end);
    while (k < tokens.length && tokens[k].startOffset <= p && !declTypes.some((d) => tokenMatcher(tokens[k], d))) k++;
    if (k < tokens.length && tokens[k].startOffset <= p) continue;
    drop.add(parsed[next++]);
  }
  if (!drop.size) return;
  const kept = problems.filter((x) => !drop.has(x));
  problems.length = 0;
  problems.push(...kept);
}

/** The index of the first token starting at or after `offset`. */
function firstTokenFrom(tokens: IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].startOffset < offset) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** The index of the token starting at `offset`, or -1. */
function tokenAt(tokens: IToken[], offset: number): number {
  const i = firstTokenFrom(tokens, offset);
  return i < tokens.length && tokens[i].startOffset === offset ? i : -1;
}

/** A declaration whose `}` never came extends up to the next declaration. */
function fixUnfinished(decls: Decl[], open: ReadonlySet<Decl>, textEnd: number): void {
  if (open.size === 0) return;
  decls.forEach((d, i) => {
    if (!open.has(d)) return;
    const next = decls[i + 1];
    d.span = { start: d.span.start, end: Math.max(d.span.end, next ? next.span.start : textEnd) };
  });
}

/**
 * What may come next after these tokens, parsed from the start rule `decl`
 * (the caller passes the tokens of the current declaration only).
 */
export function contentAssist(tokens: IToken[]) {
  parser ??= new VmsecParser();
  return parser.computeContentAssist('decl', tokens);
}

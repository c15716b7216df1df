// Reparsing only what an edit touched. The declarations before the edit are
// kept, those after it are kept with their offsets shifted, and only the
// declarations the edit overlaps are parsed again. The result must equal a
// full parse (test/unit/incremental*.test.ts check this on random edits).
//
// The parser reads ahead (a block whose `}` is missing is ended by scanning
// forward, recovery looks two tokens ahead) and what it makes of a
// declaration's first token depends on the text before it. So the slice
// starts only after declarations that ended cleanly, at a first token the
// edit left alone, and ends only where the parser is back at the top level
// with a line break before the next kept declaration; otherwise the slice
// grows or, when the slice is not self-contained (unbalanced braces, a
// declaration left open, too many problems), the whole text is parsed.
import type * as A from '../../../grammar/src/ast';
import { lex, MAX_PROBLEMS, parseRange } from '../../../grammar/src/parse';
import { LCurly, RCurly } from '../../../grammar/src/tokens';
import { BARRIER_KEYWORDS } from '../../../grammar/src/parser';
import { LineIndex } from './line-index';
import { parseSource, SourceFile } from './source-file';

/** Texts this short are simply parsed again. */
const SMALL = 4096;

export function reparse(old: SourceFile, text: string): SourceFile {
  const before = old.text;
  if (text.length < SMALL || old.doc.problems.length >= MAX_PROBLEMS) return parseSource(old.path, text);
  const { prefix: p, suffix: q } = commonAffixes(before, text);
  const oldEnd = before.length - q;
  const delta = text.length - before.length;

  const decls = old.doc.decls;
  const problems = old.doc.problems;
  // A declaration's extent runs to the next one's start: a block whose `}` the
  // parser had to assume still owns the text up to the next declaration.
  const extentEnd = (k: number) => (k + 1 < decls.length ? decls[k + 1].span.start : before.length);
  // Declarations whose extent the edit touches (an edit right at a boundary counts: it may join tokens).
  let i = 0;
  while (i < decls.length && extentEnd(i) < p) i++;
  i = sliceStart(old, i, p);
  let j = i - 1;
  while (j + 1 < decls.length && decls[j + 1].span.start <= oldEnd) j++;
  // The next kept declaration must begin a line: then no comment, string or
  // unit at the end of the slice could, in the whole text, have run into it.
  while (j + 1 < decls.length && !lineBreakAt(before, decls[j + 1].span.start - 1)) j++;
  // The slice runs from the first touched declaration (or the start of the text)
  // to the start of the first declaration kept after the edit (or the end).
  const start = i > 0 ? decls[i].span.start : 0;
  const nextStart = j + 1 < decls.length ? decls[j + 1].span.start + delta : text.length;
  if (start > nextStart) return parseSource(old.path, text);
  const slice = parseRange(text, start, nextStart);
  // A construct still open where the slice ends would, in the whole text, have
  // read on into the next declaration: then only a full parse is right.
  const openAtEnd = slice.doc.problems.some((x) => x.span.start >= nextStart);
  if (!slice.balanced || slice.unfinished > 0 || openAtEnd || slice.doc.problems.length >= MAX_PROBLEMS) return parseSource(old.path, text);
  if (nextStart < text.length && !endsClosed(text, slice.doc, nextStart)) return parseSource(old.path, text);

  // In old offsets the slice covered [start, sliceEnd) (read before shifting).
  const sliceEnd = j + 1 < decls.length ? decls[j + 1].span.start : before.length;
  // Where an old comment or problem lies. Nothing before the slice left a
  // problem at its first token (cleanPrefix), so one there is the slice's; one
  // at the next kept declaration's first token was the slice's too (a
  // declaration never fails on its own keyword).
  const where = (x: { span: A.Span }, problem: boolean): 'before' | 'inside' | 'after' => {
    if (problem ? x.span.start < start : x.span.end <= start) return 'before';
    if (problem ? x.span.start > sliceEnd : x.span.start >= sliceEnd) return 'after';
    return 'inside';
  };
  const shifted = decls.slice(j + 1);
  for (const d of shifted) shiftSpans(d, delta);
  const doc: A.Document = {
    decls: [...decls.slice(0, i), ...slice.doc.decls, ...shifted],
    comments: merge(old.doc.comments, slice.doc.comments, (c) => where(c, false), delta),
    problems: merge(problems, slice.doc.problems, (x) => where(x, true), delta),
  };
  if (doc.problems.length >= MAX_PROBLEMS) return parseSource(old.path, text);
  // The old tree's later declarations were shifted in place: the old file is no longer valid.
  return { path: old.path, text, doc, lines: new LineIndex(text) };
}

/**
 * The first declaration to reparse, at most `touched`: the parser must reach
 * its first token, which the edit (from `p`) left alone, at the top level
 * having read nothing past it. That holds after declarations that ended
 * cleanly (cleanPrefix). After one that did not, it holds at a barrier: a
 * declaration keyword that is no block's property or step word, at the start
 * of a line, with no problem on it and every brace before it closed. A block
 * left open scans ahead for its `}` (parser.ts newDeclarationAt) but stops at
 * such a keyword, as the skipping of top-level garbage does.
 */
function sliceStart(old: SourceFile, touched: number, p: number): number {
  const { text, doc: { decls, problems } } = old;
  const untouched = (k: number) => p > decls[k].span.start + wordLength(text, decls[k].span.start);
  const u = cleanPrefix(old, touched);
  if (u === touched) {
    let i = touched;
    while (i > 0 && !untouched(i)) i--;
    return i;
  }
  const depths = depthsAt(text, decls, u, touched);
  for (let b = touched; b > u; b--) {
    const at = decls[b].span.start;
    if (depths[b - u - 1] !== 0 || !untouched(b) || !lineBreakAt(text, at - 1)) continue;
    if (!BARRIER_KEYWORDS.has(text.slice(at, at + wordLength(text, at))) || problemAt(problems, at)) continue;
    return b;
  }
  return u;
}


/**
 * The brace depth at the start of each declaration in (from, to], counting
 * from the start of declaration `from` (where it is 0: everything before
 * ended cleanly). A `}` with nothing open counts as nothing, as a block's
 * forward scan stops at it.
 */
function depthsAt(text: string, decls: readonly A.Decl[], from: number, to: number): number[] {
  const base = decls[from].span.start;
  const tokens = lex(text.slice(base, decls[to].span.start), base, 0).tokens;
  const out: number[] = [];
  let depth = 0;
  let t = 0;
  for (let k = from + 1; k <= to; k++) {
    for (; t < tokens.length && tokens[t].startOffset < decls[k].span.start; t++) {
      if (tokens[t].tokenType === LCurly) depth++;
      else if (tokens[t].tokenType === RCurly && depth > 0) depth--;
    }
    out.push(depth);
  }
  return out;
}

/** Whether a problem starts at `offset` (problems are in text order). */
function problemAt(problems: readonly A.SyntaxProblem[], offset: number): boolean {
  let lo = 0;
  let hi = problems.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (problems[mid].span.start < offset) lo = mid + 1; else hi = mid;
  }
  return lo < problems.length && problems[lo].span.start === offset;
}

/**
 * How many declarations from the start, at most `limit`, ended cleanly: the
 * parser read nothing past them and left nothing open that could read into
 * what follows. A declaration is clean when no problem lies on its last
 * token or between it and the next declaration (garbage, a `}` assumed at the
 * next keyword, a typo read as that keyword), it does not run up to the next
 * declaration (a block never closed), and if it has problems inside, it ends
 * with its `}` and its braces balance (a block missing its `}` is ended by a
 * scan that may read far ahead). Text before the first declaration must be
 * free of problems too.
 */
function cleanPrefix(old: SourceFile, limit: number): number {
  const { text, doc: { decls, problems } } = old;
  let at = 0;
  const problemsBefore = (end: number) => { const from = at; while (at < problems.length && problems[at].span.start < end) at++; return at - from; };
  if (limit > 0 && problemsBefore(decls[0].span.start) > 0) return 0;
  for (let k = 0; k < limit; k++) {
    const d = decls[k].span;
    const ext = k + 1 < decls.length ? decls[k + 1].span.start : text.length;
    if (d.end >= ext) return k;
    const inside = problemsBefore(d.end - 1);
    // On the last token, in the gap after, or at the next declaration's first
    // token — unless that is the next declaration's own typo (`atcker`).
    if (problemsBefore(ext) > 0) return k;
    if (at < problems.length && problems[at].span.start === ext && !ownTypo(text, problems[at])) return k;
    if (inside > 0 && !(text.charCodeAt(d.end - 1) === 0x7d && bracesBalance(text, d.start, d.end))) return k;
  }
  return limit;
}

/** A declaration read as the keyword it is a typo of reports that on its own first word (still that word here). */
function ownTypo(text: string, x: A.SyntaxProblem): boolean {
  return !!x.topLevel?.typo && x.topLevel.word === text.slice(x.span.start, x.span.end);
}

/** Whether the braces of `text[start, end)` balance (strings and comments left out). */
function bracesBalance(text: string, start: number, end: number): boolean {
  let depth = 0;
  for (const t of lex(text.slice(start, end)).tokens) {
    if (t.tokenType === LCurly) depth++;
    else if (t.tokenType === RCurly && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * Whether the slice's last declaration ends the slice (only blanks and
 * comments after it) and was read to its end without a problem: then the
 * parser is back at the top level and made no decision that looked past the
 * slice, where the slice alone has the end of the text. A declaration
 * without a block might go on with the next word: of the declaration
 * keywords only `certificate` can (`share … require certificate`).
 */
function endsClosed(text: string, doc: A.Document, end: number): boolean {
  const last = doc.decls[doc.decls.length - 1];
  if (!last) return false;
  let k = end;
  for (let c = doc.comments.length - 1; ; ) {
    while (k > 0 && /\s/.test(text[k - 1])) k--;
    if (c >= 0 && doc.comments[c].span.end === k) k = doc.comments[c--].span.start;
    else break;
  }
  // Top-level garbage after it is skipped up to the next declaration keyword
  // at the start of a line: where the kept declaration after the slice begins.
  const trailing = doc.problems.find((x) => x.span.start >= last.span.end);
  if (trailing?.topLevel) k = last.span.end;
  if (last.span.end !== k) return false;
  const lastProblem = [...doc.problems].reverse().find((x) => x.span.start < k);
  if (lastProblem && lastProblem.span.end >= (text.charCodeAt(k - 1) === 0x7d ? k : last.span.start)) return false;
  return text.charCodeAt(k - 1) === 0x7d || !text.startsWith('certificate', end);
}

/** The length of the word at `offset` (a declaration's keyword, or the typo read as one). */
function wordLength(text: string, offset: number): number {
  let k = offset;
  while (k < text.length && /[A-Za-z0-9_-]/.test(text[k])) k++;
  return k - offset;
}

function lineBreakAt(text: string, offset: number): boolean {
  const c = text.charCodeAt(offset);
  return c === 10 || c === 13;
}

/** Old items before the slice, the slice's own, then the old ones after it, shifted. */
function merge<T extends { span: A.Span }>(old: T[], fresh: T[], where: (x: T) => 'before' | 'inside' | 'after', delta: number): T[] {
  const after = old.filter((x) => where(x) === 'after').map((x) => ({ ...x, span: { start: x.span.start + delta, end: x.span.end + delta } }));
  return [...old.filter((x) => where(x) === 'before'), ...fresh, ...after];
}

/** Chunks compared as whole strings before the character loop: a string
 *  comparison is a memory compare, some 30× faster on a 400 KB text than
 *  charCodeAt one by one — this runs on every edit. */
const CHUNK = 1024;

/** The lengths of the common prefix and of the common suffix (not overlapping the prefix) of two texts. */
export function commonAffixes(a: string, b: string): { prefix: number; suffix: number } {
  const max = Math.min(a.length, b.length);
  let p = 0;
  while (p + CHUNK <= max && a.slice(p, p + CHUNK) === b.slice(p, p + CHUNK)) p += CHUNK;
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  const la = a.length;
  const lb = b.length;
  let q = 0;
  while (q + CHUNK <= max - p && a.slice(la - q - CHUNK, la - q) === b.slice(lb - q - CHUNK, lb - q)) q += CHUNK;
  while (q < max - p && a.charCodeAt(la - 1 - q) === b.charCodeAt(lb - 1 - q)) q++;
  return { prefix: p, suffix: q };
}

/** Adds `delta` to every span in a syntax tree. */
function shiftSpans(node: unknown, delta: number): void {
  if (delta === 0 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) { for (const x of node) shiftSpans(x, delta); return; }
  const o = node as Record<string, unknown>;
  for (const key in o) {
    const v = o[key];
    if ((key === 'span' || key === 'keySpan' || key === 'hostsSpan' || key === 'keywordSpan') && v && typeof v === 'object') {
      const s = v as A.Span;
      o[key] = { start: s.start + delta, end: s.end + delta };
    } else if (v && typeof v === 'object') shiftSpans(v, delta);
  }
}

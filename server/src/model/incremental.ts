// Reparsing only what an edit touched. The declarations before the edit are
// kept, those after it are kept with their offsets shifted, and only the
// declarations the edit overlaps are parsed again. The result must equal a
// full parse (a randomized test checks this); whenever the reparsed slice is
// not self-contained — unbalanced braces, a declaration left open, too many
// problems — the whole text is parsed instead.
import type * as A from '../../../grammar/src/ast';
import { MAX_PROBLEMS, parseRange } from '../../../grammar/src/parse';
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
  // A declaration's extent runs to the next one's start: a block whose `}` the
  // parser had to assume still owns the text up to the next declaration.
  const extentEnd = (k: number) => (k + 1 < decls.length ? decls[k + 1].span.start : before.length);
  // Declarations whose extent the edit touches (an edit right at a boundary counts: it may join tokens).
  let i = 0;
  while (i < decls.length && extentEnd(i) < p) i++;
  let j = i - 1;
  while (j + 1 < decls.length && decls[j + 1].span.start <= oldEnd) j++;
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

  // In old offsets the slice covered [start, sliceEnd) (read before shifting).
  const sliceEnd = j + 1 < decls.length ? decls[j + 1].span.start : before.length;
  // Where an old comment or problem lies. A problem at a declaration's first
  // token was caused by the text before it (a declaration never fails on its
  // own keyword): at the slice's start it stays with the kept declaration
  // before; at the slice's end it is the slice's.
  const where = (x: { span: A.Span }, problem: boolean): 'before' | 'inside' | 'after' => {
    if (problem ? x.span.start < start || (i > 0 && x.span.start === start) : x.span.end <= start) return 'before';
    if (problem ? x.span.start > sliceEnd : x.span.start >= sliceEnd) return 'after';
    return 'inside';
  };
  const shifted = decls.slice(j + 1);
  for (const d of shifted) shiftSpans(d, delta);
  const doc: A.Document = {
    decls: [...decls.slice(0, i), ...slice.doc.decls, ...shifted],
    comments: merge(old.doc.comments, slice.doc.comments, (c) => where(c, false), delta),
    problems: merge(old.doc.problems, slice.doc.problems, (x) => where(x, true), delta),
  };
  if (doc.problems.length >= MAX_PROBLEMS) return parseSource(old.path, text);
  // The old tree's later declarations were shifted in place: the old file is no longer valid.
  return { path: old.path, text, doc, lines: new LineIndex(text) };
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

// Formatting: indentation by block depth (two spaces), no trailing spaces, at
// most one blank line in a row, one final newline. Only whitespace between
// lines changes, so comments and the author's line breaks are kept, and
// formatting twice gives the same text.
//
// Lines end as the document's lines end (\n, \r\n or a lone \r, the old Mac
// style; a file that mixes them gets the one it uses most). A statement that
// continues on the next lines (`hosts a,` then `b, c`; a `when` condition over
// several lines) keeps its continuation lines deeper than its first line: as
// far deeper as the author put them, else one level.
import type { TextEdit } from 'vscode-languageserver';
import type * as A from '../../../grammar/src/ast';
import { lex } from '../../../grammar/src/parse';
import { LCurly, RCurly } from '../../../grammar/src/tokens';
import type { SourceFile } from '../model/source-file';

const LINE_BREAK = /\r\n|\r|\n/;

/** The line break the document uses most (ties: the one it uses first); `\n` for a single line. */
export function lineBreakOf(text: string): string {
  let crlf = 0, cr = 0, lf = 0, first = '';
  for (let i = text.search(/[\r\n]/); i >= 0 && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) { if (text.charCodeAt(i + 1) === 10) { crlf++; i++; first ||= '\r\n'; } else { cr++; first ||= '\r'; } }
    else if (c === 10) { lf++; first ||= '\n'; }
  }
  const most = Math.max(crlf, cr, lf);
  if (!most) return '\n';
  const counts: Record<string, number> = { '\r\n': crlf, '\r': cr, '\n': lf };
  return counts[first] === most ? first : crlf === most ? '\r\n' : lf === most ? '\n' : '\r';
}

/** Width of a line's leading whitespace (a tab counts as one indent unit). */
function indentWidth(line: string, unit: number): number {
  let w = 0;
  for (const ch of line) { if (ch === ' ') w++; else if (ch === '\t') w += unit; else if (ch === '\f' || ch === '\v') continue; else break; }
  return w;
}

/**
 * Every statement that may run over several lines: declarations (a header or
 * a block-less declaration like `share … between a,` / `b`), their properties
 * and scenario items, processes' own properties, a network's `hosts` list.
 */
function statements(doc: A.Document): A.Span[] {
  const out: A.Span[] = [];
  const props = (node: object) => {
    for (const v of Object.values(node)) {
      if (!Array.isArray(v)) continue;
      for (const p of v) if (p && typeof p === 'object' && 'keySpan' in p && 'span' in p) { out.push((p as A.PropBase<string>).span); props(p as object); }
    }
  };
  for (const d of doc.decls) {
    out.push(d.span);
    if (d.kind === 'network' && d.hostsSpan) out.push(d.hostsSpan);
    props(d);
  }
  return out;
}

export function formatText(file: SourceFile, indentUnit = '  '): string {
  const text = file.text;
  const { tokens, comments, problems, unshown } = lex(text, 0, 1);
  if (problems.length + unshown) return text; // never reshape what does not lex
  const lineOf = (o: number) => file.lines.position(o).line;
  const stmts = statements(file.doc);
  const starts = new Set(stmts.map((s) => s.start));
  // For each line with code: the depth before its first token, and whether that token closes a block.
  const firstOn = new Map<number, { depth: number; closes: boolean }>();
  const depthAt = new Map<number, number>();
  let depth = 0;
  for (const t of tokens) {
    const line = lineOf(t.startOffset);
    if (!firstOn.has(line)) firstOn.set(line, { depth, closes: t.tokenType === RCurly });
    if (starts.has(t.startOffset)) depthAt.set(t.startOffset, depth);
    if (t.tokenType === LCurly) depth++;
    if (t.tokenType === RCurly) depth = Math.max(0, depth - 1);
  }
  // Continuation lines: inside a statement begun on an earlier line, at that
  // statement's depth (not inside a block it opens). Statements come outer
  // first, so the innermost one is the one kept.
  const continues = new Map<number, { from: number; depth: number }>();
  for (const s of stmts) {
    const d = depthAt.get(s.start);
    if (d === undefined || s.end <= s.start) continue;
    const from = lineOf(s.start);
    const to = lineOf(s.end - 1);
    for (let l = from + 1; l <= to; l++) {
      const f = firstOn.get(l);
      if (f && f.depth === d && !f.closes) continues.set(l, { from, depth: d });
    }
  }
  // Lines inside a block comment are kept as they are.
  const frozen = new Set<number>();
  for (const c of comments) {
    if (!c.block) continue;
    for (let l = lineOf(c.span.start) + 1; l <= lineOf(c.span.end); l++) frozen.add(l);
  }
  const lines = text.split(LINE_BREAK);
  const unit = indentUnit.length;
  // Each line's indent width: its depth's; a continuation line keeps how much
  // deeper than its statement's first line the author put it, the statement's
  // continuation lines shifted together so that the least deep is at least one
  // unit deeper (their alignment with each other kept).
  const more = (i: number, from: number) => indentWidth(lines[i], unit) - indentWidth(lines[from], unit);
  const least = new Map<number, number>();
  for (const [l, c] of continues) least.set(c.from, Math.min(least.get(c.from) ?? Infinity, more(l, c.from)));
  // (A statement's first line comes before its continuation lines: one pass in order.)
  const widths = new Array<number>(lines.length).fill(0);
  /** The indent of a comment line above line i: inside the block a closing brace ends. */
  const inner = new Array<number>(lines.length).fill(0);
  for (let i = 0; i < lines.length; i++) {
    const f = firstOn.get(i);
    if (!f) continue;
    if (frozen.has(i)) { widths[i] = inner[i] = indentWidth(lines[i], unit); continue; } // kept as written
    const c = continues.get(i);
    const shift = c ? Math.max(0, unit - least.get(c.from)!) : 0;
    widths[i] = c ? widths[c.from] + more(i, c.from) + shift : Math.max(0, f.depth - (f.closes ? 1 : 0)) * unit;
    inner[i] = f.closes && !c ? f.depth * unit : widths[i];
  }
  // A line that starts with a comment takes the indent of the code after it (inside its block).
  const indents = new Array<number>(lines.length);
  let next = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (firstOn.has(i)) { indents[i] = widths[i]; next = inner[i]; } else indents[i] = next;
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (frozen.has(i)) { out.push(raw.replace(/\s+$/, '')); continue; }
    const body = raw.trim();
    if (body === '') { if (out.length && out[out.length - 1] !== '') out.push(''); continue; }
    out.push(' '.repeat(indents[i]) + body);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  const eol = lineBreakOf(text);
  return out.join(eol) + eol;
}

export function formatting(file: SourceFile): TextEdit[] {
  const formatted = formatText(file);
  if (formatted === file.text) return [];
  const end = file.lines.position(file.text.length);
  return [{ range: { start: { line: 0, character: 0 }, end }, newText: formatted }];
}

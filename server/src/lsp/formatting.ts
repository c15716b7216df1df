// Formatting: indentation by block depth (two spaces), no trailing spaces, at
// most one blank line in a row, one final newline. Only whitespace between
// lines changes, so comments and the author's line breaks are kept, and
// formatting twice gives the same text.
import type { TextEdit } from 'vscode-languageserver';
import { lex } from '../../../grammar/src/parse';
import { LCurly, RCurly } from '../../../grammar/src/tokens';
import type { SourceFile } from '../model/source-file';

export function formatText(file: SourceFile, indentUnit = '  '): string {
  const text = file.text;
  const { tokens, comments, problems, unshown } = lex(text, 0, 1);
  if (problems.length + unshown) return text; // never reshape what does not lex
  // For each line with code: the depth before its first token, and whether that token closes a block.
  const lineOf = (o: number) => file.lines.position(o).line;
  const firstOn = new Map<number, { depth: number; closes: boolean }>();
  let depth = 0;
  for (const t of tokens) {
    const line = lineOf(t.startOffset);
    if (!firstOn.has(line)) firstOn.set(line, { depth, closes: t.tokenType === RCurly });
    if (t.tokenType === LCurly) depth++;
    if (t.tokenType === RCurly) depth = Math.max(0, depth - 1);
  }
  // Lines inside a block comment are kept as they are.
  const frozen = new Set<number>();
  for (const c of comments) {
    if (!c.block) continue;
    for (let l = lineOf(c.span.start) + 1; l <= lineOf(c.span.end); l++) frozen.add(l);
  }
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  let next: { depth: number } = { depth: 0 };
  const depths = new Array<number>(lines.length);
  // A line that starts with a comment takes the depth of the code after it (inside its block).
  for (let i = lines.length - 1; i >= 0; i--) {
    const f = firstOn.get(i);
    if (f) { depths[i] = f.depth - (f.closes ? 1 : 0); next = f; } else depths[i] = next.depth;
  }
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (frozen.has(i)) { out.push(raw.replace(/\s+$/, '')); continue; }
    const body = raw.trim();
    if (body === '') { if (out.length && out[out.length - 1] !== '') out.push(''); continue; }
    out.push(indentUnit.repeat(Math.max(0, depths[i])) + body);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

export function formatting(file: SourceFile): TextEdit[] {
  const formatted = formatText(file);
  if (formatted === file.text) return [];
  const end = file.lines.position(file.text.length);
  return [{ range: { start: { line: 0, character: 0 }, end }, newText: formatted }];
}

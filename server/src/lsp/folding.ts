// Folding: multi-line declarations, processes, scenario blocks and block comments.
import { FoldingRange, FoldingRangeKind } from 'vscode-languageserver';
import type { SourceFile } from '../model/source-file';

/** Without a limit from the client, at most this many ranges (VS Code's own default). */
export const MAX_FOLDING_RANGES = 5000;

/** The first `limit` ranges by line: a client asks for no more (rangeLimit), and a huge file would otherwise answer with a million. */
export function foldingRanges(file: SourceFile, limit = MAX_FOLDING_RANGES): FoldingRange[] {
  const out: FoldingRange[] = [];
  const add = (start: number, end: number, kind?: FoldingRangeKind) => {
    const s = file.lines.position(start).line;
    const e = file.lines.position(Math.max(start, end - 1)).line;
    if (e > s) out.push({ startLine: s, endLine: e, kind });
  };
  for (const d of file.doc.decls) {
    add(d.span.start, d.span.end);
    if (d.kind === 'vm') for (const p of d.props) if (p.key === 'process') add(p.span.start, p.span.end);
  }
  for (const c of file.doc.comments) if (c.block) add(c.span.start, c.span.end, FoldingRangeKind.Comment);
  if (out.length <= limit) return out;
  return out.sort((a, b) => a.startLine - b.startLine).slice(0, Math.max(0, limit));
}

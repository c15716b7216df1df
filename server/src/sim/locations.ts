// The one place a source span becomes a result's location (issue 10): every
// item of a ScenarioResult gets its `loc` from here, through RunOptions.locOf,
// so the CLI's formats and the editor read the same positions.
import type * as A from '../../../grammar/src/ast';
import type { LineIndex } from '../model/line-index';
import type { Loc } from './results';

/** locOf for a set of parsed files: 1-based line/column, UTF-16 columns (as LSP and the CLI JSON). */
export function locOfFiles(files: readonly { path: string; lines: LineIndex }[]): (path: string, span: A.Span) => Loc {
  const byPath = new Map(files.map((f) => [f.path, f.lines] as const));
  return (path, span) => {
    const lines = byPath.get(path);
    if (!lines) return { path, line: 1, col: 1, endLine: 1, endCol: 1 };
    const a = lines.position(span.start);
    const b = lines.position(span.end);
    return { path, line: a.line + 1, col: a.character + 1, endLine: b.line + 1, endCol: b.character + 1 };
  };
}

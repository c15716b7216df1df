// Offsets ↔ line/column for one text. Built once per parsed file; lookups are
// a binary search, so converting many diagnostics stays cheap. Positions from
// outside (an editor, a client's request) are clamped to the text as the LSP
// specification says: a line past the end is the last line, a character past
// a line's end is that line's end — never the next line, never past the text.

export interface Position { line: number; character: number } // both 0-based

export class LineIndex {
  private readonly starts: number[];
  /** Where each line's text ends (before its line break). */
  private readonly ends: number[];
  readonly length: number;

  constructor(text: string) {
    const starts = [0];
    const ends: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) { ends.push(i); starts.push(i + 1); }
      else if (c === 13) {
        ends.push(i);
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      }
    }
    ends.push(text.length);
    this.starts = starts;
    this.ends = ends;
    this.length = text.length;
  }

  get lineCount(): number { return this.starts.length; }

  position(offset: number): Position {
    const o = clampInt(offset, 0, this.length);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid; else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }

  /** The offset of a position, clamped to the text (see the file comment); NaN or missing parts count as 0. */
  offset(pos: Position): number {
    const line = clampInt(pos.line, 0, this.starts.length - 1);
    const start = this.starts[line];
    return start + clampInt(pos.character, 0, this.ends[line] - start);
  }

  lineStart(line: number): number { return this.starts[clampInt(line, 0, this.starts.length - 1)]; }

  /** The offset where a line's text ends, before its line break. */
  lineEnd(line: number): number { return this.ends[clampInt(line, 0, this.ends.length - 1)]; }
}

function clampInt(n: number, lo: number, hi: number): number {
  if (typeof n !== 'number' || Number.isNaN(n)) return lo;
  return n <= lo ? lo : n >= hi ? hi : Math.floor(n);
}

// Offsets ↔ line/column for one text. Built once per parsed file; lookups are
// a binary search, so converting many diagnostics stays cheap. Positions from
// outside (an editor, a client's request) are clamped to the text as the LSP
// specification says: a line past the end is the last line, a character past
// a line's end is that line's end — never the next line, never past the text.

export interface Position { line: number; character: number } // both 0-based

export class LineIndex {
  // Built on first use: most files of a check never convert a position.
  private starts_: number[] | undefined;
  /** Where each line's text ends (before its line break). */
  private ends_: number[] | undefined;
  readonly length: number;

  constructor(private readonly text: string) {
    this.length = text.length;
  }

  private get starts(): number[] { if (!this.starts_) this.build(); return this.starts_!; }
  private get ends(): number[] { if (!this.ends_) this.build(); return this.ends_!; }

  private build(): void {
    const text = this.text;
    const starts = [0];
    const ends: number[] = [];
    // Jump from line break to line break (indexOf is much faster than a loop
    // over every character); each search result is kept until it is passed,
    // so a text without CRs is searched for one once, not once per line.
    let i = 0;
    let n = text.indexOf('\n');
    let r = text.indexOf('\r');
    while (n >= 0 || r >= 0) {
      let brk: number;
      if (r < 0 || (n >= 0 && n < r)) { brk = n; i = n + 1; }
      else { brk = r; i = text.charCodeAt(r + 1) === 10 ? r + 2 : r + 1; }
      ends.push(brk);
      starts.push(i);
      if (n >= 0 && n < i) n = text.indexOf('\n', i);
      if (r >= 0 && r < i) r = text.indexOf('\r', i);
    }
    ends.push(text.length);
    this.starts_ = starts;
    this.ends_ = ends;
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

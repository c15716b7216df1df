// Between the text an analysis was made from and the document's current
// text. Hover and completion answer from the last finished analysis while a
// newer one is being made; an offset in the text both share (before or after
// the changed region) moves by the size of the change, an offset inside the
// changed region has no counterpart.
//
// Both are made once per document version a request sees, on the thread that
// answers: they must not cost a pass over a 400 KB text per keystroke.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { commonAffixes } from '../model/incremental';
import { LineIndex, Position } from '../model/line-index';

export class TextMap {
  /** Length of the common prefix. */
  private readonly prefix: number;
  /** Length of the common suffix (not overlapping the prefix). */
  private readonly suffix: number;
  private readonly oldLength: number;
  private readonly newLength: number;

  constructor(oldText: string, newText: string) {
    const { prefix, suffix } = commonAffixes(oldText, newText);
    this.prefix = prefix;
    this.suffix = suffix;
    this.oldLength = oldText.length;
    this.newLength = newText.length;
  }

  get identical(): boolean { return this.prefix === this.oldLength && this.prefix === this.newLength; }
  /** Where the change starts (the same in both texts). */
  get changeStart(): number { return this.prefix; }
  /** The first offset of the new text after the changed region (old and new agree from there to the end). */
  get changeEnd(): number { return this.newLength - this.suffix; }

  toOld(offset: number): number | undefined { return this.move(offset, this.newLength, this.oldLength); }
  toNew(offset: number): number | undefined { return this.move(offset, this.oldLength, this.newLength); }

  /** A span of the old text in the new one, if neither end lies inside the change. */
  spanToNew(s: { start: number; end: number }): { start: number; end: number } | undefined {
    const start = this.toNew(s.start);
    const end = this.toNew(s.end);
    return start !== undefined && end !== undefined && start <= end ? { start, end } : undefined;
  }

  private move(offset: number, fromLength: number, toLength: number): number | undefined {
    if (offset <= this.prefix) return offset;
    if (offset >= fromLength - this.suffix) return offset - fromLength + toLength;
    return undefined;
  }
}

/** Offsets ↔ positions of one text, as LineIndex answers them (same clamping). */
export type TextLines = Pick<LineIndex, 'length' | 'lineCount' | 'offset' | 'position' | 'lineStart' | 'lineEnd'>;

/**
 * The lines of an open document's text, read from the line table the
 * document keeps up to date edit by edit — instead of a new LineIndex (a
 * scan of the whole text) per version. Should the document move on while
 * this is held, it answers from a LineIndex of its own text instead.
 */
export class DocumentLines implements TextLines {
  private own: LineIndex | undefined;
  readonly length: number;

  constructor(private readonly doc: TextDocument, private readonly text: string) { this.length = text.length; }

  get lineCount(): number { return this.current()?.lineCount ?? this.doc.lineCount; }

  position(offset: number): Position {
    const own = this.current();
    return own ? own.position(offset) : this.doc.positionAt(clampInt(offset, 0, this.length));
  }

  offset(pos: Position): number {
    const own = this.current();
    if (own) return own.offset(pos);
    const line = clampInt(pos?.line, 0, this.doc.lineCount - 1);
    const start = this.lineStart(line);
    return start + clampInt(pos?.character, 0, this.lineEnd(line) - start);
  }

  lineStart(line: number): number {
    const own = this.current();
    return own ? own.lineStart(line) : this.doc.offsetAt({ line: clampInt(line, 0, this.doc.lineCount - 1), character: 0 });
  }

  /** Where a line's text ends, before its line break. */
  lineEnd(line: number): number {
    const own = this.current();
    if (own) return own.lineEnd(line);
    const l = clampInt(line, 0, this.doc.lineCount - 1);
    if (l + 1 >= this.doc.lineCount) return this.length;
    let end = this.doc.offsetAt({ line: l + 1, character: 0 });
    if (this.text.charCodeAt(end - 1) === 10) end--;
    if (this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  /** A LineIndex when the document no longer holds this text (undefined while it does: the common case, at no cost). */
  private current(): LineIndex | undefined {
    if (!this.own && this.doc.getText() !== this.text) this.own = new LineIndex(this.text);
    return this.own;
  }
}

function clampInt(n: unknown, lo: number, hi: number): number {
  if (typeof n !== 'number' || Number.isNaN(n)) return lo;
  return n <= lo ? lo : n >= hi ? hi : Math.floor(n);
}

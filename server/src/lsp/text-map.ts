// Between the text an analysis was made from and the document's current
// text. Hover and completion answer from the last finished analysis while a
// newer one is being made; an offset in the text both share (before or after
// the changed region) moves by the size of the change, an offset inside the
// changed region has no counterpart.

export class TextMap {
  /** Length of the common prefix. */
  private readonly prefix: number;
  /** Length of the common suffix (not overlapping the prefix). */
  private readonly suffix: number;
  private readonly oldLength: number;
  private readonly newLength: number;

  constructor(oldText: string, newText: string) {
    const max = Math.min(oldText.length, newText.length);
    let p = 0;
    if (oldText !== newText) {
      while (p < max && oldText.charCodeAt(p) === newText.charCodeAt(p)) p++;
      let q = 0;
      while (q < max - p && oldText.charCodeAt(oldText.length - 1 - q) === newText.charCodeAt(newText.length - 1 - q)) q++;
      this.suffix = q;
    } else {
      p = max;
      this.suffix = 0;
    }
    this.prefix = p;
    this.oldLength = oldText.length;
    this.newLength = newText.length;
  }

  get identical(): boolean { return this.prefix === this.oldLength && this.prefix === this.newLength; }
  /** Where the change starts (the same in both texts). */
  get changeStart(): number { return this.prefix; }

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

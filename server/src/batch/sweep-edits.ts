// Text edits of a file set for sweeps and ablations: applying them, and
// validating the edited files exactly as `vmsec check` would. Edits never add
// or remove a line break, so every expectation keeps its line number in every
// variant (results of different points line up by line).
import type { FileSet } from '../model/workspace';
import { Workspace } from '../model/workspace';
import type { Diagnostic } from '../model/diagnostics';
import type { SourceFile } from '../model/source-file';
import { validateFiles } from '../validation/validate-files';
import type { SourceEdit } from './types';

/** The text with the edits applied (offsets refer to the original text; edits must not overlap). */
export function applyEdits(text: string, edits: readonly SourceEdit[]): string {
  // Right to left, so earlier offsets stay valid; equal starts keep their listed order.
  const order = edits.map((e, i) => ({ e, i })).sort((x, y) => y.e.start - x.e.start || y.i - x.i);
  let out = text;
  for (const { e } of order) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** What replaces removed text: only its line breaks, so later lines keep their numbers. */
export function blanked(text: string): string {
  return text.replace(/[^\n]/g, '');
}

/** A removal of `[start, end)` of a file that keeps its line breaks. */
export function removal(file: SourceFile, start: number, end: number): SourceEdit {
  return { path: file.path, start, end, text: blanked(file.text.slice(start, end)) };
}

/**
 * Where a property really ends. The parser's span of `attest vtpm` covers only
 * `attest` (grammar/src/parser.ts builds it from the first keyword); removing
 * just that would leave `vtpm` behind as a syntax error.
 */
export function propEnd(file: SourceFile, p: { key: string; span: { start: number; end: number } }): number {
  if (p.key !== 'attest vtpm') return p.span.end;
  const m = /^\s*vtpm\b/.exec(file.text.slice(p.span.end, p.span.end + 200));
  return m && !file.text.slice(p.span.start, p.span.end).includes('vtpm') ? p.span.end + m[0].length : p.span.end;
}

/** An insertion just before the closing brace of a block (one line, so no line moves). */
export function insertionBeforeClose(file: SourceFile, declSpan: { start: number; end: number }, text: string): SourceEdit | undefined {
  const close = declSpan.end - 1;
  if (file.text[close] !== '}') return undefined;
  return { path: file.path, start: close, end: close, text: ` ${text} ` };
}

export interface EditedCheck {
  /** The edited file set (for resolving again what an edit produced). */
  set: FileSet | undefined;
  /** Errors of the edited files, as `vmsec check` reports them. */
  errors: Diagnostic[];
  /** The edited files, for locating the errors. */
  files: SourceFile[];
}

/**
 * Validates a file set with edits applied. One instance serves a whole sweep:
 * its workspace keeps the parsed files, so each check reparses only the
 * declarations an edit touched.
 */
export class EditedFiles {
  private readonly texts = new Map<string, string>();
  private overlay = new Map<string, string>();
  private readonly ws: Workspace;

  constructor(readonly base: FileSet, private readonly workspaceRoot?: string) {
    for (const f of base.files) this.texts.set(f.path, f.text);
    this.ws = new Workspace({
      read: (p) => {
        const t = this.overlay.get(p) ?? this.texts.get(p);
        return t === undefined ? { ok: false, error: 'is not part of this file set' } : { ok: true, text: t };
      },
    });
  }

  /** The text of every file the edits touch, edited. */
  editedTexts(edits: readonly SourceEdit[]): Map<string, string> {
    const byPath = new Map<string, SourceEdit[]>();
    for (const e of edits) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
    const out = new Map<string, string>();
    for (const [p, es] of byPath) {
      const t = this.texts.get(p);
      if (t !== undefined) out.set(p, applyEdits(t, es));
    }
    return out;
  }

  check(edits: readonly SourceEdit[]): EditedCheck {
    this.overlay = this.editedTexts(edits);
    try {
      const root = this.base.root.path;
      const v = validateFiles(this.ws, [root], { workspaceRoot: this.workspaceRoot });
      return { set: v.graph.fileSet(root), errors: v.diagnostics.filter((d) => d.severity === 'error'), files: v.files };
    } finally {
      this.overlay = new Map();
    }
  }
}

// An error in an imported file stops the whole file set from running (`vmsec
// run` refuses it, `vmsec check` prints it), but an editor shows the
// diagnostics of open files only. So the import line that leads to such a
// file carries the first of its errors, with a link to where it is.
import * as nodePath from 'node:path';
import type { Diagnostic } from '../model/diagnostics';
import { groupBy } from '../model/map-of-lists';
import type { SourceFile } from '../model/source-file';
import { ImportGraph, importsOf, type FileSet } from '../model/workspace';
import { validateGraph } from '../validation/validate-files';

/** Past this many imported files the editor does not validate them (each is the root of its own file set: `vmsec check` does). */
export const MAX_IMPORTED_VALIDATED = 200;

/**
 * The errors of a file set's imported files, each validated as `vmsec check`
 * validates it (as the root of its own file set). Kept per root while the
 * imported files stay the same objects (unchanged texts), so typing in the
 * root does not validate them again — unless one imports the root back.
 */
export class ImportedErrors {
  private readonly kept = new Map<string, { files: SourceFile[]; errors: Diagnostic[] }>();

  of(set: FileSet, workspaceRoot: string): Diagnostic[] {
    const root = set.root;
    const imported = set.files.slice(1);
    if (imported.length === 0 || imported.length > MAX_IMPORTED_VALIDATED) { this.kept.delete(root.path); return []; }
    const cyclic = imported.some((f) => importsOf(f).some((i) => i.target === root.path));
    const key = cyclic ? set.files : imported;
    const hit = this.kept.get(root.path);
    if (hit && hit.files.length === key.length && hit.files.every((f, i) => f === key[i])) return hit.errors;
    const v = validateGraph(ImportGraph.ofFiles(set.files), [root.path], { workspaceRoot }, undefined, new Set([root.path]));
    const errors = v.diagnostics.filter((d) => d.severity === 'error' && d.path !== root.path);
    this.kept.set(root.path, { files: key, errors });
    return errors;
  }

  forget(path: string): void { this.kept.delete(path); }
}

/** One error per import line of the root whose imported files (transitively) have errors. */
export function importLineErrors(set: FileSet, errorsOfImports: readonly Diagnostic[]): Diagnostic[] {
  if (errorsOfImports.length === 0) return [];
  const root = set.root;
  const errors = groupBy(errorsOfImports, (d) => d.path);
  const byPath = new Map(set.files.map((f) => [f.path, f]));
  const out: Diagnostic[] = [];
  for (const imp of importsOf(root)) {
    // The files this import brings in, depth-first as the set lists them.
    const reached: string[] = [];
    const seen = new Set<string>([root.path]);
    const stack = [imp.target];
    while (stack.length) {
      const p = stack.pop()!;
      const f = byPath.get(p);
      if (!f || seen.has(p)) continue;
      seen.add(p);
      reached.push(p);
      const next = importsOf(f);
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i].target);
    }
    const found = reached.flatMap((p) => errors.get(p) ?? []);
    if (found.length === 0) continue;
    const first = found[0];
    const at = byPath.get(first.path)!.lines.position(first.span.start);
    const where = `${nodePath.relative(nodePath.dirname(root.path), first.path).split(nodePath.sep).join('/')}:${at.line + 1}:${at.character + 1}`;
    const more = found.length > 1 ? ` (and ${found.length - 1} more ${found.length === 2 ? 'error' : 'errors'} in imported files)` : '';
    out.push({
      path: root.path, span: imp.decl.path.span, severity: 'error', code: first.code,
      message: `${where}: ${first.message}${more}`,
      related: [{ path: first.path, span: first.span, message: first.message }],
    });
  }
  return out;
}

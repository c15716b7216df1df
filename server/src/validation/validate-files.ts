// Validation of a whole set of files: the files named and everything they
// import, each validated as the root of its own file set (its namespace is
// itself plus what it imports, LANGUAGE.md §3). `check` reports this, and
// `run` refuses to run when any of these files has an error, so a
// checkpoint declared in an imported file is checked before it is written.
// The import graph is read and analysed once for all the roots.
import { dirname } from 'node:path';
import type { Diagnostic } from '../model/diagnostics';
import type { SourceFile } from '../model/source-file';
import { FileSet, ImportGraph, Workspace } from '../model/workspace';
import { resolveFileSet, Resolved } from '../model/resolve';
import { ModelCache } from '../model/semantic';
import { collectReferences } from '../model/references';
import { validateFileSet, ValidateOptions } from './validate';

export interface ValidatedFiles {
  /** Every readable file validated, roots first, in discovery order. */
  files: SourceFile[];
  /** Diagnostics of all those files, file by file. */
  diagnostics: Diagnostic[];
  /** Roots that could not be read, with the reason (a user message). */
  unreadable: { path: string; error: string }[];
  /** The import graph validated (file sets for running come from it). */
  graph: ImportGraph;
}

/** `skip`: files of the graph not to validate (the editor has its open file's own diagnostics already). */
export function validateGraph(graph: ImportGraph, roots: string[], options: ValidateOptions = {}, rootResolved?: Map<string, Resolved>, skip?: ReadonlySet<string>): ValidatedFiles {
  const files = skip ? graph.all().filter((f) => !skip.has(f.path)) : graph.all();
  const diagnostics: Diagnostic[] = [];
  // Files of one import cycle reach the same files, so they share one
  // namespace and model; only the references differ (they are the root's).
  const shared = new Map<number, Resolved>();
  // The file sets of an import chain overlap: each declaration's model object is built once, not once per set.
  const cache = new ModelCache();
  // Without a workspace root, a file's writes are confined to the folder of
  // the root that reached it first — the folder the run itself uses — not to
  // the imported file's own folder (one rule for check and run).
  const defaultRoot = new Map<string, string>();
  if (!options.workspaceRoot) {
    for (const r of roots) for (const f of graph.fileSet(r)?.files ?? []) if (!defaultRoot.has(f.path)) defaultRoot.set(f.path, dirname(r));
  }
  for (const f of files) {
    const set = graph.fileSet(f.path)!;
    let resolved = rootResolved?.get(f.path);
    const c = graph.component(f.path);
    if (!resolved && c !== undefined && graph.cyclic(f.path)) {
      const s = shared.get(c);
      if (s) resolved = { ns: s.ns, model: s.model, refs: collectReferences(set.root, s.ns) };
      else shared.set(c, resolved = resolveFileSet(set, cache));
    }
    const found = validateFileSet(set, { ...options, workspaceRoot: options.workspaceRoot ?? defaultRoot.get(f.path) }, resolved ?? resolveFileSet(set, cache));
    for (const d of found) diagnostics.push(d);
  }
  const unreadable = roots.flatMap((p) => {
    const error = graph.error(p);
    return error === undefined ? [] : [{ path: p, error }];
  });
  return { files, diagnostics, unreadable, graph };
}

/** Validates `roots` (absolute paths) and every file they import. */
export function validateFiles(ws: Workspace, roots: string[], options: ValidateOptions = {}): ValidatedFiles {
  return validateGraph(ws.graph(roots), roots, options);
}

/** Validates every file of a file set (the root with `resolved` when given, so a run resolves it once). */
export function validateFileSetFiles(set: FileSet, options: ValidateOptions = {}, resolved?: Resolved): ValidatedFiles {
  return validateGraph(set.graph ?? ImportGraph.ofFiles(set.files), [set.root.path], options, resolved ? new Map([[set.root.path, resolved]]) : undefined);
}

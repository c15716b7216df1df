// The set of files the tools know, with imports resolved relative to the
// importing file. Parsed files are cached by path and text, so the server
// re-parses only what changed; a file set (a file plus everything it imports,
// transitively) is what one namespace covers (LANGUAGE.md §3).
import * as nodePath from 'node:path';
import type { ImportDecl } from '../../../grammar/src/ast';
import { diag, Diagnostic } from './diagnostics';
import { parseSource, SourceFile } from './source-file';
import { reparse } from './incremental';

/** Where file text comes from: the disk for the CLI, open editors first for the server. */
export interface FileReader {
  read(path: string): string | undefined;
}

export interface ResolvedImport { decl: ImportDecl; target: string }

export interface FileSet {
  root: SourceFile;
  /** The root first, then its imports depth-first, each once. */
  files: SourceFile[];
  /** Import problems on the root's own import lines (VMS004). */
  diagnostics: Diagnostic[];
}

export class Workspace {
  private readonly cache = new Map<string, SourceFile>();

  constructor(private readonly reader: FileReader) {}

  /** The parsed file at a path, or undefined if it cannot be read. */
  get(path: string): SourceFile | undefined {
    const text = this.reader.read(path);
    if (text === undefined) { this.cache.delete(path); return undefined; }
    const cached = this.cache.get(path);
    if (cached && cached.text === text) return cached;
    // An edit of a known file reparses only the declarations it touched.
    const file = cached ? reparse(cached, text) : parseSource(path, text);
    this.cache.set(path, file);
    return file;
  }

  forget(path: string): void { this.cache.delete(path); }

  imports(file: SourceFile): ResolvedImport[] {
    const out: ResolvedImport[] = [];
    for (const d of file.doc.decls) {
      if (d.kind === 'import' && d.path.value) out.push({ decl: d, target: nodePath.resolve(nodePath.dirname(file.path), d.path.value) });
    }
    return out;
  }

  fileSet(rootPath: string): FileSet | undefined {
    const root = this.get(rootPath);
    if (!root) return undefined;
    const files: SourceFile[] = [];
    const seen = new Set<string>();
    const visit = (f: SourceFile) => {
      if (seen.has(f.path)) return;
      seen.add(f.path);
      files.push(f);
      for (const imp of this.imports(f)) {
        const target = this.get(imp.target);
        if (target) visit(target);
      }
    };
    visit(root);
    return { root, files, diagnostics: this.importDiagnostics(root) };
  }

  /** VMS004 on the root's imports: unreadable targets, and imports that lead back to the root. */
  private importDiagnostics(root: SourceFile): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const imp of this.imports(root)) {
      const target = this.get(imp.target);
      if (!target) {
        out.push(diag(root.path, imp.decl.path.span, 'VMS004', `cannot read '${imp.decl.path.value}' (looked for ${imp.target}); check the path, which is relative to this file`));
        continue;
      }
      const cycle = this.pathBack(target, root.path);
      if (cycle) {
        const chain = [root.path, ...cycle].map((p) => nodePath.basename(p)).join(' → ');
        out.push(diag(root.path, imp.decl.path.span, 'VMS004', `imports form a cycle: ${chain}; move the shared declarations into a file that both import`));
      }
    }
    return out;
  }

  /** The chain of files from `from` that imports `to`, if any (for cycle messages). */
  private pathBack(from: SourceFile, to: string): string[] | undefined {
    const prev = new Map<string, string | null>([[from.path, null]]);
    const queue = [from];
    while (queue.length) {
      const f = queue.shift()!;
      if (f.path === to) {
        const chain: string[] = [];
        for (let p: string | null = to; p !== null; p = prev.get(p) ?? null) chain.unshift(p);
        return chain;
      }
      for (const imp of this.imports(f)) {
        if (prev.has(imp.target)) continue;
        const t = this.get(imp.target);
        if (!t) continue;
        prev.set(imp.target, f.path);
        queue.push(t);
      }
    }
    return undefined;
  }
}

// What the server knows: open documents (their text wins over the disk), the
// workspace's .vmsec files, and cached analyses. An analysis (file set,
// resolution, diagnostics) is recomputed only when the text of a file in its
// set changed, so a keystroke costs one file's parse plus its set's linking.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../model/diagnostics';
import { Workspace, FileSet } from '../model/workspace';
import type { SourceFile } from '../model/source-file';
import { resolveFileSet, Resolved } from '../model/resolve';
import { validateFileSet } from '../validation/validate';

export interface Analysis { set: FileSet; resolved: Resolved; diagnostics: Diagnostic[]; key: string }

export class Session {
  readonly open = new Map<string, TextDocument>();   // by path
  readonly roots: string[] = [];
  private readonly diskFiles = new Set<string>();
  readonly workspace: Workspace;
  private readonly analyses = new Map<string, Analysis>();

  constructor() {
    this.workspace = new Workspace({
      read: (path) => {
        const doc = this.open.get(path);
        if (doc) return doc.getText();
        try { return fs.readFileSync(path, 'utf8'); } catch { return undefined; }
      },
    });
  }

  addRoot(dir: string): void {
    this.roots.push(dir);
    const walk = (d: string, depth: number) => {
      if (depth > 12) return;
      let entries: fs.Dirent[];
      try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
      for (const e of entries) {
        if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
        const p = nodePath.join(d, e.name);
        if (e.isDirectory()) walk(p, depth + 1);
        else if (e.name.endsWith('.vmsec')) this.diskFiles.add(p);
      }
    };
    walk(dir, 0);
  }

  fileChangedOnDisk(path: string, deleted: boolean): void {
    if (deleted) this.diskFiles.delete(path); else if (path.endsWith('.vmsec')) this.diskFiles.add(path);
    this.workspace.forget(path);
  }

  /** Every .vmsec file known: open ones and those found in the workspace folders. */
  knownFiles(): string[] { return [...new Set([...this.open.keys(), ...this.diskFiles])]; }

  workspaceRootOf(path: string): string {
    const root = this.roots.filter((r) => path.startsWith(r + nodePath.sep)).sort((a, b) => b.length - a.length)[0];
    return root ?? nodePath.dirname(path);
  }

  file(path: string): SourceFile | undefined { return this.workspace.get(path); }

  /** The analysis of a file as the root of its file set (cached on the texts of the set). */
  analyze(path: string): Analysis | undefined {
    const set = this.workspace.fileSet(path);
    if (!set) return undefined;
    const key = set.files.map((f) => `${f.path}\u0000${f.text.length}`).join('\u0001');
    const cached = this.analyses.get(path);
    if (cached && cached.key === key && cached.set.files.every((f, i) => f === set.files[i])) return cached;
    const resolved = resolveFileSet(set);
    const diagnostics = validateFileSet(set, { workspaceRoot: this.workspaceRootOf(path) }, resolved);
    const a = { set, resolved, diagnostics, key };
    this.analyses.set(path, a);
    return a;
  }

  /** Open files whose file set contains `path` (to refresh importers' diagnostics). */
  openImporters(path: string): string[] {
    return [...this.open.keys()].filter((p) => p !== path && this.workspace.fileSet(p)?.files.some((f) => f.path === path));
  }
}

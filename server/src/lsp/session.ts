// What the server knows: open documents (their text wins over the disk), the
// workspace's .vmsec files, and cached analyses. Every disk read goes through
// readSourceFile (regular files only, size-capped, never blocking), so a FIFO
// or a device named *.vmsec in the workspace is skipped, not opened.
//
// Memory follows the open documents: analyses are kept for open files only,
// and parsed files only while an open file imports them (prune()).
//
// Two parse caches: `workspace` holds the trees analyses are made of;
// `parsed` serves parse-only features (outline, folding, formatting). An
// incremental reparse shifts the spans of the old tree in place, so a tree an
// analysis holds is only ever replaced together with that analysis — never
// reparsed underneath it while hover still answers from it.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../model/diagnostics';
import { Workspace, FileSet, FileReader } from '../model/workspace';
import type { SourceFile } from '../model/source-file';
import { readSourceFile } from '../model/source-reader';
import { resolveFileSet, resolveNames, Resolved } from '../model/resolve';
import type { Reference } from '../model/references';
import { validateFileSet } from '../validation/validate';
import { pathToUri, uriToPath } from './convert';
import { DocumentLines, TextLines, TextMap } from './text-map';

export interface Analysis { set: FileSet; resolved: Resolved; diagnostics?: Diagnostic[]; key: string }

/** The last finished analysis of a file and how the document moved on since. */
export interface Snapshot {
  analysis: Analysis;
  /** The document's current text and its lines. */
  text: string;
  lines: TextLines;
  /** Analysis text ↔ current text. */
  map: TextMap;
}

/** How far the workspace scan goes: deep enough for any project, bounded for a home folder opened by mistake. */
const SCAN_DEPTH = 12;
const SCAN_MAX_FILES = 20_000;
const SCAN_MAX_ENTRIES = 500_000;

export class Session {
  readonly open = new Map<string, TextDocument>();   // by path; the document keeps the URI the client used
  readonly roots: string[] = [];
  private readonly diskFiles = new Set<string>();
  readonly workspace: Workspace;
  private readonly parsed: Workspace;
  private readonly analyses = new Map<string, Analysis>();
  /** Every path either parse cache may hold (to drop them in prune()). */
  private readonly touched = new Set<string>();
  private readonly snapshots = new Map<string, { analysis: Analysis; version: number; snap: Snapshot }>();
  /** Files read from disk so far (tests hold navigation to one read per file). */
  diskReads = 0;

  constructor() {
    const reader: FileReader = {
      read: (path) => {
        this.touched.add(path);
        const doc = this.open.get(path);
        if (doc) return { ok: true, text: doc.getText() };
        this.diskReads++;
        return readSourceFile(path);
      },
    };
    this.workspace = new Workspace(reader);
    this.parsed = new Workspace(reader);
  }

  /** Finds the .vmsec files under a workspace folder. Symlinked folders are not followed (no loops); other entries that are not files or symlinks (FIFOs, devices, sockets) are skipped here, and whatever a symlink names is checked by readSourceFile when read. */
  addRoot(dir: string): { files: number; truncated: boolean } {
    this.roots.push(dir);
    let files = 0;
    let entries = 0;
    const stack: [string, number][] = [[dir, 0]];
    while (stack.length) {
      const [d, depth] = stack.pop()!;
      let list: fs.Dirent[];
      try { list = fs.readdirSync(d, { withFileTypes: true }); } catch { continue; }
      for (const e of list) {
        if (++entries > SCAN_MAX_ENTRIES || files >= SCAN_MAX_FILES) return { files, truncated: true };
        if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
        const p = nodePath.join(d, e.name);
        if (e.isDirectory()) { if (depth < SCAN_DEPTH) stack.push([p, depth + 1]); }
        else if ((e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.vmsec')) { this.diskFiles.add(p); files++; }
      }
    }
    return { files, truncated: false };
  }

  fileChangedOnDisk(path: string, deleted: boolean): void {
    if (deleted) this.diskFiles.delete(path); else if (path.endsWith('.vmsec')) this.diskFiles.add(path);
    this.workspace.forget(path);
    this.parsed.forget(path);
  }

  /** Every .vmsec file known: open ones and those found in the workspace folders. */
  knownFiles(): string[] { return [...new Set([...this.open.keys(), ...this.diskFiles])]; }

  workspaceRootOf(path: string): string {
    const root = this.roots.filter((r) => path.startsWith(r + nodePath.sep)).sort((a, b) => b.length - a.length)[0];
    return root ?? nodePath.dirname(path);
  }

  /** The path a request's URI names, or undefined when it names nothing we may answer for. A URI with a query or a fragment is answered only if it is exactly the URI of an open document: its edits and locations go back to that URI, never to the plain file. */
  pathOf(uri: unknown): string | undefined {
    if (typeof uri !== 'string' || !uri) return undefined;
    const path = uriToPath(uri);
    if (path === undefined) return undefined;
    if (uri.startsWith('file:') && /[?#]/.test(uri)) return this.open.get(path)?.uri === uri ? path : undefined;
    return path;
  }

  /** The URI to send back for a path: the one the client opened it with, else a file URI. */
  uriOf(path: string): string { return this.open.get(path)?.uri ?? pathToUri(path); }

  /** A parsed file for parse-only features (outline, folding, formatting, workspace symbols). */
  parsedFile(path: string): SourceFile | undefined {
    // An open file's analysis of its current text already holds its tree, and
    // one never analysed is about to be (hover needs it): a second parse of a
    // 15 MiB file held this thread for seconds. Read-only use is safe: the tree
    // is only replaced together with its analysis.
    const doc = this.open.get(path);
    if (doc) {
      const a = this.analyses.get(path);
      if (!a) { const made = this.analyze(path); if (made) return made.set.root; }
      // Same text, and still the tree the workspace holds (else the analysis is dropped as stale).
      else if (a.set.root.text === doc.getText() && this.file(path) === a.set.root) return a.set.root;
      this.parseOnlyReads++;
    }
    return this.parsed.get(path);
  }

  /** Open files read through the parse-only cache (tests: outline and folding of a freshly analysed file use its analysis' tree). */
  parseOnlyReads = 0;

  /** The parsed file an analysis of `path` holds (navigation features convert its spans). */
  file(path: string): SourceFile | undefined {
    const f = this.workspace.get(path);
    if (f) this.dropStale([f]);
    return f;
  }

  /** The analysis of a file as the root of its file set, up to date with the texts; cached for open files. */
  analyze(path: string, opts: { diagnostics?: boolean } = {}): Analysis | undefined {
    const set = this.workspace.fileSet(path);
    if (!set) return undefined;
    this.dropStale(set.files);
    const key = set.files.map((f) => `${f.path}\u0000${f.text.length}`).join('\u0001');
    let a = this.analyses.get(path);
    if (!a || a.key !== key || !sameFiles(a.set, set)) {
      a = { set, resolved: resolveFileSet(set), key };
      if (this.open.has(path)) this.analyses.set(path, a);
    }
    if (opts.diagnostics && !a.diagnostics) a.diagnostics = validateFileSet(set, { workspaceRoot: this.workspaceRootOf(path) }, a.resolved);
    return a;
  }

  /**
   * The references written in each of `paths` that may name `word` (each
   * resolved in its own file set), for find-references and rename. Every file
   * is read once for all of them (one import graph), a file whose text does
   * not contain `word` is skipped, and no semantic model is built: an analysis
   * per file re-read every import of every file, and a chain of 1,000 imports
   * took 18 s.
   */
  referencesIn(paths: string[], word: string): { path: string; refs: Reference[] }[] {
    const graph = this.workspace.graph(paths);
    this.dropStale(graph.all());
    const out: { path: string; refs: Reference[] }[] = [];
    for (const p of paths) {
      const root = graph.file(p);
      if (!root || !root.text.includes(word)) continue;
      const set = graph.fileSet(p)!;
      const cached = this.analyses.get(p);
      const refs = cached && sameFiles(cached.set, set) ? cached.resolved.refs : resolveNames(set).refs;
      out.push({ path: p, refs });
    }
    return out;
  }

  /**
   * For hover and completion: the last finished analysis of an open file with
   * the document's current text, without analysing again (a whole-file
   * analysis of a big file takes longer than a hover may). Only a file never
   * analysed is analysed here.
   */
  snapshot(path: string): Snapshot | undefined {
    const doc = this.open.get(path);
    const analysis = this.analyses.get(path) ?? this.analyze(path);
    if (!analysis) return undefined;
    if (!doc) {
      const text = analysis.set.root.text;
      return { analysis, text, lines: analysis.set.root.lines, map: new TextMap(text, text) };
    }
    const cached = this.snapshots.get(path);
    if (cached && cached.analysis === analysis && cached.version === doc.version) return cached.snap;
    const text = doc.getText();
    const same = text === analysis.set.root.text;
    // Per version a request sees: the document's own line table, not a scan of the text.
    const snap: Snapshot = { analysis, text, lines: same ? analysis.set.root.lines : new DocumentLines(doc, text), map: new TextMap(analysis.set.root.text, text) };
    this.snapshots.set(path, { analysis, version: doc.version, snap });
    return snap;
  }

  /** Whether the cached analysis of an open file is older than its text. */
  isStale(path: string): boolean {
    const a = this.analyses.get(path);
    const doc = this.open.get(path);
    return !a || (!!doc && a.set.root.text !== doc.getText());
  }

  /** Open files whose file set contains `path` (to refresh importers' diagnostics). */
  openImporters(path: string): string[] {
    return [...this.open.keys()].filter((p) => p !== path && this.analyses.get(p)?.set.files.some((f) => f.path === path));
  }

  /** Forgets an open document: what only it needed goes (see prune). */
  close(path: string): void {
    this.open.delete(path);
    this.prune();
  }

  /** Keeps analyses of open files only, and parsed files only if open or imported by an open file's analysis. */
  prune(): void {
    const keep = new Set<string>(this.open.keys());
    for (const [p, a] of this.analyses) {
      if (!this.open.has(p)) { this.analyses.delete(p); continue; }
      for (const f of a.set.files) keep.add(f.path);
    }
    for (const p of this.snapshots.keys()) if (!this.open.has(p)) this.snapshots.delete(p);
    for (const p of this.touched) {
      if (keep.has(p)) continue;
      this.workspace.forget(p);
      this.parsed.forget(p);
      this.touched.delete(p);
    }
  }

  /** Cache sizes, for tests (vmsec/debug/cacheSizes). */
  cacheSizes(): { open: number; analyses: number; parsedPaths: number; snapshots: number } {
    return { open: this.open.size, analyses: this.analyses.size, parsedPaths: this.touched.size, snapshots: this.snapshots.size };
  }

  /** An analysis whose files were reparsed since (their spans shifted in place) can no longer answer. */
  private dropStale(current: SourceFile[]): void {
    const byPath = new Map(current.map((f) => [f.path, f]));
    for (const [p, a] of this.analyses) {
      if (a.set.files.some((f) => { const c = byPath.get(f.path); return c !== undefined && c !== f; })) {
        this.analyses.delete(p);
        this.snapshots.delete(p);
      }
    }
  }
}

/** Whether two file sets hold the very same parsed files, in order (a cached analysis still answers). */
function sameFiles(a: FileSet, b: FileSet): boolean {
  return a.files.length === b.files.length && a.files.every((f, i) => f === b.files[i]);
}

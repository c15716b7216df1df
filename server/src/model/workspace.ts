// The set of files the tools know, with imports resolved relative to the
// importing file. Parsed files are cached by path and text, so the server
// re-parses only what changed; a file set (a file plus everything it imports,
// transitively) is what one namespace covers (LANGUAGE.md §3).
import * as nodePath from 'node:path';
import type { ImportDecl } from '../../../grammar/src/ast';
import { diag, Diagnostic } from './diagnostics';
import { parseSource, SourceFile } from './source-file';
import { reparse } from './incremental';
import type { ReadResult } from './source-reader';
import { appendTo } from './map-of-lists';

/** Where file text comes from: the disk for the CLI (through readSourceFile),
 *  open editors first for the server. */
export interface FileReader {
  read(path: string): ReadResult;
}

export interface ResolvedImport { decl: ImportDecl; target: string }

export interface FileSet {
  root: SourceFile;
  /** The root first, then its imports depth-first, each once. */
  files: SourceFile[];
  /** Import problems on the root's own import lines (VMS004). */
  diagnostics: Diagnostic[];
  /** The import graph the set was taken from (every file reached, each read
   *  once); sets built by hand leave it out and get one from their files. */
  graph?: ImportGraph;
}

export function importsOf(file: SourceFile): ResolvedImport[] {
  const out: ResolvedImport[] = [];
  for (const d of file.doc.decls) {
    if (d.kind === 'import' && d.path.value) out.push({ decl: d, target: nodePath.resolve(nodePath.dirname(file.path), d.path.value) });
  }
  return out;
}

export class Workspace {
  private readonly cache = new Map<string, SourceFile>();

  constructor(private readonly reader: FileReader) {}

  /** The parsed file at a path, or undefined if it cannot be read. */
  get(path: string): SourceFile | undefined {
    const r = this.load(path);
    return r.ok ? r.file : undefined;
  }

  /** The parsed file at a path, or why it cannot be read (a user message). */
  load(path: string): { ok: true; file: SourceFile } | { ok: false; error: string } {
    const r = this.reader.read(path);
    if (!r.ok) { this.cache.delete(path); return r; }
    const text = r.text;
    const cached = this.cache.get(path);
    if (cached && cached.text === text) return { ok: true, file: cached };
    // An edit of a known file reparses only the declarations it touched.
    const file = cached ? reparse(cached, text) : parseSource(path, text);
    this.cache.set(path, file);
    return { ok: true, file };
  }

  forget(path: string): void { this.cache.delete(path); }

  imports(file: SourceFile): ResolvedImport[] { return importsOf(file); }

  /** A snapshot of the files reachable from `roots`: each read once, the
   *  import graph and its cycles computed once. Use one graph for a whole
   *  check or run of many files; fileSet() below builds one per call. */
  graph(roots: string[]): ImportGraph {
    return new ImportGraph((p) => this.load(p), roots);
  }

  fileSet(rootPath: string): FileSet | undefined {
    return this.graph([rootPath]).fileSet(rootPath);
  }
}

/** Cycle chains longer than this are shown abbreviated, so a cycle of
 *  thousands of files gives messages of bounded length. */
const MAX_CHAIN_SHOWN = 8;

/** Why an import of a file not named *.vmsec is refused (VMS004). */
export const NOT_A_VMSEC_FILE = 'is not a .vmsec file: an import names a vmsec file, so that no other file\'s text is read and quoted in messages';

export class ImportGraph {
  private readonly files = new Map<string, SourceFile>();
  private readonly errors = new Map<string, string>();
  private readonly edges = new Map<string, ResolvedImport[]>();
  private readonly importDiags = new Map<string, Diagnostic[]>();
  /** Every path reached from the roots, readable or not, in discovery order. */
  readonly reached: string[] = [];

  /** The graph of files already parsed (a file set built by hand): imports of other files are unreadable. */
  static ofFiles(files: SourceFile[]): ImportGraph {
    const byPath = new Map(files.map((f) => [f.path, f]));
    return new ImportGraph((p) => {
      const file = byPath.get(p);
      return file ? { ok: true, file } : { ok: false, error: 'is not part of this file set' };
    }, files.slice(0, 1).map((f) => f.path));
  }

  constructor(load: (path: string) => { ok: true; file: SourceFile } | { ok: false; error: string }, roots: string[]) {
    // Breadth-first over the imports; each file read and parsed once.
    const queue: string[] = [];
    const enqueue = (p: string, imported: boolean) => {
      if (this.files.has(p) || this.errors.has(p)) return;
      // An import names a vmsec file. Any other file would be parsed and its
      // words quoted in syntax errors: `import "/home/me/.aws/credentials"`
      // in someone else's scenario would print a secret into a CI log.
      const r = imported && !p.endsWith('.vmsec') ? { ok: false as const, error: NOT_A_VMSEC_FILE } : load(p);
      if (r.ok) { this.files.set(p, r.file); queue.push(p); } else this.errors.set(p, r.error);
      this.reached.push(p);
    };
    for (const r of roots) enqueue(r, false);
    for (let i = 0; i < queue.length; i++) {
      const f = this.files.get(queue[i])!;
      const imps = importsOf(f);
      this.edges.set(f.path, imps);
      for (const imp of imps) enqueue(imp.target, true);
    }
    this.findProblems();
  }

  /** The parsed file, if it could be read. */
  file(path: string): SourceFile | undefined { return this.files.get(path); }

  /** Why a reached path could not be read. */
  error(path: string): string | undefined { return this.errors.get(path); }

  private comp = new Map<string, number>();

  /** The strongly connected component of a file (files that import each other
   *  in a cycle share one), as a number; files of one component reach the same files. */
  component(path: string): number | undefined { return this.comp.get(path); }

  /** Whether a file is on an import cycle. */
  cyclic(path: string): boolean { return this.cyclicFiles.has(path); }
  private readonly cyclicFiles = new Set<string>();

  /** Every readable file reached, in discovery order. */
  all(): SourceFile[] { return this.reached.flatMap((p) => this.files.get(p) ?? []); }

  fileSet(rootPath: string): FileSet | undefined {
    const root = this.files.get(rootPath);
    if (!root) return undefined;
    // Depth-first, iteratively (chains of thousands of files must not overflow the stack).
    const files: SourceFile[] = [];
    const seen = new Set<string>([root.path]);
    const stack: SourceFile[] = [root];
    while (stack.length) {
      const f = stack.pop()!;
      files.push(f);
      const imps = this.edges.get(f.path) ?? [];
      for (let i = imps.length - 1; i >= 0; i--) {
        const t = imps[i].target;
        const tf = this.files.get(t);
        if (!tf || seen.has(t)) continue;
        seen.add(t);
        stack.push(tf);
      }
    }
    return { root, files, diagnostics: this.importDiags.get(root.path) ?? [], graph: this };
  }

  /** VMS004 on import lines: unreadable targets, and imports that close a cycle
   *  (every import whose target is in the importing file's strongly connected
   *  component). Linear in files + imports. */
  private findProblems(): void {
    const comp = this.components();
    this.comp = comp;
    const byComp = new Map<number, string[]>();
    for (const [p, c] of comp) appendTo(byComp, c, p);
    // Per component, BFS trees to and from one representative give a cycle
    // through any inner import u → v: u → v ⇝ rep ⇝ u.
    const toRep = new Map<string, string | null>();   // next step towards the representative
    const fromRep = new Map<string, string | null>();  // previous step from the representative
    const reverse = new Map<string, string[]>();
    for (const [u, imps] of this.edges) {
      for (const { target: v } of imps) {
        if (comp.get(v) === undefined || comp.get(v) !== comp.get(u)) continue;
        appendTo(reverse, v, u);
      }
    }
    for (const members of byComp.values()) {
      const rep = members[0];
      const inComp = (x: string) => comp.get(x) === comp.get(rep);
      fromRep.set(rep, null);
      const q1 = [rep];
      for (let i = 0; i < q1.length; i++) {
        for (const { target } of this.edges.get(q1[i]) ?? []) {
          if (!inComp(target) || fromRep.has(target)) continue;
          fromRep.set(target, q1[i]);
          q1.push(target);
        }
      }
      toRep.set(rep, null);
      const q2 = [rep];
      for (let i = 0; i < q2.length; i++) {
        for (const src of reverse.get(q2[i]) ?? []) {
          if (toRep.has(src)) continue;
          toRep.set(src, q2[i]);
          q2.push(src);
        }
      }
    }

    for (const [u, imps] of this.edges) {
      const out: Diagnostic[] = [];
      for (const imp of imps) {
        const err = this.errors.get(imp.target);
        if (err !== undefined) {
          // Only a missing file gets the hint: the others were found and refused.
          const hint = err === 'does not exist' ? '; the path is relative to this file' : '';
          out.push(diag(u, imp.decl.path.span, 'VMS004', `cannot read '${imp.decl.path.value}': ${imp.target} ${err}${hint}`));
          continue;
        }
        if (comp.get(imp.target) !== comp.get(u)) continue;
        const selfLoop = imp.target === u;
        if (!selfLoop && (byComp.get(comp.get(u)!)?.length ?? 0) < 2) continue;
        this.cyclicFiles.add(u);
        const chain = this.cycleChain(u, imp.target, toRep, fromRep);
        out.push(diag(u, imp.decl.path.span, 'VMS004', `imports form a cycle: ${chain}; move the shared declarations into a file that both import`));
      }
      if (out.length) this.importDiags.set(u, out);
    }
  }

  /** "a.vmsec → b.vmsec → a.vmsec", abbreviated in the middle when long. */
  private cycleChain(u: string, v: string, toRep: Map<string, string | null>, fromRep: Map<string, string | null>): string {
    const name = (p: string) => nodePath.basename(p);
    if (u === v) return `${name(u)} → ${name(u)}`;
    // Head: u, v, then towards the representative; tail: from the representative to u.
    const head: string[] = [u];
    const headSeen = new Set<string>([u]);
    for (let x: string | null = v; x !== null && head.length <= MAX_CHAIN_SHOWN; x = toRep.get(x) ?? null) {
      if (x === u) return [...head, u].map(name).join(' → ');
      if (headSeen.has(x)) break;
      head.push(x); headSeen.add(x);
    }
    const tail: string[] = [];
    for (let x: string | null = fromRep.get(u) ?? null; x !== null && tail.length <= MAX_CHAIN_SHOWN; x = fromRep.get(x) ?? null) tail.unshift(x);
    // Join head … tail at their first common file, when the whole walk is short.
    const joinAt = tail.findIndex((x) => headSeen.has(x));
    if (joinAt >= 0) {
      const k = head.indexOf(tail[joinAt]);
      const walk = [...head.slice(0, k + 1), ...tail.slice(joinAt + 1), u];
      if (walk.length <= MAX_CHAIN_SHOWN + 1) return walk.map(name).join(' → ');
    }
    return [...head.slice(0, 3).map(name), '…', ...tail.slice(-2).map(name), name(u)].join(' → ');
  }

  /** Strongly connected components (Tarjan, iterative): path → component id. */
  private components(): Map<string, number> {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const comp = new Map<string, number>();
    let next = 0;
    let compId = 0;
    const targets = (p: string) => (this.edges.get(p) ?? []).map((e) => e.target).filter((t) => this.files.has(t));
    for (const start of this.files.keys()) {
      if (index.has(start)) continue;
      const work: { node: string; succ: string[]; i: number }[] = [];
      const open = (node: string) => {
        index.set(node, next); low.set(node, next); next++;
        stack.push(node); onStack.add(node);
        work.push({ node, succ: targets(node), i: 0 });
      };
      open(start);
      while (work.length) {
        const top = work[work.length - 1];
        if (top.i < top.succ.length) {
          const w = top.succ[top.i++];
          if (!index.has(w)) open(w);
          else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
          continue;
        }
        work.pop();
        if (work.length) {
          const parent = work[work.length - 1].node;
          low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
        }
        if (low.get(top.node) === index.get(top.node)) {
          let w: string;
          do { w = stack.pop()!; onStack.delete(w); comp.set(w, compId); } while (w !== top.node);
          compId++;
        }
      }
    }
    return comp;
  }
}

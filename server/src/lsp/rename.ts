// Rename: the declaration and every reference, across imported and importing
// files. A new name must be a valid identifier, and the edit must leave every
// file as valid as it was: the name must be free in every file set the edits
// touch (and in the scenarios that restore VMs under their own names), and a
// name that means one process in several VMs is not renamed in one alone.
import { ResponseError, ErrorCodes, Range, WorkspaceEdit, TextEdit } from 'vscode-languageserver';
import type * as A from '../../../grammar/src/ast';
import type { Session } from './session';
import { occurrences, sameSym, symbolAt } from './navigation';
import { toRange } from './convert';
import { declaredSymbols, processSymbols, KIND_WORDS, Sym, SymbolKind } from '../model/symbols';
import { importsOf } from '../model/workspace';
import type { SourceFile } from '../model/source-file';
import { article } from '../validation/names';
import { appendTo } from '../model/map-of-lists';

const IDENT = /^[A-Za-z_](?:[A-Za-z0-9_]|-(?!>))*$/;

export function prepareRename(session: Session, path: string, offset: number): { range: Range; placeholder: string } | undefined {
  const hit = symbolAt(session, path, offset);
  const f = session.file(path);
  if (!hit || !f) return undefined;
  const span = hit.ref ? hit.ref.ident.span : hit.sym.span;
  return { range: toRange(f, span), placeholder: hit.sym.name };
}

export function rename(session: Session, path: string, offset: number, newName: string): WorkspaceEdit {
  const hit = symbolAt(session, path, offset);
  if (!hit) throw new ResponseError(ErrorCodes.InvalidRequest, 'nothing to rename here');
  if (!IDENT.test(newName)) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is not a valid name: use letters, digits, '_' and '-' (not first), no dots`);
  const sym = hit.sym;
  if (newName !== sym.name) {
    const problem = sym.kind === 'process' ? processClash(session, sym, newName)
      : sym.kind === 'restored-vm' ? restoredClash(session, sym, newName)
      : namespaceClash(session, sym, newName);
    if (problem) throw new ResponseError(ErrorCodes.InvalidParams, problem);
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const o of occurrences(session, sym)) {
    const f = session.file(o.path);
    if (!f) continue;
    (changes[session.uriOf(o.path)] ??= []).push({ range: toRange(f, o.span), newText: newName });
  }
  return { changes };
}

const kindPhrase = (k: SymbolKind) => article(KIND_WORDS[k]);

function where(session: Session, path: string, span: A.Span, file?: SourceFile): string {
  const f = file ?? session.file(path);
  return `${path.split(/[\\/]/).pop()}:${f ? f.lines.position(span.start).line + 1 : 0}`;
}

/** `restore … as NAME` steps of a scenario. */
function restores(d: A.ScenarioDecl): { as: A.Ident; item: A.ScenarioItem }[] {
  return d.items.flatMap((item) => (item.key === 'step' && item.body.kind === 'restore' && item.body.as.text ? [{ as: item.body.as, item }] : []));
}

/**
 * A top-level name: every file whose file set holds the declaring file gets
 * the new name in its namespace (and validates it against its own scenarios'
 * restored names), so it must be free in all of them, not only in the two
 * files at hand. One import graph of the known files answers for all.
 */
function namespaceClash(session: Session, sym: Sym, newName: string): string | undefined {
  const graph = session.workspace.graph([...new Set([sym.path, ...session.knownFiles()])]);
  const files = graph.all();
  const importers = new Map<string, string[]>();
  for (const f of files) {
    for (const imp of importsOf(f)) if (graph.file(imp.target)) appendTo(importers, imp.target, f.path);
  }
  const reachingAny = (starts: string[]): Set<string> => {
    const seen = new Set(starts);
    const queue = [...starts];
    for (let i = 0; i < queue.length; i++) for (const p of importers.get(queue[i]) ?? []) if (!seen.has(p)) { seen.add(p); queue.push(p); }
    return seen;
  };
  const declares = (f: SourceFile) => f.text.includes(newName) ? declaredSymbols(f).find((s) => s.name === newName) : undefined;
  const affected = reachingAny([sym.path]);
  const clashing = reachingAny(files.filter((f) => declares(f)).map((f) => f.path));
  for (const f of files) {
    if (!affected.has(f.path)) continue;
    if (clashing.has(f.path)) {
      // The set's first declaration of the name is the one its namespace holds.
      for (const g of graph.fileSet(f.path)!.files) {
        const other = declares(g);
        if (other) return `'${newName}' is already declared as ${kindPhrase(other.kind)} (${where(session, g.path, other.span, g)})`;
      }
    }
    if (!f.text.includes(newName)) continue;
    for (const d of f.doc.decls) {
      if (d.kind !== 'scenario') continue;
      const r = restores(d).find((x) => x.as.text === newName);
      if (r) return `'${newName}' is already the name of a VM restored in scenario "${d.title.value}" (${where(session, f.path, r.as.span, f)})`;
    }
  }
  return undefined;
}

/** A VM restored in a scenario: free among the file set's names and the scenario's other restored VMs. */
function restoredClash(session: Session, sym: Sym, newName: string): string | undefined {
  const clash = session.analyze(sym.path)?.resolved.ns.get(newName);
  if (clash) return `'${newName}' is already declared as ${kindPhrase(clash.kind)} (${where(session, clash.path, clash.span)})`;
  const file = session.file(sym.path);
  const scenario = file?.doc.decls.find((d): d is A.ScenarioDecl => d.kind === 'scenario' && d.items.includes(sym.decl as A.ScenarioItem));
  const other = scenario && restores(scenario).find((r) => r.as.text === newName);
  if (other) return `scenario "${scenario.title.value}" already restores a VM as '${newName}' (${where(session, sym.path, other.as.span)}); the two would become one`;
  return undefined;
}

/**
 * A process: free in its VM; and where a monitor for several VMs names it
 * with process(P), that name means P in every VM it watches, so renaming it
 * in one VM alone would change what the rule matches in another.
 */
function processClash(session: Session, sym: Sym, newName: string): string | undefined {
  const vm = sym.parent!;
  if (session.analyze(sym.path)?.resolved.ns.processesOf(vm.name)?.has(newName)) return `vm '${vm.name}' already has a process '${newName}'`;
  for (const { refs } of session.referencesIn(session.knownFiles(), sym.name)) {
    for (const r of refs) {
      if (!r.watched || r.watched.length < 2 || !r.target || !sameSym(r.target, sym)) continue;
      const at = where(session, r.path, r.ident.span);
      for (const other of r.watched) {
        if (other.name === vm.name) continue;
        const names = new Set(processSymbols(other).map((p) => p.name));
        if (names.has(sym.name)) return `process(${sym.name}) (${at}) is in a monitor for several VMs and also names the process '${sym.name}' of vm '${other.name}': renaming it in vm '${vm.name}' alone would change what the rule matches in '${other.name}'; rename it in each VM by editing the text`;
        if (names.has(newName)) return `process(${sym.name}) (${at}) is in a monitor for several VMs: as process(${newName}) it would also match the process '${newName}' of vm '${other.name}'`;
      }
    }
  }
  return undefined;
}

// The symbol under the cursor and every place it occurs: shared by go to
// definition, find references, rename and document highlights.
import type { Span } from '../../../grammar/src/ast';
import { declaredSymbols, processSymbols, Sym } from '../model/symbols';
import type { Reference } from '../model/references';
import type { Analysis, Session } from './session';

export interface Occurrence { path: string; span: Span; isDeclaration: boolean }

const within = (s: Span, offset: number) => offset >= s.start && offset <= s.end;
export const sameSym = (a: Sym, b: Sym) => a.path === b.path && a.span.start === b.span.start && a.kind === b.kind;

/** The declared symbol at an offset: a declaring name or a reference to one. */
export function symbolAt(session: Session, path: string, offset: number): { sym: Sym; ref?: Reference } | undefined {
  const a = session.analyze(path);
  return a && symbolIn(a, offset);
}

/** Declared names of an analysis's root file, processes included: built once per analysis, not per hover. */
const declaredCache = new WeakMap<Analysis, Sym[]>();
function declaredOf(a: Analysis): Sym[] {
  let list = declaredCache.get(a);
  if (!list) {
    list = [];
    for (const s of declaredSymbols(a.set.root)) {
      list.push(s);
      if (s.kind === 'vm') list.push(...processSymbols(s));
    }
    declaredCache.set(a, list);
  }
  return list;
}

/** The declared symbol at an offset of an analysis's root text. */
export function symbolIn(a: Analysis, offset: number): { sym: Sym; ref?: Reference } | undefined {
  const ref = a.resolved.refs.find((r) => within(r.ident.span, offset));
  if (ref) return ref.target ? { sym: ref.target, ref } : undefined;
  for (const s of declaredOf(a)) if (within(s.span, offset)) return { sym: s };
  // A name declared by `restore … as NAME` lives in its scenario.
  const local = a.resolved.refs.find((r) => r.target?.kind === 'restored-vm' && within(r.target.span, offset));
  return local?.target ? { sym: local.target } : undefined;
}

/** The declaration and every reference to it, in every known file. */
export function occurrences(session: Session, sym: Sym, onlyPath?: string): Occurrence[] {
  const out: Occurrence[] = [{ path: sym.path, span: sym.span, isDeclaration: true }];
  const seen = new Set<string>([`${sym.path}:${sym.span.start}`]);
  const files = onlyPath ? [onlyPath] : session.knownFiles();
  for (const { refs } of session.referencesIn(files, sym.name)) {
    for (const r of refs) {
      if (!r.target || !sameSym(r.target, sym)) continue;
      const id = `${r.path}:${r.ident.span.start}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ path: r.path, span: r.ident.span, isDeclaration: false });
    }
  }
  return onlyPath ? out.filter((o) => o.path === onlyPath) : out;
}

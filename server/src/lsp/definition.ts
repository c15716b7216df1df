// Go to definition: from a reference (or a declaring name) to the declaration.
import type { Location } from 'vscode-languageserver';
import type { Sym } from '../model/symbols';
import type { Session } from './session';
import { symbolAt } from './navigation';
import { toRange } from './convert';
import { importsOf } from '../model/workspace';

/**
 * Every declaration the name at an offset stands for: one, except `process(P)`
 * in a monitor for several VMs, which names P in each of them that has one.
 */
export function symbolsAt(session: Session, path: string, offset: number): Sym[] {
  const hit = symbolAt(session, path, offset);
  if (!hit) return [];
  if (!hit.ref?.watched) return [hit.sym];
  const ident = hit.ref.ident;
  return session.analyze(path)!.resolved.refs.flatMap((r) => (r.ident === ident && r.target ? [r.target] : []));
}

/** `import "x.vmsec"`: the imported file, at its start, when it could be read (else VMS004 says why). */
function importedFile(session: Session, path: string, offset: number): Location | undefined {
  const a = session.analyze(path);
  if (!a) return undefined;
  const imp = importsOf(a.set.root).find((i) => offset >= i.decl.path.span.start && offset <= i.decl.path.span.end);
  if (!imp || !a.set.files.some((f) => f.path === imp.target)) return undefined;
  const start = { line: 0, character: 0 };
  return { uri: session.uriOf(imp.target), range: { start, end: start } };
}

export function definition(session: Session, path: string, offset: number): Location | Location[] | undefined {
  const imported = importedFile(session, path, offset);
  if (imported) return imported;
  const locs = symbolsAt(session, path, offset).flatMap((s) => {
    const f = session.file(s.path);
    return f ? [{ uri: session.uriOf(s.path), range: toRange(f, s.span) }] : [];
  });
  return locs.length > 1 ? locs : locs[0];
}

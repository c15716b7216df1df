// Find references: the declaration (if asked) and every use, across files.
import type { Location } from 'vscode-languageserver';
import type { Session } from './session';
import { occurrences } from './navigation';
import { toRange } from './convert';
import { symbolsAt } from './definition';

export function references(session: Session, path: string, offset: number, includeDeclaration: boolean): Location[] {
  // `process(P)` in a monitor for several VMs: the uses of every process it names.
  const seen = new Set<string>();
  return symbolsAt(session, path, offset).flatMap((sym) => occurrences(session, sym)).flatMap((o) => {
    const id = `${o.path}:${o.span.start}`;
    if ((!includeDeclaration && o.isDeclaration) || seen.has(id)) return [];
    seen.add(id);
    const f = session.file(o.path);
    return f ? [{ uri: session.uriOf(o.path), range: toRange(f, o.span) }] : [];
  });
}

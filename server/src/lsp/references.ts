// Find references: the declaration (if asked) and every use, across files.
import type { Location } from 'vscode-languageserver';
import type { Session } from './session';
import { occurrences, symbolAt } from './navigation';
import { toRange } from './convert';

export function references(session: Session, path: string, offset: number, includeDeclaration: boolean): Location[] {
  const hit = symbolAt(session, path, offset);
  if (!hit) return [];
  return occurrences(session, hit.sym).filter((o) => includeDeclaration || !o.isDeclaration).flatMap((o) => {
    const f = session.file(o.path);
    return f ? [{ uri: session.uriOf(o.path), range: toRange(f, o.span) }] : [];
  });
}

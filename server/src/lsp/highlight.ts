// Document highlights: the other places in this file where the name under the cursor occurs.
import { DocumentHighlight, DocumentHighlightKind } from 'vscode-languageserver';
import type { Session } from './session';
import { occurrences, symbolAt } from './navigation';
import { toRange } from './convert';

export function highlights(session: Session, path: string, offset: number): DocumentHighlight[] {
  const hit = symbolAt(session, path, offset);
  const f = session.file(path);
  if (!hit || !f) return [];
  return occurrences(session, hit.sym, path).map((o) => ({
    range: toRange(f, o.span), kind: o.isDeclaration ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
  }));
}

// Go to definition: from a reference (or a declaring name) to the declaration.
import type { Location } from 'vscode-languageserver';
import type { Session } from './session';
import { symbolAt } from './navigation';
import { toRange } from './convert';

export function definition(session: Session, path: string, offset: number): Location | undefined {
  const hit = symbolAt(session, path, offset);
  const f = hit && session.file(hit.sym.path);
  return hit && f ? { uri: session.uriOf(hit.sym.path), range: toRange(f, hit.sym.span) } : undefined;
}

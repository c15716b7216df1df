// Workspace symbols: declared names in every known file, filtered by the query.
import type { SymbolInformation } from 'vscode-languageserver';
import { declaredSymbols } from '../model/symbols';
import { LSP_KIND } from './document-symbols';
import type { Session } from './session';
import { toRange } from './convert';

export function workspaceSymbols(session: Session, query: string): SymbolInformation[] {
  const q = query.toLowerCase();
  const out: SymbolInformation[] = [];
  for (const p of session.knownFiles()) {
    const f = session.parsedFile(p);
    if (!f) continue;
    for (const s of declaredSymbols(f)) {
      if (q && !s.name.toLowerCase().includes(q)) continue;
      const kind = s.kind === 'attacker-vm' ? LSP_KIND.vm : LSP_KIND[(s.decl as { kind: keyof typeof LSP_KIND }).kind];
      out.push({ name: s.name, kind, location: { uri: session.uriOf(p), range: toRange(f, s.span) }, containerName: s.kind });
      if (out.length >= 500) return out;
    }
  }
  return out;
}

// The outline: every declaration, with processes, rules, attackers' VMs and scenario steps inside.
import { DocumentSymbol, SymbolKind as LspKind } from 'vscode-languageserver';
import type * as A from '../../../grammar/src/ast';
import type { SourceFile } from '../model/source-file';
import { toRange } from './convert';

export const LSP_KIND: Record<A.Decl['kind'], LspKind> = {
  import: LspKind.File, boot: LspKind.Struct, host: LspKind.Class, link: LspKind.Interface, network: LspKind.Interface,
  vm: LspKind.Variable, fork: LspKind.Function, monitor: LspKind.Event, checkpoint: LspKind.Object, authority: LspKind.Key,
  certificate: LspKind.Key, share: LspKind.File, attacker: LspKind.Constant, scenario: LspKind.Method,
};

export function declLabel(d: A.Decl): { name: string; nameSpan: A.Span } {
  switch (d.kind) {
    case 'import': return { name: d.path.value || 'import', nameSpan: d.path.span };
    case 'link': return { name: `${d.a.text} <-> ${d.b.text}`, nameSpan: d.a.span };
    case 'share': return { name: d.path.value || 'share', nameSpan: d.path.span };
    case 'scenario': return { name: d.title.value || 'scenario', nameSpan: d.title.span };
    default: return { name: d.name.text || d.kind, nameSpan: d.name.span };
  }
}

/**
 * The outline holds at most this many symbols (declarations and what is
 * inside them), in text order: a file of 900,000 declarations made a 30 s,
 * hundreds-of-MB answer, and no one reads such an outline.
 */
export const MAX_OUTLINE_SYMBOLS = 10_000;

export function documentSymbols(file: SourceFile): DocumentSymbol[] {
  const sym = (name: string, kind: LspKind, span: A.Span, nameSpan: A.Span, detail?: string, children?: DocumentSymbol[]): DocumentSymbol => {
    const range = toRange(file, span);
    const sel = toRange(file, nameSpan);
    // The selection must lie inside the range.
    return { name: name || '?', kind, detail, range, selectionRange: nameSpan.start >= span.start && nameSpan.end <= span.end ? sel : range, children };
  };
  const out: DocumentSymbol[] = [];
  let left = MAX_OUTLINE_SYMBOLS;
  for (const d of file.doc.decls) {
    if (left-- <= 0) break;
    const { name, nameSpan } = declLabel(d);
    let children: DocumentSymbol[] | undefined;
    if (d.kind === 'vm') children = d.props.filter((p): p is A.ProcessDecl => p.key === 'process').slice(0, left).map((p) => sym(p.name.text, LspKind.Field, p.span, p.name.span, 'process'));
    if (d.kind === 'monitor') children = d.props.filter((p): p is A.RuleDecl => p.key === 'rule').slice(0, left).map((p) => sym(p.name.text, LspKind.Method, p.span, p.name.span, `rule on ${p.calls.map((c) => c.text).join(', ')}`));
    if (d.kind === 'attacker') children = d.props.filter((p) => p.key === 'vm').slice(0, left).map((p) => sym(p.name.text, LspKind.Variable, p.span, p.name.span, "attacker's vm"));
    if (d.kind === 'scenario') children = d.items.filter((i) => i.key !== 'seed').slice(0, left).map((i) => sym(file.text.slice(i.span.start, i.span.end).replace(/\s+/g, ' ').slice(0, 60), i.key === 'expect' ? LspKind.Boolean : LspKind.Event, i.span, i.keySpan));
    left -= children?.length ?? 0;
    out.push(sym(name, LSP_KIND[d.kind], d.span, nameSpan, d.kind, children));
  }
  return out;
}

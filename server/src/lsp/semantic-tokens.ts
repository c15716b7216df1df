// Semantic tokens: keywords as written (a keyword used as a name is a name),
// declared and referenced names by kind, numbers with units, strings, comments.
import type { SemanticTokens } from 'vscode-languageserver';
import { lex } from '../../../grammar/src/parse';
import { declaredSymbols, processSymbols, SymbolKind } from '../model/symbols';
import type { Session } from './session';

export const TOKEN_TYPES = ['keyword', 'class', 'variable', 'function', 'type', 'interface', 'event', 'property', 'enumMember', 'number', 'string', 'comment', 'operator', 'parameter'];
export const TOKEN_MODIFIERS = ['declaration', 'readonly'];

const BY_KIND: Partial<Record<SymbolKind, number>> = {
  host: 1, vm: 2, 'attacker-vm': 2, 'restored-vm': 2, fork: 3, boot: 4, network: 5, monitor: 6, process: 7,
  checkpoint: 13, authority: 13, certificate: 13, attacker: 13, rule: 3,
};

export function semanticTokens(session: Session, path: string): SemanticTokens {
  const a = session.analyze(path);
  const file = a?.set.root;
  if (!a || !file) return { data: [] };
  // Names first: their spans decide what a word is.
  const names = new Map<number, { len: number; type: number; mod: number }>();
  for (const s of declaredSymbols(file)) {
    names.set(s.span.start, { len: s.span.end - s.span.start, type: BY_KIND[s.kind] ?? 13, mod: 1 });
    if (s.kind === 'vm') for (const p of processSymbols(s)) names.set(p.span.start, { len: p.span.end - p.span.start, type: 7, mod: 1 });
  }
  for (const r of a.resolved.refs) {
    const kind = r.target?.kind ?? r.expected[0];
    names.set(r.ident.span.start, { len: r.ident.span.end - r.ident.span.start, type: BY_KIND[kind] ?? 13, mod: 0 });
  }
  const { tokens, comments } = lex(file.text);
  const items: { start: number; len: number; type: number; mod: number }[] = [];
  for (const t of tokens) {
    const name = names.get(t.startOffset);
    if (name) { items.push({ start: t.startOffset, ...name }); continue; }
    const n = t.tokenType.name;
    const type = n.startsWith('KW_') ? 0 : n === 'Quantity' || n === 'Ipv4' || n === 'Cidr' || n === 'Digest' ? 9 : n === 'StringLit' ? 10
      : n === 'Arrow' || n === 'BiArrow' || n === 'Cmp' ? 12 : n === 'Identifier' ? 8 : -1;
    if (type >= 0) items.push({ start: t.startOffset, len: t.image.length, type, mod: 0 });
  }
  for (const c of comments) items.push({ start: c.span.start, len: c.span.end - c.span.start, type: 11, mod: 0 });
  items.sort((x, y) => x.start - y.start);
  // Relative encoding; multi-line tokens (block comments) are split per line.
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  const push = (line: number, char: number, len: number, type: number, mod: number) => {
    data.push(line - prevLine, line === prevLine ? char - prevChar : char, len, type, mod);
    prevLine = line; prevChar = char;
  };
  for (const it of items) {
    const s = file.lines.position(it.start);
    const e = file.lines.position(it.start + it.len);
    if (s.line === e.line) { push(s.line, s.character, it.len, it.type, it.mod); continue; }
    for (let l = s.line; l <= e.line; l++) {
      const from = l === s.line ? s.character : 0;
      const lineEnd = l === e.line ? e.character : file.lines.lineStart(l + 1) - file.lines.lineStart(l) - 1;
      if (lineEnd > from) push(l, from, lineEnd - from, it.type, it.mod);
    }
  }
  return { data };
}

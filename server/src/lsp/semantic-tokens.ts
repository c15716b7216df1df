// Semantic tokens: keywords as written (a keyword used as a name is a name),
// declared and referenced names by kind, numbers with units, strings, comments.
import type { SemanticTokens } from 'vscode-languageserver';
import type * as A from '../../../grammar/src/ast';
import { lex } from '../../../grammar/src/parse';
import { declaredSymbols, processSymbols, SymbolKind } from '../model/symbols';
import type { SourceFile } from '../model/source-file';
import type { Session } from './session';

export const TOKEN_TYPES = ['keyword', 'class', 'variable', 'function', 'type', 'interface', 'event', 'property', 'enumMember', 'number', 'string', 'comment', 'operator', 'parameter'];
export const TOKEN_MODIFIERS = ['declaration', 'readonly'];

const BY_KIND: Partial<Record<SymbolKind, number>> = {
  host: 1, vm: 2, 'attacker-vm': 2, 'restored-vm': 2, fork: 3, boot: 4, network: 5, monitor: 6, process: 7,
  checkpoint: 13, authority: 13, certificate: 13, attacker: 13, rule: 3,
};

/** Semantic tokens cover at most this much of a file (whole lines) and this many tokens. */
export const SEMANTIC_MAX_CHARS = 4 << 20;
export const SEMANTIC_MAX_TOKENS = 1_000_000;

export function semanticTokens(session: Session, path: string): SemanticTokens {
  const a = session.analyze(path);
  const file = a?.set.root;
  if (!a || !file) return { data: [] };
  // Past the limits the editor's TextMate grammar colours on its own: a
  // 16 MiB file of one-character tokens would otherwise be 42 million numbers.
  // The cut comes first, so nothing past it is looked at either: on a 15 MiB
  // file the names of the whole file took seconds of this thread.
  const text = file.text;
  const cut = text.length <= SEMANTIC_MAX_CHARS ? text.length : text.lastIndexOf('\n', SEMANTIC_MAX_CHARS) + 1;
  // Names first: their spans decide what a word is.
  const names = new Map<number, { len: number; type: number; mod: number }>();
  const note = (span: A.Span, type: number, mod: number) => { if (span.start < cut) names.set(span.start, { len: span.end - span.start, type, mod }); };
  // Declarations come in text order: those past the cut are not visited.
  const decls = file.doc.decls;
  let inCut = 0;
  while (inCut < decls.length && decls[inCut].span.start < cut) inCut++;
  const shown: SourceFile = inCut === decls.length ? file : { ...file, doc: { ...file.doc, decls: decls.slice(0, inCut) } };
  for (const s of declaredSymbols(shown)) {
    note(s.span, BY_KIND[s.kind] ?? 13, 1);
    if (s.kind === 'vm') for (const p of processSymbols(s)) note(p.span, 7, 1);
  }
  // Names declared inside declarations: a monitor's rules (`rule rule on …`
  // is a rule named `rule`) and the VM a scenario's `restore … as NAME` makes.
  const declares = (id: A.Ident, kind: SymbolKind) => { if (id.text) note(id.span, BY_KIND[kind] ?? 13, 1); };
  for (let i = 0; i < inCut; i++) {
    const d = decls[i];
    if (d.kind === 'monitor') { for (const p of d.props) if (p.key === 'rule') declares(p.name, 'rule'); }
    else if (d.kind === 'scenario') { for (const it of d.items) if (it.key === 'step' && it.body.kind === 'restore') declares(it.body.as, 'restored-vm'); }
  }
  for (const r of a.resolved.refs) note(r.ident.span, BY_KIND[r.target?.kind ?? r.expected[0]] ?? 13, 0);
  const { tokens, comments } = lex(text.slice(0, cut), 0, 0);
  // Relative encoding; multi-line tokens (block comments) are split per line.
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  const push = (start: number, len: number, type: number, mod: number) => {
    const s = file.lines.position(start);
    const e = file.lines.position(start + len);
    if (s.line === e.line) { emit(s.line, s.character, len, type, mod); return; }
    for (let l = s.line; l <= e.line; l++) {
      const from = l === s.line ? s.character : 0;
      const lineEnd = l === e.line ? e.character : file.lines.lineStart(l + 1) - file.lines.lineStart(l) - 1;
      if (lineEnd > from) emit(l, from, lineEnd - from, type, mod);
    }
  };
  const emit = (line: number, char: number, len: number, type: number, mod: number) => {
    data.push(line - prevLine, line === prevLine ? char - prevChar : char, len, type, mod);
    prevLine = line; prevChar = char;
  };
  // Tokens and comments each come in text order: merged, not sorted. Five numbers per token.
  const maxData = SEMANTIC_MAX_TOKENS * 5;
  let c = 0;
  for (let i = 0; i < tokens.length && data.length < maxData; i++) {
    const t = tokens[i];
    for (; c < comments.length && comments[c].span.start < t.startOffset; c++) push(comments[c].span.start, comments[c].span.end - comments[c].span.start, 11, 0);
    const name = names.get(t.startOffset);
    if (name) { push(t.startOffset, name.len, name.type, name.mod); continue; }
    const n = t.tokenType.name;
    const type = n.startsWith('KW_') ? 0 : n === 'Quantity' || n === 'Ipv4' || n === 'Cidr' || n === 'Digest' ? 9 : n === 'StringLit' ? 10
      : n === 'Arrow' || n === 'BiArrow' || n === 'Cmp' ? 12 : n === 'Identifier' ? 8 : -1;
    if (type >= 0) push(t.startOffset, t.image.length, type, 0);
  }
  for (; c < comments.length && data.length < maxData; c++) push(comments[c].span.start, comments[c].span.end - comments[c].span.start, 11, 0);
  if (data.length > maxData) data.length = maxData;
  return { data };
}

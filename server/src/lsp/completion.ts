// Completion: keywords valid at the cursor (from the parser's own grammar),
// names in scope of the kind expected there (only hosts after `on`, only boot
// chains after `against`…), and units after a number.
import { CompletionItem, CompletionItemKind } from 'vscode-languageserver';
import type { IToken } from 'chevrotain';
import { contentAssist, lex } from '../../../grammar/src/parse';
import { DECL_KEYWORDS, KW, LCurly, RCurly, Quantity, StringLit } from '../../../grammar/src/tokens';
import type { SymbolKind } from '../model/symbols';
import { KIND_WORDS } from '../model/symbols';
import { EXPECTED_KINDS as K } from '../model/name-kinds';
import { ENUM_VALUES } from '../model/enum-values';
import { unitsOf } from '../model/units';
import type { QuantityKind } from '../../../grammar/src/ast';
import { KEYWORD_DOCS } from './hover';
import type { Session, Snapshot } from './session';
import type { Position } from '../model/line-index';

/** Where a running VM is named, a fork's child (`F[i]`) may be too. */
const VM_OR_CHILD: readonly SymbolKind[] = [...K.vmRef, ...K.fork];

/** Which kinds a name may be, by the rule that asks for it and the occurrence of that call (kinds: model/name-kinds.ts). */
const NAME_KINDS: Record<string, readonly SymbolKind[]> = {
  'vmDecl/1': K.host, 'hostProp/3': K.hostBoot, 'linkDecl/0': K.host, 'linkDecl/1': K.host, 'networkDecl/0': K.host,
  'forkDecl/1': K.vm, 'forkProp/1': K.host, 'forkProp/2': K.acceptedChain, 'monitorDecl/0': K.vm,
  'action/0': K.monitor, 'action/1': K.host, 'predicate/0': K.process,
  'checkpointDecl/1': K.vm, 'checkpointDecl/0n': K.process, 'certificateDecl/1': K.vm, 'certificateDecl/2': K.authority,
  // A target's first name is a network, or a host when `<->` follows: both are offered.
  'shareDecl/0': K.vm, 'target/0': [...K.network, ...K.host], 'target/1': K.host, 'atkProp/3': K.host, 'atkProp/4': K.certificate,
  'stepBody/1': K.fork, 'stepBody/2': K.process, 'stepBody/4': K.checkpoint, 'stepBody/5': K.checkpoint,
  'stepBody/7': K.host, 'stepBody/8': K.host, 'stepBody/9': K.certificate, 'stepBody/0': K.certificate,
  // A VM reference may also be a fork's child (`F[i]`).
  'stepBody/1v': VM_OR_CHILD, 'stepBody/2v': VM_OR_CHILD, 'stepBody/3v': VM_OR_CHILD,
  'expectBody/0': K.host, 'expectBody/0v': VM_OR_CHILD,
  // An expectation's subject is told apart by the word after it: every kind that may start one.
  'subjectExpect/0v': [...K.fork, ...K.monitor, ...K.vm, ...K.checkpoint, ...K.attacker],
};

/** The allowed words of enumerated properties, by the rule and occurrence of the `name` call (lists: model/enum-values.ts). */
const ENUM_AT: Record<string, readonly string[]> = {
  'hostProp/2': ENUM_VALUES.keyAlgorithm, 'authorityDecl/1': ENUM_VALUES.keyAlgorithm,
  'vmProp/1': ENUM_VALUES.virtualization, 'vmProp/5': ENUM_VALUES.ipcChannel,
  'forkProp/1': ENUM_VALUES.copyMode, 'forkProp/2': ENUM_VALUES.copyMode, 'forkProp/3': ENUM_VALUES.integrity,
  'monProp/1': ENUM_VALUES.monitorMode, 'checkpointDecl/2': ENUM_VALUES.checkpointIpc, 'checkpointDecl/3': ENUM_VALUES.checkpointDisk,
};

const UNIT_BY_KEYWORD: Record<string, QuantityKind> = {
  memory: 'size', disk: 'size', bandwidth: 'rate', latency: 'duration', at: 'duration', within: 'duration', valid: 'duration',
  workingset: 'percent', tamper: 'percent', drop: 'percent', replay: 'percent',
};

const DECL_TYPES = new Set(DECL_KEYWORDS.map((k) => KW[k]));

function kindsFor(ruleStack: string[], occurrences: number[]): readonly SymbolKind[] | undefined {
  const n = ruleStack.length;
  const leaf = ruleStack[n - 1];
  if (leaf !== 'name') return undefined;
  let parent = ruleStack[n - 2];
  let occ = occurrences[n - 1];
  let suffix = '';
  if (parent === 'names') { parent = ruleStack[n - 3]; occ = occurrences[n - 2]; suffix = parent === 'checkpointDecl' ? 'n' : ''; }
  else if (parent === 'vmRef') { parent = ruleStack[n - 3]; occ = occurrences[n - 2]; suffix = 'v'; }
  return NAME_KINDS[`${parent}/${occ}${suffix}`];
}

function enumFor(ruleStack: string[], occurrences: number[]): readonly string[] | undefined {
  const n = ruleStack.length;
  return ruleStack[n - 1] === 'name' ? ENUM_AT[`${ruleStack[n - 2]}/${occurrences[n - 1]}`] : undefined;
}

/** The tokens of the declaration the cursor is in (from its keyword at brace depth 0). */
function currentDecl(tokens: IToken[]): IToken[] | undefined {
  let depth = 0;
  let start = -1;
  tokens.forEach((t, i) => {
    if (t.tokenType === LCurly) depth++;
    else if (t.tokenType === RCurly) depth = Math.max(0, depth - 1);
    else if (depth === 0 && DECL_TYPES.has(t.tokenType)) start = i;
  });
  return start >= 0 ? tokens.slice(start) : undefined;
}

/** Where the declaration around `offset` (in the current text) starts: a declaration start of the analysed text that the text still has. */
function declStart(snap: Snapshot, offset: number): number {
  const decls = snap.analysis.set.root.doc.decls;
  const lastAtOrBefore = (x: number) => {
    let lo = 0; let hi = decls.length - 1; let found = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (decls[mid].span.start <= x) { found = mid; lo = mid + 1; } else hi = mid - 1; }
    return found;
  };
  const old = snap.map.toOld(offset);
  if (old !== undefined) {
    const i = lastAtOrBefore(old);
    const start = i >= 0 ? snap.map.toNew(decls[i].span.start) : 0;
    if (start !== undefined && start <= offset) return start;
  }
  // The cursor (or its declaration's start) lies in text changed since the analysis: start before the change.
  const i = lastAtOrBefore(Math.min(snap.map.changeStart, offset));
  return i >= 0 ? Math.min(decls[i].span.start, offset) : 0;
}

/** Whether the cursor is inside a comment or a string (complete or not) of the lexed slice. */
function inCommentOrString(text: string, offset: number, lexed: ReturnType<typeof lex>): boolean {
  for (const c of lexed.comments) if (c.span.start < offset && (c.block ? offset < c.span.end : offset <= c.span.end)) return true;
  for (const t of lexed.tokens) if (t.tokenType === StringLit && t.startOffset < offset && offset < t.startOffset + t.image.length) return true;
  for (const p of lexed.problems) {
    const at = p.span.start;
    if (at >= offset) continue;
    // An unterminated string runs to the end of its line, an unterminated block comment to the end of the text.
    if (text[at] === '"' && !/[\n\r]/.test(text.slice(at, offset))) return true;
    if (text[at] === '/' && text[at + 1] === '*') return true;
  }
  return false;
}

/** Completion at a position of the current text, answered from the last finished analysis (see Session.snapshot). */
export function completion(session: Session, path: string, pos: Position): CompletionItem[] {
  const snap = session.snapshot(path);
  if (!snap) return [];
  const a = snap.analysis;
  const text = snap.text;
  const offset = snap.lines.offset(pos);
  // Only the declaration around the cursor matters: lex from its start, not the file's.
  const from = declStart(snap, offset);
  const lexed = lex(text.slice(from, offset), from);
  if (inCommentOrString(text, offset, lexed)) return [];
  const { tokens } = lexed;
  // The word being typed is not part of the context.
  const last = tokens[tokens.length - 1];
  const typing = last && last.startOffset + last.image.length === offset && /^[A-Za-z_]/.test(last.image) ? last : undefined;
  const context = typing ? tokens.slice(0, -1) : tokens;
  const items = new Map<string, CompletionItem>();
  const keyword = (w: string) => items.set(`k:${w}`, { label: w, kind: CompletionItemKind.Keyword, documentation: KEYWORD_DOCS[w] ? { kind: 'markdown', value: KEYWORD_DOCS[w] } : undefined });

  // Units right after a number on the same line.
  const prev = context[context.length - 1];
  if (prev && prev.tokenType === Quantity && /^[\d_.]+$/.test(prev.image) && !/\n/.test(text.slice(prev.startOffset, offset))) {
    const before = context[context.length - 2]?.image ?? '';
    const kind = UNIT_BY_KEYWORD[before];
    if (kind) for (const u of unitsOf(kind)) items.set(`u:${u}`, { label: u, kind: CompletionItemKind.Unit, detail: kind });
  }

  const decl = currentDecl(context);
  if (!decl) {
    for (const k of DECL_KEYWORDS) keyword(k);
    return [...items.values()];
  }
  let paths: ReturnType<typeof contentAssist> = [];
  try { paths = contentAssist(decl); } catch { paths = []; }
  const ns = a.resolved.ns;
  // Where a name of a known kind or an enumerated value is due, offer only
  // those: a keyword there would be read as an unknown property word.
  const named = paths.filter((p) => p.nextTokenType.name === 'Identifier' && (kindsFor(p.ruleStack, p.occurrenceStack) || enumFor(p.ruleStack, p.occurrenceStack)));
  if (named.length) { items.clear(); paths = named; }
  for (const p of paths) {
    const t = p.nextTokenType;
    if (t.name.startsWith('KW_')) { keyword(t.name.slice(3)); continue; }
    if (t.name !== 'Identifier') continue;
    const values = enumFor(p.ruleStack, p.occurrenceStack);
    if (values) { for (const v of values) items.set(`e:${v}`, { label: v, kind: CompletionItemKind.EnumMember, documentation: KEYWORD_DOCS[v] }); continue; }
    const kinds = kindsFor(p.ruleStack, p.occurrenceStack);
    if (!kinds) continue;
    if (kinds.includes('process')) {
      for (const procs of ns.processes.values()) for (const proc of procs.values()) {
        items.set(`n:${proc.name}`, { label: proc.name, kind: CompletionItemKind.Field, detail: `process of vm ${proc.parent?.name}` });
      }
    }
    for (const s of ns.byName.values()) {
      if (kinds.includes(s.kind)) items.set(`n:${s.name}`, { label: s.name, kind: symbolKindItem(s.kind), detail: KIND_WORDS[s.kind] });
    }
  }
  // At the end of a declaration, new declarations may start.
  if (decl[decl.length - 1]?.tokenType === RCurly) for (const k of DECL_KEYWORDS) keyword(k);
  return [...items.values()];
}

function symbolKindItem(k: SymbolKind): CompletionItemKind {
  switch (k) {
    case 'host': return CompletionItemKind.Class;
    case 'vm': case 'attacker-vm': case 'restored-vm': return CompletionItemKind.Variable;
    case 'fork': return CompletionItemKind.Function;
    case 'boot': case 'network': return CompletionItemKind.Struct;
    case 'monitor': return CompletionItemKind.Event;
    default: return CompletionItemKind.Reference;
  }
}

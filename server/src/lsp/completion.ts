// Completion: keywords valid at the cursor (from the parser's own grammar),
// names in scope of the kind expected there (only hosts after `on`, only boot
// chains after `against`…, only the processes of the VM in question), and
// units after a number.
import { CompletionItem, CompletionItemKind } from 'vscode-languageserver';
import type { IToken } from 'chevrotain';
import { contentAssist, lex } from '../../../grammar/src/parse';
import { BLOCK_WORDS, VmsecParser } from '../../../grammar/src/parser';
import { BiArrow, Comma, DECL_KEYWORDS, Identifier, KW, LCurly, RCurly, Quantity, StringLit } from '../../../grammar/src/tokens';
import type { Namespace, Sym, SymbolKind } from '../model/symbols';
import { KIND_WORDS } from '../model/symbols';
import { vmOf } from '../model/references';
import { EXPECTED_KINDS as K } from '../model/name-kinds';
import { ENUM_VALUES } from '../model/enum-values';
import { unitsOf } from '../model/units';
import type { CheckpointDecl, QuantityKind } from '../../../grammar/src/ast';
import { KEYWORD_DOCS } from './hover';
import type { Session, Snapshot } from './session';
import { alreadyGiven, listedNames, parseCurrentDecl, subjectWords } from './completion-given';
import { processesInChange } from './changed-processes';
import type { Position } from '../model/line-index';

/** Where a running VM is named, a fork's child (`F[i]`) may be too. */
const VM_OR_CHILD: readonly SymbolKind[] = [...K.vmRef, ...K.fork];

/**
 * Which kinds a name may be, by the rule that asks for it and the occurrence
 * of that call (kinds: model/name-kinds.ts). A name inside a list (`names`)
 * gets the suffix `n`, inside a VM reference (`vmRef`) `v`.
 */
const NAME_KINDS: Record<string, readonly SymbolKind[]> = {
  'vmDecl/1': K.host, 'hostProp/3': K.hostBoot, 'linkDecl/0': K.host, 'linkDecl/1': K.host, 'networkDecl/0n': K.host,
  'vmProp/3': K.process, 'vmProp/4': K.process,
  'forkDecl/1': K.vm, 'forkProp/1n': K.host, 'forkProp/2n': K.acceptedChain, 'monitorDecl/0n': K.vm,
  'action/0': K.monitor, 'action/1': K.host, 'predicate/0': K.process,
  'checkpointDecl/1': K.vm, 'checkpointDecl/0n': K.process, 'certificateDecl/1': K.vm, 'certificateDecl/2': K.authority,
  // A target's first name is a network, or a host when `<->` follows: both are offered.
  'shareDecl/0n': K.vm, 'target/0': [...K.network, ...K.host], 'target/1': K.host, 'atkProp/3': K.host, 'atkProp/4': K.certificate,
  'stepBody/1': K.fork, 'stepBody/2': K.process, 'stepBody/4': K.checkpoint, 'stepBody/5': K.checkpoint,
  'stepBody/7': K.host, 'stepBody/8': K.host, 'stepBody/9': K.certificate, 'stepBody/0': K.certificate,
  // A VM reference may also be a fork's child (`F[i]`).
  'stepBody/1v': VM_OR_CHILD, 'stepBody/2v': VM_OR_CHILD, 'stepBody/3v': VM_OR_CHILD,
  'expectBody/0': K.host, 'expectBody/0v': VM_OR_CHILD,
  // An expectation's subject is told apart by the word after it: every kind that may start one.
  'subjectExpect/0v': [...K.fork, ...K.monitor, ...K.vmRef, ...K.checkpoint, ...K.attacker],
  'subjectExpect/0': K.host, 'subjectExpect/0n': K.process,
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

/**
 * The parser reads every action in each place; these are the ones the
 * validator accepts there (model/enum-values.ts, as validation/values.ts; the others are
 * VMS003), by the occurrence of the `action` call in `monProp`.
 */
const ACTIONS_AT: Record<number, readonly string[]> = {
  1: ENUM_VALUES.defaultAction, // default
  3: ENUM_VALUES.escalateAction, // escalate … then
};

/** Whether a keyword path is an action word that the place does not accept. */
function refusedAction(ruleStack: string[], occurrences: number[], word: string): boolean {
  const n = ruleStack.length;
  if (ruleStack[n - 1] !== 'action' || ruleStack[n - 2] !== 'monProp') return false;
  const allowed = ACTIONS_AT[occurrences[n - 1]];
  return !!allowed && !allowed.includes(word);
}

type Paths = ReturnType<typeof contentAssist>;
type Matcher = (token: IToken, expected: IToken['tokenType']) => boolean;

/** Every property word of every block: the block's unknown-property branch never takes one (a gate content assist does not see). */
const BLOCK_WORD_SET = new Set<string>(Object.values(BLOCK_WORDS).flat());

/**
 * Content assist that reads keywords as the parser does. Chevrotain's content
 * assist ignores gates, and keywords carry the Identifier category, so with
 * the parser's own matcher a property word may also be read as an unknown
 * property (`attest` then any property, `expect burst` then `seed`). Our own
 * parser instance (only its recorded grammar is used) tries, in order:
 * keywords never as names; property words never as names (a VM named
 * `data`); then the parser's reading (a host named `memory`).
 */
let assistParser: { parser: VmsecParser & { tokenMatcher: Matcher }; lenient: Matcher } | undefined;
function assist(tokens: IToken[]): { paths: Paths; exact: boolean } {
  if (!assistParser) {
    const parser = new VmsecParser() as VmsecParser & { tokenMatcher: Matcher };
    assistParser = { parser, lenient: parser.tokenMatcher };
  }
  const { parser, lenient } = assistParser;
  const readings: Matcher[] = [
    (t, e) => (e === Identifier ? t.tokenType === Identifier : lenient(t, e)),
    (t, e) => (e === Identifier && t.tokenType !== Identifier && BLOCK_WORD_SET.has(t.image) ? false : lenient(t, e)),
  ];
  try {
    for (const m of readings) {
      parser.tokenMatcher = m;
      const paths = parser.computeContentAssist('decl', tokens);
      if (paths.length) return { paths, exact: true };
    }
  } catch { /* fall back to the parser's reading */ } finally { parser.tokenMatcher = lenient; }
  try { return { paths: contentAssist(tokens), exact: false }; } catch { return { paths: [], exact: false }; }
}

/** The word a number's unit depends on: the keyword before it, past a target's names (`tamper campus 5`, `drop a <-> b 5`). */
function unitKeyword(context: IToken[], numberAt: number): string | undefined {
  for (let i = numberAt - 1; i >= 0; i--) {
    const t = context[i];
    if (t.tokenType === Identifier || t.tokenType === BiArrow) continue;
    return UNIT_BY_KEYWORD[t.image] ? t.image : undefined;
  }
  return undefined;
}

/** `restore C as N` in the scenario so far: N stands for a VM from then on (name → checkpoint name). */
function restoredNames(decl: IToken[]): Map<string, string> {
  const out = new Map<string, string>();
  if (decl[0]?.tokenType !== KW.scenario) return out;
  for (let i = 0; i + 3 < decl.length; i++) {
    if (decl[i].tokenType === KW.restore && decl[i + 2].tokenType === KW.as) out.set(decl[i + 3].image, decl[i + 1].image);
  }
  return out;
}

/** The VM whose processes a name stands for: a VM, a fork's parent, a restored VM's or a checkpoint's VM. */
function vmNameOf(name: string, ns: Namespace, restored: Map<string, string>): string | undefined {
  const ck = restored.get(name);
  const s: Sym | undefined = ck !== undefined ? ns.get(ck) : ns.get(name);
  if (s?.kind === 'checkpoint') return (s.decl as CheckpointDecl).vm.text;
  // Not analysed yet: perhaps a VM typed since (its processes: processesInChange).
  if (!s && ck === undefined) return name;
  return s ? vmOf(s, ns)?.name : undefined;
}

/** The token after the last `kw` of the context (the name a step or expectation is about). */
function after(context: IToken[], kw: IToken['tokenType']): string | undefined {
  for (let i = context.length - 2; i >= 0; i--) if (context[i].tokenType === kw) return context[i + 1].image;
  return undefined;
}

/**
 * Which VMs' processes a process name may be, by where it is asked for; the
 * names of processes the current text declares in the block (not analysed yet).
 */
function processScope(key: string, decl: IToken[], context: IToken[], ns: Namespace, restored: Map<string, string>): { vms: string[]; local: string[] } {
  const vms: (string | undefined)[] = [];
  const local: string[] = [];
  switch (key) {
    case 'vmProp/3': case 'vmProp/4': // `vm V on H { … ipc P -> P }`
      vms.push(decl[1]?.image);
      for (let i = 0; i + 1 < decl.length; i++) if (decl[i].tokenType === KW.process) local.push(decl[i + 1].image);
      break;
    case 'predicate/0': // `monitor M for V, V { … process(P) }`
      for (let i = 3; i < decl.length && decl[i].tokenType !== LCurly; i++) if (decl[i].tokenType !== Comma) vms.push(vmNameOf(decl[i].image, ns, restored));
      break;
    case 'checkpointDecl/0n': // `checkpoint C of V { exclude P }`
      vms.push(decl[3]?.image);
      break;
    case 'stepBody/2': { // `syscall V P`, `syscall F[i] P`, `syscall R P`
      const v = after(context, KW.syscall);
      vms.push(v === undefined ? undefined : vmNameOf(v, ns, restored));
      break;
    }
    case 'subjectExpect/0n': { // `expect C excludes P`
      const c = after(context, KW.expect);
      vms.push(c === undefined ? undefined : vmNameOf(c, ns, restored));
      break;
    }
  }
  return { vms: vms.filter((v): v is string => v !== undefined), local };
}

/** The NAME_KINDS key of a path whose next token is a name. */
function nameKey(ruleStack: string[], occurrences: number[]): string | undefined {
  const n = ruleStack.length;
  if (ruleStack[n - 1] !== 'name') return undefined;
  const parent = ruleStack[n - 2];
  if (parent === 'names') return `${ruleStack[n - 3]}/${occurrences[n - 2]}n`;
  if (parent === 'vmRef') return `${ruleStack[n - 3]}/${occurrences[n - 2]}v`;
  return `${parent}/${occurrences[n - 1]}`;
}

function kindsFor(ruleStack: string[], occurrences: number[]): readonly SymbolKind[] | undefined {
  const key = nameKey(ruleStack, occurrences);
  return key ? NAME_KINDS[key] : undefined;
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

/** Where the declaration starting at `start` (current text) ends: the analysed declaration's end when the text still has it past the cursor, else the cursor. */
function declEnd(snap: Snapshot, start: number, offset: number): number {
  const decls = snap.analysis.set.root.doc.decls;
  const old = snap.map.toOld(start);
  if (old === undefined) return offset;
  let lo = 0; let hi = decls.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = decls[mid].span.start;
    if (s === old) { const end = snap.map.toNew(decls[mid].span.end); return end !== undefined && end >= offset ? end : offset; }
    if (s < old) lo = mid + 1; else hi = mid - 1;
  }
  return offset;
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
    const word = unitKeyword(context, context.length - 1);
    const kind = word && UNIT_BY_KEYWORD[word];
    if (kind) for (const u of unitsOf(kind)) items.set(`u:${u}`, { label: u, kind: CompletionItemKind.Unit, detail: kind });
  }

  const decl = currentDecl(context);
  if (!decl) {
    for (const k of DECL_KEYWORDS) keyword(k);
    return [...items.values()];
  }
  let { paths, exact } = assist(decl);
  const ns = a.resolved.ns;
  if (!exact) {
    // Read the parser's way, a keyword where a name is due is also read as an
    // unknown property: where a name of a known kind or an enumerated value is
    // due, offer only those.
    const named = paths.filter((p) => p.nextTokenType.name === 'Identifier' && (kindsFor(p.ruleStack, p.occurrenceStack) || enumFor(p.ruleStack, p.occurrenceStack)));
    if (named.length) { items.clear(); paths = named; }
  }
  let restored: Map<string, string> | undefined;
  // What the declaration already says (parsed once, when a path needs it): not offered again.
  const declFrom = decl[0].startOffset;
  let tree: ReturnType<typeof parseCurrentDecl> | undefined;
  const given = () => (tree ??= parseCurrentDecl(text, declFrom, declEnd(snap, declFrom, offset), typing)).decl;
  let subject: readonly string[] | undefined | null = null;
  let changed: Map<string, string[]> | undefined;
  for (const p of paths) {
    const t = p.nextTokenType;
    if (t.name.startsWith('KW_')) {
      const word = t.name.slice(3);
      if (refusedAction(p.ruleStack, p.occurrenceStack, word)) continue;
      if (alreadyGiven(given, decl, offset - declFrom, p.ruleStack, word, context[context.length - 1])) continue;
      // After an expectation's subject, only the words that fit what it names.
      if (p.ruleStack[p.ruleStack.length - 1] === 'subjectExpect') {
        if (subject === null) subject = subjectWords(context, ns, restored ??= restoredNames(decl));
        if (subject && !subject.includes(word)) continue;
      }
      keyword(word);
      continue;
    }
    if (t.name !== 'Identifier') continue;
    const values = enumFor(p.ruleStack, p.occurrenceStack);
    if (values) { for (const v of values) items.set(`e:${v}`, { label: v, kind: CompletionItemKind.EnumMember, documentation: KEYWORD_DOCS[v] }); continue; }
    const key = nameKey(p.ruleStack, p.occurrenceStack);
    const kinds = key ? NAME_KINDS[key] : undefined;
    if (!key || !kinds) continue;
    restored ??= restoredNames(decl);
    if (kinds.includes('process')) {
      // Process names are local to their VM: only those of the VM in question.
      const { vms, local } = processScope(key, decl, context, ns, restored);
      // A VM declared or changed since the analysis: its processes as the text has them now.
      changed ??= processesInChange(snap);
      for (const vm of vms) {
        const names = changed.get(vm) ?? [...ns.processesOf(vm)?.keys() ?? []];
        for (const proc of names) items.set(`n:${proc}`, { label: proc, kind: CompletionItemKind.Field, detail: `process of vm ${vm}` });
      }
      for (const name of local) if (!items.has(`n:${name}`)) items.set(`n:${name}`, { label: name, kind: CompletionItemKind.Field, detail: `process of vm ${decl[1]?.image}` });
    }
    for (const s of ns.byName.values()) {
      if (kinds.includes(s.kind)) items.set(`n:${s.name}`, { label: s.name, kind: symbolKindItem(s.kind), detail: KIND_WORDS[s.kind] });
    }
    if (kinds.includes('restored-vm')) {
      for (const name of restored.keys()) items.set(`n:${name}`, { label: name, kind: symbolKindItem('restored-vm'), detail: KIND_WORDS['restored-vm'] });
    }
  }
  // A name already in the list being written (or excluded by the checkpoint already) counts once: not offered again.
  if (paths.some((p) => nameKey(p.ruleStack, p.occurrenceStack)?.endsWith('n'))) {
    for (const name of listedNames(context, decl[0].tokenType === KW.checkpoint ? given() : undefined)) items.delete(`n:${name}`);
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

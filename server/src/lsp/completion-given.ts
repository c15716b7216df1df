// What the declaration around the cursor already says, so that completion
// does not offer it again: a property that may be given once (VMS002 for a
// second), a name already in the list being written, the words that cannot
// follow the subject of an expectation.
import type { IToken } from 'chevrotain';
import type * as A from '../../../grammar/src/ast';
import { parse } from '../../../grammar/src/parse';
import { Comma, Identifier, KW, LSquare, Quantity, RSquare } from '../../../grammar/src/tokens';
import type { Namespace, SymbolKind } from '../model/symbols';
import { REPEATABLE_KEYS } from '../validation/values';

/**
 * Whether a property word may repeat in its block (the validator's rule; a
 * scenario's steps start with `at`, their key is `step`). Every other property
 * word is offered once per block.
 */
const mayRepeat = (word: string) => word === 'at' || REPEATABLE_KEYS.has(word);

/** The rules whose keywords start a property of a block (content assist's rule stack ends in one of them). */
const PROPERTY_RULES = new Set(['hostProp', 'linkProp', 'networkDecl', 'vmProp', 'processDecl', 'forkProp', 'monProp', 'checkpointDecl', 'authorityDecl', 'atkProp', 'scenarioItem']);

/**
 * The declaration around the cursor, parsed: from its start to its end where
 * the analysis knows the end (so a `default` after the cursor counts too),
 * with the word being typed left out (it is not given yet).
 */
export function parseCurrentDecl(text: string, from: number, end: number, typing?: IToken): { decl: A.Decl | undefined; base: number } {
  const slice = typing
    ? text.slice(from, typing.startOffset) + ' '.repeat(typing.image.length) + text.slice(typing.startOffset + typing.image.length, end)
    : text.slice(from, end);
  return { decl: parse(slice).decls[0], base: from };
}

/** The property keys given in the block the cursor (at `at`, relative to the declaration's start) is in: a process block inside a VM, or the declaration's own. */
function givenKeys(decl: A.Decl, at: number, inProcess: boolean): Set<string> {
  const keys = new Set<string>();
  switch (decl.kind) {
    case 'boot': break;
    case 'vm': {
      if (inProcess) {
        let proc: A.ProcessDecl | undefined;
        for (const p of decl.props) if (p.key === 'process' && p.span.start < at) proc = p;
        for (const p of proc?.props ?? []) keys.add(p.key);
        return keys;
      }
      for (const p of decl.props) keys.add(p.key);
      break;
    }
    case 'network':
      if (decl.hosts.length) keys.add('hosts');
      for (const p of decl.props) keys.add(p.key);
      break;
    case 'host': case 'link': case 'fork': case 'monitor': case 'checkpoint': case 'authority': case 'attacker':
      for (const p of decl.props) keys.add(p.key);
      break;
    default: break;
  }
  return keys;
}

/** The keys of a parsed declaration, made once per completion request (a scenario may have thousands of items). */
const keysCache = new WeakMap<A.Decl, { inProcess: boolean; keys: Set<string> }>();

/**
 * Whether a property word at a keyword path is already given in its block
 * and may not be given again. `attest` is two properties: it is taken once
 * both `attest hosts` and `attest vtpm` are; after `attest`, the one given is.
 */
export function alreadyGiven(tree: () => A.Decl | undefined, declTokens: IToken[], at: number, ruleStack: string[], word: string, previous: IToken | undefined): boolean {
  if (mayRepeat(word) || !PROPERTY_RULES.has(ruleStack[ruleStack.length - 1])) return false;
  // A scenario may be long and has one such property: `seed N` before the cursor, read from its tokens, not parsed.
  if (declTokens[0]?.tokenType === KW.scenario) return word === 'seed' && declTokens.some((t, i) => t.tokenType === KW.seed && declTokens[i + 1]?.tokenType === Quantity);
  const decl = tree();
  if (!decl) return false;
  const inProcess = ruleStack.includes('processDecl');
  const cached = keysCache.get(decl);
  const keys = cached?.inProcess === inProcess ? cached.keys : givenKeys(decl, at, inProcess);
  keysCache.set(decl, { inProcess, keys });
  if (decl.kind === 'fork') {
    if (previous?.tokenType === KW.attest) return keys.has(`attest ${word}`);
    if (word === 'attest') return keys.has('attest hosts') && keys.has('attest vtpm');
  }
  return keys.has(word);
}

/**
 * The names already written in the list the cursor is in (`exclude a, b, §`),
 * and for a checkpoint every process it excludes already (each counts once,
 * VMS002).
 */
export function listedNames(context: IToken[], decl: A.Decl | undefined): Set<string> {
  const out = new Set<string>();
  for (let i = context.length - 1; i >= 1 && context[i].tokenType === Comma; i -= 2) out.add(context[i - 1].image);
  if (decl?.kind === 'checkpoint') for (const p of decl.props) if (p.key === 'exclude') for (const n of p.value) out.add(n.text);
  return out;
}

/** The words that may follow an expectation's subject, by what the subject is (LANGUAGE.md §2 expectBody). */
const SUBJECT_WORDS: Partial<Record<SymbolKind | 'child', readonly string[]>> = {
  fork: ['ready', 'pages'], child: ['is'], vm: ['is'], 'restored-vm': ['is'],
  monitor: ['denies', 'kills', 'allows'], checkpoint: ['excludes'], attacker: ['never', 'sees'],
};

/**
 * The words that may follow `expect NAME` or `expect F[i]` at the end of the
 * context; undefined when the cursor is not there or the name is not declared
 * yet (then every subject's words are offered).
 */
export function subjectWords(context: IToken[], ns: Namespace, restored: Map<string, string>): readonly string[] | undefined {
  const n = context.length;
  let at = -1;
  let indexed = false;
  if (n >= 2 && context[n - 2].tokenType === KW.expect) at = n - 1;
  else if (n >= 5 && context[n - 5].tokenType === KW.expect && context[n - 3].tokenType === LSquare && context[n - 1].tokenType === RSquare) { at = n - 4; indexed = true; }
  if (at < 0) return undefined;
  const name = context[at];
  if (name.tokenType !== Identifier && !/^[A-Za-z_]/.test(name.image)) return undefined;
  const kind: SymbolKind | undefined = restored.has(name.image) ? 'restored-vm' : ns.get(name.image)?.kind;
  if (!kind) return undefined;
  if (indexed) return kind === 'fork' ? SUBJECT_WORDS.child : [];
  return SUBJECT_WORDS[kind] ?? [];
}

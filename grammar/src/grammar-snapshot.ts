// The parser's grammar model, saved at build time and restored at start.
//
// Chevrotain learns a grammar by running every rule once in a recording mode
// when the parser is made, then computes the follow sets used for error
// recovery: a large share of a cold `vmsec check` of a small file. The
// build (esbuild.mjs) records it once, from the same sources, and writes it
// into the bundle as JSON; the parser restores the very same objects (every
// own property, in order, on the same classes), so every parse is the same.
// test/unit/grammar-snapshot.test.ts holds a restored grammar equal to a recorded one.
import {
  Alternation, Alternative, EOF, NonTerminal, Option, Repetition, RepetitionMandatory,
  RepetitionMandatoryWithSeparator, RepetitionWithSeparator, Rule, Terminal, TokenType,
} from 'chevrotain';

const CLASSES = {
  Rule, NonTerminal, Alternative, Option, RepetitionMandatory, RepetitionMandatoryWithSeparator,
  Repetition, RepetitionWithSeparator, Alternation, Terminal,
} as const;
type ClassName = keyof typeof CLASSES;

/** A value in the saved form: plain data, token types by name, rules by name. */
type Saved = string | number | boolean | null | Saved[] | { $node: ClassName; props: [string, Saved][] } | { $token: string } | { $rule: string };

export interface GrammarSnapshot {
  rules: Saved[];
  follows: [string, string[]][];
}

/** What Chevrotain keeps after its self-analysis (fields of the parser it does not type publicly). */
export interface AnalysedParser {
  gastProductionsCache: Record<string, Rule>;
  resyncFollows: Record<string, TokenType[]>;
}

function classOf(value: object): ClassName | undefined {
  // Subclasses first would matter only if one class extended another; none of these do, beyond AbstractProduction.
  for (const name of Object.keys(CLASSES) as ClassName[]) if (value.constructor === CLASSES[name]) return name;
  return undefined;
}

function isTokenType(value: object): value is TokenType {
  return typeof (value as TokenType).tokenTypeIdx === 'number' && typeof (value as TokenType).name === 'string' && !classOf(value);
}

function save(value: unknown, top: boolean): Saved {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => save(v, false));
  if (typeof value === 'object') {
    const cls = classOf(value);
    // A rule inside another rule is a reference (NonTerminal.referencedRule): saved by name, joined on restore.
    if (cls === 'Rule' && !top) return { $rule: (value as Rule).name };
    if (cls) return { $node: cls, props: Object.keys(value).map((k) => [k, save((value as Record<string, unknown>)[k], false)]) };
    if (isTokenType(value)) return { $token: value.name };
  }
  throw new Error(`grammar snapshot: cannot save ${typeof value} ${String(value)}`);
}

/** The grammar model of a parser that ran its self-analysis (build time). */
export function snapshotOf(parser: AnalysedParser): GrammarSnapshot {
  return {
    rules: Object.values(parser.gastProductionsCache).map((r) => save(r, true)),
    follows: Object.entries(parser.resyncFollows).map(([k, types]) => [k, types.map((t) => t.name)]),
  };
}

/**
 * The rules and follow sets of a snapshot, with these token types; undefined
 * when the snapshot names a token type or rule that does not exist (then the
 * parser records its grammar as usual).
 */
export function restore(snapshot: GrammarSnapshot, tokens: TokenType[]): { rules: Rule[]; follows: Record<string, TokenType[]> } | undefined {
  const byName = new Map<string, TokenType>([[EOF.name, EOF]]);
  for (const t of tokens) byName.set(t.name, t);
  const rulesByName = new Map<string, Rule>();
  const joins: [Record<string, unknown>, string, string][] = [];
  let missing = false;
  const token = (name: string) => {
    const t = byName.get(name);
    if (!t) missing = true;
    return t;
  };
  const load = (s: Saved, owner?: Record<string, unknown>, key?: string): unknown => {
    if (s === null || typeof s !== 'object') return s;
    if (Array.isArray(s)) return s.map((v) => load(v));
    if ('$token' in s) return token(s.$token);
    if ('$rule' in s) { joins.push([owner!, key!, s.$rule]); return undefined; }
    const node = Object.create(CLASSES[s.$node].prototype) as Record<string, unknown>;
    // Own properties in their recorded order (the same object shapes as a recording makes).
    for (const [k, v] of s.props) node[k] = load(v, node, k);
    return node;
  };
  const rules = snapshot.rules.map((s) => load(s) as Rule);
  for (const r of rules) rulesByName.set(r.name, r);
  for (const [owner, key, name] of joins) {
    const r = rulesByName.get(name);
    if (!r) return undefined;
    owner[key] = r;
  }
  const follows: Record<string, TokenType[]> = {};
  for (const [k, names] of snapshot.follows) follows[k] = names.map((n) => token(n)!);
  return missing ? undefined : { rules, follows };
}

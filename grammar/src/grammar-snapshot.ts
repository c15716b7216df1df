// The parser's grammar model, saved at build time and restored at start.
//
// Chevrotain learns a grammar by running every rule once in a recording mode
// when the parser is made, then computes the follow sets used for error
// recovery: a large share of a cold `vmsec check` of a small file. The
// build (esbuild.mjs) records it once, from the same sources, and writes it
// into the bundle; the parser restores the very same objects (every own
// property, in order, on the same classes), so every parse is the same.
//
// Restoring is lazy: each rule object exists from the start (rule references
// point at it), but its properties are made from their saved text the first
// time one of them is read, and the follow sets the first time error
// recovery reads them. A short file's parse reads a few rules of 40.
// test/unit/grammar-snapshot.test.ts holds a restored grammar, once read in
// full, equal to a recorded one.
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

/** One rule: its name, its own property names in order, and their values (Saved[]) as JSON text. */
export interface SavedRule { name: string; keys: string[]; values: string }

export interface GrammarSnapshot {
  rules: SavedRule[];
  /** Every token type and rule the rules and follow sets name: checked at restore, so a lazy read cannot miss. */
  tokens: string[];
  ruleRefs: string[];
  /** The follow sets, [key, token type names][], as JSON text. */
  follows: string;
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

/** The grammar model of a parser that ran its self-analysis (build time). */
export function snapshotOf(parser: AnalysedParser): GrammarSnapshot {
  const tokens = new Set<string>();
  const ruleRefs = new Set<string>();
  const save = (value: unknown): Saved => {
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    if (Array.isArray(value)) return value.map(save);
    if (typeof value === 'object') {
      const cls = classOf(value);
      // A rule inside another rule is a reference (NonTerminal.referencedRule): saved by name, joined on restore.
      if (cls === 'Rule') { ruleRefs.add((value as Rule).name); return { $rule: (value as Rule).name }; }
      if (cls) return { $node: cls, props: Object.keys(value).map((k) => [k, save((value as Record<string, unknown>)[k])]) };
      if (isTokenType(value)) { tokens.add(value.name); return { $token: value.name }; }
    }
    throw new Error(`grammar snapshot: cannot save ${typeof value} ${String(value)}`);
  };
  const rules = Object.values(parser.gastProductionsCache).map((r): SavedRule => {
    if (classOf(r) !== 'Rule') throw new Error(`grammar snapshot: ${r.name} is not a Rule`);
    const keys = Object.keys(r);
    return { name: r.name, keys, values: JSON.stringify(keys.map((k) => save((r as unknown as Record<string, unknown>)[k]))) };
  });
  const follows = Object.entries(parser.resyncFollows).map(([k, types]) => [k, types.map((t) => { tokens.add(t.name); return t.name; })]);
  return { rules, tokens: [...tokens], ruleRefs: [...ruleRefs], follows: JSON.stringify(follows) };
}

/**
 * A snapshot as one text, as the build writes it into the bundles: a JSON
 * header, then each rule's values and the follow sets on lines of their own
 * (JSON text has no raw line breaks), so that a start parses only the header.
 */
export function snapshotText(snapshot: GrammarSnapshot): string {
  const { rules, tokens, ruleRefs, follows } = snapshot;
  const header = { names: rules.map((r) => r.name), keys: rules.map((r) => r.keys), tokens, ruleRefs };
  return [JSON.stringify(header), ...rules.map((r) => r.values), follows].join('\n');
}

/** The snapshot of a text made by snapshotText; undefined when it is not one. */
export function snapshotFromText(text: string): GrammarSnapshot | undefined {
  // By indexOf, not split: split costs a cold start most of a millisecond here.
  const lines: string[] = [];
  let start = 0;
  for (let end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) lines.push(text.slice(start, end));
  lines.push(text.slice(start));
  const header = JSON.parse(lines[0]) as { names: string[]; keys: string[][]; tokens: string[]; ruleRefs: string[] };
  if (lines.length !== header.names.length + 2 || header.keys.length !== header.names.length) return undefined;
  return {
    rules: header.names.map((name, i) => ({ name, keys: header.keys[i], values: lines[i + 1] })),
    tokens: header.tokens, ruleRefs: header.ruleRefs, follows: lines[lines.length - 1],
  };
}

/**
 * The rules and follow sets of a snapshot, with these token types; undefined
 * when the snapshot names a token type or rule that does not exist (then the
 * parser records its grammar as usual). Rules are read in full on first use
 * of any of their properties, the follow sets on first use.
 */
export function restore(snapshot: GrammarSnapshot, tokens: TokenType[]): { rules: Rule[]; follows: Record<string, TokenType[]> } | undefined {
  const byName = new Map<string, TokenType>([[EOF.name, EOF]]);
  for (const t of tokens) byName.set(t.name, t);
  if (!snapshot.tokens.every((n) => byName.has(n))) return undefined;
  const rulesByName = new Map<string, Rule>();
  const rules = snapshot.rules.map((s) => {
    const rule = Object.create(Rule.prototype) as Rule;
    rulesByName.set(s.name, rule);
    return rule;
  });
  if (!snapshot.ruleRefs.every((n) => rulesByName.has(n))) return undefined;

  const load = (s: Saved): unknown => {
    if (s === null || typeof s !== 'object') return s;
    if (Array.isArray(s)) return s.map(load);
    if ('$token' in s) return byName.get(s.$token);
    if ('$rule' in s) return rulesByName.get(s.$rule);
    const node = Object.create(CLASSES[s.$node].prototype) as Record<string, unknown>;
    // Own properties in their recorded order (the same object shapes as a recording makes).
    for (const [k, v] of s.props) node[k] = load(v);
    return node;
  };
  snapshot.rules.forEach((s, i) => {
    const rule = rules[i] as unknown as Record<string, unknown>;
    // Every own property, in order, first as a getter that reads them all; redefining a property keeps its place.
    const read = () => {
      const values = JSON.parse(s.values) as Saved[];
      s.keys.forEach((k, j) => Object.defineProperty(rule, k, { value: load(values[j]), writable: true, enumerable: true, configurable: true }));
    };
    for (const k of s.keys) {
      Object.defineProperty(rule, k, {
        get() { read(); return rule[k]; },
        set(v: unknown) { read(); rule[k] = v; },
        enumerable: true, configurable: true,
      });
    }
  });
  const follows = lazyRecord(() => {
    const out: Record<string, TokenType[]> = {};
    for (const [k, names] of JSON.parse(snapshot.follows) as [string, string[]][]) out[k] = names.map((n) => byName.get(n)!);
    return out;
  });
  return { rules, follows };
}

/** An object made on first use: Chevrotain reads the follow sets only to recover from a syntax error. */
function lazyRecord<T>(make: () => Record<string, T>): Record<string, T> {
  let real: Record<string, T> | undefined;
  const get = () => (real ??= make());
  return new Proxy({} as Record<string, T>, {
    get: (_t, k) => Reflect.get(get(), k),
    set: (_t, k, v) => Reflect.set(get(), k, v),
    has: (_t, k) => Reflect.has(get(), k),
    deleteProperty: (_t, k) => Reflect.deleteProperty(get(), k),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_t, k) => Reflect.getOwnPropertyDescriptor(get(), k),
    defineProperty: (_t, k, d) => Reflect.defineProperty(get(), k, d),
  });
}

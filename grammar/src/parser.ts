// The Chevrotain parser for LANGUAGE.md §2. It builds the typed AST directly
// (embedded actions). Each declaration registers itself before its body is
// parsed, so a declaration broken half-way still reaches the model with what
// was read. Inside a block, an unknown property word is reported with a
// did-you-mean and skipped up to the next known property, so one typo does
// not hide the rest of the file.
//
// Enumerated values (`tpm rsa-2048`, `memory lazy`, `ipc follow` …) are parsed
// as names and checked by the validator (VMS003): the message is then located
// on the value and recovery never has to guess.
import { EmbeddedActionsParser, ILookaheadStrategy, IRecognitionException, IToken, TokenType, LLkLookaheadStrategy, tokenMatcher, EOF } from 'chevrotain';
import type * as A from './ast';
import {
  allTokens, Arrow, BiArrow, Cidr, Cmp, Comma, Digest, DECL_KEYWORDS, GRAMMAR_SELF_CHECKS, Identifier, Ipv4, KW, LCurly, LParen,
  LSquare, Quantity, RCurly, RParen, RSquare, StringLit,
} from './tokens';
import { parseAddr, parseQuantity, unescapeString, unknownEscapes } from './literals';
import { errorMessageProvider } from './messages';
import { closest } from './suggest';
import { AnalysedParser, restore, snapshotFromText } from './grammar-snapshot';

/** The grammar model recorded at build time (esbuild.mjs, grammar-snapshot.ts snapshotText); absent when running from the sources. */
declare const VMSEC_GRAMMAR: string | undefined;

const DECL_TYPE_IDX = new Set(DECL_KEYWORDS.map((k) => KW[k].tokenTypeIdx));

/** Property words of each block, for did-you-mean and for recovery. */
export const BLOCK_WORDS = {
  boot: ['pcr'],
  host: ['cpus', 'memory', 'hypervisor', 'tpm', 'boot', 'tenant'],
  link: ['bandwidth', 'latency'],
  network: ['hosts', 'bandwidth', 'latency'],
  vm: ['vcpus', 'memory', 'disk', 'virtualization', 'vtpm', 'tenant', 'subnet', 'workingset', 'process', 'ipc'],
  process: ['memory', 'confidential', 'file'],
  fork: ['children', 'on', 'memory', 'disk', 'multicast', 'attest', 'integrity', 'encrypt', 'transient', 'isolate'],
  monitor: ['mode', 'buffer', 'default', 'rule', 'escalate'],
  checkpoint: ['exclude', 'ipc', 'disk', 'to'],
  authority: ['key'],
  attacker: ['tenant', 'tap', 'tamper', 'drop', 'replay', 'vm', 'steal'],
  scenario: ['seed', 'at', 'expect'],
} as const;
export type BlockKind = keyof typeof BLOCK_WORDS;
/** The words a scenario step begins with (after `at TIME`). */
const STEP_WORDS = new Set(['fork', 'syscall', 'checkpoint', 'restore', 'write', 'migrate', 'rotate', 'present']);
/**
 * Declaration keywords no block reads as a property or step (unlike `boot`
 * in a host, `vm` in an attacker, `fork` and `checkpoint` in a scenario):
 * at the start of a line one always ends a block whose `}` is missing, so an
 * incremental reparse may start there (model/incremental.ts).
 */
export const BARRIER_KEYWORDS: ReadonlySet<string> = new Set(DECL_KEYWORDS.filter((w) =>
  !STEP_WORDS.has(w) && !Object.values(BLOCK_WORDS).some((words) => (words as readonly string[]).includes(w))));
const BLOCK_SETS = Object.fromEntries(
  Object.entries(BLOCK_WORDS).map(([k, v]) => [k, new Set<string>(v)]),
) as Record<BlockKind, Set<string>>;

/** Whether a word may begin a property (or, in a scenario, a step) of the block whose words these are. */
function ownWord(t: IToken, words: Set<string>): boolean {
  return words.has(t.image) || (words === BLOCK_SETS.scenario && STEP_WORDS.has(t.image));
}

/**
 * `a or b …` / `a and b …` from the parts that could be read; undefined when
 * none could (parse recovery: the condition is left out, its VMS000 says why).
 */
function joined(kind: 'or' | 'and', ops: A.Cond[]): A.Cond {
  if (ops.length <= 1) return ops[0];
  return { kind, operands: ops, span: { start: ops[0].span.start, end: ops[ops.length - 1].span.end } };
}

/**
 * The list itself when empty, else a copy of just its length: a list grown by
 * push keeps room for 17 entries, and syntax trees keep many short lists
 * (a large file's tree is what its parse leaves to the garbage collector).
 */
function exact<T>(list: T[]): T[] { return list.length ? list.slice() : list; }

/** Second words that make a property's key (`attest hosts`, `attest vtpm`: ast.ts ForkProp). */
const TWO_WORD_KEYS: Record<string, Set<string>> = { attest: new Set(['hosts', 'vtpm']) };

/** The key of the property that starts at `t` (then `u`), if `t` is a property word of the block. */
function writtenKey(t: IToken, u: IToken, words: Set<string>): string | undefined {
  if (!words.has(t.image)) return undefined;
  return TWO_WORD_KEYS[t.image]?.has(u.image) ? `${t.image} ${u.image}` : t.image;
}

/** Records that property `key` of `d` was written but could not be read (ast.ts DeclBase.broken). */
function markBroken(d: A.Decl, key: string): void {
  const list = (d.broken ??= []);
  if (!list.includes(key)) list.push(key);
}

const MAX_LOOKAHEAD = 3;

/**
 * Chevrotain's LL(k) lookahead, each function computed the first time its
 * decision is reached instead of all of them when the parser is built: a
 * short file pays only for the decisions it meets (start-up of `vmsec
 * check`). The functions are the same, so every parse result is too.
 */
class LazyLookahead implements ILookaheadStrategy {
  private llk = new LLkLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD });
  validate(o: Parameters<ILookaheadStrategy['validate']>[0]) { return this.llk.validate(o); }
  initialize(o: { rules: Parameters<ILookaheadStrategy['validate']>[0]['rules'] }) { this.llk.initialize?.(o); }
  buildLookaheadForAlternation(o: Parameters<ILookaheadStrategy['buildLookaheadForAlternation']>[0]) {
    const llk = this.llk;
    let f: ReturnType<ILookaheadStrategy['buildLookaheadForAlternation']> | undefined;
    // Chevrotain calls it with the parser as `this`.
    return function (this: unknown, alts?: Parameters<ReturnType<ILookaheadStrategy['buildLookaheadForAlternation']>>[0]) {
      f ??= llk.buildLookaheadForAlternation(o);
      return f.call(this, alts);
    };
  }
  buildLookaheadForOptional(o: Parameters<ILookaheadStrategy['buildLookaheadForOptional']>[0]) {
    const llk = this.llk;
    let f: ReturnType<ILookaheadStrategy['buildLookaheadForOptional']> | undefined;
    return function (this: unknown) {
      f ??= llk.buildLookaheadForOptional(o);
      return f.call(this);
    };
  }
}

/**
 * The rule part of Chevrotain's lookahead key (occurrence | decision kind |
 * rule index, its grammar/keys.ts): 8 bits of occurrence and 4 of kind below
 * the rule's short name.
 */
function ruleKeyOf(key: number): number { return key & ~0xfff; }

/**
 * Chevrotain's cache of lookahead functions, by key, filled one rule at a
 * time: a key not yet there registers the decisions of its rule first.
 */
class RuleLookaheads extends Map<number, unknown> {
  private registered = new Set<number>();
  constructor(private register: (key: number) => void) { super(); }
  override get(key: number): unknown {
    const f = super.get(key);
    if (f !== undefined) return f;
    const rule = ruleKeyOf(key);
    if (this.registered.has(rule)) return undefined;
    this.registered.add(rule);
    this.register(key);
    return super.get(key);
  }
}

export class VmsecParser extends EmbeddedActionsParser {
  private decls: A.Decl[] = [];
  /**
   * Alternatives of the hot ORs, built once: their closures use only `this`,
   * and allocating them on every call is a measurable share of parse time.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private alt: Record<string, any> = {};
  private open = new Set<A.Decl>();
  private text = '';
  /** newDeclarationAt's answers, by token offset (one scan per block). */
  private breaks = new Map<number, boolean>();
  /** The property words of the innermost block being parsed. */
  private blockWords: Set<string> | undefined;
  problems: A.SyntaxProblem[] = [];

  constructor() {
    super(allTokens, {
      recoveryEnabled: true, maxLookahead: MAX_LOOKAHEAD, errorMessageProvider,
      lookaheadStrategy: new LazyLookahead(), skipValidations: !GRAMMAR_SELF_CHECKS,
    });
    if (!this.analyseFromSnapshot()) this.performSelfAnalysis();
    // Garbage between declarations is left to parse.ts (one message, the
    // misspelt declaration's block skipped whole): Chevrotain's own recovery
    // of the top-level repetition would resume at the first declaration
    // keyword, even one inside that block (`boot` of `hots h { boot b }`).
    const self = this as unknown as { RULE_STACK_IDX: number; attemptInRepetitionRecovery: (...args: unknown[]) => void };
    const inRepetition = self.attemptInRepetitionRecovery;
    // (Chevrotain is pinned; a test of `hots h { boot b }` fails if this hook ever goes.)
    if (typeof inRepetition === 'function') {
      self.attemptInRepetitionRecovery = function (this: typeof self, ...args: unknown[]) {
        if (this.RULE_STACK_IDX > 0) inRepetition.apply(this, args);
      };
    }
    this.replaceMisspeltKeywords();
  }

  /**
   * A misspelt keyword (`attest hosts agianst g`) is read as the keyword it
   * is a typo of, so the words after it keep their meaning: Chevrotain would
   * assume the keyword left out and read the typo as the name after it,
   * a second error on the same word. The mismatch's message (with its
   * did-you-mean) is recorded before recovery starts. Recovery only: the
   * recorded grammar, and so completion, does not change.
   */
  private replaceMisspeltKeywords(): void {
    // Chevrotain's own recovery methods (not in its public typings; pinned, and
    // test/unit/follow-on.test.ts fails if these hooks ever go).
    type Recovering = { tryInRuleRecovery: (t: TokenType, f: TokenType[]) => IToken; canPerformInRuleRecovery: (t: TokenType, f: TokenType[]) => boolean; consumeToken(): void };
    const self = this as unknown as Recovering;
    const tryIn = self.tryInRuleRecovery;
    const canIn = self.canPerformInRuleRecovery;
    if (typeof tryIn !== 'function' || typeof canIn !== 'function') return;
    self.tryInRuleRecovery = function (this: VmsecParser & Recovering, expected, follows) {
      const t = this.LA(1);
      if (!this.misspelt(t, expected)) return tryIn.call(this, expected, follows);
      this.consumeToken();
      return t;
    };
    self.canPerformInRuleRecovery = function (this: VmsecParser & Recovering, expected, follows) {
      return this.misspelt(this.LA(1), expected) || canIn.call(this, expected, follows);
    };
  }

  /**
   * Whether `t` is a typo of the keyword `expected` (and not a declaration
   * starting a line). For a keyword of two letters (`as`, `on`, `to`: a name
   * such as `a1` or `t1` is one edit away) only its letters swapped (`sa`) or
   * another keyword (`on` for `of`); never where reading it so would leave the
   * keyword's own argument missing (the line or the block ends).
   */
  private misspelt(t: IToken, expected: TokenType): boolean {
    if (!expected.name.startsWith('KW_') || t.tokenType === EOF || !tokenMatcher(t, Identifier)) return false;
    const word = expected.name.slice(3);
    if (t.image === word || (this.startsDecl(t) && this.atLineStart(t))) return false;
    if (word.length < 3 && t.tokenType === Identifier && t.image !== `${word[1]}${word[0]}`) return false;
    const after = this.LA(2);
    if (after.tokenType === EOF || tokenMatcher(after, RCurly) || this.lineBreakBetween(t, after)) return false;
    return closest(t.image, [word]) === word;
  }

  /**
   * What performSelfAnalysis leaves, from the build's snapshot of this very
   * grammar (grammar-snapshot.ts): without the recording run, its follow
   * sets, or the validations the built code skips anyway. False when there
   * is no snapshot or it does not fit the rules defined here.
   */
  private analyseFromSnapshot(): boolean {
    if (typeof VMSEC_GRAMMAR === 'undefined' || GRAMMAR_SELF_CHECKS) return false;
    const snapshot = snapshotFromText(VMSEC_GRAMMAR);
    const restored = snapshot && restore(snapshot, allTokens);
    // Chevrotain's own fields (not in its public typings).
    const self = this as unknown as AnalysedParser & {
      definedRulesNames: string[]; selfAnalysisDone: boolean; lookaheadStrategy: ILookaheadStrategy;
      shortRuleNameToFull: Record<number, string>; lookAheadFuncsCache: Map<number, unknown>; preComputeLookaheadFunctions(rules: unknown[]): void;
    };
    if (!restored || snapshot.rules.map((r) => r.name).join() !== self.definedRulesNames.join()) return false;
    self.selfAnalysisDone = true;
    snapshot.rules.forEach((r, i) => { self.gastProductionsCache[r.name] = restored.rules[i]; });
    self.resyncFollows = restored.follows;
    self.lookaheadStrategy.initialize?.({ rules: restored.rules });
    // Each rule's decisions are registered when the parse first meets one of
    // them, not all at start: registering walks the rule, which reads it from
    // the snapshot (grammar-snapshot.ts restores rules on first read).
    self.lookAheadFuncsCache = new RuleLookaheads((key) => {
      const name = self.shortRuleNameToFull[ruleKeyOf(key)];
      if (name !== undefined) self.preComputeLookaheadFunctions([self.gastProductionsCache[name]]);
    });
    return true;
  }

  /**
   * A stray token before the one expected (`monitor m for v shop {`) is
   * dropped rather than the expected one assumed: assuming the `{` would
   * read `shop` as a property and skip the real block as its value.
   */
  override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType !== LCurly || !tokenMatcher(this.LA(2), LCurly);
  }

  /**
   * A value that is not a name (`integrity "per-page"`) is not dropped to
   * read the word after it as the name when that word is the next property
   * (`encrypt` on the next line, `boot` after `tpm "x"`): it would be lost
   * and reported as a bad value.
   */
  override canTokenTypeBeDeletedInRecovery(tokType: TokenType): boolean {
    if (tokType !== Identifier) return true;
    const next = this.LA(2);
    return !this.lineBreakBetween(this.LA(1), next) && !this.blockWords?.has(next.image);
  }

  /** Parses a token vector from index `from`; call `startDocument` first. Returns the declarations read (of every call since). */
  parseTokens(tokens: IToken[], from = 0): A.Decl[] {
    this.input = tokens;
    // Resuming after top-level garbage (parse.ts) at `from` without copying
    // the rest of the vector: Chevrotain reads LA(k) at currIdx + k.
    if (from > 0) (this as unknown as { currIdx: number }).currIdx = from - 1;
    this.file();
    return this.decls;
  }

  startDocument(text: string): void {
    this.text = text;
    this.decls = [];
    this.open.clear();
    this.breaks.clear();
    this.problems = [];
  }

  /** Declarations whose closing `}` was never read (their span is fixed up by the caller). */
  unfinished(): ReadonlySet<A.Decl> { return this.open; }

  // ---- leaf helpers (only called inside ACTION) ----
  private here(): A.Span {
    const prev = this.LA(0);
    // Offsets-only lexing leaves endOffset unset: the end is start + length.
    const at = prev && !Number.isNaN(prev.startOffset) && prev.tokenType !== EOF ? prev.startOffset + prev.image.length : 0;
    return { start: at, end: at };
  }
  private span(t: IToken): A.Span {
    if (t.isInsertedInRecovery || Number.isNaN(t.startOffset)) return this.here();
    return { start: t.startOffset, end: t.startOffset + t.image.length };
  }
  private from(start: A.Span): A.Span { return { start: start.start, end: Math.max(start.end, this.here().end) }; }
  private ident(t: IToken): A.Ident { return { text: t.image, span: this.span(t) }; }
  private begin<D extends A.Decl>(d: D): D { this.decls.push(d); this.open.add(d); return d; }
  private finish(d: A.Decl | undefined): void {
    if (!d) return;
    d.span = this.from(d.span);
    this.open.delete(d);
    const lists = d as { props?: unknown[]; pcrs?: unknown[]; items?: unknown[]; hosts?: unknown[] };
    if (lists.props) lists.props = exact(lists.props);
    if (lists.pcrs) lists.pcrs = exact(lists.pcrs);
    if (lists.items) lists.items = exact(lists.items);
    if (lists.hosts) lists.hosts = exact(lists.hosts);
  }

  private startsDecl(t: IToken): boolean { return DECL_TYPE_IDX.has(t.tokenTypeIdx); }

  /** Whether a block's property loop should go on at the next token. */
  private continuesBlock(words: Set<string>): boolean {
    const t = this.LA(1);
    if (!tokenMatcher(t, Identifier)) return false;
    if (this.startsDecl(t)) {
      if (!ownWord(t, words)) return false;
      // Whitespace is free: `boot b` at the start of a line in a host is its
      // property, unless the host's `}` was left out (see newDeclarationAt).
      return !(this.atLineStart(t) && this.newDeclarationAt(t, words));
    }
    return true;
  }

  /**
   * Whether `t`, a declaration keyword at the start of a line that is also
   * a property word of the block it is in (`boot` in a host, `vm` in an
   * attacker), begins a new declaration after a missing `}`: yes when the
   * block is not closed before the next declaration keyword at the start of
   * a line that is no property of it (or the end). A valid file closes every
   * block, so it is never broken up; the scan stops at that `}` or keyword,
   * so what decides is this declaration's own text (and the keywords of one
   * block are decided by one scan).
   */
  private newDeclarationAt(t: IToken, words: Set<string>): boolean {
    const known = this.breaks.get(t.startOffset);
    if (known !== undefined) return known;
    const tokens = this.input;
    let i = (this as unknown as { currIdx: number }).currIdx + 1;
    // LA(1) is t; anything else (cannot happen) decides as before: a new declaration.
    if (tokens[i] !== t) return true;
    const same = [t];
    let depth = 0;
    let opens = true;
    for (i++; i < tokens.length; i++) {
      const u = tokens[i];
      if (u.tokenType === LCurly) depth++;
      else if (u.tokenType === RCurly) {
        if (depth === 0) { opens = false; break; }
        depth--;
      } else if (depth === 0 && this.startsDecl(u) && this.atLineStart(u)) {
        if (!ownWord(u, words)) break;
        same.push(u);
      }
    }
    for (const u of same) this.breaks.set(u.startOffset, opens);
    return opens;
  }

  private atLineStart(t: IToken): boolean { return atLineStart(this.text, t.startOffset); }

  /**
   * Reports an unknown property word and skips to the next property, `}` or
   * declaration. Not reported when the property before it failed with an
   * error on the same line: the word is what that error was about (or what
   * its recovery left), and one mistake gets one message.
   */
  private unknownProperty(t: IToken, kind: BlockKind, afterError: boolean, owner: A.Decl | undefined): void {
    const words = BLOCK_WORDS[kind];
    if (kind === 'scenario' && STEP_WORDS.has(t.image)) { this.stepWithoutTime(t); return; }
    const reported = !(afterError && this.sameLineAsLastError(t));
    if (reported) {
      const guess = closest(t.image, words);
      // `encrpyt`: the property meant was written, only misspelt.
      if (guess && owner) markBroken(owner, guess);
      this.problems.push({
        span: this.span(t),
        message: `unknown ${kind} property '${t.image}'${guess ? ` — did you mean '${guess}'?` : ''}; expected one of: ${words.join(', ')}`,
      });
    }
    const set = BLOCK_SETS[kind];
    // An unknown property's first word after it is its value (`dsik include`,
    // `tpa vm2`), whatever it looks like; after a bad value (`two` in `vcpus
    // two`, not reported) there is none to pass.
    let pastValue = !reported;
    for (;;) {
      const next = this.LA(1);
      if (next.tokenType === EOF || tokenMatcher(next, RCurly)) return;
      if (tokenMatcher(next, Identifier) && (set.has(next.image) || (this.startsDecl(next) && this.atLineStart(next)))) return;
      // Then a likely typo of a property word (`vcpus two memroy 4 GiB`,
      // `hypervizor xen tenent acme`) is a mistake of its own: it gets its
      // message on the next round. Not in a scenario, whose steps are lines of
      // many words (`as` is one edit from `at`).
      if (pastValue && kind !== 'scenario' && tokenMatcher(next, Identifier) && !this.startsDecl(next) && closest(next.image, words)) return;
      if (tokenMatcher(next, LCurly)) this.skipBalanced(); else this.SKIP_TOKEN();
      pastValue = true;
    }
  }
  /**
   * `fork clone at 0 ms`: a step written without `at` first. One problem
   * showing the step in order, and the rest of its line skipped.
   */
  private stepWithoutTime(t: IToken): void {
    let time = 'at 0 ms';
    let last = t;
    // Each gap between neighbouring tokens is looked at once (a line may be long).
    for (let k = 1; ; k++) {
      const next = this.LA(k);
      if (next.tokenType === EOF || tokenMatcher(next, RCurly) || this.lineBreakBetween(this.LA(k - 1), next)) break;
      const qty = this.LA(k + 1);
      if (tokenMatcher(next, KW.at) && tokenMatcher(qty, Quantity) && !this.lineBreakBetween(next, qty)) {
        time = `at ${qty.image}`;
        break;
      }
      last = next;
    }
    const step = this.text.slice(t.startOffset, last.startOffset + last.image.length);
    this.problems.push({ span: this.span(t), message: `a step starts with 'at TIME': write '${time} ${step}'` });
    for (;;) {
      const next = this.LA(1);
      if (next.tokenType === EOF || tokenMatcher(next, RCurly) || this.lineBreakBetween(this.LA(0), next)) return;
      this.SKIP_TOKEN();
    }
  }
  /**
   * The next token when it is a `tokType` the grammar does not allow here,
   * looked at outside the grammar (recording skips ACTION, so only the
   * grammar's own form is recorded and completion offers that alone): a
   * forgiven form (`monitor m on v`, `deny 13`, `restore c on h`) is read as
   * meant, with one message.
   */
  private forgiven(tokType: TokenType): IToken | undefined {
    return this.ACTION(() => (tokenMatcher(this.LA(1), tokType) ? this.LA(1) : undefined));
  }

  /** The problem of a restore step without `as NAME`, at the `on` found instead. */
  private missingRestoreName(checkpoint: A.Ident, on: IToken): void {
    const host = this.LA(2);
    const where = tokenMatcher(host, Identifier) && !this.lineBreakBetween(on, host) ? ` on ${host.image}` : ' on HOST';
    this.problems.push({
      span: this.span(on),
      message: `a restore step names the VM it brings back: write 'restore ${checkpoint.text} as NAME${where}'`,
    });
  }

  /** Whether a line ends between token `a` and the later token `b`. */
  private lineBreakBetween(a: IToken, b: IToken): boolean { return lineBreakBetween(this.text, a.startOffset, b.startOffset); }

  /** The parser errors so far: Chevrotain's own list (its `errors` getter copies it). */
  private recorded(): readonly IRecognitionException[] { return (this as unknown as { _errors?: IRecognitionException[] })._errors ?? []; }

  /** Whether the last parser error is at `t` or earlier on its line. */
  private sameLineAsLastError(t: IToken): boolean {
    const errors = this.recorded();
    const last = errors[errors.length - 1]?.token;
    // Far apart on one long line they are not one mistake (and the scan stays short).
    if (!last || Number.isNaN(last.startOffset) || last.startOffset > t.startOffset || t.startOffset - last.startOffset > 4096) return false;
    return !lineBreakBetween(this.text, last.startOffset, t.startOffset);
  }
  private skipBalanced(): void {
    let depth = 0;
    for (;;) {
      const next = this.LA(1);
      if (next.tokenType === EOF) return;
      if (tokenMatcher(next, LCurly)) depth++;
      if (tokenMatcher(next, RCurly)) depth--;
      this.SKIP_TOKEN();
      if (depth === 0) return;
    }
  }

  // ---- leaves ----
  private name = this.RULE('name', () => {
    const t = this.CONSUME(Identifier);
    return this.ACTION(() => this.ident(t));
  }, { recoveryValueFunc: () => ({ text: '', span: this.here() }) });

  private names = this.RULE('names', () => {
    const out: A.Ident[] = [];
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => { const n = this.SUBRULE(this.name); this.ACTION(() => out.push(n)); } });
    return this.ACTION(() => exact(out));
  }, { recoveryValueFunc: () => [] });

  private qty = this.RULE('qty', () => {
    const t = this.CONSUME(Quantity);
    return this.ACTION(() => parseQuantity(t.image, this.span(t)));
  }, { recoveryValueFunc: () => parseQuantity('', this.here()) });

  private str = this.RULE('str', () => {
    const t = this.CONSUME(StringLit);
    return this.ACTION((): A.Str => {
      const str: A.Str = { value: t.image ? unescapeString(t.image) : '', span: this.span(t) };
      const odd = t.image && !t.isInsertedInRecovery ? unknownEscapes(t.image, t.startOffset) : [];
      if (odd.length) str.escapes = odd;
      return str;
    });
  }, { recoveryValueFunc: () => ({ value: '', span: this.here() }) });

  private addr = this.RULE('addr', () => {
    const t = this.OR([{ ALT: () => this.CONSUME(Ipv4) }, { ALT: () => this.CONSUME(Cidr) }]);
    return this.ACTION(() => parseAddr(t.image, this.span(t)));
  }, { recoveryValueFunc: (): A.Addr => ({ text: '', ip: NaN, span: this.here() }) });

  private vmRef = this.RULE('vmRef', () => {
    const name = this.SUBRULE(this.name);
    let index: A.Quantity | undefined;
    this.OPTION(() => {
      this.CONSUME(LSquare);
      index = this.SUBRULE(this.qty);
      this.CONSUME(RSquare);
    });
    return this.ACTION((): A.VmRef => ({ name, index: index && index.text ? index : undefined, span: this.from(name.span) }));
  }, { recoveryValueFunc: (): A.VmRef => ({ name: { text: '', span: this.here() }, span: this.here() }) });

  private target = this.RULE('target', () => {
    const a = this.SUBRULE(this.name);
    let b: A.Ident | undefined;
    this.OPTION(() => { this.CONSUME(BiArrow); b = this.SUBRULE1(this.name); });
    return this.ACTION((): A.Target => ({ a, b, span: this.from(a.span) }));
  }, { recoveryValueFunc: (): A.Target => ({ a: { text: '', span: this.here() }, span: this.here() }) });

  // ---- file and declarations ----
  private file = this.RULE('file', () => {
    this.MANY(() => this.SUBRULE(this.decl));
  });

  private decl = this.RULE('decl', () => {
    this.OR(this.alt.decl ??= [
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.bootDecl) },
      { ALT: () => this.SUBRULE(this.hostDecl) },
      { ALT: () => this.SUBRULE(this.linkDecl) },
      { ALT: () => this.SUBRULE(this.networkDecl) },
      { ALT: () => this.SUBRULE(this.vmDecl) },
      { ALT: () => this.SUBRULE(this.forkDecl) },
      { ALT: () => this.SUBRULE(this.monitorDecl) },
      { ALT: () => this.SUBRULE(this.checkpointDecl) },
      { ALT: () => this.SUBRULE(this.authorityDecl) },
      { ALT: () => this.SUBRULE(this.certificateDecl) },
      { ALT: () => this.SUBRULE(this.shareDecl) },
      { ALT: () => this.SUBRULE(this.attackerDecl) },
      { ALT: () => this.SUBRULE(this.scenarioDecl) },
    ]);
  });

  /**
   * `{ prop* }` with unknown-property recovery. Used once per rule, so the
   * DSL occurrence indices inside stay unique.
   */
  private block(kind: BlockKind, prop: () => void, owner: A.Decl | undefined): void {
    const words = BLOCK_SETS[kind];
    // Made once per block, not once per property (allocation in the hot loop).
    const alternatives = {
      // One token decides: a property keyword enters its rule even when its
      // value is missing, so the error lands on the value, not the keyword.
      MAX_LOOKAHEAD: 1,
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: prop },
        {
          GATE: () => !words.has(this.LA(1).image),
          ALT: () => { const t = this.CONSUME9(Identifier); this.ACTION(() => this.unknownProperty(t, kind, now > before, owner)); },
        },
      ],
    };
    // Parser errors recorded before the previous property (or the `{`) and
    // before this one: a word left over from a property (or a `{`) that just
    // failed is part of that mistake, not a second one (see unknownProperty).
    let before = this.recorded().length;
    this.CONSUME(LCurly);
    let now = before;
    const outer = this.blockWords;
    this.blockWords = words;
    // Restored however the block ends (a parse error may leave it by an exception).
    try {
      this.MANY({
        GATE: () => this.continuesBlock(words),
        DEF: () => {
          before = now;
          now = this.recorded().length;
          // The property's first words, made into its key only if it fails (the
          // hot path of a valid file allocates nothing more per property).
          const first = this.LA(1);
          const second = this.LA(2);
          // Also when the error ends the block (finally): the property was written all the same.
          try {
            this.OR9(alternatives);
          } finally {
            if (owner && this.recorded().length > now) {
              this.ACTION(() => { const key = writtenKey(first, second, words); if (key) markBroken(owner, key); });
            }
          }
        },
      });
    } finally {
      this.blockWords = outer;
    }
    this.CONSUME(RCurly);
  }

  private importDecl = this.RULE('importDecl', () => {
    const kw = this.CONSUME(KW.import);
    const path = this.SUBRULE(this.str);
    this.ACTION(() => this.finish(this.begin<A.ImportDecl>({ kind: 'import', path, keywordSpan: this.span(kw), span: this.span(kw) })));
  });

  private bootDecl = this.RULE('bootDecl', () => {
    const kw = this.CONSUME(KW.boot);
    const name = this.SUBRULE(this.name);
    const d = this.ACTION(() => this.begin<A.BootDecl>({ kind: 'boot', name, pcrs: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('boot', () => {
      const k = this.CONSUME(KW.pcr);
      const index = this.SUBRULE(this.qty);
      const ms: (A.Str | A.DigestLit)[] = [];
      this.AT_LEAST_ONE(() => this.OR([
        { ALT: () => { const s = this.SUBRULE(this.str); this.ACTION(() => ms.push(s)); } },
        { ALT: () => { const t = this.CONSUME(Digest); this.ACTION(() => ms.push({ hex: t.image.slice(7).toLowerCase(), span: this.span(t) })); } },
      ]));
      this.ACTION(() => { const s = this.span(k); d.pcrs.push({ key: 'pcr', keySpan: s, span: this.from(s), index, measurements: exact(ms) }); });
    }, d);
    this.ACTION(() => this.finish(d));
  });

  private hostDecl = this.RULE('hostDecl', () => {
    const kw = this.CONSUME(KW.host);
    const name = this.SUBRULE(this.name);
    const d = this.ACTION(() => this.begin<A.HostDecl>({ kind: 'host', name, props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('host', () => { const p = this.SUBRULE(this.hostProp); this.ACTION(() => p && d.props.push(p)); }, d);
    this.ACTION(() => this.finish(d));
  });

  private hostProp = this.RULE('hostProp', (): A.HostProp => this.OR(this.alt.hostProp ??= [
    { ALT: () => this.qtyProp(this.CONSUME(KW.cpus), this.SUBRULE1(this.qty)) },
    { ALT: () => this.qtyProp(this.CONSUME(KW.memory), this.SUBRULE2(this.qty)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.hypervisor), this.SUBRULE1(this.name)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.tpm), this.SUBRULE2(this.name)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.boot), this.SUBRULE3(this.name)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.tenant), this.SUBRULE4(this.name)) },
  ]) as A.HostProp);

  /** Builds `{key, value}` for a property with one value (inside ACTION). */
  private qtyProp<K extends string>(k: IToken, value: A.Quantity): A.ValueProp<K, A.Quantity> {
    return this.ACTION(() => { const s = this.span(k); return { key: k.image as K, keySpan: s, span: this.from(s), value }; });
  }
  private nameProp<K extends string, V>(k: IToken, value: V, key?: K): A.ValueProp<K, V> {
    return this.ACTION(() => { const s = this.span(k); return { key: (key ?? k.image) as K, keySpan: s, span: this.from(s), value }; });
  }
  private flag<K extends string>(k: IToken, key?: K): A.FlagProp<K> {
    return this.ACTION(() => { const s = this.span(k); return { key: (key ?? k.image) as K, keySpan: s, span: { start: s.start, end: s.end } }; });
  }

  private linkProp = this.RULE('linkProp', (): A.LinkProp => this.OR(this.alt.linkProp ??= [
    { ALT: () => this.qtyProp(this.CONSUME(KW.bandwidth), this.SUBRULE1(this.qty)) },
    { ALT: () => this.qtyProp(this.CONSUME(KW.latency), this.SUBRULE2(this.qty)) },
  ]) as A.LinkProp);

  private linkDecl = this.RULE('linkDecl', () => {
    const kw = this.CONSUME(KW.link);
    const a = this.SUBRULE(this.name);
    this.CONSUME(BiArrow);
    const b = this.SUBRULE1(this.name);
    const d = this.ACTION(() => this.begin<A.LinkDecl>({ kind: 'link', a, b, props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('link', () => { const p = this.SUBRULE(this.linkProp); this.ACTION(() => p && d.props.push(p)); }, d);
    this.ACTION(() => this.finish(d));
  });

  private networkDecl = this.RULE('networkDecl', () => {
    const kw = this.CONSUME(KW.network);
    const name = this.SUBRULE(this.name);
    const d = this.ACTION(() => this.begin<A.NetworkDecl>({ kind: 'network', name, hosts: [], props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('network', () => this.OR([
      {
        ALT: () => {
          const k = this.CONSUME(KW.hosts);
          const hs = this.SUBRULE(this.names);
          this.ACTION(() => { for (const h of hs) d.hosts.push(h); d.hostsSpan = this.from(this.span(k)); });
        },
      },
      { ALT: () => { const p = this.SUBRULE(this.linkProp); this.ACTION(() => p && d.props.push(p)); } },
    ]), d);
    this.ACTION(() => this.finish(d));
  });

  private vmDecl = this.RULE('vmDecl', () => {
    const kw = this.CONSUME(KW.vm);
    const name = this.SUBRULE(this.name);
    this.CONSUME(KW.on);
    const host = this.SUBRULE1(this.name);
    const d = this.ACTION(() => this.begin<A.VmDecl>({ kind: 'vm', name, host, props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('vm', () => { const p = this.SUBRULE(this.vmProp); this.ACTION(() => p && d.props.push(p)); }, d);
    this.ACTION(() => this.finish(d));
  });

  private vmProp = this.RULE('vmProp', (): A.VmProp => this.OR(this.alt.vmProp ??= [
    { ALT: () => this.qtyProp(this.CONSUME(KW.vcpus), this.SUBRULE1(this.qty)) },
    { ALT: () => this.qtyProp(this.CONSUME(KW.memory), this.SUBRULE2(this.qty)) },
    { ALT: () => this.qtyProp(this.CONSUME(KW.disk), this.SUBRULE3(this.qty)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.virtualization), this.SUBRULE1(this.name)) },
    { ALT: () => this.flag(this.CONSUME(KW.vtpm)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.tenant), this.SUBRULE2(this.name)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.subnet), this.SUBRULE(this.addr)) },
    { ALT: () => this.qtyProp(this.CONSUME(KW.workingset), this.SUBRULE4(this.qty)) },
    { ALT: () => this.SUBRULE(this.processDecl) },
    {
      ALT: () => {
        const k = this.CONSUME(KW.ipc);
        const from = this.SUBRULE3(this.name);
        this.CONSUME(Arrow);
        const to = this.SUBRULE4(this.name);
        const channel = this.SUBRULE5(this.name);
        return this.ACTION((): A.IpcDecl => { const s = this.span(k); return { key: 'ipc', keySpan: s, span: this.from(s), from, to, channel }; });
      },
    },
  ]) as A.VmProp);

  private processDecl = this.RULE('processDecl', (): A.ProcessDecl => {
    const k = this.CONSUME(KW.process);
    const name = this.SUBRULE(this.name);
    const d = this.ACTION((): A.ProcessDecl => { const s = this.span(k); return { key: 'process', keySpan: s, span: { start: s.start, end: s.end }, name, props: [] }; });
    this.block('process', () => this.OR([
      { ALT: () => { const p = this.qtyProp<'memory'>(this.CONSUME(KW.memory), this.SUBRULE(this.qty)); this.ACTION(() => d.props.push(p)); } },
      { ALT: () => { const p = this.flag<'confidential'>(this.CONSUME(KW.confidential)); this.ACTION(() => d.props.push(p)); } },
      { ALT: () => { const p = this.nameProp<'file', A.Str>(this.CONSUME(KW.file), this.SUBRULE(this.str)); this.ACTION(() => d.props.push(p)); } },
    ]), undefined);
    return this.ACTION(() => { d.span = this.from(d.span); d.props = exact(d.props); return d; });
  });

  private forkDecl = this.RULE('forkDecl', () => {
    const kw = this.CONSUME(KW.fork);
    const name = this.SUBRULE(this.name);
    this.CONSUME(KW.of);
    const parent = this.SUBRULE1(this.name);
    const d = this.ACTION(() => this.begin<A.ForkDecl>({ kind: 'fork', name, parent, props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('fork', () => { const p = this.SUBRULE(this.forkProp); this.ACTION(() => p && d.props.push(p)); }, d);
    this.ACTION(() => this.finish(d));
  });

  private forkProp = this.RULE('forkProp', (): A.ForkProp => this.OR(this.alt.forkProp ??= [
    { ALT: () => this.qtyProp(this.CONSUME(KW.children), this.SUBRULE1(this.qty)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.on), this.SUBRULE1(this.names)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.memory), this.SUBRULE1(this.name)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.disk), this.SUBRULE2(this.name)) },
    { ALT: () => this.flag(this.CONSUME(KW.multicast)) },
    {
      ALT: () => {
        const k = this.CONSUME(KW.attest);
        return this.OR1([
          { ALT: () => { this.CONSUME(KW.hosts); this.CONSUME(KW.against); return this.nameProp(k, this.SUBRULE2(this.names), 'attest hosts'); } },
          { ALT: () => { this.CONSUME(KW.vtpm); return this.flag(k, 'attest vtpm'); } },
        ]);
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.integrity);
        const mode = this.SUBRULE3(this.name);
        let batch: A.Quantity | undefined;
        this.OPTION(() => { batch = this.SUBRULE2(this.qty); });
        return this.ACTION((): A.ForkProp => { const s = this.span(k); return { key: 'integrity', keySpan: s, span: this.from(s), mode, batch }; });
      },
    },
    { ALT: () => this.flag(this.CONSUME(KW.encrypt)) },
    { ALT: () => this.flag(this.CONSUME(KW.transient)) },
    { ALT: () => this.flag(this.CONSUME(KW.isolate)) },
  ]) as A.ForkProp, { recoveryValueFunc: () => undefined as unknown as A.ForkProp });

  private monitorDecl = this.RULE('monitorDecl', () => {
    const kw = this.CONSUME(KW.monitor);
    const name = this.SUBRULE(this.name);
    // `monitor m on v` (a VM's own word) is forgiven.
    const on = this.forgiven(KW.on);
    if (on) this.ACTION(() => this.SKIP_TOKEN()); else this.CONSUME(KW.for);
    const vms = this.SUBRULE(this.names);
    this.ACTION(() => {
      if (!on) return;
      const named = vms.filter((v) => v.text);
      const watched = named.length ? named.map((v) => v.text).join(', ') : 'VM';
      this.problems.push({ span: this.span(on), message: `a monitor names the VMs it watches with 'for', not 'on': write 'monitor ${name.text} for ${watched}'` });
    });
    const d = this.ACTION(() => this.begin<A.MonitorDecl>({ kind: 'monitor', name, vms, props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('monitor', () => { const p = this.SUBRULE(this.monProp); this.ACTION(() => p && d.props.push(p)); }, d);
    this.ACTION(() => this.finish(d));
  });

  private monProp = this.RULE('monProp', (): A.MonProp => this.OR(this.alt.monProp ??= [
    { ALT: () => this.nameProp(this.CONSUME(KW.mode), this.SUBRULE1(this.name)) },
    {
      ALT: () => {
        const k = this.CONSUME(KW.buffer);
        const size = this.SUBRULE(this.qty);
        let policy: A.Ident | undefined;
        this.OPTION(() => {
          const t = this.OR1([{ ALT: () => this.CONSUME(KW.drop) }, { ALT: () => this.CONSUME(KW.block) }]);
          policy = this.ACTION(() => this.ident(t));
        });
        return this.ACTION((): A.MonProp => { const s = this.span(k); return { key: 'buffer', keySpan: s, span: this.from(s), size, policy }; });
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.default);
        const action = this.SUBRULE1(this.action);
        // A property whose action could not be read is left out (its VMS000 says why).
        return this.ACTION((): A.MonProp => { const s = this.span(k); return (action ? { key: 'default', keySpan: s, span: this.from(s), action } : undefined) as A.MonProp; });
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.rule);
        const name = this.SUBRULE2(this.name);
        this.CONSUME(KW.on);
        const calls = this.SUBRULE(this.names);
        let when: A.Cond | undefined;
        this.OPTION1(() => { this.CONSUME(KW.when); when = this.SUBRULE(this.cond); });
        this.CONSUME(KW.then);
        const actions: A.Action[] = [];
        this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => { const a = this.SUBRULE2(this.action); this.ACTION(() => a && actions.push(a)); } });
        return this.ACTION((): A.RuleDecl => { const s = this.span(k); return { key: 'rule', keySpan: s, span: this.from(s), name, calls, when, actions: exact(actions) }; });
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.escalate);
        const count = this.SUBRULE1(this.qty);
        this.CONSUME(KW.violations);
        this.CONSUME(KW.within);
        const window = this.SUBRULE2(this.qty);
        this.CONSUME1(KW.then);
        const action = this.SUBRULE3(this.action);
        return this.ACTION((): A.MonProp => { const s = this.span(k); return (action ? { key: 'escalate', keySpan: s, span: this.from(s), count, window, action } : undefined) as A.MonProp; });
      },
    },
  ]) as A.MonProp, { recoveryValueFunc: () => undefined as unknown as A.MonProp });

  private action = this.RULE('action', (): A.Action => this.OR(this.alt.action ??= [
    { ALT: () => this.simpleAction(this.CONSUME(KW.allow)) },
    { ALT: () => this.simpleAction(this.CONSUME(KW.killProc)) },
    { ALT: () => this.simpleAction(this.CONSUME(KW.pause)) },
    { ALT: () => this.simpleAction(this.CONSUME(KW.terminate)) },
    {
      ALT: () => {
        const k = this.CONSUME(KW.deny);
        // `deny 13` is forgiven: one message, not one per missing parenthesis.
        const bare = this.forgiven(Quantity);
        let code: A.Quantity;
        if (bare) {
          code = this.ACTION(() => {
            this.SKIP_TOKEN();
            const q = parseQuantity(bare.image, this.span(bare));
            this.problems.push({ span: q.span, message: `the return code of deny goes in parentheses: write 'deny(${q.text})'` });
            return q;
          });
        } else {
          this.CONSUME(LParen);
          code = this.SUBRULE(this.qty);
          this.CONSUME(RParen);
        }
        return this.ACTION((): A.Action => ({ kind: 'deny', code, span: this.from(this.span(k)) }));
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.policyChange);
        this.CONSUME1(LParen);
        const monitor = this.SUBRULE(this.name);
        this.CONSUME1(RParen);
        return this.ACTION((): A.Action => ({ kind: 'policyChange', monitor, span: this.from(this.span(k)) }));
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.migrate);
        let to: A.Ident | undefined;
        this.OPTION(() => { this.CONSUME(KW.to); to = this.SUBRULE1(this.name); });
        return this.ACTION((): A.Action => ({ kind: 'migrate', to, span: this.from(this.span(k)) }));
      },
    },
  ]) as A.Action, { recoveryValueFunc: () => undefined as unknown as A.Action });

  private simpleAction(k: IToken): A.Action {
    return this.ACTION(() => ({ kind: k.image as 'allow', span: this.span(k) }));
  }

  // cond = term { or term } ; term = factor { and factor } ; factor = [not] ( "(" cond ")" | predicate )
  private cond = this.RULE('cond', (): A.Cond => {
    const ops: A.Cond[] = [];
    const first = this.SUBRULE(this.term);
    this.ACTION(() => first && ops.push(first));
    this.MANY(() => { this.CONSUME(KW.or); const t = this.SUBRULE1(this.term); this.ACTION(() => t && ops.push(t)); });
    return this.ACTION(() => joined('or', ops));
  });

  private term = this.RULE('term', (): A.Cond => {
    const ops: A.Cond[] = [];
    const first = this.SUBRULE(this.factor);
    this.ACTION(() => first && ops.push(first));
    this.MANY(() => { this.CONSUME(KW.and); const f = this.SUBRULE1(this.factor); this.ACTION(() => f && ops.push(f)); });
    return this.ACTION(() => joined('and', ops));
  });

  private factor = this.RULE('factor', (): A.Cond => {
    let not: IToken | undefined;
    this.OPTION(() => { not = this.CONSUME(KW.not); });
    const inner = this.OR([
      {
        ALT: () => {
          const open = this.CONSUME(LParen);
          const c = this.SUBRULE(this.cond);
          this.CONSUME(RParen);
          return this.ACTION(() => (c ? { ...c, span: this.from(this.span(open)) } as A.Cond : undefined));
        },
      },
      { ALT: () => this.SUBRULE(this.predicate) },
    ]);
    return this.ACTION(() => (not && inner ? { kind: 'not', operand: inner, span: this.from(this.span(not)) } : inner) as A.Cond);
  });

  private predicate = this.RULE('predicate', (): A.Cond => this.OR(this.alt.predicate ??= [
    {
      ALT: () => {
        const k = this.OR1([{ ALT: () => this.CONSUME(KW.fileEq) }, { ALT: () => this.CONSUME(KW.filePrefix) }]);
        this.CONSUME(LParen);
        const index = this.SUBRULE(this.qty);
        this.CONSUME(Comma);
        const value = this.SUBRULE(this.str);
        this.CONSUME(RParen);
        return this.ACTION((): A.Cond => ({ kind: k.image as 'fileEq', index, value, span: this.from(this.span(k)) }));
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.ip);
        this.CONSUME1(LParen);
        const addr = this.SUBRULE(this.addr);
        this.CONSUME1(RParen);
        return this.ACTION((): A.Cond => ({ kind: 'ip', addr, span: this.from(this.span(k)) }));
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.port);
        this.CONSUME2(LParen);
        const port = this.SUBRULE1(this.qty);
        this.CONSUME2(RParen);
        return this.ACTION((): A.Cond => ({ kind: 'port', port, span: this.from(this.span(k)) }));
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.process);
        this.CONSUME3(LParen);
        const name = this.SUBRULE(this.name);
        this.CONSUME3(RParen);
        return this.ACTION((): A.Cond => ({ kind: 'process', name, span: this.from(this.span(k)) }));
      },
    },
  ]));

  private checkpointDecl = this.RULE('checkpointDecl', () => {
    const kw = this.CONSUME(KW.checkpoint);
    const name = this.SUBRULE(this.name);
    this.CONSUME(KW.of);
    const vm = this.SUBRULE1(this.name);
    const d = this.ACTION(() => this.begin<A.CheckpointDecl>({ kind: 'checkpoint', name, vm, props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('checkpoint', () => {
      const p = this.OR([
        { ALT: () => this.nameProp<'exclude', A.Ident[]>(this.CONSUME(KW.exclude), this.SUBRULE(this.names)) },
        { ALT: () => this.nameProp<'ipc', A.Ident>(this.CONSUME(KW.ipc), this.SUBRULE2(this.name)) },
        { ALT: () => this.nameProp<'disk', A.Ident>(this.CONSUME(KW.disk), this.SUBRULE3(this.name)) },
        { ALT: () => this.nameProp<'to', A.Str>(this.CONSUME(KW.to), this.SUBRULE(this.str)) },
      ]) as A.CkProp;
      this.ACTION(() => p && d.props.push(p));
    }, d);
    this.ACTION(() => this.finish(d));
  });

  private authorityDecl = this.RULE('authorityDecl', () => {
    const kw = this.CONSUME(KW.authority);
    const name = this.SUBRULE(this.name);
    const d = this.ACTION(() => this.begin<A.AuthorityDecl>({ kind: 'authority', name, props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('authority', () => {
      const p = this.nameProp<'key', A.Ident>(this.CONSUME(KW.key), this.SUBRULE1(this.name));
      this.ACTION(() => d.props.push(p));
    }, d);
    this.ACTION(() => this.finish(d));
  });

  private certificateDecl = this.RULE('certificateDecl', () => {
    const kw = this.CONSUME(KW.certificate);
    const name = this.SUBRULE(this.name);
    const d = this.ACTION(() => this.begin<A.CertificateDecl>({
      kind: 'certificate', name, subject: { text: '', span: this.here() }, authority: { text: '', span: this.here() },
      valid: parseQuantity('', this.here()), keywordSpan: this.span(kw), span: this.span(kw),
    }));
    this.CONSUME(KW.for);
    const subject = this.SUBRULE1(this.name);
    this.ACTION(() => { d.subject = subject; });
    this.CONSUME(KW.by);
    const authority = this.SUBRULE2(this.name);
    this.ACTION(() => { d.authority = authority; });
    this.CONSUME(KW.valid);
    const valid = this.SUBRULE(this.qty);
    this.ACTION(() => { d.valid = valid; this.finish(d); });
  });

  private shareDecl = this.RULE('shareDecl', () => {
    const kw = this.CONSUME(KW.share);
    const path = this.SUBRULE(this.str);
    const d = this.ACTION(() => this.begin<A.ShareDecl>({ kind: 'share', path, vms: [], requireCertificate: false, keywordSpan: this.span(kw), span: this.span(kw) }));
    this.CONSUME(KW.between);
    const vms = this.SUBRULE(this.names);
    this.ACTION(() => { d.vms = vms; });
    this.OPTION(() => {
      this.CONSUME(KW.require);
      this.CONSUME(KW.certificate);
      this.ACTION(() => { d.requireCertificate = true; });
    });
    this.ACTION(() => this.finish(d));
  });

  private attackerDecl = this.RULE('attackerDecl', () => {
    const kw = this.CONSUME(KW.attacker);
    const name = this.SUBRULE(this.name);
    const d = this.ACTION(() => this.begin<A.AttackerDecl>({ kind: 'attacker', name, props: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('attacker', () => { const p = this.SUBRULE(this.atkProp); this.ACTION(() => p && d.props.push(p)); }, d);
    this.ACTION(() => this.finish(d));
  });

  private atkProp = this.RULE('atkProp', (): A.AtkProp => this.OR(this.alt.atkProp ??= [
    { ALT: () => this.nameProp(this.CONSUME(KW.tenant), this.SUBRULE1(this.name)) },
    { ALT: () => this.nameProp(this.CONSUME(KW.tap), this.SUBRULE1(this.target)) },
    {
      ALT: () => {
        const k = this.OR1([
          { ALT: () => this.CONSUME(KW.tamper) }, { ALT: () => this.CONSUME(KW.drop) }, { ALT: () => this.CONSUME(KW.replay) },
        ]);
        const target = this.SUBRULE2(this.target);
        const share = this.SUBRULE(this.qty);
        return this.ACTION((): A.AtkProp => { const s = this.span(k); return { key: k.image as 'tamper', keySpan: s, span: this.from(s), target, share }; });
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.vm);
        const name = this.SUBRULE2(this.name);
        this.CONSUME(KW.on);
        const host = this.SUBRULE3(this.name);
        return this.ACTION((): A.AtkProp => { const s = this.span(k); return { key: 'vm', keySpan: s, span: this.from(s), name, host }; });
      },
    },
    { ALT: () => this.nameProp(this.CONSUME(KW.steal), this.SUBRULE4(this.name)) },
  ]) as A.AtkProp, { recoveryValueFunc: () => undefined as unknown as A.AtkProp });

  private scenarioDecl = this.RULE('scenarioDecl', () => {
    const kw = this.CONSUME(KW.scenario);
    const title = this.SUBRULE(this.str);
    const d = this.ACTION(() => this.begin<A.ScenarioDecl>({ kind: 'scenario', title, items: [], keywordSpan: this.span(kw), span: this.span(kw) }));
    this.block('scenario', () => { const p = this.SUBRULE(this.scenarioItem); this.ACTION(() => p && d.items.push(p)); }, d);
    this.ACTION(() => this.finish(d));
  });

  private scenarioItem = this.RULE('scenarioItem', (): A.ScenarioItem => this.OR(this.alt.scenarioItem ??= [
    { ALT: () => this.qtyProp(this.CONSUME(KW.seed), this.SUBRULE(this.qty)) as A.ScenarioItem },
    {
      ALT: () => {
        const k = this.CONSUME(KW.at);
        const at = this.SUBRULE1(this.qty);
        const body = this.SUBRULE(this.stepBody);
        // A step or expectation whose body could not be read is left out (its VMS000 says why).
        return this.ACTION((): A.ScenarioItem => { const s = this.span(k); return (body ? { key: 'step', keySpan: s, span: this.from(s), at, body } : undefined) as A.ScenarioItem; });
      },
    },
    {
      ALT: () => {
        const k = this.CONSUME(KW.expect);
        const body = this.SUBRULE(this.expectBody);
        return this.ACTION((): A.ScenarioItem => { const s = this.span(k); return (body ? { key: 'expect', keySpan: s, span: this.from(s), body } : undefined) as A.ScenarioItem; });
      },
    },
  ]), { recoveryValueFunc: () => undefined as unknown as A.ScenarioItem });

  private stepBody = this.RULE('stepBody', (): A.StepBody => this.OR(this.alt.stepBody ??= [
    { ALT: () => { this.CONSUME(KW.fork); const fork = this.SUBRULE1(this.name); return this.ACTION(() => ({ kind: 'fork', fork })); } },
    {
      ALT: () => {
        this.CONSUME(KW.syscall);
        const vm = this.SUBRULE1(this.vmRef);
        const process = this.SUBRULE2(this.name);
        const call = this.SUBRULE3(this.name);
        this.CONSUME(LParen);
        const args: A.Arg[] = [];
        this.MANY_SEP({ SEP: Comma, DEF: () => { const a = this.SUBRULE(this.arg); this.ACTION(() => a && args.push(a)); } });
        this.CONSUME(RParen);
        return this.ACTION((): A.StepBody => ({ kind: 'syscall', vm, process, call, args: exact(args) }));
      },
    },
    { ALT: () => { this.CONSUME(KW.checkpoint); const checkpoint = this.SUBRULE4(this.name); return this.ACTION(() => ({ kind: 'checkpoint', checkpoint })); } },
    {
      ALT: () => {
        this.CONSUME(KW.restore);
        const checkpoint = this.SUBRULE5(this.name);
        let as: A.Ident | undefined;
        // `restore snap on n2` is forgiven: one message saying what is missing, not one per word after it.
        const on = this.forgiven(KW.on);
        if (on) this.ACTION(() => this.missingRestoreName(checkpoint, on));
        else { this.CONSUME(KW.as); as = this.SUBRULE6(this.name); }
        this.CONSUME(KW.on);
        const host = this.SUBRULE7(this.name);
        // Without the new VM's name the step is left out (its VMS000 says why).
        return this.ACTION((): A.StepBody => (as ? { kind: 'restore', checkpoint, as, host } : undefined) as A.StepBody);
      },
    },
    {
      ALT: () => {
        this.CONSUME(KW.write);
        const vm = this.SUBRULE2(this.vmRef);
        const path = this.SUBRULE1(this.str);
        return this.ACTION((): A.StepBody => ({ kind: 'write', vm, path }));
      },
    },
    {
      ALT: () => {
        this.CONSUME(KW.migrate);
        const vm = this.SUBRULE3(this.vmRef);
        this.CONSUME(KW.to);
        const host = this.SUBRULE8(this.name);
        return this.ACTION((): A.StepBody => ({ kind: 'migrate', vm, host }));
      },
    },
    { ALT: () => { this.CONSUME(KW.rotate); const certificate = this.SUBRULE9(this.name); return this.ACTION(() => ({ kind: 'rotate', certificate })); } },
    {
      ALT: () => {
        this.CONSUME(KW.present);
        const certificate = this.SUBRULE(this.name);
        this.CONSUME(KW.for);
        const path = this.SUBRULE2(this.str);
        return this.ACTION((): A.StepBody => ({ kind: 'present', certificate, path }));
      },
    },
  ]) as A.StepBody);

  private arg = this.RULE('arg', (): A.Arg => this.OR([
    { ALT: () => this.SUBRULE(this.str) },
    { ALT: () => this.SUBRULE(this.qty) },
    { ALT: () => this.SUBRULE(this.addr) },
  ]) as A.Arg);

  private expectBody = this.RULE('expectBody', (): A.ExpectBody => this.OR({
    MAX_LOOKAHEAD: 1,
    IGNORE_AMBIGUITIES: true,
    DEF: [
      {
        GATE: () => tokenMatcher(this.LA(2), KW.of),
        ALT: () => {
          this.CONSUME(KW.attestation);
          this.CONSUME(KW.of);
          const host = this.SUBRULE(this.name);
          return this.OR1([
            { ALT: () => { this.CONSUME(KW.passes); return this.ACTION((): A.ExpectBody => ({ kind: 'attestation', host, passes: true })); } },
            {
              ALT: () => {
                this.CONSUME(KW.fails);
                let pcr: A.Quantity | undefined;
                this.OPTION(() => { this.CONSUME(KW.at); this.CONSUME(KW.pcr); pcr = this.SUBRULE(this.qty); });
                return this.ACTION((): A.ExpectBody => ({ kind: 'attestation', host, passes: false, pcr }));
              },
            },
          ]);
        },
      },
      {
        GATE: () => tokenMatcher(this.LA(2), KW.tampered),
        ALT: () => {
          this.CONSUME(KW.no); this.CONSUME(KW.tampered); this.CONSUME(KW.page); this.CONSUME(KW.accepted);
          return { kind: 'no-tampered' } as A.ExpectBody;
        },
      },
      {
        GATE: () => tokenMatcher(this.LA(3), StringLit) || tokenMatcher(this.LA(3), LSquare),
        ALT: () => {
          this.CONSUME(KW.write);
          const vm = this.SUBRULE(this.vmRef);
          const path = this.SUBRULE(this.str);
          const allowed = this.OR2([{ ALT: () => { this.CONSUME(KW.allowed); return true; } }, { ALT: () => { this.CONSUME(KW.denied); return false; } }]);
          return this.ACTION((): A.ExpectBody => ({ kind: 'write', vm, path, allowed }));
        },
      },
      { ALT: () => this.SUBRULE(this.subjectExpect) },
    ],
  }));

  /** Expectations that begin with the name of what they are about. */
  private subjectExpect = this.RULE('subjectExpect', (): A.ExpectBody => {
    const ref = this.SUBRULE(this.vmRef);
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(KW.ready); this.CONSUME(KW.within);
          const within = this.SUBRULE(this.qty);
          return this.ACTION((): A.ExpectBody => ({ kind: 'ready', fork: ref.name, within }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(KW.pages);
          const which = this.OR1([
            { ALT: () => this.CONSUME(KW.rejected) }, { ALT: () => this.CONSUME(KW.verified) }, { ALT: () => this.CONSUME(KW.fetched) },
          ]);
          let host: A.Ident | undefined;
          this.OPTION(() => { this.CONSUME(KW.on); host = this.SUBRULE(this.name); });
          const cmp = this.CONSUME(Cmp);
          const count = this.SUBRULE1(this.qty);
          return this.ACTION((): A.ExpectBody => ({ kind: 'pages', fork: ref.name, which: which.image as 'rejected', host, cmp: cmp.image as A.Comparison, count }));
        },
      },
      {
        ALT: () => {
          const which = this.OR2([
            { ALT: () => this.CONSUME(KW.denies) }, { ALT: () => this.CONSUME(KW.kills) }, { ALT: () => this.CONSUME(KW.allows) },
          ]);
          const cmp = this.CONSUME1(Cmp);
          const count = this.SUBRULE2(this.qty);
          return this.ACTION((): A.ExpectBody => ({ kind: 'verdicts', monitor: ref.name, which: which.image as 'denies', cmp: cmp.image as A.Comparison, count }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(KW.is);
          const state = this.OR3([
            { ALT: () => this.CONSUME(KW.running) }, { ALT: () => this.CONSUME(KW.paused) },
            { ALT: () => this.CONSUME(KW.terminated) }, { ALT: () => this.CONSUME(KW.migrated) },
          ]);
          return this.ACTION((): A.ExpectBody => ({ kind: 'state', vm: ref, state: state.image as 'running' }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(KW.excludes);
          const processes = this.SUBRULE(this.names);
          return this.ACTION((): A.ExpectBody => ({ kind: 'excludes', checkpoint: ref.name, processes }));
        },
      },
      {
        ALT: () => {
          let never = false;
          this.OPTION1(() => { this.CONSUME(KW.never); never = true; });
          this.CONSUME(KW.sees); this.CONSUME(KW.confidential); this.CONSUME(KW.data);
          return this.ACTION((): A.ExpectBody => ({ kind: 'sees', attacker: ref.name, never }));
        },
      },
    ]);
  });
}

/** Whether `offset` begins a line of `text`. */
export function atLineStart(text: string, offset: number): boolean {
  const c = text.charCodeAt(offset - 1);
  return offset === 0 || c === 10 || c === 13;
}

/** Whether a line ends in `text[from, to)`. */
export function lineBreakBetween(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return true;
  }
  return false;
}

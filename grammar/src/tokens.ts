// Tokens of the vmsec language (LANGUAGE.md §1).
//
// Words are lexed once as `Identifier` and then re-typed to a keyword token by
// a map lookup (see `lex.ts`). Keywords carry the `Identifier` category, so a
// keyword is still accepted wherever the grammar expects a name: keywords are
// reserved only where the grammar expects them.
import { createToken, Lexer, TokenType } from 'chevrotain';

declare const VMSEC_BUNDLED: boolean | undefined;
/**
 * Whether Chevrotain validates the grammar and the token set when the parser
 * and lexer are built. That only finds mistakes in vmsec's own grammar and
 * costs a large share of a cold `vmsec check`, so the built bundles (esbuild
 * defines VMSEC_BUNDLED) skip it; the tests run from the sources, with it.
 */
export const GRAMMAR_SELF_CHECKS = typeof VMSEC_BUNDLED === 'undefined' || !VMSEC_BUNDLED;

// Every regular-expression token names the characters it can start with
// (exactly those its pattern allows; test/unit/keyword-tokens.test.ts holds
// them equal): the lexer then need not analyse its patterns when it is
// built, a share of a cold start.
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true, start_chars_hint: [' ', '\t', '\r', '\n', '\f', '\v'] });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: 'comments', start_chars_hint: ['/'] });
// A `/*` never closed runs to the end of the text (as in C and TypeScript), so
// what follows is not read as code; parse.ts reports it.
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?(?:\*\/|(?![\s\S]))/, group: 'comments', line_breaks: true, start_chars_hint: ['/'] });

export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n\r]|\\.)*"/, start_chars_hint: ['"'] });
export const Digest = createToken({ name: 'Digest', pattern: /sha256:[0-9a-fA-F]{64}(?![0-9A-Za-z_])/, start_chars_hint: ['s'] });
export const Cidr = createToken({ name: 'Cidr', pattern: /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\/\d{1,2}(?![0-9])/, start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
export const Ipv4 = createToken({ name: 'Ipv4', pattern: /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![0-9.])/, start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
// A number with its unit glued on (same line): `4 KiB`, `250 us`, `15%`,
// `10 MiB/s`; digits grouped by single underscores (`1_000_000`, not `1__0`). One token keeps the parser unit-agnostic; the validator checks
// that the unit's kind is the one due (VMS003). A comment is whitespace, so
// `4 /*c*/ GiB` is one too, but only a block comment without a line break:
// the number and its unit stay on one line.
export const Quantity = createToken({
  name: 'Quantity',
  pattern: /\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?(?:(?:[ \t]|\/\*(?:[^*\r\n]|\*(?!\/))*\*\/)*(?:%|(?:KiB|MiB|GiB|TiB|KB|MB|GB|TB|B)\/s|KiB|MiB|GiB|TiB|KB|MB|GB|TB|Gbps|Mbps|Kbps|bps|min|ms|us|ns|s|h|B)(?![A-Za-z0-9_]))?/,
  start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  line_breaks: false,
});

export const BiArrow = createToken({ name: 'BiArrow', pattern: '<->' });
export const Arrow = createToken({ name: 'Arrow', pattern: '->' });
export const Cmp = createToken({ name: 'Cmp', pattern: /==|!=|<=|>=|<|>/, start_chars_hint: ['=', '!', '<', '>'] });
export const LCurly = createToken({ name: 'LCurly', pattern: '{' });
export const RCurly = createToken({ name: 'RCurly', pattern: '}' });
export const LParen = createToken({ name: 'LParen', pattern: '(' });
export const RParen = createToken({ name: 'RParen', pattern: ')' });
export const LSquare = createToken({ name: 'LSquare', pattern: '[' });
export const RSquare = createToken({ name: 'RSquare', pattern: ']' });
export const Comma = createToken({ name: 'Comma', pattern: ',' });
// A hyphen may sit inside a name but not before `>`, so `a->b` is an IPC edge.
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_';
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_](?:[A-Za-z0-9_]|-(?!>))*/, start_chars_hint: [...LETTERS] });

/** Every word the grammar uses as a keyword. */
export const KEYWORDS = [
  'import', 'boot', 'pcr', 'host', 'cpus', 'memory', 'hypervisor', 'tpm', 'ecdsa-p256', 'rsa-2048', 'tenant',
  'link', 'network', 'hosts', 'bandwidth', 'latency', 'vm', 'on', 'vcpus', 'disk', 'virtualization', 'full',
  'para', 'emulation', 'os-level', 'vtpm', 'subnet', 'workingset', 'process', 'ipc', 'pipe', 'socket', 'shm',
  'tty', 'confidential', 'file', 'fork', 'of', 'children', 'lazy', 'eager', 'multicast', 'attest', 'against',
  'integrity', 'per-page', 'batched', 'none', 'encrypt', 'transient', 'isolate', 'monitor', 'for', 'mode',
  'concurrent', 'serial', 'buffer', 'drop', 'block', 'default', 'allow', 'deny', 'rule', 'when', 'then',
  'escalate', 'violations', 'within', 'or', 'and', 'not', 'fileEq', 'filePrefix', 'ip', 'port', 'killProc',
  'policyChange', 'pause', 'terminate', 'migrate', 'to', 'checkpoint', 'exclude', 'follow', 'warn', 'ignore',
  'include', 'authority', 'key', 'certificate', 'by', 'valid', 'share', 'between', 'require', 'attacker', 'tap',
  'tamper', 'replay', 'steal', 'scenario', 'seed', 'at', 'syscall', 'restore', 'as', 'write', 'rotate',
  'present', 'expect', 'attestation', 'passes', 'fails', 'ready', 'pages', 'rejected', 'verified', 'fetched',
  'no', 'tampered', 'page', 'accepted', 'denies', 'kills', 'allows', 'is', 'running', 'paused', 'terminated',
  'migrated', 'excludes', 'sees', 'never', 'data', 'allowed', 'denied',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** Keyword token types by word; never produced by the lexer directly. */
export const KW: Record<Keyword, TokenType> = Object.create(null);
for (const word of KEYWORDS) {
  KW[word] = createToken({ name: `KW_${word}`, pattern: Lexer.NA, label: `'${word}'` });
}
joinIdentifierCategory(Object.values(KW));

/**
 * Makes each keyword a member of the Identifier category, in the state
 * Chevrotain's `createToken({ categories: [Identifier] })` leaves it. Done
 * here in one pass because createToken recomputes Identifier's member list
 * on every call (quadratic in the ~170 keywords: a visible share of a cold
 * start). The lexer and parser re-derive the same fields from CATEGORIES
 * when they are built; test/unit/keyword-tokens.test.ts holds the two equal.
 */
function joinIdentifierCategory(keywords: TokenType[]): void {
  // Chevrotain's own fields on a token type (not in its public typings).
  type Augmented = TokenType & { categoryMatches: number[]; categoryMatchesMap: Record<number, boolean>; isParent: boolean };
  const parent = Identifier as Augmented;
  for (const kw of keywords) {
    kw.CATEGORIES = [Identifier];
    parent.categoryMatchesMap[kw.tokenTypeIdx!] = true;
  }
  // Chevrotain lists a category's members by its map's keys (ascending indexes).
  parent.categoryMatches = Object.keys(parent.categoryMatchesMap).map(Number);
  parent.isParent = parent.categoryMatches.length > 0;
}

/** Tokens the lexer tries, in priority order. */
export const lexingTokens: TokenType[] = [
  WhiteSpace, LineComment, BlockComment, StringLit, Digest, Cidr, Ipv4, Quantity,
  BiArrow, Arrow, Cmp, LCurly, RCurly, LParen, RParen, LSquare, RSquare, Comma, Identifier,
];

/** The parser's whole vocabulary. */
export const allTokens: TokenType[] = [...lexingTokens, ...Object.values(KW)];

/** Words that begin a top-level declaration (used for recovery and completion). */
export const DECL_KEYWORDS: readonly Keyword[] = [
  'import', 'boot', 'host', 'link', 'network', 'vm', 'fork', 'monitor', 'checkpoint', 'authority',
  'certificate', 'share', 'attacker', 'scenario',
];

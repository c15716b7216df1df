// Token-level mutations of source files, as plain data (so a failing case can
// be saved as JSON and replayed) with fast-check arbitraries that shrink
// towards fewer, smaller mutations. Values come from pools of the inputs
// that broke vmsec before: extreme numbers, hostile paths, control
// characters, deep nesting, prototype names. Paths may hold placeholders
// ({OUTSIDE}, {ENTRY}) that the sandbox fills in.
import fc from 'fast-check';
import { join as joinTokens, tokenize, type Token } from './tokens';

export const EXTREME_NUMBERS = [
  '0', '1', '-1', '4294967296', '4294967295', '2147483648', '9007199254740993', '18446744073709551616',
  '1e20', '1e400', '100000000000000000000', '1' + '0'.repeat(400), '0.5', '0.0000001', '1_000_000_000_000',
  '99999999999999999999999999999', '00000000000000000001', '1.', '1__0', '3.5e2',
];

export const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'KB', 'MB', 'GB', 'us', 'ms', 's', 'min', 'h', 'Gbps', 'Mbps', 'MiB/s', '%'];

/** Paths relative to the declaring file's folder (the workspace root), placeholders filled in by the sandbox. */
export const HOSTILE_PATHS = [
  '../../x.ckpt', '../escape.ckpt', '../../outside/victim.ckpt', 'link-out/new.ckpt', 'link-out/victim.ckpt',
  'link-out/plain.txt', 'checkpoints/evil.ckpt', 'checkpoints/x.ckpt', 'notes.txt', '{ENTRY}', 'sub/', 'newdir/',
  'checkpoints', 'dir.ckpt', 'fifo.ckpt', 'fifo.vmsec', 'null.ckpt', '{OUTSIDE}/abs.ckpt', '{OUTSIDE}/victim.ckpt',
  '', '.', '..', 'a/../../x.ckpt', 'checkpoints/../../x.ckpt', 'lib-out.vmsec', 'link-out/lib.vmsec', 'hosts.vmsec',
  'old.ckpt', 'sub/../../escape.ckpt', '..\\..\\x.ckpt', '%2e%2e/x.ckpt', '~/x.ckpt', 'x\\u0000y.ckpt',
  'a'.repeat(300) + '.ckpt', 'deep/'.repeat(60) + 'x.ckpt', 'notes.txt/x.ckpt', 'link-out/../../escape.ckpt',
];

/** Any string (titles, file names, import paths): paths above plus names that break output formats. */
export const HOSTILE_STRINGS = [
  ...HOSTILE_PATHS,
  '\\u001b[31mred\\u001b[0m', '\u001b[2J', 'tab\there', 'prod: α', 'prod: β', 'a\\nb', '\\"', '\\\\', '\u0007bell',
  '#%20 &<>\'"', 'x'.repeat(20000), '\u202Eevil', '\ud800', 'CON', '/etc/passwd',
];

export const HOSTILE_IDENTS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'x'.repeat(50000), 'a-', '_', 'é', 'x1e400'];

/** Texts inserted between tokens. */
export const WEIRD_TEXTS = [
  '\u0000', '\u0001', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u00a0', '\ufeff', '\u2028', '\u200b', '\r', '\ud800',
  '"', '/*', '{', '}', '[', ']', ' [ ', '->', '<->', ',', '(', ')', ' at ', ' import ', ' scenario ', '\\u', '"\\u"', '\n}\n',
];

export type Snippet = 'import' | 'checkpoint';

export type Op =
  | { op: 'delete'; file: number; at: number; len: number }
  | { op: 'duplicate'; file: number; at: number; len: number; times: number }
  | { op: 'swap'; file: number; a: number; b: number }
  | { op: 'number'; file: number; at: number; value: string }
  | { op: 'unit'; file: number; at: number; value: string }
  | { op: 'string'; file: number; at: number; value: string }
  | { op: 'target'; file: number; at: number; value: string }
  | { op: 'ident'; file: number; at: number; value: string }
  | { op: 'insert'; file: number; at: number; text: string }
  | { op: 'deep'; file: number; at: number; depth: number; form: 'parens' | 'not' | 'braces' }
  | { op: 'truncate'; file: number; at: number }
  | { op: 'bom'; file: number }
  | { op: 'append'; file: number; snippet: Snippet; value: string }
  /** Hand-written cases only (examples.ts): replace every occurrence of `find`. */
  | { op: 'replace'; file: number; find: string; text: string };

const idx = fc.nat({ max: 1_000_000 });
const file = fc.nat({ max: 3 });

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('number' as const), file, at: idx, value: fc.constantFrom(...EXTREME_NUMBERS) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('target' as const), file, at: idx, value: fc.constantFrom(...HOSTILE_PATHS) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('string' as const), file, at: idx, value: fc.constantFrom(...HOSTILE_STRINGS) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), file, at: idx, len: fc.integer({ min: 1, max: 8 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('duplicate' as const), file, at: idx, len: fc.integer({ min: 1, max: 30 }), times: fc.integer({ min: 1, max: 300 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('swap' as const), file, a: idx, b: idx }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('unit' as const), file, at: idx, value: fc.constantFrom(...UNITS) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('ident' as const), file, at: idx, value: fc.constantFrom(...HOSTILE_IDENTS) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('insert' as const), file, at: idx, text: fc.constantFrom(...WEIRD_TEXTS) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('deep' as const), file, at: idx, depth: fc.integer({ min: 1, max: 20000 }), form: fc.constantFrom('parens' as const, 'not' as const, 'braces' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('truncate' as const), file, at: idx }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('bom' as const), file }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('append' as const), file, snippet: fc.constantFrom('checkpoint' as const, 'import' as const), value: fc.constantFrom(...HOSTILE_PATHS) }), weight: 2 },
);

/** Numbers that still lex: the file stays parseable, so `run` reaches the validator's ranges and the simulator. */
export const LEXABLE_NUMBERS = ['0', '1', '2', '4096', '4294967296', '9007199254740993', '100000000000000000000', '1' + '0'.repeat(400), '1_000_000_000_000', '0.5'];

/** Mutations for `run` cases: few, mostly keeping the file valid, so the simulator runs instead of the file being refused. */
export const runOpArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('number' as const), file, at: idx, value: fc.constantFrom(...LEXABLE_NUMBERS) }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('target' as const), file, at: idx, value: fc.constantFrom(...HOSTILE_PATHS) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('append' as const), file, snippet: fc.constant('checkpoint' as const), value: fc.constantFrom(...HOSTILE_PATHS) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('unit' as const), file, at: idx, value: fc.constantFrom('TiB', 'GiB', 'h', 'min', 'us', 'B', 'Mbps') }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('string' as const), file, at: idx, value: fc.constantFrom('..', '.', '', 'prod: α', 'prod: β', '\u001b[31mred', '\n', 'x'.repeat(300)) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('duplicate' as const), file, at: idx, len: fc.integer({ min: 1, max: 12 }), times: fc.integer({ min: 1, max: 3 }) }), weight: 1 },
);

const significant = (t: Token) => t.kind !== 'ws' && t.kind !== 'comment';

/** Indices of the tokens that satisfy `keep`. */
function where(tokens: Token[], keep: (t: Token, i: number) => boolean): number[] {
  const out: number[] = [];
  tokens.forEach((t, i) => { if (keep(t, i)) out.push(i); });
  return out;
}

function previousSignificant(tokens: Token[], i: number): Token | undefined {
  for (let j = i - 1; j >= 0; j--) if (significant(tokens[j])) return tokens[j];
  return undefined;
}

/** Pool values are written as they appear inside a literal: escapes such as \u001b stay as typed. */
const literal = (s: string) => `"${s}"`;

function applyOne(text: string, op: Op): string {
  if (op.op === 'bom') return '\ufeff' + text;
  if (op.op === 'replace') return text.replaceAll(op.find, op.text);
  if (op.op === 'truncate') return text.slice(0, text.length === 0 ? 0 : op.at % (text.length + 1));
  if (op.op === 'append') {
    if (op.snippet === 'import') return `import ${literal(op.value)}\n` + text;
    const vm = /^\s*vm\s+([A-Za-z_][A-Za-z0-9_-]*)/m.exec(text)?.[1] ?? 'web';
    return text + `\ncheckpoint fzck of ${vm} {\n  to ${literal(op.value)}\n}\nscenario "fuzz checkpoint" {\n  at 0 ms checkpoint fzck\n}\n`;
  }
  const tokens = tokenize(text);
  const pick = (list: number[], at: number) => (list.length ? list[at % list.length] : -1);
  switch (op.op) {
    case 'delete': {
      const sig = where(tokens, significant);
      const i = pick(sig, op.at);
      if (i < 0) return text;
      const end = sig[Math.min(sig.indexOf(i) + op.len - 1, sig.length - 1)];
      return joinTokens([...tokens.slice(0, i), ...tokens.slice(end + 1)]);
    }
    case 'duplicate': {
      const sig = where(tokens, significant);
      const i = pick(sig, op.at);
      if (i < 0) return text;
      const end = sig[Math.min(sig.indexOf(i) + op.len - 1, sig.length - 1)];
      const chunk = joinTokens(tokens.slice(i, end + 1));
      return joinTokens(tokens.slice(0, end + 1)) + (' ' + chunk).repeat(op.times) + joinTokens(tokens.slice(end + 1));
    }
    case 'swap': {
      const sig = where(tokens, significant);
      const a = pick(sig, op.a), b = pick(sig, op.b);
      if (a < 0) return text;
      const t = tokens.slice();
      [t[a], t[b]] = [t[b], t[a]];
      return joinTokens(t);
    }
    case 'number': case 'unit': case 'string': case 'target': case 'ident': {
      const list = where(tokens, (t, i) => {
        if (op.op === 'number') return t.kind === 'number';
        if (op.op === 'unit') return t.kind === 'ident' && UNITS.includes(t.text) || t.text === '%';
        if (op.op === 'string') return t.kind === 'string';
        if (op.op === 'ident') return t.kind === 'ident';
        const prev = previousSignificant(tokens, i)?.text;
        return t.kind === 'string' && (prev === 'to' || prev === 'import');
      });
      const i = pick(list, op.at);
      if (i < 0) return text;
      const t = tokens.slice();
      const value = op.op === 'string' || op.op === 'target' ? literal(op.value) : op.value;
      t[i] = { ...t[i], text: value };
      return joinTokens(t);
    }
    case 'insert': {
      const i = op.at % (tokens.length + 1);
      return joinTokens(tokens.slice(0, i)) + op.text + joinTokens(tokens.slice(i));
    }
    case 'deep': {
      const whens = where(tokens, (t) => t.kind === 'ident' && t.text === 'when');
      if (op.form === 'braces' || whens.length === 0) {
        const i = op.at % (tokens.length + 1);
        return joinTokens(tokens.slice(0, i)) + '{'.repeat(op.depth) + joinTokens(tokens.slice(i));
      }
      const i = pick(whens, op.at);
      if (op.form === 'not') return joinTokens(tokens.slice(0, i + 1)) + ' ' + 'not '.repeat(op.depth) + joinTokens(tokens.slice(i + 1));
      const then = tokens.findIndex((t, j) => j > i && t.kind === 'ident' && t.text === 'then');
      const end = then < 0 ? tokens.length : then;
      return joinTokens(tokens.slice(0, i + 1)) + ' ' + '('.repeat(op.depth) + joinTokens(tokens.slice(i + 1, end)) + ')'.repeat(op.depth) + ' ' + joinTokens(tokens.slice(end));
    }
  }
}

/** Applies the mutations in order; `op.file` picks the file (modulo the number of files). */
export function mutate(files: Record<string, string>, ops: Op[]): Record<string, string> {
  const out = { ...files };
  const names = Object.keys(out);
  for (const op of ops) {
    const name = names[op.file % names.length];
    out[name] = applyOne(out[name], op);
  }
  return out;
}

// Parser error messages in the user's words: what was expected, what was
// found. Chevrotain's defaults list token type names and paths.
import { IParserErrorMessageProvider, IToken, TokenType, EOF } from 'chevrotain';
import { closest } from './suggest';
import { UNITS } from './literals';

const LABELS: Record<string, string> = {
  Identifier: 'a name', StringLit: 'a string', Quantity: 'a number', Digest: 'a sha256: digest',
  Cidr: 'a CIDR block like 10.0.0.0/24', Ipv4: 'an IPv4 address', Cmp: 'a comparison (== != < <= > >=)',
  BiArrow: "'<->'", Arrow: "'->'", LCurly: "'{'", RCurly: "'}'", LParen: "'('", RParen: "')'",
  LSquare: "'['", RSquare: "']'", Comma: "','",
};

export function label(t: TokenType): string {
  if (t.name.startsWith('KW_')) return `'${t.name.slice(3)}'`;
  return LABELS[t.name] ?? t.name;
}

export function found(t: IToken): string {
  return t.tokenType === EOF ? 'end of file' : `'${t.image}'`;
}

function alternatives(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? 'something else';
  if (unique.length > 8) return `${unique.slice(0, 8).join(', ')}, …`;
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
}

function firsts(paths: TokenType[][][]): string[] {
  return paths.flatMap((alt) => alt.map((path) => (path[0] ? label(path[0]) : ''))).filter(Boolean);
}

/** ` — did you mean 'denies'?` when the word found is a likely typo of an expected keyword. */
function didYouMean(labels: string[], actual: IToken): string {
  if (actual.tokenType === EOF || !/^[A-Za-z_]/.test(actual.image)) return '';
  const words = labels.filter((l) => l.startsWith("'")).map((l) => l.slice(1, -1));
  // `expect v running`: the state needs its `is`.
  if (words.includes('is') && STATES.has(actual.image)) return ` — did you mean 'is ${actual.image}'?`;
  // A typo, or the start of a longer word (`kill` for `killProc`).
  const guess = closest(actual.image, words) ?? (actual.image.length >= 3 ? words.find((w) => w.startsWith(actual.image)) : undefined);
  return guess && guess !== actual.image ? ` — did you mean '${guess}'?` : '';
}

const STATES = new Set(['running', 'paused', 'terminated', 'migrated']);

/**
 * The keyword a mismatch at a token expected (`checkpoint of web { }`: 'of'
 * at `web`): parse.ts puts it on the problem (SyntaxProblem.expected), so that
 * no one has to read it back out of the message.
 */
export const expectedKeywordAt = new WeakMap<IToken, string>();

export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    if (expected === EOF) return this.buildNotAllInputParsedMessage({ firstRedundant: actual, ruleName: 'file' });
    if (expected.name.startsWith('KW_')) expectedKeywordAt.set(actual, expected.name.slice(3));
    return `expected ${label(expected)} but found ${found(actual)}${didYouMean([label(expected)], actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${found(firstRedundant)}: expected a declaration (boot, host, link, network, vm, fork, monitor, checkpoint, authority, certificate, share, attacker, scenario or import)`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual }) {
    const labels = firsts(expectedPathsPerAlt);
    return `expected ${alternatives(labels)} but found ${found(actual[0])}${didYouMean(labels, actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }) {
    const labels = firsts([expectedIterationPaths]);
    return `expected ${alternatives(labels)} but found ${found(actual[0])}${didYouMean(labels, actual[0])}`;
  },
};


type UnitKind = 'size' | 'rate' | 'duration' | 'percent';

/** Spellings people write for a unit, lower-cased, by the unit meant. */
const UNIT_ALIASES: Record<string, string> = {
  sec: 's', secs: 's', second: 's', seconds: 's',
  msec: 'ms', msecs: 'ms', millisecond: 'ms', milliseconds: 'ms', millis: 'ms',
  usec: 'us', usecs: 'us', 'µs': 'us', 'μs': 'us', microsecond: 'us', microseconds: 'us',
  nsec: 'ns', nsecs: 'ns', nanosecond: 'ns', nanoseconds: 'ns',
  mins: 'min', minute: 'min', minutes: 'min', m: 'min',
  hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  percent: '%', pct: '%',
  bytes: 'B', byte: 'B',
};

const UNIT_KINDS: Record<string, UnitKind> = {};
for (const [u, info] of Object.entries(UNITS)) UNIT_KINDS[u] = info.kind as UnitKind;

/** Words followed by a plain number (LANGUAGE.md §2's INT): never a unit after it. */
const PLAIN_NUMBER = new Set(['children', 'cpus', 'vcpus', 'buffer', 'seed', 'batched', 'pcr', 'port', 'escalate', 'fileEq', 'filePrefix', 'deny']);

/** What a property word before a number says about the kind of unit due. */
const DUE_BY_KEYWORD: Record<string, UnitKind> = {
  memory: 'size', disk: 'size', bandwidth: 'rate', latency: 'duration', within: 'duration', at: 'duration', valid: 'duration', workingset: 'percent',
};

/**
 * The message for a word written as the unit of a number that is not a
 * unit (units are case-sensitive, LANGUAGE.md §1), or undefined when the
 * word does not look like a unit at all. `keyword` is the word before the
 * number (the kind of unit due, where it tells).
 */
export function unknownUnitMessage(word: string, keyword: string | undefined): string | undefined {
  // `children 2 ons`: a plain number is due, so the word is a misspelt property, not a unit.
  if (keyword !== undefined && PLAIN_NUMBER.has(keyword)) return undefined;
  const due = keyword === undefined ? undefined : DUE_BY_KEYWORD[keyword];
  const lower = word.toLowerCase();
  const quote = (u: string) => `'${u}'`;
  let meant: string | undefined;
  let caseOnly = false;
  // `Mb`, `gb`, `Gb/s`: bits or bytes? A rate due says bits per second.
  const bits = /^([kmgt])b(\/s|ps)?$/i.exec(word);
  if (bits && (word[1] === 'b' || bits[2] === '/s')) {
    const p = bits[1].toUpperCase();
    const bytes = `'${p}B' (10^${{ K: 3, M: 6, G: 9, T: 12 }[p]} bytes)`;
    const binary = `'${p}iB' (2^${{ K: 10, M: 20, G: 30, T: 40 }[p]} bytes)`;
    if (bits[2]?.toLowerCase() === 'ps') meant = `'${p}bps'`;
    else if (bits[2] || due === 'rate') meant = `'${p}bps' (bits per second) or '${p}B/s' (bytes per second)`;
    else if (due === 'size') meant = `${binary} or ${bytes}`;
    else meant = `${bytes} or '${p}bps'`;
    caseOnly = true;
  } else if (UNIT_ALIASES[lower] ?? UNIT_ALIASES[word]) {
    meant = quote(UNIT_ALIASES[lower] ?? UNIT_ALIASES[word]);
  } else {
    const units = Object.keys(UNITS);
    const same = units.filter((u) => u.toLowerCase() === lower);
    const fitting = same.filter((u) => !due || UNIT_KINDS[u] === due);
    const pick = fitting.length ? fitting : same;
    if (pick.length) {
      meant = pick.map(quote).join(' or ');
      caseOnly = true;
    } else {
      // A typo of a unit only where a unit is due (else it is more likely a misspelt word);
      // two letters are too few to tell a unit's typo from any other word.
      const guess = due ? closest(word, units.filter((u) => UNIT_KINDS[u] === due)) : undefined;
      if (!guess || word.length < 3) return undefined;
      meant = quote(guess);
    }
  }
  return `unknown unit '${word}'${caseOnly ? ' — units are case-sensitive: did you mean ' : ' — did you mean '}${meant}?`;
}

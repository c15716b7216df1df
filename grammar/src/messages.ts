// Parser error messages in the user's words: what was expected, what was
// found. Chevrotain's defaults list token type names and paths.
import { IParserErrorMessageProvider, IToken, TokenType, EOF } from 'chevrotain';

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

export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    if (expected === EOF) return this.buildNotAllInputParsedMessage({ firstRedundant: actual, ruleName: 'file' });
    return `expected ${label(expected)} but found ${found(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${found(firstRedundant)}: expected a declaration (boot, host, link, network, vm, fork, monitor, checkpoint, authority, certificate, share, attacker, scenario or import)`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual }) {
    return `expected ${alternatives(firsts(expectedPathsPerAlt))} but found ${found(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }) {
    return `expected ${alternatives(firsts([expectedIterationPaths]))} but found ${found(actual[0])}`;
  },
};

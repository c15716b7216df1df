// A forgiving tokenizer for the fuzzer: it splits any text into tokens whose
// concatenation is the text again, so mutations work on tokens (strings,
// numbers, names) instead of random bytes and still reach the validator and
// the simulator instead of dying in the lexer.
export type Kind = 'ws' | 'comment' | 'string' | 'addr' | 'number' | 'ident' | 'punct' | 'other';
export interface Token { kind: Kind; text: string }

const RULES: [Kind, RegExp][] = [
  ['ws', /\s+/y],
  ['comment', /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/y],
  ['string', /"(?:[^"\\\n]|\\.)*"?/y],
  ['addr', /\d+(?:\.\d+){3}(?:\/\d+)?/y],
  ['number', /\d[\d_]*(?:\.\d+)?/y],
  ['ident', /[A-Za-z_][A-Za-z0-9_-]*/y],
  ['punct', /<->|->|==|!=|<=|>=|[{}()[\],:%<>]/y],
];

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  outer: while (at < text.length) {
    for (const [kind, re] of RULES) {
      re.lastIndex = at;
      const m = re.exec(text);
      if (m && m[0].length > 0) { out.push({ kind, text: m[0] }); at += m[0].length; continue outer; }
    }
    const ch = String.fromCodePoint(text.codePointAt(at)!);
    out.push({ kind: 'other', text: ch });
    at += ch.length;
  }
  return out;
}

export const join = (tokens: Token[]): string => tokens.map((t) => t.text).join('');

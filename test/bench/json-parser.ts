// The classic small Chevrotain benchmark: a JSON grammar with a CstParser.
// It is the baseline the vmsec parser is compared against in the same run.
import { createToken, CstParser, Lexer } from 'chevrotain';

const True = createToken({ name: 'True', pattern: 'true' });
const False = createToken({ name: 'False', pattern: 'false' });
const Null = createToken({ name: 'Null', pattern: 'null' });
const LCurly = createToken({ name: 'LCurly', pattern: '{' });
const RCurly = createToken({ name: 'RCurly', pattern: '}' });
const LSquare = createToken({ name: 'LSquare', pattern: '[' });
const RSquare = createToken({ name: 'RSquare', pattern: ']' });
const Comma = createToken({ name: 'Comma', pattern: ',' });
const Colon = createToken({ name: 'Colon', pattern: ':' });
const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^\\"]|\\(?:[bfnrtv"\\/]|u[0-9a-fA-F]{4}))*"/ });
const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/ });
const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\n\r]+/, group: Lexer.SKIPPED });

const tokens = [WhiteSpace, NumberLiteral, StringLiteral, LCurly, RCurly, LSquare, RSquare, Comma, Colon, True, False, Null];
const lexer = new Lexer(tokens, { positionTracking: 'onlyOffset' });

class JsonParser extends CstParser {
  constructor() { super(tokens); this.performSelfAnalysis(); }
  json = this.RULE('json', () => { this.OR([{ ALT: () => this.SUBRULE(this.object) }, { ALT: () => this.SUBRULE(this.array) }]); });
  object = this.RULE('object', () => {
    this.CONSUME(LCurly);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.objectItem) });
    this.CONSUME(RCurly);
  });
  objectItem = this.RULE('objectItem', () => { this.CONSUME(StringLiteral); this.CONSUME(Colon); this.SUBRULE(this.value); });
  array = this.RULE('array', () => {
    this.CONSUME(LSquare);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.value) });
    this.CONSUME(RSquare);
  });
  value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.CONSUME(StringLiteral) }, { ALT: () => this.CONSUME(NumberLiteral) },
      { ALT: () => this.SUBRULE(this.object) }, { ALT: () => this.SUBRULE(this.array) },
      { ALT: () => this.CONSUME(True) }, { ALT: () => this.CONSUME(False) }, { ALT: () => this.CONSUME(Null) },
    ]);
  });
}

const parser = new JsonParser();

export function parseJson(text: string): number {
  const lexed = lexer.tokenize(text);
  parser.input = lexed.tokens;
  parser.json();
  if (lexed.errors.length || parser.errors.length) throw new Error('baseline JSON did not parse');
  return lexed.tokens.length;
}

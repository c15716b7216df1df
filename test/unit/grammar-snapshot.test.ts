// Built parsers restore the grammar model the build recorded
// (grammar/src/grammar-snapshot.ts) instead of recording it at every start.
// A restored model must be the recorded one: same classes, same own
// properties in the same order, rule references joined, same follow sets
// (rules and follow sets are restored on first read: compared once read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeGrammar, type Rule, type TokenType } from 'chevrotain';
import { VmsecParser } from '../../grammar/src/parser';
import { allTokens } from '../../grammar/src/tokens';
import { restore, snapshotFromText, snapshotOf, snapshotText, type AnalysedParser } from '../../grammar/src/grammar-snapshot';

const recorded = new VmsecParser() as unknown as AnalysedParser;

test('a restored grammar equals the recorded one, object for object', () => {
  // Through the text the build writes into the bundles.
  const snap = snapshotFromText(snapshotText(snapshotOf(recorded)));
  assert.ok(snap);
  const back = restore(snap, allTokens);
  assert.ok(back);
  // Nothing is read before it is used: each rule is a getter until read.
  assert.ok(back.rules.every((r) => typeof Object.getOwnPropertyDescriptor(r, 'name')?.get === 'function'));
  const rules = Object.values(recorded.gastProductionsCache);
  assert.deepEqual(back.rules.map((r) => r.name), rules.map((r) => r.name));
  // Once read, plain data properties, as a recording makes them.
  for (const r of back.rules) for (const k of Object.keys(r)) assert.equal(Object.getOwnPropertyDescriptor(r, k)?.get, undefined, `${r.name}.${k}`);
  // Chevrotain's own view of the grammar, and every own property with its class.
  assert.deepEqual(serializeGrammar(back.rules), serializeGrammar(rules));
  const shape = (x: unknown, seen = new Set<unknown>()): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map((v) => shape(v, seen));
    if ((x as TokenType).tokenTypeIdx !== undefined && !(x as Rule).constructor?.name.match(/^(Rule|Terminal|NonTerminal|Alternation|Alternative|Option|Repetition\w*)$/)) return `token:${(x as TokenType).name}`;
    if (seen.has(x)) return `ref:${(x as Rule).name}`;
    const inner = new Set(seen).add(x);
    return [(x as object).constructor.name, Object.keys(x).map((k) => [k, k === 'referencedRule' ? `rule:${(x as { referencedRule: Rule }).referencedRule.name}` : shape((x as Record<string, unknown>)[k], inner)])];
  };
  assert.deepEqual(shape(back.rules), shape(rules));
  // References point at the restored rule objects themselves.
  const byName = new Map(back.rules.map((r) => [r.name, r]));
  const refs: [string, Rule][] = [];
  const walk = (x: unknown): void => {
    if (!x || typeof x !== 'object') return;
    if (Array.isArray(x)) { x.forEach(walk); return; }
    for (const [k, v] of Object.entries(x)) if (k === 'referencedRule') refs.push([(x as { nonTerminalName: string }).nonTerminalName, v as Rule]); else if (k === '_definition') walk(v);
  };
  back.rules.forEach(walk);
  assert.ok(refs.length > 20);
  for (const [name, rule] of refs) assert.equal(rule, byName.get(name), name);
  // Follow sets (error recovery) by the same token type objects.
  assert.deepEqual(Object.keys(back.follows), Object.keys(recorded.resyncFollows));
  for (const [k, types] of Object.entries(recorded.resyncFollows)) {
    assert.equal(back.follows[k].length, types.length, k);
    types.forEach((t, i) => assert.equal(back.follows[k][i], t, k));
  }
});

test('a snapshot naming an unknown token type or rule is not used', () => {
  const snap = snapshotOf(recorded);
  assert.ok(snap.tokens.includes('Identifier') && snap.ruleRefs.includes('name'));
  assert.ok(restore(snap, allTokens));
  assert.equal(restore({ ...snap, tokens: snap.tokens.map((t) => (t === 'Identifier' ? 'Nope' : t)) }, allTokens), undefined);
  assert.equal(restore({ ...snap, ruleRefs: snap.ruleRefs.map((r) => (r === 'name' ? 'nope' : r)) }, allTokens), undefined);
  // Every name a rule or follow set uses is in those lists, checked before anything is read.
  const text = snapshotText(snap);
  for (const m of text.matchAll(/"\$token":"(\w+)"/g)) assert.ok(snap.tokens.includes(m[1]), m[1]);
  for (const m of text.matchAll(/"\$rule":"(\w+)"/g)) assert.ok(snap.ruleRefs.includes(m[1]), m[1]);
  for (const [, names] of JSON.parse(snap.follows) as [string, string[]][]) for (const n of names) assert.ok(snap.tokens.includes(n), n);
  // A text cut short is not a snapshot.
  assert.equal(snapshotFromText(text.slice(0, text.lastIndexOf('\n'))), undefined);
});

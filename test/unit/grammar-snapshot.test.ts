// Built parsers restore the grammar model the build recorded
// (grammar/src/grammar-snapshot.ts) instead of recording it at every start.
// A restored model must be the recorded one: same classes, same own
// properties in the same order, rule references joined, same follow sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeGrammar, type Rule, type TokenType } from 'chevrotain';
import { VmsecParser } from '../../grammar/src/parser';
import { allTokens } from '../../grammar/src/tokens';
import { restore, snapshotOf, type AnalysedParser } from '../../grammar/src/grammar-snapshot';

const recorded = new VmsecParser() as unknown as AnalysedParser;

test('a restored grammar equals the recorded one, object for object', () => {
  const snap = JSON.parse(JSON.stringify(snapshotOf(recorded)));
  const back = restore(snap, allTokens);
  assert.ok(back);
  const rules = Object.values(recorded.gastProductionsCache);
  assert.deepEqual(back.rules.map((r) => r.name), rules.map((r) => r.name));
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
  const text = JSON.stringify(snap);
  assert.equal(restore(JSON.parse(text.replace('"$token":"Identifier"', '"$token":"Nope"')), allTokens), undefined);
  assert.equal(restore(JSON.parse(text.replace(/"\$rule":"name"/, '"$rule":"nope"')), allTokens), undefined);
});

// The static editor assets: the TextMate grammar's patterns classify real
// vmsec text, the snippets cover every declaration kind and expand to text
// that parses, and the language configuration is complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../../grammar/src/parse';
import { DECL_KEYWORDS } from '../../grammar/src/tokens';

const root = join(import.meta.dirname, '..', '..');
const json = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8'));
const grammar = json('grammar/vmsec.tmLanguage.json');

/** Every `match` pattern of the grammar by scope name, compiled as a JS RegExp. */
function patterns(): Map<string, RegExp> {
  const out = new Map<string, RegExp>();
  const walk = (node: Record<string, unknown>) => {
    if (typeof node.match === 'string') out.set(String(node.name ?? Object.values((node.captures ?? {}) as Record<string, { name: string }>)[0]?.name), new RegExp(node.match, 'g'));
    for (const v of Object.values(node)) if (v && typeof v === 'object') walk(v as Record<string, unknown>);
  };
  walk(grammar.repository);
  return out;
}
const matches = (scope: string, text: string) => [...text.matchAll(patterns().get(scope)!)].map((m) => m[0]);

test('the TextMate grammar classifies keywords, names, quantities, addresses and digests', () => {
  assert.equal(grammar.scopeName, 'source.vmsec');
  const line = 'fork burst of web { memory lazy integrity per-page } // c';
  assert.deepEqual(matches('storage.type.declaration.vmsec', line), ['fork']);
  assert.deepEqual(matches('constant.language.vmsec', line), ['lazy', 'per-page']);
  assert.deepEqual(matches('keyword.other.vmsec', 'children 6 on beta attest hosts against xen'), ['children', 'on', 'attest', 'hosts', 'against']);
  assert.deepEqual(matches('keyword.other.vmsec', 'host my-memory-host { }'), [], 'a keyword inside a hyphenated name is not a keyword');
  assert.deepEqual(matches('constant.numeric.quantity.vmsec', 'memory 128 GiB latency 200 us tamper campus 2% bandwidth 10 MiB/s'), ['128 GiB', '200 us', '2%', '10 MiB/s']);
  assert.deepEqual(matches('constant.numeric.address.vmsec', 'ip(203.0.113.9) subnet 10.0.0.0/24'), ['203.0.113.9', '10.0.0.0/24']);
  assert.equal(matches('constant.other.digest.vmsec', `pcr 9 sha256:${'ab'.repeat(32)}`).length, 1);
  assert.deepEqual(matches('comment.line.double-slash.vmsec', line), ['// c']);
  assert.deepEqual(matches('support.function.predicate.vmsec', 'when fileEq(0, "/x") or port(4444) and process (web)'), ['fileEq', 'port', 'process']);
});

test('snippets cover every declaration kind and expand to text that parses', () => {
  const snippets = json('client/snippets/vmsec.json') as Record<string, { prefix: string; body: string[] }>;
  const prefixes = new Set(Object.values(snippets).map((s) => s.prefix));
  for (const k of DECL_KEYWORDS) assert.ok(prefixes.has(k), `no snippet for ${k}`);
  for (const [name, s] of Object.entries(snippets)) {
    // Expand: ${1:default} → default, ${2|a,b|} → a, $0 → nothing.
    const text = s.body.join('\n').replace(/\$\{\d+\|([^,|]+)[^}]*\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\{\d+\}/g, 'x').replace(/\$\d+/g, '').replace(/\t/g, '  ');
    assert.deepEqual(parse(text).problems, [], `snippet ${name} expands to:\n${text}`);
  }
});

test('the language configuration declares comments, brackets, pairs and folding markers', () => {
  const conf = json('grammar/language-configuration.json');
  assert.deepEqual(conf.comments, { lineComment: '//', blockComment: ['/*', '*/'] });
  assert.deepEqual(conf.brackets, [['{', '}'], ['(', ')'], ['[', ']']]);
  assert.ok(conf.autoClosingPairs.some((p: { open: string }) => p.open === '"'));
  assert.ok(new RegExp(conf.folding.markers.start).test('  // #region fleet'));
  const word = new RegExp(conf.wordPattern, 'g');
  assert.deepEqual('xen-stack a->b 12'.match(word), ['xen-stack', 'a', 'b', '12']);
  const pkg = json('package.json');
  assert.equal(pkg.contributes.languages[0].configuration, './grammar/language-configuration.json');
  assert.equal(pkg.contributes.grammars[0].path, './grammar/vmsec.tmLanguage.json');
});

// The outline and folding answers are bounded: a client's rangeLimit is kept,
// and the outline stops at MAX_OUTLINE_SYMBOLS counting what is inside a
// declaration (processes, rules, steps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSource } from '../../server/src/model/source-file';
import { foldingRanges } from '../../server/src/lsp/folding';
import { documentSymbols, MAX_OUTLINE_SYMBOLS } from '../../server/src/lsp/document-symbols';

test('folding keeps a client\'s rangeLimit, taking the first ranges by line (comments among them)', () => {
  const file = parseSource('/w/f.vmsec', 'host a {\n}\n/* a\nnote */\nhost b {\n}\nhost c {\n}\n');
  assert.deepEqual(foldingRanges(file).map((r) => r.startLine), [0, 4, 6, 2]);
  assert.deepEqual(foldingRanges(file, 3).map((r) => [r.startLine, r.kind]), [[0, undefined], [2, 'comment'], [4, undefined]]);
  assert.deepEqual(foldingRanges(file, 0), []);
});

test('the outline counts the symbols inside declarations towards its limit', () => {
  const procs = Array.from({ length: MAX_OUTLINE_SYMBOLS }, (_, i) => `process p${i} { }`).join(' ');
  const file = parseSource('/w/f.vmsec', `host h { }\nvm v on h { ${procs} }\nhost late { }\n`);
  const syms = documentSymbols(file);
  // h, then v with as many processes as fit; `late` is past the limit.
  assert.deepEqual(syms.map((s) => s.name), ['h', 'v']);
  assert.equal(syms[1].children!.length, MAX_OUTLINE_SYMBOLS - 2);
});

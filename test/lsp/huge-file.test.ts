// A 15 MiB file in the editor: the first semantic-tokens, outline and folding
// requests answer from the tree of the server's own analysis (the one hover
// needs) instead of parsing the file again on the thread that answers hover
// and completion (a second parse held it for 6 s), and semantic tokens look
// no further than their 4 MiB cut.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentSymbol, FoldingRange, Hover, SemanticTokens } from 'vscode-languageserver-protocol';
import { generate } from '../bench/generate';
import { tempDir } from '../tmp';
import { TestClient, pos } from './client';

const dir = tempDir('lsp-huge-');
let c: TestClient;

before(async () => { c = new TestClient(undefined, { VMSEC_TEST: '1' }); await c.initialize(dir); });
after(async () => { await c.close(); });

const parseOnlyReads = async () => (await c.request<{ parseOnlyReads: number }>('vmsec/debug/cacheSizes', {})).parseOnlyReads;

test('on a 15 MiB file, outline, folding, semantic tokens and a hover sent right after opening it all answer from one parse on the server\'s thread', async () => {
  const text = generate(480_000);
  assert.ok(text.length > 15 * 2 ** 20 && text.length < 16 * 2 ** 20, `${text.length} chars`);
  const path = join(dir, 'huge.vmsec');
  writeFileSync(path, text);
  const uri = c.open(path, text);
  const doc = { textDocument: { uri } };
  // Sent before the file is analysed anywhere, as an editor sends them on opening it.
  const [tokens, outline, folds, hover] = await Promise.all([
    c.request<SemanticTokens>('textDocument/semanticTokens/full', doc),
    c.request<DocumentSymbol[]>('textDocument/documentSymbol', doc),
    c.request<FoldingRange[]>('textDocument/foldingRange', doc),
    c.request<Hover | null>('textDocument/hover', { ...doc, position: pos(text, 'host src0', 5) }),
  ]);
  assert.match(String((hover?.contents as { value?: string })?.value), /\*\*host\*\* `src0`/);
  assert.deepEqual([outline.reduce((k, s) => k + 1 + (s.children?.length ?? 0), 0), outline[0].name, outline[1].name], [10_000, 'chain0', 'src0']);
  assert.equal(folds.length, 5000);
  // The comment on line 0, then `boot` (keyword) and `chain0` (a declared type) on line 1; nothing past the last whole line within 4 MiB.
  assert.deepEqual(tokens.data.slice(0, 15), [0, 0, 27, 11, 0, 1, 0, 4, 0, 0, 0, 5, 6, 4, 1]);
  let line = 0;
  for (let i = 0; i < tokens.data.length; i += 5) line += tokens.data[i];
  assert.equal(line, text.slice(0, text.lastIndexOf('\n', 4 << 20)).split('\n').length - 1);
  // None of them parsed the file a second time for itself.
  assert.equal(await parseOnlyReads(), 0);
  await c.waitDiagnostics(uri, (d) => d.length === 0, 180_000);
});

test('an outline asked for between an edit and its analysis reads the edited text (the parse-only tree), not the old analysis', async () => {
  const text = 'host a { }\nhost b { }\n';
  const path = join(dir, 'small.vmsec');
  writeFileSync(path, text);
  const uri = c.open(path, text);
  await c.waitDiagnostics(uri, (d) => d.length === 0);
  const before = await parseOnlyReads();
  // In one write: the edit, then the outline, before the server's own analysis catches up.
  const got = await c.sendTogether([
    { method: 'textDocument/didChange', params: { textDocument: { uri, version: 2 }, contentChanges: [{ text: 'host a { }\nhost renamed { }\n' }] } },
    { id: 'outline', method: 'textDocument/documentSymbol', params: { textDocument: { uri } } },
  ]);
  assert.deepEqual((got.get('outline')!.result as DocumentSymbol[]).map((s) => s.name), ['a', 'renamed']);
  assert.equal(await parseOnlyReads(), before + 1);
});

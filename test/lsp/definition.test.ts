// Go to definition over stdio: on an import's string, the imported file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Location } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { pos, TestClient } from './client';

const dir = tempDir('lsp-definition-');
let c: TestClient;

before(async () => {
  c = new TestClient();
  await c.initialize(dir);
});
after(async () => { await c.close(); });

test('go to definition on an import string opens the imported file at its start', async () => {
  mkdirSync(join(dir, 'lib'), { recursive: true });
  const lib = join(dir, 'lib', 'hosts.vmsec');
  writeFileSync(lib, '// shared hosts\n\nhost shared { }\n');
  const text = 'import "lib/hosts.vmsec"\nimport "missing.vmsec"\nvm v on shared { }\n';
  const path = join(dir, 'main.vmsec');
  writeFileSync(path, text);
  const uri = c.open(path, text);
  await c.waitDiagnostics(uri, (d) => d.some((x) => x.code === 'VMS004'));
  const def = await c.request<Location | null>('textDocument/definition', { textDocument: { uri }, position: pos(text, 'hosts.vmsec') });
  assert.deepEqual(def, { uri: pathToFileURL(lib).toString(), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } });
  // On the opening quote too; a file that cannot be read is no place to go.
  const quote = await c.request<Location | null>('textDocument/definition', { textDocument: { uri }, position: pos(text, '"lib') });
  assert.equal(quote?.uri, pathToFileURL(lib).toString());
  assert.equal(await c.request<Location | null>('textDocument/definition', { textDocument: { uri }, position: pos(text, 'missing', 2) }), null);
  // Names still go to their declaration.
  const host = await c.request<Location | null>('textDocument/definition', { textDocument: { uri }, position: pos(text, 'shared', 1) });
  assert.deepEqual(host?.range.start, { line: 2, character: 5 });
});

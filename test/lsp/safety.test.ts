// The language server on hostile input: files that are not files, positions
// outside the text, URIs with fragments, cancelled requests, and memory that
// must follow the open documents (issue 9).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompletionItem, DocumentSymbol, FoldingRange, Hover, Location, SemanticTokens, SymbolInformation, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { TestClient } from './client';

const dir = tempDir('lsp-safety-');
let c: TestClient;

/** Fails the test if `p` has not settled by the deadline (the server must answer, not hang). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms); })]).finally(() => clearTimeout(t));
}
const value = (h: Hover | null) => (h?.contents as { value: string } | undefined)?.value ?? '(no hover)';
let n = 0;
const open = (text: string, name = `s${++n}.vmsec`) => { const p = join(dir, name); writeFileSync(p, text); return { path: p, uri: c.open(p, text), text }; };

before(async () => {
  // Planted before the server scans the folder: a FIFO and a device under a .vmsec name, a symlinked folder loop.
  writeFileSync(join(dir, 'lib.vmsec'), 'host findme { }\n');
  execFileSync('mkfifo', [join(dir, 'pipe.vmsec')]);
  symlinkSync('/dev/zero', join(dir, 'zero.vmsec'));
  mkdirSync(join(dir, 'sub'));
  symlinkSync(dir, join(dir, 'sub', 'loop'));
  c = new TestClient(undefined, { VMSEC_TEST: '1' });
  await c.initialize(dir);
});
after(async () => { await c.close(); });

test('a FIFO and a symlink to /dev/zero named *.vmsec: workspace symbols, references and rename still answer', async () => {
  const ws = await within(c.request<SymbolInformation[]>('workspace/symbol', { query: 'findme' }), 20_000, 'workspace/symbol');
  assert.deepEqual(ws.map((s) => [s.name, s.location.uri]), [['findme', pathToFileURL(join(dir, 'lib.vmsec')).toString()]]);
  const main = open('import "lib.vmsec"\nvm v on findme { }\n');
  await c.waitDiagnostics(main.uri, (d, p) => p.version === 1 && d.length === 0);
  const refs = await within(c.request<Location[]>('textDocument/references', { textDocument: { uri: main.uri }, position: { line: 1, character: 9 }, context: { includeDeclaration: true } }), 20_000, 'references');
  assert.deepEqual(refs.map((r) => [r.uri.split('/').pop(), r.range.start.line]).sort(), [['lib.vmsec', 0], [main.path.split('/').pop(), 1]]);
  const edit = await within(c.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: main.uri }, position: { line: 1, character: 9 }, newName: 'found' }), 20_000, 'rename');
  assert.deepEqual(Object.keys(edit.changes!).map((u) => u.split('/').pop()).sort(), ['lib.vmsec', main.path.split('/').pop()].sort());
  // The scan found the files, and the server says where it looked.
  assert.ok(c.log.some((m) => /vmsec language server .* started; .*lsp-safety-.*: \d+ \.vmsec files/.test(m.message)), JSON.stringify(c.log));
});

test('a hover at character 1e15 is clamped to the end of the line and answers', async () => {
  const f = open('host alpha { }\nvm v on alpha');
  const h = await within(c.request<Hover | null>('textDocument/hover', { textDocument: { uri: f.uri }, position: { line: 1, character: 1e15 } }), 20_000, 'hover');
  assert.match(value(h), /\*\*host\*\* `alpha`/);
  assert.deepEqual(h!.range, { start: { line: 1, character: 8 }, end: { line: 1, character: 13 } });
  const far = await c.request<Hover | null>('textDocument/hover', { textDocument: { uri: f.uri }, position: { line: 1e15, character: 1e15 } });
  assert.match(value(far), /\*\*host\*\* `alpha`/);
});

test('a position past the end of a line stays on that line: hover and rename do not reach the next line', async () => {
  const f = open('host alpha { }\nvm v on alpha\nhost beta { }\n');
  // Line 1 has 13 characters; character 19 would be `beta` on line 2 if it spilled over.
  const h = await c.request<Hover | null>('textDocument/hover', { textDocument: { uri: f.uri }, position: { line: 1, character: 19 } });
  assert.match(value(h), /`alpha`/);
  assert.doesNotMatch(value(h), /beta/);
  const edit = await c.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: f.uri }, position: { line: 1, character: 19 }, newName: 'gamma' });
  assert.deepEqual(edit.changes![f.uri].map((e) => e.range.start).sort((a, b) => a.line - b.line), [{ line: 0, character: 5 }, { line: 1, character: 8 }]);
});

test('null or missing positions and queries give empty results, not errors', async () => {
  const f = open('host alpha { }\n');
  assert.equal(await c.request('textDocument/hover', { textDocument: { uri: f.uri }, position: null }), null);
  assert.deepEqual(await c.request('textDocument/completion', { textDocument: { uri: f.uri } }), []);
  assert.deepEqual(await c.request('textDocument/references', { textDocument: { uri: f.uri }, position: null, context: null }), []);
  assert.equal(await c.request('textDocument/rename', { textDocument: { uri: f.uri }, position: null, newName: 'x' }), null);
  assert.deepEqual(await c.request('workspace/symbol', { query: null }), []);
  assert.deepEqual(await c.request('textDocument/codeLens', {}), []);
  assert.deepEqual(await c.request('textDocument/inlayHint', { range: null }), []);
});

test('a URI with a fragment: rename edits go back to that URI, never to another one', async () => {
  const p = join(dir, 'frag.vmsec');
  const text = 'host h1 { }\nvm v on h1 { }\n';
  writeFileSync(p, text);
  const uri = `${pathToFileURL(p).toString()}#section`;
  c.open(p, text, uri);
  await c.waitDiagnostics(uri, (d, q) => q.version === 1 && d.length === 0);
  const edit = await c.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: { line: 1, character: 9 }, newName: 'h2' });
  assert.deepEqual(Object.keys(edit.changes!), [uri]);
  assert.equal(edit.changes![uri].length, 2);
  // The same file under a URI the client did not open: nothing, rather than edits for a document it does not have.
  const other = await c.request<WorkspaceEdit | null>('textDocument/rename', { textDocument: { uri: `${pathToFileURL(p).toString()}#other` }, position: { line: 1, character: 9 }, newName: 'h2' });
  assert.equal(other, null);
});

test('completion offers nothing inside a comment or a string, and names outside them', async () => {
  const text = 'host alpha { }\nvm web on alpha { process p { memory 1 MiB } }\n// vm v on \n/* vm v on \n*/\ncheckpoint ck of web { to "out/ on " }\nvm w on  { }\n';
  const f = open(text);
  const labels = async (line: number, character: number) => (await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: f.uri }, position: { line, character } })).map((i) => i.label);
  assert.deepEqual(await labels(2, 11), []);
  assert.deepEqual(await labels(3, 11), []);
  assert.deepEqual(await labels(5, 34), []);
  assert.deepEqual(await labels(6, 8), ['alpha']);
  // An unterminated string or block comment up to the cursor counts too.
  const g = open('host alpha { }\nvm w on alpha { process p { file "abc on \n/* vm x on ');
  const gl = async (line: number, character: number) => (await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: g.uri }, position: { line, character } })).map((i) => i.label);
  assert.deepEqual(await gl(1, 40), []);
  assert.deepEqual(await gl(2, 11), []);
});

test('a request cancelled while it waits in the queue is answered with RequestCancelled (-32800)', async () => {
  const f = open('host alpha { }\nvm v on alpha\n');
  await c.waitDiagnostics(f.uri, (_, p) => p.version === 1);
  // The three arrive in one write, so the hover still waits in the queue when its cancellation is read,
  // however late either process is scheduled (sent one by one, a slow client missed the held window).
  const replies = await c.sendTogether([
    { id: 'hold', method: 'vmsec/debug/block', params: { ms: 300 } },
    { id: 'hover', method: 'textDocument/hover', params: { textDocument: { uri: f.uri }, position: { line: 1, character: 9 } } },
    { method: '$/cancelRequest', params: { id: 'hover' } },
  ]);
  assert.equal(replies.get('hover')?.error?.code, -32800, JSON.stringify(replies.get('hover')));
  // The next one is answered.
  const h = await c.request<Hover | null>('textDocument/hover', { textDocument: { uri: f.uri }, position: { line: 1, character: 9 } });
  assert.match(value(h), /`alpha`/);
});

interface Sizes { open: number; analyses: number; parsedPaths: number; snapshots: number }
test('closed documents leave the caches: only open files and their imports stay', async () => {
  const sizes = () => c.request<{ server: Sizes; analysis: Sizes | null }>('vmsec/debug/cacheSizes', {});
  const keeper = open('import "lib.vmsec"\nvm keep on findme { }\n', 'keeper.vmsec');
  await c.waitDiagnostics(keeper.uri, (_, p) => p.version === 1);
  const before = await sizes();
  const docs: { uri: string }[] = [];
  for (let i = 0; i < 40; i++) {
    const d = open(`host h${i} { }\nvm v${i} on h${i} { }\n`, `many-${i}.vmsec`);
    docs.push(d);
  }
  for (const d of docs) await c.waitDiagnostics(d.uri, (_, p) => p.version === 1);
  for (const d of docs) await c.request('textDocument/hover', { textDocument: { uri: d.uri }, position: { line: 1, character: 4 } });
  const during = await sizes();
  assert.equal(during.server.open, before.server.open + 40);
  assert.ok(during.server.analyses >= before.server.analyses + 40, JSON.stringify(during));
  assert.ok(during.analysis && during.analysis.analyses >= before.analysis!.analyses + 40, JSON.stringify(during));
  // Close everything but the keeper.
  for (const d of [...docs, ...[...c.diagnostics.keys()].filter((u) => u !== keeper.uri && !docs.some((x) => x.uri === u)).map((uri) => ({ uri }))]) {
    void c.conn.sendNotification('textDocument/didClose', { textDocument: { uri: d.uri } });
  }
  const after = await sizes();
  // The keeper and the library it imports, nothing else; in both threads.
  assert.deepEqual(after.server, { open: 1, analyses: 1, parsedPaths: 2, snapshots: after.server.snapshots });
  assert.ok(after.server.snapshots <= 1);
  assert.equal(after.analysis!.open, 1);
  assert.equal(after.analysis!.analyses, 1);
  assert.equal(after.analysis!.parsedPaths, 2);
});

test('malformed notifications (an open without text, a configuration change without params) do not stop the server', async () => {
  void c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: pathToFileURL(join(dir, 'notext.vmsec')).toString(), languageId: 'vmsec', version: 1 } });
  void c.conn.sendNotification('workspace/didChangeConfiguration', null);
  const { uri } = open('host alive { }\n');
  // Validation runs over every open document (where the text-less one used to fail, in a timer); then the server must still answer.
  await c.waitDiagnostics(uri, (d) => d.length === 0);
  const v = c.change(uri, 'host alive { boot nope }\n');
  await c.waitDiagnostics(uri, (d, p) => p.version === v && d.some((x) => x.code === 'VMS001'));
  const symbols = await within(c.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri } }), 10_000, 'document symbols after bad notifications');
  assert.deepEqual(symbols.map((s) => s.name), ['alive']);
  assert.equal(c.proc.exitCode, null, c.stderr.join(''));
});

test('a document opened again, or changed, under the same version number gets the diagnostics of its new text', async () => {
  const { uri } = open('host fine { }\n');
  await c.waitDiagnostics(uri, (d) => d.length === 0);
  // Some clients reuse version 1 on a re-open without a close.
  void c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'vmsec', version: 1, text: 'host h { boot nope }\n' } });
  await c.waitDiagnostics(uri, (d) => d.some((x) => x.code === 'VMS001'));
  void c.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 1 }, contentChanges: [{ text: 'host h2 { }\n' }] });
  await c.waitDiagnostics(uri, (d) => d.length === 0);
});

test('an unsaved (untitled:) document cannot be run: a clear error, and nothing written anywhere', async () => {
  const uri = 'untitled:Untitled-1';
  c.open('', 'host h { }\nvm v on h { process p { } }\ncheckpoint k of v { to "k.ckpt" }\nscenario "s" { at 0 ms checkpoint k }\n', uri);
  await assert.rejects(within(c.request('workspace/executeCommand', { command: 'vmsec.runFile', arguments: [{ uri }] }), 10_000, 'run of an untitled document'),
    (e: Error) => /untitled:Untitled-1 is not a saved file; save it to run its scenarios/.test(e.message));
});

test('semantic tokens stop at 1,000,000 tokens and at the last line before 4 MiB; the rest keeps the grammar\'s colours', async () => {
  // 1.1 million one-letter names on their own lines: 5.5 million numbers uncapped (16 MiB of them took 5 GB and 39 s).
  const many = open(`host h { }\n${'a\n'.repeat(1_100_000)}`);
  await c.waitDiagnostics(many.uri, (_, p) => p.version === 1, 60_000);
  const all = await c.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: many.uri } });
  assert.equal(all.data.length, 5 * 1_000_000);
  // The last token kept: an `a` (a name, 8), one line below the one before it.
  assert.deepEqual(all.data.slice(-5), [1, 0, 1, 8, 0]);
  // Long comment lines past 4 MiB: the declaration after them gets no semantic tokens, the one before does.
  const line = `// ${'x'.repeat(1021)}\n`;
  const long = open(`host early { }\n${line.repeat(4200)}host late { }\n`);
  await c.waitDiagnostics(long.uri, (_, p) => p.version === 1, 60_000);
  const cut = await c.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: long.uri } });
  const lines: number[] = [];
  for (let i = 0, l = 0; i < cut.data.length; i += 5) lines.push((l += cut.data[i]));
  // `host` and `early` on line 0, then one comment per line up to the last whole line within 4 MiB.
  const kept = Math.floor(((4 << 20) - 'host early { }\n'.length) / line.length);
  assert.deepEqual([lines.length, lines[0], lines[1], lines[2], lines.at(-1)], [2 + kept, 0, 0, 1, kept]);
});

test('the outline stops at 10,000 symbols and folding at 5,000 ranges (no rangeLimit from the client), both in text order', async () => {
  // A file of 900,000 declarations made a 30 s outline answer.
  const f = open(Array.from({ length: 12_000 }, (_, i) => `host h${i} {\n}\n`).join(''));
  await c.waitDiagnostics(f.uri, (_, p) => p.version === 1, 60_000);
  const syms = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: f.uri } });
  assert.deepEqual([syms.length, syms[0].name, syms.at(-1)!.name], [10_000, 'h0', 'h9999']);
  const folds = await c.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri: f.uri } });
  assert.deepEqual([folds.length, folds[0].startLine, folds.at(-1)!.startLine], [5000, 0, 2 * 4999]);
});

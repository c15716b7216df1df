// Formatting over the protocol: the document's own line breaks (\n, \r\n, a
// lone \r, mixed), and statements that continue on the next lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextEdit } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { TestClient } from './client';

const dir = tempDir('lsp-format-');
let c: TestClient;
let n = 0;

before(async () => { c = new TestClient(); await c.initialize(dir); });
after(async () => { await c.close(); });

/** `text` with LSP edits applied, lines counted as the protocol counts them (\r\n, \r and \n each end a line). */
function apply(text: string, edits: TextEdit[]): string {
  const starts = [0];
  for (const m of text.matchAll(/\r\n|\r|\n/g)) starts.push(m.index + m[0].length);
  const off = (p: { line: number; character: number }) => Math.min(text.length, (starts[p.line] ?? text.length) + p.character);
  return [...edits].sort((a, b) => off(b.range.start) - off(a.range.start)).reduce((t, e) => t.slice(0, off(e.range.start)) + e.newText + t.slice(off(e.range.end)), text);
}

/** Opens `text`, formats it, and formats the result again (which must change nothing). */
async function format(text: string): Promise<string> {
  const p = join(dir, `f${++n}.vmsec`);
  writeFileSync(p, text);
  const uri = c.open(p, text);
  const options = { tabSize: 2, insertSpaces: true };
  const formatted = apply(text, await c.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options }));
  c.change(uri, formatted);
  assert.deepEqual(await c.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options }), [], `formatting twice changes nothing: ${JSON.stringify(formatted)}`);
  return formatted;
}

const MESSY = ['host h {', 'cpus 1', '      // a note', '}', '', '', '', 'vm v on h {', 'process p {', 'memory 1 MiB', '}', '}   '];
const TIDY = ['host h {', '  cpus 1', '  // a note', '}', '', 'vm v on h {', '  process p {', '    memory 1 MiB', '  }', '}', ''];

for (const [name, eol] of [['\\n', '\n'], ['\\r\\n', '\r\n'], ['a lone \\r (old Mac)', '\r']]) {
  test(`formatting re-indents a file whose lines end in ${name}, and keeps that line break`, async () => {
    assert.equal(await format(MESSY.join(eol)), TIDY.join(eol));
  });
}

test('formatting a file of mixed line breaks re-indents every line and uses the break it uses most', async () => {
  const text = 'host h {\rcpus 1\r\nmemory 1 GiB\r\n}\r\nhost g {\ncpus 2\r\n}\r\n';
  assert.equal(await format(text), 'host h {\r\n  cpus 1\r\n  memory 1 GiB\r\n}\r\nhost g {\r\n  cpus 2\r\n}\r\n');
});

test('continuation lines stay deeper than their statement: aligned as written, else one level deeper', async () => {
  const text = [
    'network n {',
    'hosts alpha,',
    '      beta, gamma',
    'bandwidth 1 Gbps',
    '}',
    'monitor m for v {',
    '        rule tmp on execve',
    'when filePrefix(0, "/tmp/")',
    '  and not process(web)',
    'then killProc',
    'rule net on connect then deny(13)',
    '}',
    'share "/lib/x.so" between a,',
    'b require certificate',
    '',
  ].join('\n');
  assert.equal(await format(text), [
    'network n {',
    '  hosts alpha,',
    '        beta, gamma', // aligned under the first host, as written
    '  bandwidth 1 Gbps',
    '}',
    'monitor m for v {',
    '  rule tmp on execve',
    '    when filePrefix(0, "/tmp/")', // one level deeper than the rule
    '      and not process(web)', // and still deeper than `when`, as written
    '    then killProc',
    '  rule net on connect then deny(13)',
    '}',
    'share "/lib/x.so" between a,',
    '  b require certificate',
    '',
  ].join('\n'));
});

test('a continuation line under \\r line breaks, with a comment between, keeps its depth', async () => {
  const text = 'network n {\r  hosts a,\r  // more\r  b\r}\r';
  assert.equal(await format(text), 'network n {\r  hosts a,\r    // more\r    b\r}\r');
});

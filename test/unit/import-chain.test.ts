// Long import chains: every file is the root of its own file set and the sets
// overlap, so the model objects they share are built once per validation
// (model/semantic.ts ModelCache), not once per set. Also the lazily built
// line index, which must agree with a plain scan of the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { memoryWorkspace, ROOT } from '../helpers';
import { validateFiles } from '../../server/src/validation/validate-files';
import { LineIndex } from '../../server/src/model/line-index';
import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../tmp';
import { Session } from '../../server/src/lsp/session';
import { references } from '../../server/src/lsp/references';
import { rename } from '../../server/src/lsp/rename';

test('a chain of 600 imports validates, each file against what it imports', () => {
  const n = 600;
  const files: Record<string, string> = {};
  for (let i = 0; i < n - 1; i++) files[`f${i}.vmsec`] = `import "f${i + 1}.vmsec"\nhost h${i} { memory 8GiB }\nvm v${i} on h${i + 1} { memory 1GiB }\n`;
  files[`f${n - 1}.vmsec`] = `host h${n - 1} { memory 8GiB }\nvm v${n - 1} on nowhere { }\n`;
  // The root also declares a name its 500th import declares: only the root sees both.
  files['f0.vmsec'] += 'host h500 { }\n';
  const root = nodePath.resolve(ROOT, 'f0.vmsec');
  const v = validateFiles(memoryWorkspace(files), [root]);
  assert.equal(v.files.length, n);
  const found = v.diagnostics.map((d) => ({ file: nodePath.basename(d.path), code: d.code, message: d.message, line: v.graph.file(d.path)!.lines.position(d.span.start).line + 1 }));
  assert.deepEqual(found, [
    { file: 'f0.vmsec', code: 'VMS002', message: "'h500' is already declared as a host (f500.vmsec:2); names must be unique — rename one", line: 4 },
    { file: `f${n - 1}.vmsec`, code: 'VMS001', message: "host 'nowhere' is not declared; declare it with `host nowhere …`", line: 2 },
  ]);
  // The root's file set is the whole chain, in import order.
  assert.deepEqual(v.graph.fileSet(root)!.files.map((f) => nodePath.basename(f.path)), Array.from({ length: n }, (_, i) => `f${i}.vmsec`));
});

test('the line index, built on first use, agrees with a scan of the text (LF, CR, CRLF)', () => {
  const reference = (text: string) => {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) starts.push(i + 1);
      else if (c === 13) { if (text.charCodeAt(i + 1) === 10) i++; starts.push(i + 1); }
    }
    return starts;
  };
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const texts = ['', '\n', '\r', '\r\n', 'a\rb\nc\r\nd', '\n\r', '\r\r\n\n', 'x\r\n\r\ny\r'];
  for (let k = 0; k < 500; k++) {
    let t = '';
    for (let i = Math.floor(rnd() * 16); i > 0; i--) t += ['a', '\n', '\r', '\r\n', 'bc'][Math.floor(rnd() * 5)];
    texts.push(t);
  }
  for (const t of texts) {
    const li = new LineIndex(t);
    const starts = reference(t);
    assert.equal(li.lineCount, starts.length, JSON.stringify(t));
    for (let o = 0; o <= t.length; o++) {
      let line = 0;
      while (line + 1 < starts.length && starts[line + 1] <= o) line++;
      assert.deepEqual(li.position(o), { line, character: o - starts[line] }, `${JSON.stringify(t)} @${o}`);
    }
    for (let l = 0; l < starts.length; l++) assert.equal(li.lineStart(l), starts[l]);
  }
});

test('references and rename over a chain of 300 imports read each file once, and find every use', () => {
  // Each file was analysed as the root of its own set, re-reading all it imports: 45,000 reads here, 18 s for 1,000 files.
  const dir = tempDir('chain-refs-');
  const n = 300;
  writeFileSync(nodePath.join(dir, 'f0.vmsec'), 'host root { }\n');
  for (let i = 1; i < n; i++) writeFileSync(nodePath.join(dir, `f${i}.vmsec`), `import "f${i - 1}.vmsec"\nvm v${i} on root { }\n`);
  mkdirSync(nodePath.join(dir, 'other'));
  writeFileSync(nodePath.join(dir, 'other', 'apart.vmsec'), 'host root { }\nvm w on root { }\n');
  const session = new Session();
  session.addRoot(dir);
  const f0 = nodePath.join(dir, 'f0.vmsec');
  const before = session.diskReads;
  const found = references(session, f0, 6, true);
  // Once to find the uses, once more per file with a use to turn spans into ranges.
  assert.ok(session.diskReads - before <= 2 * (n + 1) + 1, `${session.diskReads - before} reads for ${n + 1} files`);
  // The declaration and one use per importing file; the other file's own `root` is another host.
  assert.equal(found.length, n);
  assert.ok(found.every((l) => !l.uri.includes('/other/')));
  const edit = rename(session, f0, 6, 'base');
  assert.equal(Object.keys(edit.changes!).length, n);
  assert.deepEqual(edit.changes![pathToFileURL(nodePath.join(dir, 'f7.vmsec')).toString()].map((e) => e.newText), ['base']);
});

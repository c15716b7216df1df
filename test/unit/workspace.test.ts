// The workspace as the CLI and the server read it: the source reader's
// refusals (FIFOs, devices, folders, oversized files), the BOM, and the
// import graph — cycles reported on the import lines that close them, and
// chains and cycles of thousands of files validated as a whole.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { memoryWorkspace, ROOT } from '../helpers';
import { tempDir } from '../tmp';
import { MAX_SOURCE_BYTES, readRegularFile, readSourceFile } from '../../server/src/model/source-reader';
import { Workspace } from '../../server/src/model/workspace';
import { validateFiles } from '../../server/src/validation/validate-files';

const at = (name: string) => nodePath.resolve(ROOT, name);

describe('readSourceFile', () => {
  test('reads a regular file, through a symlink too, and strips a UTF-8 BOM', () => {
    const dir = tempDir('src-');
    writeFileSync(nodePath.join(dir, 'a.vmsec'), '\uFEFFhost a { }\n');
    symlinkSync(nodePath.join(dir, 'a.vmsec'), nodePath.join(dir, 'link.vmsec'));
    assert.deepEqual(readSourceFile(nodePath.join(dir, 'a.vmsec')), { ok: true, text: 'host a { }\n' });
    assert.deepEqual(readSourceFile(nodePath.join(dir, 'link.vmsec')), { ok: true, text: 'host a { }\n' });
  });

  test('a *.vmsec link to a file not named *.vmsec is refused before it is read (a secret would be quoted in syntax errors)', () => {
    const dir = tempDir('src-');
    writeFileSync(nodePath.join(dir, 'credentials'), 'AKIAEXAMPLE = hunter2\n');
    symlinkSync(nodePath.join(dir, 'credentials'), nodePath.join(dir, 'notes.vmsec'));
    assert.deepEqual(readSourceFile(nodePath.join(dir, 'notes.vmsec')), { ok: false, error: `is a link to ${nodePath.join(dir, 'credentials')}, which is not a .vmsec file; it is not read, so that no other file's text is quoted in messages` });
    // Named without .vmsec on the command line, a file is read as asked.
    assert.equal(readSourceFile(nodePath.join(dir, 'credentials')).ok, true);
  });

  test('refuses a folder, a device, a missing file and a dangling link with a reason', () => {
    const dir = tempDir('src-');
    mkdirSync(nodePath.join(dir, 'd.vmsec'));
    symlinkSync(nodePath.join(dir, 'nowhere'), nodePath.join(dir, 'dangling.vmsec'));
    assert.deepEqual(readSourceFile(nodePath.join(dir, 'd.vmsec')), { ok: false, error: 'is a folder, not a regular file' });
    assert.deepEqual(readSourceFile('/dev/zero'), { ok: false, error: 'is a device, not a regular file' });
    assert.deepEqual(readSourceFile(nodePath.join(dir, 'none.vmsec')), { ok: false, error: 'does not exist' });
    assert.deepEqual(readSourceFile(nodePath.join(dir, 'dangling.vmsec')), { ok: false, error: 'does not exist' });
  });

  test('refuses a FIFO without opening it (a child process, so a block would show as a timeout)', (t) => {
    const dir = tempDir('src-');
    const fifo = nodePath.join(dir, 'p.vmsec');
    if (spawnSync('mkfifo', [fifo]).status !== 0) { t.skip('mkfifo is not available'); return; }
    const reader = nodePath.join(import.meta.dirname, '..', '..', 'server', 'src', 'model', 'source-reader.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e',
      `import(${JSON.stringify(reader)}).then((m) => console.log(JSON.stringify(m.readSourceFile(${JSON.stringify(fifo)}))))`],
    { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, null, 'the reader blocked on the FIFO');
    assert.deepEqual(JSON.parse(r.stdout), { ok: false, error: 'is a FIFO, not a regular file' });
  });

  test('refuses a file over the size limit, naming its size and the limit', () => {
    const dir = tempDir('src-');
    const big = nodePath.join(dir, 'big.vmsec');
    writeFileSync(big, '');
    truncateSync(big, 20 * 1024 * 1024); // sparse: no 20 MiB written
    assert.deepEqual(readSourceFile(big), { ok: false, error: 'is 20 MiB; the limit is 16 MiB' });
    truncateSync(big, MAX_SOURCE_BYTES + 1);
    assert.deepEqual(readSourceFile(big), { ok: false, error: `is ${MAX_SOURCE_BYTES + 1} bytes; the limit is 16 MiB` });
    // The same bound for other readers, at a small cap: cap bytes pass, cap+1 do not.
    writeFileSync(big, 'x'.repeat(10));
    assert.equal(readRegularFile(big, 10).ok, true);
    assert.deepEqual(readRegularFile(big, 9), { ok: false, error: 'is 10 bytes; the limit is 9 bytes' });
  });
});

describe('imports', () => {
  test('an unreadable import is VMS004 on its line, naming the file and why', () => {
    const dir = tempDir('imp-');
    const main = nodePath.join(dir, 'main.vmsec');
    symlinkSync('/dev/zero', nodePath.join(dir, 'zero.vmsec'));
    writeFileSync(main, 'import "zero.vmsec"\nimport "missing.vmsec"\nimport "/dev/zero"\nhost a { }\n');
    const r = validateFiles(new Workspace({ read: readSourceFile }), [main]);
    const d = r.diagnostics.filter((x) => x.code === 'VMS004').map((x) => [x.span.start, x.message]);
    assert.deepEqual(d, [
      [7, `cannot read 'zero.vmsec': ${nodePath.join(dir, 'zero.vmsec')} is a device, not a regular file`],
      [27, `cannot read 'missing.vmsec': ${nodePath.join(dir, 'missing.vmsec')} does not exist; the path is relative to this file`],
      // Not named *.vmsec: refused before it is opened.
      [50, "cannot read '/dev/zero': /dev/zero is not a .vmsec file: an import names a vmsec file, so that no other file's text is read and quoted in messages"],
    ]);
  });

  test('a cycle through three files is reported on each import that closes it', () => {
    const ws = memoryWorkspace({ 'a.vmsec': 'import "b.vmsec"\nhost a { }', 'b.vmsec': 'import "c.vmsec"\nhost b { }', 'c.vmsec': 'import "a.vmsec"\nhost c { }' });
    const r = validateFiles(ws, [at('a.vmsec')]);
    const cyc = r.diagnostics.filter((d) => d.code === 'VMS004').map((d) => [nodePath.basename(d.path), d.span.start, d.message.split(';')[0]]);
    assert.deepEqual(cyc, [
      ['a.vmsec', 7, 'imports form a cycle: a.vmsec → b.vmsec → c.vmsec → a.vmsec'],
      ['b.vmsec', 7, 'imports form a cycle: b.vmsec → c.vmsec → a.vmsec → b.vmsec'],
      ['c.vmsec', 7, 'imports form a cycle: c.vmsec → a.vmsec → b.vmsec → c.vmsec'],
    ]);
  });

  test('an import that does not close a cycle is not reported, even beside one that does', () => {
    const ws = memoryWorkspace({
      'a.vmsec': 'import "lib.vmsec"\nimport "b.vmsec"\nhost a { }',
      'b.vmsec': 'import "a.vmsec"\nhost b { }',
      'lib.vmsec': 'host l { }',
    });
    const r = validateFiles(ws, [at('a.vmsec')]);
    assert.deepEqual(r.files.map((f) => nodePath.basename(f.path)), ['a.vmsec', 'lib.vmsec', 'b.vmsec']);
    const cyc = r.diagnostics.filter((d) => d.code === 'VMS004').map((d) => [nodePath.basename(d.path), d.span.start]);
    assert.deepEqual(cyc, [['a.vmsec', 26], ['b.vmsec', 7]]);
  });

  test('2,000 chained files: every file validated in the context of its imports, no false errors', () => {
    const n = 2000;
    const files: Record<string, string> = {};
    // Each file uses the host declared at the end of the chain: visible through the imports.
    for (let i = 0; i < n; i++) files[`f${i}.vmsec`] = (i + 1 < n ? `import "f${i + 1}.vmsec"\nvm v${i} on end { }\n` : 'host end { }\n');
    // One real error deep in the chain, found from the first file.
    files['f1500.vmsec'] = 'import "f1501.vmsec"\nvm v1500 on nowhere { }\n';
    const r = validateFiles(memoryWorkspace(files), [at('f0.vmsec')]);
    assert.equal(r.files.length, n);
    assert.deepEqual(r.diagnostics.map((d) => [nodePath.basename(d.path), d.code, d.message.split(';')[0]]), [['f1500.vmsec', 'VMS001', "host 'nowhere' is not declared"]]);
  });

  test('a 2,000-file cycle: one VMS004 per file, with a chain of bounded length', () => {
    const n = 2000;
    const files: Record<string, string> = {};
    for (let i = 0; i < n; i++) files[`f${i}.vmsec`] = `import "f${(i + 1) % n}.vmsec"\nhost h${i} { }\n`;
    const r = validateFiles(memoryWorkspace(files), [at('f0.vmsec')]);
    const cyc = r.diagnostics.filter((d) => d.code === 'VMS004');
    assert.equal(cyc.length, n);
    assert.equal(r.diagnostics.length, n, 'nothing but the cycle');
    assert.match(cyc[0].message, /^imports form a cycle: f0\.vmsec → f1\.vmsec → f2\.vmsec → … (→ f\d+\.vmsec )*→ f1999\.vmsec → f0\.vmsec;/);
    assert.ok(cyc.every((d) => d.message.length < 300));
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { safeSegment, writeGuarded, writeProblem, WriteRefused } from '../../server/src/model/guarded-write';
import { escapeControl } from '../../server/src/model/escape-text';
import { exportQuotes, EXPORT_MARKER } from '../../server/src/cli/export-quotes';
import type { World } from '../../server/src/sim/world';
import { tempDir } from '../tmp';

const MAGIC = Buffer.from('VMSECCK', 'latin1');
const put = (target: string, root: string, data: string | Buffer, maxBytes?: number) =>
  writeGuarded(target, { root, ownMagic: MAGIC, maxBytes }, (sink) => sink.write(typeof data === 'string' ? Buffer.from(data) : data));

/** A workspace `ws` with a sibling folder `outside` (the place an escape would land). */
function layout() {
  const base = tempDir('gw-');
  const ws = join(base, 'ws');
  const outside = join(base, 'outside');
  mkdirSync(ws);
  mkdirSync(outside);
  return { base, ws, outside };
}

/** Every file below `dir` (names relative to it), temporaries included. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

test('a target outside the root through .. is refused and nothing is written', () => {
  const { ws, outside } = layout();
  const target = join(ws, '..', 'outside', 'x.ckpt');
  assert.match(writeProblem(ws, target, MAGIC)!, /outside .*ws/);
  assert.throws(() => put(target, ws, 'VMSECCK2 data'), (e: Error) => e instanceof WriteRefused && /outside/.test(e.message));
  assert.deepEqual(files(outside), []);
});

test('a symlinked folder that leads outside is refused, at any depth, including for folders still to be created', () => {
  const { ws, outside } = layout();
  symlinkSync(outside, join(ws, 'link'));
  for (const t of ['link/x.ckpt', 'link/new/deeper/x.ckpt']) {
    assert.throws(() => put(join(ws, t), ws, 'VMSECCK2'), (e: Error) => e instanceof WriteRefused && /outside/.test(e.message), t);
  }
  assert.deepEqual(files(outside), []);
});

test('a symlinked target file pointing outside is refused; one pointing at a checkpoint inside replaces that checkpoint', () => {
  const { ws, outside } = layout();
  writeFileSync(join(outside, 'victim'), 'VMSECCK2 theirs');
  symlinkSync(join(outside, 'victim'), join(ws, 'evil.ckpt'));
  assert.throws(() => put(join(ws, 'evil.ckpt'), ws, 'VMSECCK2 ours'), /outside/);
  assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'VMSECCK2 theirs');
  symlinkSync(join(outside, 'missing'), join(ws, 'dangling.ckpt'));
  assert.throws(() => put(join(ws, 'dangling.ckpt'), ws, 'VMSECCK2'), /does not exist/);
  assert.equal(existsSync(join(outside, 'missing')), false);
  writeFileSync(join(ws, 'real.ckpt'), 'VMSECCK1 old');
  symlinkSync('real.ckpt', join(ws, 'alias.ckpt'));
  put(join(ws, 'alias.ckpt'), ws, 'VMSECCK2 new');
  assert.equal(readFileSync(join(ws, 'real.ckpt'), 'utf8'), 'VMSECCK2 new');
});

test('an existing file vmsec did not write is refused and left unchanged; a checkpoint is replaced', () => {
  const { ws } = layout();
  writeFileSync(join(ws, 'main.vmsec'), 'host h { }\n');
  assert.match(writeProblem(ws, join(ws, 'main.vmsec'), MAGIC)!, /not written by vmsec/);
  assert.throws(() => put(join(ws, 'main.vmsec'), ws, 'VMSECCK2 x'), /never replaces a file it did not write/);
  assert.equal(readFileSync(join(ws, 'main.vmsec'), 'utf8'), 'host h { }\n');
  writeFileSync(join(ws, 'short'), 'VMS');
  assert.throws(() => put(join(ws, 'short'), ws, 'VMSECCK2 x'), WriteRefused);
  writeFileSync(join(ws, 'c.ckpt'), 'VMSECCK2 old');
  assert.equal(writeProblem(ws, join(ws, 'c.ckpt'), MAGIC), undefined);
  assert.equal(put(join(ws, 'c.ckpt'), ws, 'VMSECCK2 newer'), 14);
  assert.equal(readFileSync(join(ws, 'c.ckpt'), 'utf8'), 'VMSECCK2 newer');
  assert.deepEqual(files(ws), ['c.ckpt', 'main.vmsec', 'short']);
  // Without a magic, any existing file is refused.
  assert.match(writeProblem(ws, join(ws, 'c.ckpt'))!, /already exists/);
});

test('a target naming a folder, ending in a separator, or not a regular file is refused', () => {
  const { ws } = layout();
  mkdirSync(join(ws, 'dir'));
  assert.match(writeProblem(ws, join(ws, 'dir'), MAGIC)!, /existing folder/);
  assert.match(writeProblem(ws, join(ws, 'newdir') + '/', MAGIC)!, /ends with a path separator/);
  assert.throws(() => put(join(ws, 'newdir') + '/', ws, 'VMSECCK2'), WriteRefused);
  assert.equal(existsSync(join(ws, 'newdir')), false);
  assert.match(writeProblem(ws, ws, MAGIC)!, /folder/);
  execFileSync('mkfifo', [join(ws, 'fifo')]);
  assert.match(writeProblem(ws, join(ws, 'fifo'), MAGIC)!, /a FIFO/);
  assert.throws(() => put(join(ws, 'fifo'), ws, 'VMSECCK2'), /a FIFO/);
  writeFileSync(join(ws, 'file'), 'x');
  assert.match(writeProblem(ws, join(ws, 'file', 'under.ckpt'), MAGIC)!, /not a folder/);
  assert.match(writeProblem(ws, `${ws}/newdir/.`, MAGIC)!, /names a folder/);
  // Paths come from source files: their control characters are escaped in messages.
  const msg = writeProblem(ws, join(ws, '..', 'e\u001b[2Jvil'), MAGIC)!;
  assert.match(msg, /e\\x1b\[2Jvil is outside/);
  assert.equal(msg.includes('\u001b'), false);
});

test('names that merely start with dots are inside; missing folders are created one by one', () => {
  const { ws } = layout();
  assert.equal(writeProblem(ws, join(ws, '..dots.ckpt'), MAGIC), undefined);
  put(join(ws, '..dots.ckpt'), ws, 'VMSECCK2');
  put(join(ws, 'a', '..b', 'c', 'x.ckpt'), ws, 'VMSECCK2');
  assert.deepEqual(files(ws), ['..dots.ckpt', 'a', 'a/..b', 'a/..b/c', 'a/..b/c/x.ckpt']);
  // A root that is itself reached through a symlink is fine: confinement is to its real path.
  const { base } = layout();
  symlinkSync(ws, join(base, 'ws-link'));
  put(join(base, 'ws-link', 'y.ckpt'), join(base, 'ws-link'), 'VMSECCK2');
  assert.ok(existsSync(join(ws, 'y.ckpt')));
});

test('a size limit stops the write and leaves neither the target nor a temporary file', () => {
  const { ws } = layout();
  writeFileSync(join(ws, 'c.ckpt'), 'VMSECCK2 previous');
  assert.throws(() => put(join(ws, 'c.ckpt'), ws, Buffer.alloc(100, 1), 50), (e: Error) => e instanceof WriteRefused && /larger than 50 bytes/.test(e.message));
  assert.throws(() => put(join(ws, 'n.ckpt'), ws, Buffer.alloc(100, 1), 50), WriteRefused);
  assert.equal(readFileSync(join(ws, 'c.ckpt'), 'utf8'), 'VMSECCK2 previous');
  assert.deepEqual(files(ws), ['c.ckpt']);
});

test('a failing producer leaves the old target intact and no temporary file behind', () => {
  const { ws } = layout();
  writeFileSync(join(ws, 'c.ckpt'), 'VMSECCK2 previous');
  for (const target of ['c.ckpt', 'sub/new.ckpt']) {
    assert.throws(() => writeGuarded(join(ws, target), { root: ws, ownMagic: MAGIC }, (sink) => {
      sink.write(Buffer.from('VMSECCK2 half'));
      throw new Error('disk full');
    }), /disk full/);
  }
  // A full disk mid-write is a user message, and the previous checkpoint survives it.
  assert.throws(() => writeGuarded(join(ws, 'c.ckpt'), { root: ws, ownMagic: MAGIC }, (sink) => {
    sink.write(Buffer.from('VMSECCK2 half'));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }), (e: Error) => e instanceof WriteRefused && /c\.ckpt: the disk is full \(ENOSPC\); nothing was changed/.test(e.message));
  assert.equal(readFileSync(join(ws, 'c.ckpt'), 'utf8'), 'VMSECCK2 previous');
  assert.deepEqual(files(ws), ['c.ckpt', 'sub']);
});

test('a symlink planted where a folder is about to be created is caught', () => {
  const { ws, outside } = layout();
  // The first producer call plants a link at a folder the second write will need.
  put(join(ws, 'a.ckpt'), ws, 'VMSECCK2');
  symlinkSync(outside, join(ws, 'later'));
  assert.throws(() => put(join(ws, 'later', 'deep', 'x.ckpt'), ws, 'VMSECCK2'), /outside/);
  assert.deepEqual(files(outside), []);
});

test('safeSegment gives one safe, distinct segment for every name', () => {
  assert.equal(safeSegment('web-01_a.b'), 'web-01_a.b', 'a safe name is kept as it is');
  const names = ['prod: α', 'prod: β', '..', '.', '', '/', '.x', 'x', '-x', '../../etc', 'a/b', 'a b', 'a-b', 'x'.repeat(300), 'x'.repeat(301), '\u0000', 'con\u001b[31m'];
  const segs = names.map(safeSegment);
  assert.equal(new Set(segs).size, names.length, segs.join(' '));
  for (const s of segs) assert.match(s, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/);
  assert.match(safeSegment('.vmsec-export'), /^vmsec-export-[0-9a-f]{8}$/, 'never a hidden file or the export marker');
  assert.match(safeSegment('--help'), /^help-[0-9a-f]{8}$/);
  assert.match(safeSegment('prod: α'), /^prod-[0-9a-f]{8}$/);
  assert.equal(safeSegment('prod: α'), safeSegment('prod: α'), 'stable');
});

test('escapeControl shows control characters as escapes and keeps other text', () => {
  assert.equal(escapeControl('vm\u001b[2Jx'), 'vm\\x1b[2Jx');
  assert.equal(escapeControl('a\nb\tc\rd\u0000\u007f\u009b'), 'a\\nb\\tc\\rd\\x00\\x7f\\x9b');
  assert.equal(escapeControl('evil\u202etxt.exe'), 'evil\\u202etxt.exe');
  assert.equal(escapeControl('prod: α — ok'), 'prod: α — ok');
});


/** Just what exportQuotes reads from a run: its quotes. */
const world = (verifier = 'alpha', target = 'beta') => ({
  quotes: [{ verifier, target, kind: 'host', attempt: 1, passed: true, nonce: Buffer.from('n0nce'), akPem: 'PEM',
    quote: { attest: Buffer.from('attest'), signature: Buffer.from('sig'), values: [Buffer.alloc(32, 1)], pcrs: [0, 4] } }],
}) as unknown as World;

test('exported quotes: titles become distinct safe folders inside the export folder, which vmsec marks as its own', () => {
  const { base, ws } = layout();
  const out = join(ws, 'quotes', 'run1');
  assert.equal(exportQuotes(out, 'prod: α', world()), 1);
  exportQuotes(out, 'prod: β', world());
  exportQuotes(out, '..', world('../../x', '/etc'));
  const top = readdirSync(out).sort();
  assert.equal(top.length, 4, top.join(' '));
  assert.ok(top.includes(EXPORT_MARKER));
  for (const d of top.filter((d) => d !== EXPORT_MARKER)) assert.match(d, /^[A-Za-z0-9_.-]+$/);
  assert.deepEqual(readdirSync(base).sort(), ['outside', 'ws'], 'nothing written beside the workspace');
  const alpha = top.find((d) => d.startsWith('prod-'))!;
  const [q] = readdirSync(join(out, alpha));
  assert.equal(q, '001-alpha-to-beta-attempt1');
  assert.deepEqual(readdirSync(join(out, alpha, q)).sort(), ['ak.pub.pem', 'nonce.hex', 'pcrlist', 'pcrs.bin', 'quote.msg', 'quote.sig', 'verdict.json']);
  assert.equal(readFileSync(join(out, alpha, q, 'pcrlist'), 'utf8'), 'sha256:0,4');
  // A second run replaces vmsec's own files in its marked folder.
  exportQuotes(out, 'prod: α', world());
});

test('an export folder that is a file, holds foreign files, or cannot be created is a clear error at once', () => {
  const { ws, outside } = layout();
  writeFileSync(join(ws, 'file'), 'mine');
  assert.throws(() => exportQuotes(join(ws, 'file'), 's', world()), (e: Error) => e instanceof WriteRefused && /exists and is not a folder/.test(e.message));
  writeFileSync(join(outside, 'notes.txt'), 'keep');
  assert.throws(() => exportQuotes(outside, 's', world()), /holds files vmsec did not write/);
  assert.deepEqual(readdirSync(outside), ['notes.txt']);
  assert.throws(() => exportQuotes('/proc/vmsec-nonexistent/x', 's', world()), (e: Error) => e instanceof WriteRefused && /cannot create the export folder/.test(e.message));
  assert.throws(() => exportQuotes(join(ws, 'file', 'sub'), 's', world()), /not a folder/);
});

test('a symlink planted inside the export folder does not lead quotes outside it', () => {
  const { ws, outside } = layout();
  const out = join(ws, 'q');
  exportQuotes(out, 'first', world());
  symlinkSync(outside, join(out, 'second'));
  assert.throws(() => exportQuotes(out, 'second', world()), /outside/);
  assert.deepEqual(readdirSync(outside), []);
});

test('a root that does not exist yet is created with the folders leading to it (--out x/y/r.json)', () => {
  const base = tempDir('gw-root-');
  const root = join(base, 'x', 'y');
  put(join(root, 'r.json'), root, '{}');
  assert.equal(readFileSync(join(root, 'r.json'), 'utf8'), '{}');
  // Still no way out of it: a target above the root is refused.
  assert.throws(() => put(join(base, 'x', 'r.json'), root, '{}'), WriteRefused);
});

test('refusing a foreign file names the magic it lacks on one line, escaped and cut', () => {
  const base = tempDir('gw-magic-');
  writeFileSync(join(base, 'report.json'), 'mine\n');
  const magic = Buffer.from('{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",\n  "version": "2.1.0"', 'latin1');
  const why = writeProblem(base, join(base, 'report.json'), magic) ?? '';
  assert.match(why, /already exists and was not written by vmsec \(it does not start with "\{\\n {2}"\$schema": "https:\/\/json\.schemastore…"\)/);
  assert.equal(why.includes('\n'), false);
});

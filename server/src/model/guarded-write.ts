// The one way vmsec writes a file (checkpoints, exported quotes, reports).
// A scenario file is untrusted input that names paths, so every write:
//   - stays inside a root (the workspace, --checkpoint-dir or the export
//     folder), judged by path segments after following the symlinks of every
//     existing ancestor and of the target itself;
//   - never replaces a file vmsec did not write (an existing target must start
//     with the caller's magic bytes, or the caller vouches for the folder);
//   - is atomic: a temporary file in the target's folder, fsync, rename; on any
//     error the temporary file is removed and the old target is left intact;
//   - creates missing folders one segment at a time (no recursive mkdir, which
//     follows symlinks and can loop on /proc), re-checking each one;
//   - never opens anything but a regular file (lstat/stat first), so FIFOs and
//     devices cannot block it.
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { escapeControl } from './escape-text';

/** Paths come from source files: shown with control characters escaped. */
const show = (p: string) => escapeControl(p);

/** A write vmsec will not make; the message is for the user (no stack needed). */
export class WriteRefused extends Error {
  constructor(message: string) { super(message); this.name = 'WriteRefused'; }
}

function lstatOrUndefined(p: string): Stats | undefined {
  // No exception for a missing path: checks of paths not yet written are the common case.
  try { return lstatSync(p, { throwIfNoEntry: false }); } catch { return undefined; }
}

function kindOf(s: Stats): string {
  return s.isDirectory() ? 'a folder' : s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket'
    : s.isCharacterDevice() || s.isBlockDevice() ? 'a device' : s.isSymbolicLink() ? 'a symbolic link' : s.isFile() ? 'a file' : 'not a regular file';
}

/**
 * The real path of `p`: realpath of its deepest existing ancestor, then the
 * segments that do not exist yet. Throws WriteRefused for a dangling symlink
 * or an ancestor that is not a folder (the write could never succeed, and a
 * dangling link would be created through later).
 */
export function realPathOf(p: string): string {
  const abs = resolve(p);
  const rest: string[] = [];
  let at = abs;
  for (;;) {
    const st = lstatOrUndefined(at);
    if (st) {
      let real: string;
      try { real = realpathSync(at); } catch { throw new WriteRefused(`${show(at)} is a symbolic link to something that does not exist`); }
      if (rest.length > 0 && !statSync(real).isDirectory()) throw new WriteRefused(`${show(at)} is ${kindOf(statSync(real))}, not a folder`);
      return rest.length ? join(real, ...rest.reverse()) : real;
    }
    const up = dirname(at);
    if (up === at) return abs; // nothing exists, not even the filesystem root
    rest.push(basename(at));
    at = up;
  }
}

/** Is `inner` the same as or below `outer` (both absolute and normalised), by whole segments? */
export function isInside(outer: string, inner: string): boolean {
  if (inner === outer) return true;
  const prefix = outer.endsWith(sep) ? outer : outer + sep;
  return inner.startsWith(prefix);
}

function startsWith(file: string, magic: Buffer): boolean {
  // Only called on regular files (stat'ed just before); O_NONBLOCK in case it was swapped for a FIFO.
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    if (!fstatIsRegular(fd)) return false;
    const head = Buffer.alloc(magic.length);
    const n = readSync(fd, head, 0, magic.length, 0);
    return n === magic.length && head.equals(magic);
  } finally { closeSync(fd); }
}

function fstatIsRegular(fd: number): boolean {
  try { return fstatSync(fd).isFile(); } catch { return false; }
}

interface Plan { real: string; exists: boolean }

/**
 * `memo` caches real paths of folders for one batch of checks (the validator
 * judges every checkpoint of a file at once); writes never pass one, so what
 * they judge is the file system as it is at that moment.
 */
function plan(root: string, target: string, ownMagic: Buffer | undefined, owned: boolean, memo?: Map<string, string>): Plan | string {
  const realOf = (p: string) => {
    if (!memo) return realPathOf(p);
    let r = memo.get(p);
    if (r === undefined) { r = realPathOf(p); memo.set(p, r); }
    return r;
  };
  if (target === '') return 'the target path is empty';
  if (target.endsWith('/') || target.endsWith(sep)) return `${show(target)} names a folder (it ends with a path separator), not a file`;
  if (['.', '..'].includes(basename(target))) return `${show(target)} names a folder, not a file`;
  const abs = resolve(target);
  let realRoot: string;
  let real: string;
  try {
    realRoot = realOf(root);
    const st = lstatOrUndefined(abs);
    if (st?.isSymbolicLink()) {
      // A symlinked target: judge (and later write) the file it points to.
      try { real = realpathSync(abs); } catch { return `${show(abs)} is a symbolic link to something that does not exist`; }
    } else {
      const folder = realOf(dirname(abs));
      const fst = statOrUndefined(folder);
      if (fst && !fst.isDirectory()) return `${show(dirname(abs))} is ${kindOf(fst)}, not a folder`;
      real = join(folder, basename(abs));
    }
  } catch (e) {
    if (e instanceof WriteRefused) return e.message;
    return `cannot resolve ${show(abs)}: ${(e as Error).message}`;
  }
  if (!isInside(realRoot, real)) return `${show(abs)} is outside ${realRoot === resolve(root) ? realRoot : `${show(resolve(root))} (${show(realRoot)})`}; vmsec writes only inside it`;
  if (real === realRoot) return `${show(abs)} names the folder ${show(resolve(root))} itself, not a file`;
  const st = lstatOrUndefined(real);
  if (!st) return { real, exists: false };
  if (st.isDirectory()) return `${show(abs)} is an existing folder, not a file`;
  if (!st.isFile()) return `${show(abs)} exists and is ${kindOf(st)}; vmsec writes only regular files`;
  if (owned) return { real, exists: true };
  if (!ownMagic) return `${show(abs)} already exists; vmsec never replaces a file it did not write`;
  let ours: boolean;
  try { ours = startsWith(real, ownMagic); } catch (e) { return `cannot read ${show(abs)}: ${(e as Error).message}`; }
  if (!ours) {
    // A report's magic spans lines (and a SARIF one, many): shown on one line, escaped and cut.
    const magic = ownMagic.toString('latin1');
    return `${show(abs)} already exists and was not written by vmsec (it does not start with "${show(magic.length > 40 ? `${magic.slice(0, 40)}…` : magic)}"); vmsec never replaces a file it did not write`;
  }
  return { real, exists: true };
}

/**
 * Why vmsec may not write `target` under `root`, or undefined if it may:
 *  - target (after resolving symlinks of every existing ancestor, and of the
 *    target itself if it is a symlink) is not inside realpath(root), by segments;
 *  - target names an existing folder, or ends with a path separator;
 *  - target exists and is not a regular file, or is a regular file that does
 *    not start with `ownMagic` (vmsec never replaces a file it did not write).
 */
export function writeProblem(root: string, target: string, ownMagic?: Buffer, memo?: Map<string, string>): string | undefined {
  const p = plan(root, target, ownMagic, false, memo);
  return typeof p === 'string' ? p : undefined;
}

/** Creates the missing folders of `dir` (a real path inside `realRoot`) one segment at a time. */
function makeFolders(realRoot: string, dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!lstatOrUndefined(at)) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing.reverse()) {
    try { mkdirSync(d); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new WriteRefused(`cannot create the folder ${show(d)}: ${code ? ioReason(code) : (e as Error).message}`);
    }
    // Whatever is there now must be a real folder (not a symlink planted meanwhile) inside the root, or on the
    // way to a root that does not exist yet (`--out x/y/r.json` makes x, then the root x/y).
    const st = lstatOrUndefined(d);
    if (!st || !st.isDirectory()) throw new WriteRefused(`${show(d)} is ${st ? kindOf(st) : 'missing'}, not a folder`);
    const real = realpathSync(d);
    if (!isInside(realRoot, real) && !isInside(real, realRoot)) throw new WriteRefused(`${show(d)} resolves outside ${show(realRoot)}`);
  }
  const st = statOrUndefined(dir);
  if (!st?.isDirectory()) throw new WriteRefused(`${show(dir)} is ${st ? kindOf(st) : 'missing'}, not a folder`);
}

function statOrUndefined(p: string): Stats | undefined {
  try { return statSync(p, { throwIfNoEntry: false }); } catch { return undefined; }
}

/** A file-system error (full disk, no permission) as a user message; other errors pass unchanged. */
function ioError(target: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (e instanceof WriteRefused || typeof code !== 'string' || !code.startsWith('E')) return e;
  return new WriteRefused(`cannot write ${show(target)}: ${ioReason(code)}; nothing was changed`);
}

const IO_REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full', EDQUOT: 'the disk quota is exceeded', EACCES: 'permission denied', EPERM: 'not permitted',
  EROFS: 'the file system is read-only', ENAMETOOLONG: 'the name is too long', EFBIG: 'the file is larger than this system allows (ulimit -f or the file system)',
  EISDIR: 'it is a folder', ENOTDIR: 'a part of the path is not a folder', ENOENT: 'a folder on the way does not exist', EIO: 'an input/output error of the device',
  EMFILE: 'too many open files', ENFILE: 'too many open files on this system', ELOOP: 'too many symbolic links on the way', EEXIST: 'it already exists',
};

/** An errno code in words, for users (the code itself is kept in parentheses for searching). */
export function ioReason(code: string): string {
  return Object.hasOwn(IO_REASONS, code) ? `${IO_REASONS[code]} (${code})` : `the system refused (${code})`;
}

/**
 * Atomic guarded write (see the header). Throws WriteRefused for a write vmsec
 * will not make (the message is for the user) and passes on errors of
 * `produce`; in every failure the temporary file is gone and an old target is
 * untouched. `owned` says the caller has established that vmsec owns the
 * target's folder (an export folder with its marker), so an existing regular
 * file there may be replaced without a magic header. Returns the bytes written.
 */
export function writeGuarded(
  target: string,
  opts: { root: string; ownMagic?: Buffer; maxBytes?: number; owned?: boolean },
  produce: (sink: { write(b: Uint8Array): void }) => void,
): number {
  const p = plan(opts.root, target, opts.ownMagic, opts.owned ?? false);
  if (typeof p === 'string') throw new WriteRefused(p);
  const realRoot = realPathOf(opts.root);
  const folder = dirname(p.real);
  makeFolders(realRoot, folder);
  if (!isInside(realRoot, realpathSync(folder))) throw new WriteRefused(`${show(folder)} resolves outside ${show(realRoot)}`);
  const tmp = join(folder, `.${basename(p.real).slice(0, 100)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL + O_NOFOLLOW: a fresh regular file of our own, never through a link.
  let fd: number;
  try { fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644); } catch (e) { throw ioError(target, e); }
  let bytes = 0;
  let closed = false;
  try {
    const sink = {
      write(b: Uint8Array): void {
        if (opts.maxBytes !== undefined && bytes + b.length > opts.maxBytes) {
          throw new WriteRefused(`${show(target)} would be larger than ${opts.maxBytes} bytes; not written`);
        }
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off, b.length - off);
        bytes += b.length;
      },
    };
    produce(sink);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    // Re-check right before replacing: a file may have appeared or changed meanwhile.
    const again = plan(opts.root, target, opts.ownMagic, opts.owned ?? false);
    if (typeof again === 'string') throw new WriteRefused(again);
    if (again.real !== p.real) throw new WriteRefused(`${show(target)} changed while it was being written`);
    renameSync(tmp, p.real);
  } catch (e) {
    if (!closed) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw ioError(target, e);
  }
  // Make the rename itself durable; not every platform can fsync a folder.
  try { const d = openSync(folder, constants.O_RDONLY); try { fsyncSync(d); } finally { closeSync(d); } } catch { /* best effort */ }
  return bytes;
}

/**
 * A name from a source file (scenario title, vm name) as one safe path
 * segment: [A-Za-z0-9_.-] only, never empty and never starting with '.' or
 * '-' (so never '.', '..' or a hidden file), at most 80 chars.
 * When sanitising changed the name, a short hash of the original is appended
 * so distinct names never collide ("prod: α" and "prod: β" differ).
 */
export function safeSegment(name: string): string {
  // No leading '.' (hidden files, '.', '..', vmsec's own marker files) or '-' (read as an option).
  const clean = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+|-+$/g, '');
  if (clean === name && clean !== '' && clean.length <= 80) return clean;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  const base = clean.slice(0, 80 - 9);
  return base ? `${base}-${hash}` : hash;
}

/**
 * Runs `use` with a fresh private folder of vmsec's own in the system's
 * temporary folder, removed (with what was written into it) when `use`
 * returns or throws. For files that only matter during one run.
 */
export function withScratchFolder<T>(use: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'vmsec-'));
  try { return use(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

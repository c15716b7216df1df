// The one way vmsec reads a source file from disk (imports, the CLI's files,
// the server's workspace scan, `--costs`): regular files only, size-capped,
// never blocking. A FIFO or a device named in an `import` would otherwise
// hang the reader or grow memory without bound, so the kind of file is
// checked before opening, the open does not wait (O_NONBLOCK), and the open
// descriptor is checked again (the path may have been swapped in between).
import * as fs from 'node:fs';
import { formatSize } from './units';

export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

export type ReadResult = { ok: true; text: string } | { ok: false; error: string };

function kindOf(st: fs.Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'is a folder, not a regular file';
  if (st.isFIFO()) return 'is a FIFO, not a regular file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'is a device, not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

/** A limit as written in the docs: "16 MiB", not "16.0 MiB". */

function tooBig(size: number, cap: number): string {
  // "is 16.0 MiB; the limit is 16 MiB" would read as a contradiction: give bytes then.
  // A size that rounds to the limit's text is shown in bytes, so the two never read the same.
  const shown = formatSize(size).replace('.0 ', ' ') === formatSize(cap) ? `${size} bytes` : formatSize(size);
  return `is ${shown}; the limit is ${formatSize(cap)}`;
}

/**
 * Node reads a file name that is not UTF-8 with U+FFFD in place of the bad
 * bytes and cannot name that file again: said instead of "does not exist".
 */
export const NOT_UTF8_NAME = 'cannot be opened: its name is not valid UTF-8 (shown with \uFFFD), and Node cannot name such a file; rename it';
export const lossyName = (path: string) => path.includes('\uFFFD');

function reason(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return lossyName(path) ? NOT_UTF8_NAME : 'does not exist';
    case 'EACCES': case 'EPERM': return 'cannot be read (permission denied)';
    case 'ENOTDIR': return 'does not exist (a part of the path is not a folder)';
    case 'ELOOP': return 'cannot be read (too many symbolic links)';
    case 'ENAMETOOLONG': return 'cannot be read (the name is too long)';
    default: return `cannot be read (${code ?? (e as Error)?.message ?? String(e)})`;
  }
}

/**
 * Opens a regular file for reading without ever blocking: O_NONBLOCK (a FIFO
 * would otherwise wait for a writer) and fstat on the open descriptor, so a
 * file swapped for something else after a check is still refused. For readers
 * that stream (strace logs, checkpoint images); throws Error with a user message.
 */
export function openRegularFile(path: string): number {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  let regular = false;
  try { regular = fs.fstatSync(fd).isFile(); } finally { if (!regular) fs.closeSync(fd); }
  if (!regular) throw new Error(`${path} is not a regular file`);
  return fd;
}

/** Reads the bytes of a regular file of at most `cap` bytes; shared by readSourceFile and other bounded readers (the `--costs` file). */
export function readRegularFile(path: string, cap: number, refuse?: () => string | undefined): { ok: true; bytes: Buffer } | { ok: false; error: string } {
  let st: fs.Stats;
  try { st = fs.statSync(path); } catch (e) { return { ok: false, error: reason(e, path) }; }
  const kind = kindOf(st);
  if (kind) return { ok: false, error: kind };
  if (st.size > cap) return { ok: false, error: tooBig(st.size, cap) };
  const refused = refuse?.();
  if (refused) return { ok: false, error: refused };
  let fd: number;
  try { fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0)); } catch (e) { return { ok: false, error: reason(e, path) }; }
  try {
    const st2 = fs.fstatSync(fd);
    const kind2 = kindOf(st2);
    if (kind2) return { ok: false, error: kind2 };
    if (st2.size > cap) return { ok: false, error: tooBig(st2.size, cap) };
    // At most cap+1 bytes whatever the size said: the file may grow while it is read.
    // One buffer of the stated size (+1 to see growth) read in place: no chunk
    // copies for the usual file; one that grows gets a larger buffer.
    let buf = Buffer.allocUnsafe(Math.min(cap + 1, st2.size + 1));
    let total = 0;
    for (;;) {
      if (total === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(cap + 1, Math.max(buf.length * 2, 1 << 16)));
        buf.copy(bigger, 0, 0, total);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, total, Math.min(buf.length - total, 1 << 24), null);
      if (n === 0) break;
      total += n;
      if (total > cap) return { ok: false, error: `is larger than ${formatSize(cap)}, the limit` };
    }
    return { ok: true, bytes: total === buf.length ? buf : buf.subarray(0, total) };
  } catch (e) {
    return { ok: false, error: reason(e, path) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Regular files only (after following symlinks), at most MAX_SOURCE_BYTES,
 *  UTF-8 BOM stripped; never opens FIFOs/devices (stat first, open with
 *  O_NONBLOCK, fstat again), so it never blocks. `error` is a user message
 *  such as "is a FIFO, not a regular file" or "is 20.0 MiB; the limit is 16 MiB". */
export function readSourceFile(path: string): ReadResult {
  const r = readRegularFile(path, MAX_SOURCE_BYTES, () => linkedAway(path));
  if (!r.ok) return r;
  let text = r.bytes.toString('utf8');
  // Editors strip a BOM; so do we, or `check` and the editor would disagree.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text };
}

/**
 * A *.vmsec name must lead to a vmsec file. A symlink `notes.vmsec` in
 * someone else's repository pointing at a credentials file would otherwise
 * be parsed (by a folder scan or an import) and its words quoted in syntax
 * errors, into a terminal or a CI log.
 */
function linkedAway(path: string): string | undefined {
  if (!path.endsWith('.vmsec')) return undefined;
  try {
    if (!fs.lstatSync(path).isSymbolicLink()) return undefined;
    const real = fs.realpathSync(path);
    return real.endsWith('.vmsec') ? undefined : `is a link to ${real}, which is not a .vmsec file; it is not read, so that no other file's text is quoted in messages`;
  } catch (e) {
    return reason(e, path);
  }
}

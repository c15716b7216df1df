// A temporary workspace per case with traps planted around it, and
// snapshots of everything in it to tell what a command changed.
//
//   case/outside/             must never change (victim.ckpt is a real checkpoint:
//                             even a vmsec file outside is out of bounds)
//   case/top/ws/              the workspace: the case's files, cwd of the command
//     link-out -> ../../outside          a folder symlink leaving the workspace
//     lib-out.vmsec -> ../../outside/lib.vmsec
//     checkpoints/evil.ckpt -> ../../../outside/victim.ckpt
//     checkpoints/x.ckpt      "precious": not a checkpoint, must not change
//     old.ckpt                a real checkpoint: vmsec may replace it
//     fifo.vmsec, fifo.ckpt   FIFOs named like an import and a checkpoint
//     null.ckpt -> /dev/null, notes.txt, dir.ckpt/, sub/readme.txt
// "../x" from ws lands in top/, "../../x" in case/: both are watched.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export interface Sandbox { dir: string; ws: string; outside: string }

export const PRECIOUS = 'precious: not a vmsec checkpoint\n';

/** Fills the placeholders of a case's text for this sandbox. */
export function fill(text: string, box: Sandbox, entry: string): string {
  return text.replaceAll('{OUTSIDE}', box.outside).replaceAll('{ENTRY}', entry).replaceAll('{WS}', box.ws);
}

export function plant(dir: string, files: Record<string, string>, entry: string, validCheckpoint: Buffer): Sandbox {
  const box: Sandbox = { dir, ws: join(dir, 'top', 'ws'), outside: join(dir, 'outside') };
  const file = (path: string, data: string | Buffer) => { mkdirSync(dirname(path), { recursive: true }); writeFileSync(path, data); };
  file(join(box.outside, 'victim.ckpt'), validCheckpoint);
  file(join(box.outside, 'plain.txt'), 'outside: must not change\n');
  file(join(box.outside, 'lib.vmsec'), 'host outlib { cpus 2 }\n');
  mkdirSync(join(box.outside, 'etc'), { recursive: true });
  mkdirSync(box.ws, { recursive: true });
  for (const [name, text] of Object.entries(files)) file(join(box.ws, name), fill(text, box, entry));
  file(join(box.ws, 'checkpoints', 'x.ckpt'), PRECIOUS);
  file(join(box.ws, 'notes.txt'), PRECIOUS);
  file(join(box.ws, 'old.ckpt'), validCheckpoint);
  file(join(box.ws, 'sub', 'readme.txt'), PRECIOUS);
  mkdirSync(join(box.ws, 'dir.ckpt'));
  symlinkSync(join('..', '..', 'outside'), join(box.ws, 'link-out'));
  symlinkSync(join('..', '..', 'outside', 'lib.vmsec'), join(box.ws, 'lib-out.vmsec'));
  symlinkSync(join('..', '..', '..', 'outside', 'victim.ckpt'), join(box.ws, 'checkpoints', 'evil.ckpt'));
  symlinkSync('/dev/null', join(box.ws, 'null.ckpt'));
  execFileSync('mkfifo', [join(box.ws, 'fifo.vmsec'), join(box.ws, 'fifo.ckpt')]);
  return box;
}

export interface Entry { type: 'file' | 'dir' | 'link' | 'fifo' | 'other'; size: number; mtimeMs: number; hash?: string; link?: string; head?: Buffer }
export type Snapshot = Map<string, Entry>;

/** Every entry under `dir` by relative path, without following symlinks or opening anything but regular files. */
export function snapshot(dir: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (abs: string) => {
    for (const name of readdirSync(abs)) {
      const p = join(abs, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isSymbolicLink()) out.set(rel, { type: 'link', size: st.size, mtimeMs: st.mtimeMs, link: readlinkSync(p) });
      else if (st.isDirectory()) { out.set(rel, { type: 'dir', size: 0, mtimeMs: 0 }); walk(p); }
      else if (st.isFIFO()) out.set(rel, { type: 'fifo', size: 0, mtimeMs: st.mtimeMs });
      else if (st.isFile()) {
        const data = readFileSync(p);
        out.set(rel, { type: 'file', size: st.size, mtimeMs: st.mtimeMs, hash: createHash('sha256').update(data).digest('hex'), head: data.subarray(0, 16) });
      } else out.set(rel, { type: 'other', size: st.size, mtimeMs: st.mtimeMs });
    }
  };
  walk(dir);
  return out;
}

export const inside = (rel: string, folder: string) => rel === folder || rel.startsWith(folder + sep);

const same = (a: Entry, b: Entry) => a.type === b.type && a.size === b.size && a.mtimeMs === b.mtimeMs && a.hash === b.hash && a.link === b.link;

export interface Change { path: string; what: 'created' | 'changed' | 'removed'; before?: Entry; after?: Entry }

export function diff(before: Snapshot, after: Snapshot): Change[] {
  const out: Change[] = [];
  for (const [path, b] of before) {
    const a = after.get(path);
    if (!a) out.push({ path, what: 'removed', before: b });
    else if (!same(a, b)) out.push({ path, what: 'changed', before: b, after: a });
  }
  for (const [path, a] of after) if (!before.has(path)) out.push({ path, what: 'created', after: a });
  return out;
}

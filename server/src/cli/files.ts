// Files named on the command line: .vmsec files, and folders searched for them.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type { FileReader } from '../model/workspace';
import { readSourceFile } from '../model/source-reader';

const SKIP = new Set(['node_modules', '.git', 'dist', 'out']);

export interface Collected {
  /** Absolute paths: files named, and the .vmsec files of folders named (sorted per folder). */
  files: string[];
  /** Paths named that do not exist. */
  missing: string[];
  /** Folders that could not be listed, as user messages. */
  problems: string[];
  /** Folders named, for "no .vmsec files in DIR". */
  folders: string[];
}

export function collectVmsecFiles(paths: string[]): Collected {
  const files: string[] = [];
  const missing: string[] = [];
  const problems: string[] = [];
  const folders: string[] = [];
  // Iterative walk (folder depth must not become stack depth); symlinked
  // folders are not followed (Dirent types do not follow links), so no loops.
  const walk = (top: string) => {
    const stack = [top];
    while (stack.length) {
      const dir = stack.pop()!;
      let entries: fs.Dirent[];
      try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (e) {
        problems.push(`cannot list ${displayPath(dir)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const subdirs: string[] = [];
      for (const e of entries) {
        const p = nodePath.join(dir, e.name);
        if (e.isDirectory() && !SKIP.has(e.name)) subdirs.push(p);
        else if (e.isFile() && e.name.endsWith('.vmsec')) files.push(p);
      }
      // Depth-first in name order, as the recursive walk did.
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
    }
  };
  for (const raw of paths) {
    const p = nodePath.resolve(raw);
    let st: fs.Stats;
    try { st = fs.statSync(p); } catch { missing.push(raw); continue; }
    if (st.isDirectory()) { folders.push(raw); walk(p); } else files.push(p);
  }
  return { files: [...new Set(files)], missing, problems, folders };
}

export const diskReader: FileReader = { read: readSourceFile };

/** How a path is shown: relative to the working folder when inside it. */
export function displayPath(p: string): string {
  const rel = nodePath.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !nodePath.isAbsolute(rel) ? rel : p;
}

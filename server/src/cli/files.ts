// Files named on the command line: .vmsec files, and folders searched for them.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type { FileReader } from '../model/workspace';

const SKIP = new Set(['node_modules', '.git', 'dist', 'out']);

export function collectVmsecFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = nodePath.join(dir, e.name);
      if (e.isDirectory() && !SKIP.has(e.name)) walk(p);
      else if (e.isFile() && e.name.endsWith('.vmsec')) files.push(p);
    }
  };
  for (const raw of paths) {
    const p = nodePath.resolve(raw);
    let st: fs.Stats;
    try { st = fs.statSync(p); } catch { missing.push(raw); continue; }
    if (st.isDirectory()) walk(p); else files.push(p);
  }
  return { files: [...new Set(files)], missing };
}

export const diskReader: FileReader = {
  read(path: string): string | undefined {
    try { return fs.readFileSync(path, 'utf8'); } catch { return undefined; }
  },
};

/** How a path is shown: relative to the working folder when inside it. */
export function displayPath(p: string): string {
  const rel = nodePath.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !nodePath.isAbsolute(rel) ? rel : p;
}

// `vmsec check`: validate the named files and everything they import.
import type { Diagnostic } from '../model/diagnostics';
import { Workspace } from '../model/workspace';
import type { SourceFile } from '../model/source-file';
import { validateFileSet } from '../validation/validate';
import { diskReader } from './files';

export interface CheckResult { files: SourceFile[]; diagnostics: Diagnostic[] }

export function checkFiles(paths: string[], workspaceRoot?: string): CheckResult {
  const ws = new Workspace(diskReader);
  const files: SourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const queue = [...paths];
  const done = new Set<string>();
  while (queue.length) {
    const p = queue.shift()!;
    if (done.has(p)) continue;
    done.add(p);
    const set = ws.fileSet(p);
    if (!set) continue;
    files.push(set.root);
    diagnostics.push(...validateFileSet(set, { workspaceRoot }));
    // Imported files are checked too, each in its own context.
    for (const f of set.files) if (!done.has(f.path)) queue.push(f.path);
  }
  return { files, diagnostics };
}

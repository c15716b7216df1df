// Test helpers: validate in-memory files through the same Workspace and
// validator the CLI and the server use.
import * as nodePath from 'node:path';
import { Workspace } from '../server/src/model/workspace';
import { validateFileSet } from '../server/src/validation/validate';
import type { Diagnostic } from '../server/src/model/diagnostics';

export const ROOT = '/virtual/ws';

export function memoryWorkspace(files: Record<string, string>): Workspace {
  const byPath = new Map(Object.entries(files).map(([k, v]) => [nodePath.resolve(ROOT, k), v]));
  return new Workspace({ read: (p) => { const text = byPath.get(p); return text === undefined ? { ok: false, error: 'does not exist' } : { ok: true, text }; } });
}

export interface Found { code: string; severity: string; message: string; text: string; line: number; col: number }

/** Validates `main.vmsec` (plus any other given files) and returns its diagnostics with the text they cover. */
export function check(main: string, others: Record<string, string> = {}): Found[] {
  const ws = memoryWorkspace({ 'main.vmsec': main, ...others });
  const set = ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!;
  return validateFileSet(set, { workspaceRoot: ROOT }).map((d: Diagnostic) => {
    const pos = set.root.lines.position(d.span.start);
    return { code: d.code, severity: d.severity, message: d.message, text: main.slice(d.span.start, d.span.end), line: pos.line + 1, col: pos.character + 1 };
  });
}

export function codes(main: string, others: Record<string, string> = {}): string[] {
  return check(main, others).map((d) => d.code);
}

import { tempDir } from './tmp';
import { runFileSet } from '../server/src/sim/run';
import type { ScenarioResult } from '../server/src/sim/results';
import type { Costs } from '../server/src/sim/costs';

/** Runs the scenarios of an in-memory file; checkpoint files go to a temporary folder. */
export function run(main: string, others: Record<string, string> = {}, costs?: Partial<Costs>): ScenarioResult[] {
  const ws = memoryWorkspace({ 'main.vmsec': main, ...others });
  const set = ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!;
  const out = runFileSet(set, { workspaceRoot: ROOT, costs, checkpointDir: tempDir('ck-') });
  if (out.kind !== 'ran') throw new Error(`not run: ${JSON.stringify(out)}`);
  return out.result.scenarios;
}

// Running a file: every scenario (or the one asked for) on the file set's
// model. A file set with an error in any of its files (the root or anything
// it imports) is not run: its meaning is not settled, and a checkpoint path
// declared in an imported file would otherwise go unchecked.
import type { FileSet } from '../model/workspace';
import { resolveFileSet } from '../model/resolve';
import { validateFileSetFiles } from '../validation/validate-files';
import type { Diagnostic } from '../model/diagnostics';
import type * as A from '../../../grammar/src/ast';
import { runScenario, RunOptions } from './scenario';
import type { RunResult, ScenarioResult } from './results';
import { locOfFiles } from './locations';

export interface RunFileOptions extends Omit<RunOptions, 'lineOf' | 'textOf' | 'locOf'> {
  scenario?: string;
  workspaceRoot?: string;
  /** Receives each scenario's result as soon as it has run (the editor shows results as they come). */
  onScenario?: (result: ScenarioResult) => void;
}

export type RunOutcome =
  | { kind: 'invalid'; diagnostics: Diagnostic[] }
  | { kind: 'no-scenario'; names: string[] }
  | { kind: 'ran'; result: RunResult; diagnostics: Diagnostic[] };

export function runFileSet(set: FileSet, options: RunFileOptions = {}): RunOutcome {
  const resolved = resolveFileSet(set);
  const { diagnostics } = validateFileSetFiles(set, { workspaceRoot: options.workspaceRoot }, resolved);
  if (diagnostics.some((d) => d.severity === 'error')) return { kind: 'invalid', diagnostics };
  const all = set.root.doc.decls.filter((d): d is A.ScenarioDecl => d.kind === 'scenario');
  const chosen = options.scenario === undefined ? all : all.filter((s) => s.title.value === options.scenario);
  if (chosen.length === 0 && options.scenario !== undefined) return { kind: 'no-scenario', names: all.map((s) => s.title.value) };
  const lines = set.root.lines;
  const text = set.root.text;
  const runOptions: RunOptions = {
    ...options,
    lineOf: (span) => lines.position(span.start).line + 1,
    textOf: (span) => text.slice(span.start, span.end).replace(/\s+/g, ' ').trim(),
    // Every result item's file + range comes from here (the CLI JSON and the editor alike).
    locOf: locOfFiles(set.files),
  };
  return { kind: 'ran', diagnostics, result: { file: set.root.path, scenarios: chosen.map((s) => {
    const r = runScenario(s, set, resolved, runOptions);
    options.onScenario?.(r);
    return r;
  }) } };
}

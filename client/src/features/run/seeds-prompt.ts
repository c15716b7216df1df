// The seeds prompt shared by "Run Scenario with Seeds…", the Test Explorer's
// "Run with Seeds…" profile and "Sweep…": the CLI's --seeds syntax checked as
// it is typed (the server checks the rest: duplicates, limits), and the last
// answer remembered per workspace, so each place offers what was given last.
import * as vscode from 'vscode';

/** A range, a list or both: 1..100, 3,7,9, 1..10,42. */
const SEEDS_SHAPE = /^\s*\d+(\s*\.\.\s*\d+)?(\s*,\s*\d+(\s*\.\.\s*\d+)?)*\s*$/;
const SHAPE_HINT = 'write seeds as 1..100, 3,7,9 or 1..10,42';

/** Why `text` is not seeds (undefined when it is; an empty answer is allowed when `optional`). */
export function seedsProblem(text: string, optional = false): string | undefined {
  if (optional && text.trim() === '') return undefined;
  return SEEDS_SHAPE.test(text) ? undefined : optional ? `${SHAPE_HINT}, or leave it empty for each scenario's own seed` : SHAPE_HINT;
}

/** Where each prompt keeps its last answer (workspace state). */
const KEYS = { run: 'vmsec.seeds.lastRun', sweep: 'vmsec.seeds.lastSweep' } as const;

/**
 * Asks for seeds. `run` (the seeds command and the Test Explorer profile):
 * seeds are required, 1..100 the first time. `sweep`: optional, empty (each
 * scenario's own seed) the first time. Answers the trimmed text ('' for none),
 * or undefined when dismissed.
 */
export async function askSeeds(state: vscode.Memento, kind: keyof typeof KEYS, title: string): Promise<string | undefined> {
  const optional = kind === 'sweep';
  const answer = await vscode.window.showInputBox({
    title,
    prompt: optional
      ? 'Seeds for every point (optional): a range, a list or both, e.g. 1..20, 3,7,9 or 1..10,42; empty runs each scenario with its own seed'
      : 'Seeds: a range, a list or both, e.g. 1..100, 3,7,9 or 1..10,42',
    value: state.get<string>(KEYS[kind], optional ? '' : '1..100'),
    placeHolder: optional ? "empty: each scenario's own seed" : '1..100',
    validateInput: (v) => seedsProblem(v, optional),
  });
  if (answer === undefined) return undefined;
  const seeds = answer.trim();
  await state.update(KEYS[kind], seeds);
  return seeds;
}

// fast-check around the harness: deterministic for a seed, shrinking with a
// time budget (each try spawns the CLI, and a hang costs its whole time
// limit), and the last failing case kept with its outcome so that it can be
// saved and reported.
import fc from 'fast-check';
import { isHard, runCase, type Case, type Outcome } from './harness';

export interface Search {
  seed: number;
  numRuns: number;
  timeoutMs: number;
  /** Time allowed for shrinking after the first failure. */
  shrinkBudgetMs: number;
  /** Replay from this fast-check path (a run index, or a shrink path). */
  path?: string;
  examples?: Case[];
  /** When a case counts as failing; default: any hard problem. */
  fails?: (o: Outcome) => boolean;
  onCase?: (c: Case, o: Outcome, index: number) => void;
}

export interface Failure { case: Case; outcome: Outcome; seed: number; path?: string; shrinks: number }

export function search(arb: fc.Arbitrary<Case>, s: Search): Failure | undefined {
  const fails = s.fails ?? ((o: Outcome) => o.problems.some(isHard));
  let firstFailure = 0;
  let last: { case: Case; outcome: Outcome } | undefined;
  let index = 0;
  const result = fc.check(fc.property(arb, (c) => {
    if (firstFailure && Date.now() - firstFailure > s.shrinkBudgetMs) return true; // budget spent: keep the smallest so far
    const o = runCase(c, { timeoutMs: s.timeoutMs });
    s.onCase?.(c, o, index++);
    if (!fails(o)) return true;
    firstFailure ||= Date.now();
    last = { case: c, outcome: o };
    return false;
  }), { seed: s.seed, numRuns: s.numRuns, path: s.path, examples: s.examples?.map((c) => [c]) });
  if (!result.failed) return undefined;
  if (!last) throw new Error(`the fuzz harness itself failed (seed ${s.seed}): ${String(result.errorInstance)}`);
  return { ...last, seed: s.seed, path: result.counterexamplePath ?? undefined, shrinks: result.numShrinks };
}

// The words for a scenario that failed with some of its seeds: the CLI's
// JUnit failure (`run --seeds … --format junit`) and the editor's Test
// Explorer both say exactly this, so a failure reads the same in CI and in
// the editor.
import { ciText, percent } from './batch-text';

export interface SeedsFailure {
  runs: number; passed: number; rate: number; ci: [number, number];
  /** The failing seeds (perhaps only the first ones) and how many failed in all. */
  failingSeeds: readonly number[]; failingCount: number;
  expectations: readonly {
    line: number; text: string; runs: number; passed: number;
    failingSeeds: readonly number[]; failingCount: number;
    /** What the first failing seed saw. */
    first?: { seed: number; actual: string | number | boolean };
  }[];
  errors: readonly { line: number; message: string; seeds: readonly number[]; count: number }[];
  /** The command that runs the first failing seed again. */
  reproduce?: string;
}

/** Seeds listed: the first 50, then how many more. */
function seedsText(seeds: readonly number[], count: number): string {
  const listed = seeds.slice(0, 50);
  return `${listed.join(', ')}${count > listed.length ? ` and ${count - listed.length} more` : ''}`;
}

/** Failed runs, pass rate and failing seeds; each failing line; the reproduce command. */
export function seedsFailureLines(f: SeedsFailure): string[] {
  const lines = [`${f.runs - f.passed} of ${f.runs} runs failed (pass rate ${percent(f.rate)}, ${ciText(f.ci)}); failing seeds: ${seedsText(f.failingSeeds, f.failingCount)}`];
  for (const e of f.expectations) {
    if (e.passed < e.runs) lines.push(`line ${e.line}: ${e.text}: failed with seeds ${seedsText(e.failingSeeds, e.failingCount)}${e.first ? `; seed ${e.first.seed} saw ${e.first.actual}` : ''}`);
  }
  for (const e of f.errors) lines.push(`line ${e.line}: step error with seeds ${seedsText(e.seeds, e.count)}: ${e.message}`);
  if (f.reproduce) lines.push(`reproduce with ${f.reproduce}`);
  return lines;
}

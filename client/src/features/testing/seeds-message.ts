// The Test Explorer's words for a scenario run once per seed: what the CLI's
// JUnit failure says (`vmsec run --seeds … --format junit`), so a failure
// reads the same in the editor and in CI.
import type { SeedsScenario } from '../../../../server/src/protocol';
import { ciText, percent } from '../../../../server/src/report/batch-text';

/** The first seeds (the server lists at most 100) and how many more failed. */
function seedList(seeds: number[], count: number, shown = 50): string {
  const listed = seeds.slice(0, shown);
  return `${listed.join(', ')}${count > listed.length ? ` and ${count - listed.length} more` : ''}`;
}

/** A failed seeds run of one scenario: failed runs, pass rate, failing seeds, each failing line, the reproduce command. */
export function seedsFailureText(s: SeedsScenario): string {
  const lines = [`${s.runs - s.passed} of ${s.runs} runs failed (pass rate ${percent(s.rate)}, ${ciText(s.ci)}); failing seeds: ${seedList(s.failingSeeds, s.failingCount)}`];
  for (const e of s.expectations) {
    if (e.passed < e.runs) lines.push(`line ${e.range.start.line + 1}: ${e.text}: failed with seeds ${seedList(e.failingSeeds, e.failingCount)}${e.firstFailure ? `; seed ${e.firstFailure.seed} saw ${e.firstFailure.actual}` : ''}`);
  }
  for (const e of s.errors) lines.push(`line ${e.range.start.line + 1}: step error with seeds ${seedList(e.seeds, e.runs)}: ${e.message}`);
  if (s.reproduce) lines.push(`reproduce with ${s.reproduce}`);
  return lines.join('\n');
}

// The Test Explorer's words for a scenario run once per seed: the CLI's JUnit
// failure text (report/seeds-failure.ts), so a failure reads the same in the
// editor and in CI.
import type { SeedsScenario } from '../../../../server/src/protocol';
import { seedsFailureLines } from '../../../../server/src/report/seeds-failure';

/** A failed seeds run of one scenario: failed runs, pass rate, failing seeds, each failing line, the reproduce command. */
export function seedsFailureText(s: SeedsScenario): string {
  return seedsFailureLines({
    ...s,
    expectations: s.expectations.map((e) => ({ ...e, line: e.range.start.line + 1, first: e.firstFailure })),
    errors: s.errors.map((e) => ({ line: e.range.start.line + 1, message: e.message, seeds: e.seeds, count: e.runs })),
  }).join('\n');
}

// What one run of many keeps: verdicts, errors and the measured quantities of
// a ScenarioResult — small, so thousands stream through without pages,
// timelines or tables. Simulated figures are rounded to a nanosecond/µs
// fraction so the JSON stays readable; they are deterministic either way.
import { pageCount, type ScenarioResult } from '../sim/results';
import type { ItemOutcome, QuantityName, WorkItem } from './types';

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Every measured quantity of a run by name (QUANTITIES); a kind the scenario has none of is left out. */
export function quantitiesOf(r: ScenarioResult): Partial<Record<QuantityName, number>> {
  const q: Partial<Record<QuantityName, number>> = {};
  if (r.transfers.length) {
    const ready = r.transfers.map((t) => t.ready_ms).filter((x): x is number => x !== null);
    if (ready.length) q.ready_ms = round(Math.max(...ready));
    // As `expect F pages …` counts: pages and disk blocks.
    q.pages_sent = pageCount(r.transfers, 'sent');
    q.pages_rejected = pageCount(r.transfers, 'rejected');
    q.corrupted_accepted = r.transfers.reduce((n, t) => n + t.corrupted_accepted, 0);
  }
  q.bytes_sent = r.stats.bytes_sent;
  if (r.attestations.length) q.attestations_failed = r.attestations.filter((a) => !a.passed).length;
  if (r.monitor.length) {
    // Decisions past the listing cap of a replayed trace are counted in monitor_more.
    q.decisions = r.monitor.length + Object.values(r.monitor_more ?? {}).reduce((a, b) => a + b, 0);
    // Of the listed decisions (every step's; a trace's first ones); no spread: the list can be long.
    q.delay_us_max = round(r.monitor.reduce((a, m) => Math.max(a, m.delay_us), 0));
  }
  const moved = r.moves.map((m) => m.ready_ms).filter((x): x is number => x !== null);
  if (moved.length) q.move_ready_ms = round(Math.max(...moved));
  q.sim_ms = round(r.stats.sim_ms);
  return q;
}

export function outcomeOf(r: ScenarioResult, item: WorkItem): ItemOutcome {
  const o: ItemOutcome = {
    index: item.index, file: item.file, scenario: item.scenario, seed: item.seed,
    passed: r.passed,
    expectations: r.expectations.map((e) => ({ text: e.text, line: e.line, passed: e.passed, actual: e.actual })),
    errors: r.errors.map((e) => ({ line: e.line, message: e.message })),
    quantities: quantitiesOf(r) as Record<string, number>,
    wall_ms: r.stats.wall_ms,
  };
  if (item.variant !== undefined) o.variant = item.variant;
  return o;
}

/** An item that could not run at all (its variant does not validate, an unreadable file): failed, with why. */
export function failedOutcome(item: WorkItem, line: number, message: string): ItemOutcome {
  const o: ItemOutcome = { index: item.index, file: item.file, scenario: item.scenario, seed: item.seed, passed: false, expectations: [], errors: [{ line, message }], quantities: {} };
  if (item.variant !== undefined) o.variant = item.variant;
  return o;
}

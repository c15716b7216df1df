// What a sweep keeps of its runs, per (variant, scenario) cell: runs and
// passes, each quantity's values (for the median over seeds), and which
// expectations failed with which seeds. Outcomes are folded in as they arrive
// and dropped; a cell holds numbers, not results.
import type { ItemOutcome } from './types';

export interface FailedExpectation { line: number; text: string; seeds: number[] }

export interface SweepCell {
  runs: number;
  passed: number;
  /** Values by quantity name, one per run that measured it. */
  values: Map<string, number[]>;
  /** Expectations that failed in at least one run, by line. */
  failing: Map<number, FailedExpectation>;
  /** Step errors (and variants that did not validate), by text. */
  errors: Map<string, { line: number; message: string; seeds: number[] }>;
}

function emptyCell(): SweepCell {
  return { runs: 0, passed: 0, values: new Map(), failing: new Map(), errors: new Map() };
}

/** The median: the middle value, or the mean of the two middle ones. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export class SweepAggregate {
  private readonly cells: SweepCell[][];

  constructor(readonly variantCount: number, readonly scenarios: readonly string[]) {
    this.cells = Array.from({ length: Math.max(1, variantCount) }, () => scenarios.map(emptyCell));
  }

  add(o: ItemOutcome): void {
    const s = this.scenarios.indexOf(o.scenario);
    const c = this.cells[o.variant ?? 0]?.[s];
    if (!c) return;
    c.runs++;
    if (o.passed) c.passed++;
    for (const [k, v] of Object.entries(o.quantities)) {
      const list = c.values.get(k);
      if (list) list.push(v); else c.values.set(k, [v]);
    }
    for (const e of o.expectations) {
      if (e.passed) continue;
      const f = c.failing.get(e.line);
      if (f) f.seeds.push(o.seed); else c.failing.set(e.line, { line: e.line, text: e.text, seeds: [o.seed] });
    }
    for (const e of o.errors) {
      const key = `${e.line}\u0000${e.message}`;
      const f = c.errors.get(key);
      if (f) f.seeds.push(o.seed); else c.errors.set(key, { line: e.line, message: e.message, seeds: [o.seed] });
    }
  }

  cell(variant: number, scenario: number): SweepCell { return this.cells[variant][scenario]; }

  /** The median of a metric in a cell; `pass_rate` is the share of runs that passed. */
  metric(variant: number, scenario: number, name: string): number | undefined {
    const c = this.cells[variant][scenario];
    if (name === 'pass_rate') return c.runs ? c.passed / c.runs : undefined;
    return median(c.values.get(name) ?? []);
  }
}

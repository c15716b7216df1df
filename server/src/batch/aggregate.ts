// Streaming aggregation of many runs: outcomes are added one at a time and
// forgotten; what is kept is counts, failing seeds and, per quantity, its
// values as plain numbers (exact quantiles need them). The summary depends
// only on the set of outcomes, never on the order they were added in, so
// shards merged in any order give exactly the unsharded summary.
import type { Actual, ItemOutcome, QuantityStats } from './types';
import { QUANTITIES } from './types';
import { appendTo } from '../model/map-of-lists';

/** What a summary is of: the files, seeds and variants of the plan (also a partial's header). */
export interface BatchInfo {
  files: string[];
  seeds: string;
  variants: { id: string; label: string; values: Record<string, string> }[];
  items: number;
}

/** A failing run: its seed, and what the first failing check saw. */
export interface FailingRun { seed: number; actual: Actual }

export interface ExpectationStats {
  line: number; text: string;
  runs: number; passed: number; rate: number;
  /** 95% Wilson score interval of the pass rate. */
  ci: [number, number];
  /** Seeds it failed with (in plan order) and what was seen. */
  failing: FailingRun[];
}

/** Step errors by line: how many runs had one there, the message of the first (in plan order), the first seeds. */
export interface ErrorStats { line: number; message: string; runs: number; seeds: number[] }

export interface ScenarioStats {
  file: string; scenario: string; variant?: number;
  runs: number; passed: number; rate: number; ci: [number, number];
  failingSeeds: number[];
  expectations: ExpectationStats[];
  errors: ErrorStats[];
  quantities: Record<string, QuantityStats>;
}

export interface BatchSummary {
  info: BatchInfo;
  runs: number; passed: number;
  scenarios: ScenarioStats[];
}

/** 1.96: the two-sided 95% normal quantile. */
const Z95 = 1.959963984540054;

/** The Wilson score interval of k successes in n trials (n = 0: [0, 1]). */
export function wilson(k: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** min, median (mean of the middle two for an even count), p95 (nearest rank), max of sorted values. */
export function orderStats(sorted: readonly number[]): QuantityStats {
  const n = sorted.length;
  if (n === 0) return { n: 0, min: 0, median: 0, p95: 0, max: 0 };
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { n, min: sorted[0], median, p95: sorted[Math.max(0, Math.ceil(0.95 * n) - 1)], max: sorted[n - 1] };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const roundCi = (ci: [number, number]): [number, number] => [round6(ci[0]), round6(ci[1])];

interface ExpAcc { line: number; text: string; runs: number; passed: number; failing: { index: number; seed: number; actual: Actual }[] }
interface ErrAcc { line: number; first: number; message: string; runs: number; seeds: { index: number; seed: number }[] }
interface Group {
  first: number; file: string; scenario: string; variant?: number;
  runs: number; passed: number; failing: { index: number; seed: number }[];
  exps: Map<number, Map<string, ExpAcc>>; errs: Map<number, ErrAcc>; quantities: Map<string, number[]>;
}

/** Seeds listed per error kind. */
const MAX_ERROR_SEEDS = 100;

const byIndex = (a: { index: number }, b: { index: number }) => a.index - b.index;

export class Aggregator {
  private readonly groups = new Map<string, Group>();
  private runs = 0;
  private passed = 0;

  constructor(private readonly info: BatchInfo) {}

  /** Groups by file, scenario and variant: nested maps, so adding an outcome builds no key strings (merge adds 100,000s). */
  private readonly byFile = new Map<string, Map<string, Map<number | undefined, Group>>>();

  private group(o: ItemOutcome): Group {
    let scenarios = this.byFile.get(o.file);
    if (!scenarios) { scenarios = new Map(); this.byFile.set(o.file, scenarios); }
    let variants = scenarios.get(o.scenario);
    if (!variants) { variants = new Map(); scenarios.set(o.scenario, variants); }
    let g = variants.get(o.variant);
    if (!g) {
      g = { first: o.index, file: o.file, scenario: o.scenario, runs: 0, passed: 0, failing: [], exps: new Map(), errs: new Map(), quantities: new Map() };
      if (o.variant !== undefined) g.variant = o.variant;
      variants.set(o.variant, g);
      this.groups.set(`${o.file}\u0000${o.scenario}\u0000${o.variant ?? ''}`, g);
    }
    return g;
  }

  add(o: ItemOutcome): void {
    const g = this.group(o);
    if (o.index < g.first) g.first = o.index;
    this.runs++;
    g.runs++;
    if (o.passed) { this.passed++; g.passed++; } else g.failing.push({ index: o.index, seed: o.seed });
    for (const e of o.expectations) {
      // By line first (a number), then text: the same expectation has the same line in every run.
      let byText = g.exps.get(e.line);
      if (!byText) { byText = new Map(); g.exps.set(e.line, byText); }
      let a = byText.get(e.text);
      if (!a) { a = { line: e.line, text: e.text, runs: 0, passed: 0, failing: [] }; byText.set(e.text, a); }
      a.runs++;
      if (e.passed) a.passed++; else a.failing.push({ index: o.index, seed: o.seed, actual: e.actual });
    }
    // By line, not by message: messages may carry per-seed figures, lines are bounded by the file.
    const lines = o.errors.length > 1 ? new Set<number>() : undefined;
    for (const e of o.errors) {
      if (lines) { if (lines.has(e.line)) continue; lines.add(e.line); }
      let a = g.errs.get(e.line);
      if (!a) { a = { line: e.line, first: o.index, message: e.message, runs: 0, seeds: [] }; g.errs.set(e.line, a); }
      else if (o.index < a.first) { a.first = o.index; a.message = e.message; }
      a.runs++;
      a.seeds.push({ index: o.index, seed: o.seed });
      // Keep the earliest seeds in plan order, whatever order outcomes come in.
      if (a.seeds.length > 2 * MAX_ERROR_SEEDS) { a.seeds.sort(byIndex); a.seeds.length = MAX_ERROR_SEEDS; }
    }
    for (const name in o.quantities) {
      const v = o.quantities[name];
      appendTo(g.quantities, name, v);
    }
  }

  summary(): BatchSummary {
    const groups = [...this.groups.values()].sort((a, b) => a.first - b.first);
    const known = Object.keys(QUANTITIES);
    const order = (a: string, b: string) => (known.indexOf(a) - known.indexOf(b)) || (a < b ? -1 : a > b ? 1 : 0);
    return {
      info: this.info, runs: this.runs, passed: this.passed,
      scenarios: groups.map((g) => {
        const s: ScenarioStats = {
          file: g.file, scenario: g.scenario,
          runs: g.runs, passed: g.passed, rate: round6(g.passed / g.runs), ci: roundCi(wilson(g.passed, g.runs)),
          failingSeeds: g.failing.sort(byIndex).map((f) => f.seed),
          expectations: [...g.exps.values()].flatMap((m) => [...m.values()]).sort((a, b) => a.line - b.line || (a.text < b.text ? -1 : 1)).map((a) => ({
            line: a.line, text: a.text, runs: a.runs, passed: a.passed, rate: round6(a.passed / a.runs), ci: roundCi(wilson(a.passed, a.runs)),
            failing: a.failing.sort(byIndex).map((f) => ({ seed: f.seed, actual: f.actual })),
          })),
          errors: [...g.errs.values()].sort((a, b) => a.line - b.line).map((a) => ({
            line: a.line, message: a.message, runs: a.runs, seeds: a.seeds.sort(byIndex).slice(0, MAX_ERROR_SEEDS).map((x) => x.seed),
          })),
          quantities: Object.fromEntries([...g.quantities.keys()].sort(order).map((name) => [name, orderStats(g.quantities.get(name)!.sort((a, b) => a - b))])),
        };
        if (g.variant !== undefined) s.variant = g.variant;
        return s;
      }),
    };
  }

  /** Each scenario's values of one quantity, sorted (for histograms); call after summary() or before, either way. */
  values(file: string, scenario: string, variant: number | undefined, quantity: string): number[] {
    const g = this.groups.get(`${file}\u0000${scenario}\u0000${variant ?? ''}`);
    return (g?.quantities.get(quantity) ?? []).slice().sort((a, b) => a - b);
  }
}

// What a sweep keeps of its runs. Outcomes are folded into the open cell of
// their (variant, scenario); once a cell has every run it will get, it is
// finished — its medians and counts go into typed arrays, its failing
// expectations and step errors (if any) into a sparse map — and the open
// cell is dropped. Items arrive in the plan's canonical order (scenario,
// variant, seed), so a sweep holds one open cell at a time and its memory
// grows by a few numbers per point, not by what the runs produced.
//
// The result does not depend on the order outcomes arrive in (a merge folds
// its parts in any order): failing seeds and errors are put in plan order
// (by item index) when a cell is finished.
import type { ItemOutcome } from './types';
import { appendTo } from '../model/map-of-lists';

export interface FailedExpectation { line: number; text: string; seeds: number[] }
export interface CellError { line: number; message: string; seeds: number[] }

/** A finished cell as the report reads it. */
export interface SweepCell {
  runs: number;
  passed: number;
  /** Expectations that failed in at least one run, by line. */
  failing: Map<number, FailedExpectation>;
  /** Step errors (and variants that did not validate), by `line\0message`, in plan order of first occurrence. */
  errors: Map<string, CellError>;
}

/** A hit in plan order: the item's index, then the position within the outcome. */
interface Hit { line: number; text: string; first: number; firstPos: number; idx: number[]; seeds: number[] }

interface OpenCell {
  runs: number;
  passed: number;
  /** Values of the kept metrics, one per run that measured it. */
  values: Map<string, number[]>;
  failing: Map<number, Hit>;
  errors: Map<string, Hit>;
}

export interface SweepAggregateOptions {
  /** Runs each (variant, scenario) cell gets: the plan's seed count (1 when each scenario runs with its own seed). */
  seedsPerCell: number;
  /** Metrics whose medians are kept (`pass_rate` always is); the others are dropped with the cell. */
  metrics?: readonly string[];
  /** Only the items this keeps arrive (a shard): a cell is complete once it has those. */
  keep?: (index: number) => boolean;
}

/** The median: the middle value, or the mean of the two middle ones. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const EMPTY_FAILING: ReadonlyMap<number, FailedExpectation> = new Map();
const EMPTY_ERRORS: ReadonlyMap<string, CellError> = new Map();

/** Seeds in plan order (by item index; arrival order is plan order unless parts were merged out of order). */
function seedsInOrder(h: Hit): number[] {
  let sorted = true;
  for (let i = 1; i < h.idx.length; i++) if (h.idx[i] < h.idx[i - 1]) { sorted = false; break; }
  if (sorted) return h.seeds.slice();
  return h.idx.map((ix, k) => [ix, h.seeds[k]]).sort((a, b) => a[0] - b[0]).map((p) => p[1]);
}

export class SweepAggregate {
  private readonly width: number;
  private readonly perCell: number;
  private readonly keep?: (index: number) => boolean;
  private readonly keptMetrics: readonly string[];
  private readonly runs: Uint32Array;
  private readonly passedCount: Uint32Array;
  private readonly finished: Uint8Array;
  private readonly medians = new Map<string, Float64Array>();
  /** Finished cells that had a failing expectation or a step error, by cell number. */
  private readonly failures = new Map<number, { failing: Map<number, FailedExpectation>; errors: Map<string, CellError> }>();
  private readonly open = new Map<number, OpenCell & { expected: number }>();
  /** Expectation texts and error messages, once each (every run of a point repeats them). */
  private readonly texts = new Map<string, string>();

  constructor(readonly variantCount: number, readonly scenarios: readonly string[], opts: SweepAggregateOptions) {
    this.width = Math.max(1, variantCount);
    this.perCell = Math.max(1, opts.seedsPerCell);
    this.keep = opts.keep;
    this.keptMetrics = [...new Set(opts.metrics ?? [])].filter((m) => m !== 'pass_rate');
    const n = this.width * scenarios.length;
    this.runs = new Uint32Array(n);
    this.passedCount = new Uint32Array(n);
    this.finished = new Uint8Array(n);
    for (const m of this.keptMetrics) this.medians.set(m, new Float64Array(n).fill(NaN));
  }

  /** Cells folded into but not yet finished (a sweep in plan order has at most one). */
  get openCells(): number { return this.open.size; }

  /** Finished cells that keep failing expectations or errors. */
  get cellsWithFailures(): number { return this.failures.size; }

  private intern(s: string): string {
    const t = this.texts.get(s);
    if (t !== undefined) return t;
    this.texts.set(s, s);
    return s;
  }

  /** The runs a cell will get: every seed, or those of the shard. */
  private expectedRuns(cell: number, scenario: number): number {
    if (!this.keep) return this.perCell;
    // Item numbers of a one-file plan: (scenario, variant, seed) in that order.
    const start = (scenario * this.width + (cell % this.width)) * this.perCell;
    let n = 0;
    for (let i = start; i < start + this.perCell; i++) if (this.keep(i)) n++;
    return n;
  }

  add(o: ItemOutcome): void {
    const s = this.scenarios.indexOf(o.scenario);
    const v = o.variant ?? 0;
    if (s < 0 || v < 0 || v >= this.width) return;
    const k = s * this.width + v;
    if (this.finished[k]) throw new Error(`holds item ${o.index} (scenario "${o.scenario}", variant ${v}, seed ${o.seed}) beyond the runs of its point`);
    let c = this.open.get(k);
    if (!c) {
      c = { runs: 0, passed: 0, values: new Map(), failing: new Map(), errors: new Map(), expected: this.expectedRuns(k, s) };
      this.open.set(k, c);
    }
    c.runs++;
    if (o.passed) c.passed++;
    for (const m of this.keptMetrics) {
      const x = o.quantities[m];
      if (x === undefined) continue;
      appendTo(c.values, m, x);
    }
    o.expectations.forEach((e, pos) => {
      if (!e.passed) this.hit(c.failing, e.line, e.line, e.text, o, pos);
    });
    o.errors.forEach((e, pos) => this.hit(c.errors, `${e.line}\u0000${e.message}`, e.line, e.message, o, pos));
    if (c.runs >= c.expected) this.finishCell(k);
  }

  private hit<K>(map: Map<K, Hit>, key: K, line: number, text: string, o: ItemOutcome, pos: number): void {
    const h = map.get(key);
    if (!h) { map.set(key, { line, text: this.intern(text), first: o.index, firstPos: pos, idx: [o.index], seeds: [o.seed] }); return; }
    // The text of the first occurrence in plan order, as a fold in plan order keeps it.
    if (o.index < h.first || (o.index === h.first && pos < h.firstPos)) { h.first = o.index; h.firstPos = pos; h.text = this.intern(text); }
    h.idx.push(o.index);
    h.seeds.push(o.seed);
  }

  private finishCell(k: number): void {
    const c = this.open.get(k);
    this.finished[k] = 1;
    if (!c) return;
    this.open.delete(k);
    this.runs[k] = c.runs;
    this.passedCount[k] = c.passed;
    for (const [m, vals] of c.values) {
      const med = median(vals);
      if (med !== undefined) this.medians.get(m)![k] = med;
    }
    if (c.failing.size === 0 && c.errors.size === 0) return;
    const byFirst = (a: Hit, b: Hit) => a.first - b.first || a.firstPos - b.firstPos;
    const failing = new Map<number, FailedExpectation>();
    for (const h of [...c.failing.values()].sort(byFirst)) failing.set(h.line, { line: h.line, text: h.text, seeds: seedsInOrder(h) });
    const errors = new Map<string, CellError>();
    for (const [key, h] of [...c.errors].sort((a, b) => byFirst(a[1], b[1]))) errors.set(key, { line: h.line, message: h.text, seeds: seedsInOrder(h) });
    this.failures.set(k, { failing, errors });
  }

  /** Finishes the cells still open (a run cut short, or a part's items missing); reading a cell does this. */
  finish(): void {
    for (const k of [...this.open.keys()]) this.finishCell(k);
  }

  /** A finished cell (reading finishes whatever is still open: no outcome may be added after). */
  cell(variant: number, scenario: number): SweepCell {
    if (this.open.size) this.finish();
    const k = scenario * this.width + variant;
    const f = this.failures.get(k);
    return {
      runs: this.runs[k], passed: this.passedCount[k],
      failing: f?.failing ?? (EMPTY_FAILING as Map<number, FailedExpectation>),
      errors: f?.errors ?? (EMPTY_ERRORS as Map<string, CellError>),
    };
  }

  /** The median of a kept metric in a cell; `pass_rate` is the share of runs that passed. */
  metric(variant: number, scenario: number, name: string): number | undefined {
    if (this.open.size) this.finish();
    const k = scenario * this.width + variant;
    if (name === 'pass_rate') return this.runs[k] ? this.passedCount[k] / this.runs[k] : undefined;
    const col = this.medians.get(name);
    if (!col) throw new Error(`sweep aggregate: metric '${name}' was not kept (kept: ${this.keptMetrics.join(', ') || 'none'})`);
    return Number.isNaN(col[k]) ? undefined : col[k];
  }

  /** Runs that passed, over every cell. */
  passed(): number {
    if (this.open.size) this.finish();
    let n = 0;
    for (const x of this.passedCount) n += x;
    return n;
  }
}

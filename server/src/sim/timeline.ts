// What happened when, for the results view's chart: fork phases per child,
// attestation exchanges, monitor decisions, and rates (pages received,
// attacker actions) counted in time bins. Simulated times only, so the same
// seed gives the same records. Rates never allocate per event: each series is
// a fixed array of bins whose width doubles (pairs merge) when the run
// outgrows it, so memory stays bounded however long the run.

export type TimelineRecordKind = 'fork-phase' | 'attestation' | 'monitor' | 'tap' | 'page-rate' | 'attack';

export interface TimelineRecord {
  kind: TimelineRecordKind;
  /** The chart row: a child, `verifier → target`, a monitor, a fork, an attacker. */
  lane: string;
  label: string;
  startMs: number;
  endMs?: number;
  /** The source line (1-based) of the step that caused it, when known. */
  line?: number;
  ok?: boolean;
  /** page-rate and attack: the count in the bin [startMs, endMs). */
  value?: number;
  /** Facts the results lack, for hovers (an attestation's nonce and signature algorithm). */
  facts?: Record<string, string>;
}

/** Bins per rate series. */
export const TIMELINE_BINS = 64;
/** The first bin width, in µs (doubled as needed). */
const FIRST_BIN_US = 1000;
/** Point and interval records beyond this are counted, not kept (a scenario with millions of syscalls). */
export const MAX_TIMELINE_RECORDS = 20_000;

interface Series { kind: 'page-rate' | 'attack'; lane: string; label: string; line?: number; bins: Float64Array }

export class Timeline {
  private readonly events: TimelineRecord[] = [];
  private readonly series: Series[] = [];
  private binUs = FIRST_BIN_US;
  /** Records not kept because of MAX_TIMELINE_RECORDS. */
  omitted = 0;

  add(r: TimelineRecord): void {
    if (this.events.length >= MAX_TIMELINE_RECORDS) { this.omitted++; return; }
    this.events.push(r);
  }

  /** A rate series; count into it with `count(id, atUs)`. */
  newSeries(kind: Series['kind'], lane: string, label: string, line?: number): number {
    this.series.push({ kind, lane, label, line, bins: new Float64Array(TIMELINE_BINS) });
    return this.series.length - 1;
  }

  /** Adds n to a series at a simulated time (µs). Hot path: no allocation. */
  count(id: number, atUs: number, n = 1): void {
    if (!(atUs >= 0)) atUs = 0;
    while (atUs >= this.binUs * TIMELINE_BINS && Number.isFinite(atUs)) this.widen();
    const b = Math.min(TIMELINE_BINS - 1, Math.floor(atUs / this.binUs));
    this.series[id].bins[b] += n;
  }

  private widen(): void {
    for (const s of this.series) {
      const b = s.bins;
      for (let i = 0; i < TIMELINE_BINS / 2; i++) b[i] = b[2 * i] + b[2 * i + 1];
      b.fill(0, TIMELINE_BINS / 2);
    }
    this.binUs *= 2;
  }

  /** Every record, in a stable order: intervals and points as they happened, then the non-empty bins of each series. */
  get records(): TimelineRecord[] {
    const out = this.events.slice();
    const w = this.binUs / 1000;
    for (const s of this.series) {
      if (!s.bins.some((v) => v > 0)) continue;
      let last = TIMELINE_BINS - 1;
      while (last > 0 && s.bins[last] === 0) last--;
      // Zero bins inside the span stay, so a rate line drops to zero where nothing came.
      for (let i = 0; i <= last; i++) {
        out.push({ kind: s.kind, lane: s.lane, label: s.label, startMs: i * w, endMs: (i + 1) * w, line: s.line, value: s.bins[i] });
      }
    }
    return out;
  }
}

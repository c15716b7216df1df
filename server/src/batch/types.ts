// The data of many runs (seeds, sweeps, ablations, shards). A work item is one
// scenario of one file with one seed at one variant; its outcome is small (no
// pages, no timeline), so thousands of them stream through without holding
// whole ScenarioResults. Items are numbered in one canonical order, which is
// what makes shards mergeable into exactly the unsharded result.

/** A text edit applied to a source file before an item runs (a sweep point or an ablation). Offsets are UTF-16, end exclusive. */
export interface SourceEdit { path: string; start: number; end: number; text: string }

/** One way of running the files other than as written: a sweep point or a defence switched off. */
export interface Variant {
  /** Stable identifier, e.g. "f.children=16,link.h1-h2.bandwidth=1Gbps" or "ablate:integrity@f". */
  id: string;
  /** What a person reads, e.g. "without integrity on f". */
  label: string;
  /** The varied paths and their values (empty for an ablation). */
  values: Record<string, string>;
  edits: SourceEdit[];
}

export interface WorkItem {
  /** Position in the canonical order (file, scenario, variant, seed). */
  index: number;
  file: string;
  scenario: string;
  seed: number;
  /** Index into the plan's variants; absent = the files as written. */
  variant?: number;
}

/** What an expectation saw, typed as `vmsec run --format json` gives it (a count is a number). */
export type Actual = string | number | boolean;

export interface ItemOutcome {
  index: number;
  file: string;
  scenario: string;
  seed: number;
  variant?: number;
  passed: boolean;
  /** Per expectation, in source order: its text, line, verdict and what was seen. */
  expectations: { text: string; line: number; passed: boolean; actual: Actual }[];
  /** Step errors (a failed step fails the scenario). */
  errors: { line: number; message: string }[];
  /** Measured quantities by name (see QUANTITIES); absent when the scenario has none of that kind. */
  quantities: Record<string, number>;
  /** Wall-clock milliseconds; the only field allowed to differ between equal runs. */
  wall_ms?: number;
}

/** The measured quantities of a scenario run, by name: `--metric` takes these names. */
export const QUANTITIES = {
  ready_ms: 'latest fork child ready time (simulated ms)',
  pages_sent: 'fork pages and disk blocks sent',
  pages_rejected: 'fork pages and disk blocks rejected by integrity checks (as expect F pages rejected counts them)',
  corrupted_accepted: 'tampered pages accepted',
  bytes_sent: 'bytes sent over the network',
  attestations_failed: 'attestations that failed',
  decisions: 'monitor decisions',
  delay_us_max: 'longest monitor decision delay (simulated µs)',
  move_ready_ms: 'latest restore/migrate ready time (simulated ms)',
  sim_ms: 'simulated time at the end (ms)',
} as const;
export type QuantityName = keyof typeof QUANTITIES;

/** A quantity over many runs: exact order statistics of the values seen. */
export interface QuantityStats { n: number; min: number; median: number; p95: number; max: number }

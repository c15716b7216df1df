// What a scenario run reports: the JSON of `vmsec run` (LANGUAGE.md §5) plus
// the steps, taps and run statistics. Wall-clock figures live only in
// `stats.wall_ms`, so two runs compare equal without it.
import type { Failure } from './attestation';
import type { TimelineRecord } from './timeline';
import type { TraceReport } from './trace-replay';

/** Where an item came from in the source: 1-based lines and columns (UTF-16
 *  code units, like LSP), the path absolute. Built only by RunOptions.locOf. */
export interface Loc { path: string; line: number; col: number; endLine: number; endCol: number }

export interface AttestationResult {
  verifier: string; target: string; kind: 'host' | 'vtpm'; passed: boolean;
  failures: Failure[]; attempts: number; fork: string; line: number; at_ms: number;
  /** The fork step's location (set by scenario.ts when the run ends). */
  loc?: Loc;
}
export interface PageCounts { sent: number; verified: number; rejected: number; fetched: number }
/**
 * Pages and disk blocks of some transfers counted as `expect F pages …`
 * counts them (LANGUAGE.md §3: every page or disk block that crosses a network
 * is checked); the seeds and sweep quantities use the same count.
 */
export function pageCount(transfers: readonly TransferResult[], which: keyof PageCounts): number {
  let n = 0;
  for (const t of transfers) n += t.pages[which] + t.blocks[which];
  return n;
}

export interface TransferResult {
  fork: string; child: string; host: string; created: boolean; ready_ms: number | null; state: string;
  ip: string; pages: PageCounts; blocks: PageCounts; descriptor: PageCounts; bytes: number; corrupted_accepted: number; dropped: number;
  writes_propagated: number; failed?: string;
  /** A child not created because its host was refused: which host and why (`failed` words it). */
  refused?: Refusal;
  /** When the child failed or was refused, counted from the fork step as `ready_ms` is (set with `failed`). */
  failed_ms?: number;
  /** A transient child discarded after the expectations (its `state` is the one they saw). */
  discarded?: boolean;
  /** The fork step's location (set by scenario.ts when the run ends). */
  loc?: Loc;
}
/** A host refused for a fork's children (no route, attestation failed). */
export interface Refusal { host: string; reason: string }
/** A refused child's `failed` text: `not created: H refused (WHY)`. */
export function refusalText(r: Refusal): string { return `not created: ${r.host} refused (${r.reason})`; }

export interface MonitorResult {
  monitor: string; vm: string; process: string; call: string;
  /** The rule that decided, `default`, or `escalate` for an escalation. */
  rule: string; action: string; delay_us: number; line: number;
  /** `buffer N block` in concurrent mode with the buffer full: how long the call was held until a slot freed (absent when not). */
  blocked_us?: number;
  /** When the decision was taken (simulated ms). */
  at_ms?: number;
  /** What the decision did to the VM once applied (paused, terminated, migrated…, refused…, monitor switched). */
  effect?: string;
  /** For an escalation: the violations that fired it. */
  fired?: string;
  /** For an escalation: how many violations, within what window (ms), fired it. */
  violations?: number; window_ms?: number;
  loc?: Loc;
}
export interface CheckpointResult { name: string; file: string; excluded: string[]; sanitized_pages: number; bytes: number; line: number; loc: Loc }
/** A VM image crossing the network: a restore's checkpoint file or a migration's memory. */
export interface MoveResult {
  kind: 'restore' | 'migrate'; vm: string; from: string; to: string; link: string;
  /** Bytes of the image, the chunks it was cut into, and the chunk messages sent (resends included). */
  bytes: number; chunks: number; sent: number;
  /** Chunks lost on the way, and chunks whose SHA-256 did not match at the receiver (each re-sent). */
  dropped: number; rejected: number;
  ready_ms: number | null; failed?: string; line: number;
  /** Who moved the VM when not a step: `monitor M rule R` or `monitor M escalation`. */
  by?: string;
  /** The restore/migrate step's location (set by scenario.ts when the run ends). */
  loc?: Loc;
}
export interface StepResult { line: number; at_ms: number; step: string; ok: boolean; outcome: string; loc: Loc }
export interface ExpectationResult {
  line: number; text: string; passed: boolean;
  /** What the expectation asks for, in the terms of `actual` (e.g. "== 1" against 0). */
  expected: string;
  actual: string | number | boolean; loc: Loc;
}
export interface TapResult { attacker: string; link: string; messages: number; bytes: number; confidential_seen: boolean }

export interface ScenarioResult {
  name: string; seed: number; passed: boolean; line: number;
  /** The scenario's title. */
  loc: Loc;
  steps: StepResult[];
  expectations: ExpectationResult[];
  attestations: AttestationResult[];
  transfers: TransferResult[];
  monitor: MonitorResult[];
  /**
   * Decisions not listed in `monitor`, per `monitor/rule`: `monitor` lists the
   * first LISTED (monitor.ts) of each rule from each source line. Absent when
   * every decision is listed.
   */
  monitor_more?: Record<string, number>;
  checkpoints: CheckpointResult[];
  moves: MoveResult[];
  taps: TapResult[];
  attacks: { tampered: number; dropped: number; replayed: number };
  errors: { line: number; message: string; loc: Loc }[];
  stats: { events: number; sim_ms: number; wall_ms: number; signatures: number; verifications: number; hashes: number; bytes_sent: number };
  /** Phases, exchanges and rates over simulated time (the results view's chart); left out of the CLI's JSON. */
  timeline?: TimelineRecord[];
  /** `--trace VM=LOG` replays: per-rule hits, first decisions, what was skipped. */
  traces?: TraceReport[];
}

export interface RunResult { file: string; scenarios: ScenarioResult[] }

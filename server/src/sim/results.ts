// What a scenario run reports: the JSON of `vmsec run` (LANGUAGE.md §5) plus
// the steps, taps and run statistics. Wall-clock figures live only in
// `stats.wall_ms`, so two runs compare equal without it.
import type { Failure } from './attestation';

export interface AttestationResult {
  verifier: string; target: string; kind: 'host' | 'vtpm'; passed: boolean;
  failures: Failure[]; attempts: number; fork: string; line: number; at_ms: number;
}
export interface PageCounts { sent: number; verified: number; rejected: number; fetched: number }
export interface TransferResult {
  fork: string; child: string; host: string; created: boolean; ready_ms: number | null; state: string;
  ip: string; pages: PageCounts; blocks: PageCounts; descriptor: PageCounts; bytes: number; corrupted_accepted: number; dropped: number;
  writes_propagated: number; failed?: string;
}
export interface MonitorResult { monitor: string; vm: string; process: string; call: string; rule: string; action: string; delay_us: number; line: number }
export interface CheckpointResult { name: string; file: string; excluded: string[]; sanitized_pages: number; bytes: number; line: number }
/** A VM image crossing the network: a restore's checkpoint file or a migration's memory. */
export interface MoveResult {
  kind: 'restore' | 'migrate'; vm: string; from: string; to: string; link: string;
  /** Bytes of the image, the chunks it was cut into, and the chunk messages sent (resends included). */
  bytes: number; chunks: number; sent: number;
  /** Chunks lost on the way, and chunks whose SHA-256 did not match at the receiver (each re-sent). */
  dropped: number; rejected: number;
  ready_ms: number | null; failed?: string; line: number;
}
export interface StepResult { line: number; at_ms: number; step: string; ok: boolean; outcome: string }
export interface ExpectationResult { line: number; text: string; passed: boolean; actual: string | number | boolean }
export interface TapResult { attacker: string; link: string; messages: number; bytes: number; confidential_seen: boolean }

export interface ScenarioResult {
  name: string; seed: number; passed: boolean; line: number;
  steps: StepResult[];
  expectations: ExpectationResult[];
  attestations: AttestationResult[];
  transfers: TransferResult[];
  monitor: MonitorResult[];
  checkpoints: CheckpointResult[];
  moves: MoveResult[];
  taps: TapResult[];
  attacks: { tampered: number; dropped: number; replayed: number };
  errors: { line: number; message: string }[];
  stats: { events: number; sim_ms: number; wall_ms: number; signatures: number; verifications: number; hashes: number; bytes_sent: number };
}

export interface RunResult { file: string; scenarios: ScenarioResult[] }

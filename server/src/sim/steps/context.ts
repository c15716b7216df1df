// What every step module works with: the scenario's running state (built once
// by scenario.ts) and the step being run (its line, location, time, and how it
// reports). A step module reads and changes the state; it never builds it.
import type * as A from '../../../../grammar/src/ast';
import type { HostModel, SemanticModel } from '../../model/semantic';
import type { Costs } from '../costs';
import type { ForkRun } from '../fork';
import type { Monitors } from '../monitor';
import type { CertificateAuthority } from '../certificates';
import type { Loc, ScenarioResult } from '../results';
import type { VmRuntime, World } from '../world';

export interface RunOptions {
  costs?: Partial<Costs>;
  /** Where checkpoint files go instead of beside the declaring file (tests, CI); writes stay inside it. */
  checkpointDir?: string;
  /** Checkpoint files beside their declaring file stay inside this folder (default: the root file's folder). */
  workspaceRoot?: string;
  /** The largest checkpoint file a run writes (default: the checkpoint module's, 1 GiB). */
  maxCheckpointBytes?: number;
  /** `--trace VM=LOG`: strace logs replayed into VMs' monitors from time 0 (docs/traces.md). */
  traces?: { vm: string; path: string }[];
  /** How the user raises that limit, for the refusal's message (default: the CLI flag). */
  checkpointLimitHint?: string;
  /** Events one step may cause before it is stopped (tests; default 50 million). */
  maxEventsPerStep?: number;
  /** Image bytes a run may send over links an attacker reads (tests; default sim/migration.ts's 4 GiB). */
  maxObservedImageBytes?: number;
  /** Lines of the file, for expectation texts and step lines. */
  lineOf: (span: A.Span) => number;
  textOf: (span: A.Span) => string;
  /** Replaces the scenario's own `seed` (an editor's "run with seed"). */
  seed?: number;
  /** Every result item's location (file + range); default: from the file set's own texts. */
  locOf?: (path: string, span: A.Span) => Loc;
  /** Receives the world after the run (for exporting quotes). */
  onWorld?: (scenario: string, world: World) => void;
}

/** A write to a shared file (or a certificate presented for one) and its verdict, for `expect write`. */
export interface WriteRecord { vm: string; path: string; allowed: boolean; why: string }

/** One scenario's running state, shared by the step modules. */
export interface ScenarioState {
  world: World;
  model: SemanticModel;
  seed: number;
  options: RunOptions;
  result: ScenarioResult;
  monitors: Monitors;
  cas: CertificateAuthority;
  /** Every fork started so far, in step order. */
  forks: ForkRun[];
  /** Each checkpoint's excluded processes (its latest taking). */
  excludedBy: Map<string, string[]>;
  /** Processes a restored VM came back without (sanitised out of its checkpoint). */
  lost: Map<string, Set<string>>;
  writes: WriteRecord[];
  /** The host each checkpoint's file was written on (its latest taking). */
  takenOn: Map<string, HostModel>;
  /** Each fork's latest step location: items the fork module pushes carry only the fork's name. */
  forkLocs: Map<string, Loc>;
  /** Checkpoint files stay inside this folder (--checkpoint-dir, else the workspace). */
  writeRoot: string;
}

/** The step being run. */
export interface StepCall {
  line: number;
  loc: Loc;
  /** The simulated time the step runs at, in ms. */
  atMs: number;
  /** Records the step's outcome (an error also goes to the scenario's errors). */
  report: (ok: boolean, outcome: string) => void;
  /** The VM a step acts on, or undefined once the step is reported as an error (missing, failed, terminated, not ready). */
  vmNamed: (r: A.VmRef, what: string) => VmRuntime | undefined;
}

export type StepBody<K extends A.StepBody['kind'] = A.StepBody['kind']> = Extract<A.StepBody, { kind: K }>;

/** One step kind's meaning. */
export type StepHandler<K extends A.StepBody['kind']> = (s: ScenarioState, body: StepBody<K>, step: StepCall) => void;

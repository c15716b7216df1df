// The custom LSP surface of vmsec (issue 10), typed once and imported by both
// the server (lsp/) and the client (client/src). Plain JSON types only: no
// vscode, vscode-languageserver or simulator imports, so any side can use it.
// docs/protocol.md describes it for other editors.
import type { ScenarioRunView } from './report/view-model';
import type { AblationView, SweepView } from './report/sweep-view';

export type { ScenarioRunView, AblationView, SweepView };

/** Commands served by the server's workspace/executeCommand (advertised in
 *  executeCommandProvider.commands). vscode-languageclient registers them in
 *  VS Code automatically: the client must NOT register these ids itself. */
export const Commands = {
  runScenario: 'vmsec.runScenario',   // args: [{ uri: string; scenario: string }]
  runFile: 'vmsec.runFile',           // args: [{ uri: string }]
  runWorkspace: 'vmsec.runWorkspace', // args: []
  stop: 'vmsec.stopRuns',             // args: [] or [{ uri: string; scenario?: string }]
  runSeeds: 'vmsec.runSeeds',         // args: [{ uri: string; scenario?: string; seeds: string }] → SeedsResult
  sweep: 'vmsec.sweep',               // args: [SweepArgs] → SweepResult
} as const;

export interface RunScenarioArgs { uri: string; scenario: string }
export interface RunFileArgs { uri: string }
export interface StopArgs { uri: string; scenario?: string }
/** `seeds` as the CLI's --seeds takes it: "1..100", "3,7,9", "1..10,42". No scenario: every scenario of the file. */
export interface RunSeedsArgs { uri: string; scenario?: string; seeds: string }

/** 0-based LSP range. */
export interface Range0 { start: { line: number; character: number }; end: { line: number; character: number } }

export interface ScenarioInfo {
  name: string; uri: string; range: Range0;
  steps: { text: string; range: Range0 }[];
  expectations: { text: string; range: Range0 }[];
}

export interface ItemLoc { uri: string; range: Range0 }

export interface RunSummary { uri: string; scenarios: { name: string; passed: boolean; cancelled?: boolean; error?: string }[] }

export interface RunResultNotification {
  uri: string; version: number | null; runId: string; startedAt: string; durationMs: number;
  scenario: ScenarioRunView;
}

/** One expectation over many seeds (the CLI's --seeds numbers; ranges 0-based). */
export interface SeedsExpectation {
  text: string; range: Range0;
  runs: number; passed: number; rate: number;
  /** 95% Wilson score interval of the pass rate. */
  ci: [number, number];
  /** The first failing seeds in seed order (at most 100), and how many failed in all. */
  failingSeeds: number[]; failingCount: number;
  /** What the first failing seed saw. */
  firstFailure?: { seed: number; actual: string };
}

/** A measured quantity over the runs (the CLI's QUANTITIES), with a histogram of its values. */
export interface SeedsQuantity {
  name: string; description: string;
  n: number; min: number; median: number; p95: number; max: number;
  histogram: { from: number; to: number; count: number }[];
}

/** One scenario run once per seed. */
export interface SeedsScenario {
  name: string; uri: string; range: Range0;
  runs: number; passed: number; rate: number; ci: [number, number];
  failingSeeds: number[]; failingCount: number;
  /** The command that runs the first failing seed again (absent when every seed passed). */
  reproduce?: string;
  expectations: SeedsExpectation[];
  /** Step errors by line: how many runs had one there, the first message, the first seeds. */
  errors: { range: Range0; message: string; runs: number; seeds: number[] }[];
  quantities: SeedsQuantity[];
  /** The scenario did not finish: stopped, or it could not run (why). */
  cancelled?: boolean; error?: string;
}

/** What vmsec.runSeeds / vmsec/runSeeds answer, and vmsec/seedsResult carries. */
export interface SeedsResult {
  uri: string; version: number | null;
  /** The seeds as short text ("1..100"). */
  seeds: string;
  runId: string; startedAt: string; durationMs: number;
  /** Runs finished and passed, over all scenarios. */
  runs: number; passed: number;
  scenarios: SeedsScenario[];
}

export interface RunSeedsParams extends RunSeedsArgs { workDoneToken?: string | number }

/**
 * A sweep (`vary`: the CLI's --vary texts, e.g. "f.children=2,4,8"; `metrics`:
 * its --metric names; `seeds`: its --seeds; `samples`: its --samples) or an
 * ablation (`ablate: true`) of the file's scenarios (or of one).
 */
export interface SweepArgs { uri: string; vary?: string[]; ablate?: boolean; metrics?: string[]; seeds?: string; samples?: number; scenario?: string }
export interface SweepParams extends SweepArgs { workDoneToken?: string | number }

/** A wrong varied path or value, located in the file when the path got that far. */
export interface SweepProblem { message: string; uri?: string; range?: Range0 }

/** What the sweep worker answers: the view, or why the sweep did not run. */
export type SweepOutcome =
  | { ok: true; view: SweepView | AblationView; runs: number; passed: number }
  | { ok: false; message: string; problems: SweepProblem[] };

/** What vmsec.sweep / vmsec/sweep answer. */
export interface SweepResult {
  uri: string; version: number | null;
  runId: string; startedAt: string; durationMs: number;
  /** Runs finished and passed, over every point (or ablation) and scenario. */
  runs: number; passed: number;
  /** `vmsec sweep --format json`'s object (without its "vmsec_sweep" marker): points × metrics and pass rates, or what each defence carries. */
  view: SweepView | AblationView;
}

export interface ScenariosParams { uri: string }
export interface ScenariosResult { scenarios: ScenarioInfo[] }
export interface RunParams { uri: string; scenario?: string; seed?: number; workDoneToken?: string | number }
export interface RunStateNotification { running: { uri: string; scenario: string }[] }
export interface SetTrustedNotification { trusted: boolean }

/** Method names of the custom requests and notifications. */
export const Methods = {
  scenarios: 'vmsec/scenarios',     // request  ScenariosParams → ScenariosResult
  run: 'vmsec/run',                 // request  RunParams → RunSummary; cancellable ($/cancelRequest stops the run)
  runResult: 'vmsec/runResult',     // notification server → client: RunResultNotification, after every finished run of a scenario
  runState: 'vmsec/runState',       // notification server → client: RunStateNotification, whenever the running set changes
  setTrusted: 'vmsec/setTrusted',   // notification client → server: SetTrustedNotification
  runSeeds: 'vmsec/runSeeds',       // request  RunSeedsParams → SeedsResult; cancellable like vmsec/run
  seedsResult: 'vmsec/seedsResult', // notification server → client: SeedsResult, after every finished seeds run
  sweep: 'vmsec/sweep',             // request  SweepParams → SweepResult; cancellable like vmsec/run; wrong paths: error with data { problems: SweepProblem[] }
} as const;

/** What the server advertises in capabilities.experimental.vmsec. */
export interface VmsecCapabilities { run: boolean; scenarios: boolean; runResult: boolean; runState: boolean; setTrusted: boolean; runSeeds: boolean; seedsResult: boolean; sweep: boolean }

/** initializationOptions the server reads (all optional). */
export interface VmsecInitializationOptions {
  /** false in an untrusted workspace: runs are refused (default true, for editors without workspace trust). */
  trusted?: boolean;
  /** e.g. "1GiB" (the default): the largest checkpoint file a run may write. */
  maxCheckpointSize?: string;
}

/** The error message of a run refused in an untrusted workspace. */
export const UNTRUSTED_MESSAGE = 'running scenarios is disabled in an untrusted workspace';

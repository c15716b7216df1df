// What the language server and its run worker say to each other (one worker per run of a scenario or a file).
import type { ScenarioRunView } from '../../report/view-model';
import type { SeedsScenario, SweepArgs, SweepOutcome } from '../../protocol';

export interface RunJob {
  /** The file whose scenarios run, and the URI the client knows it by. */
  path: string; uri: string;
  /** Texts of the open documents by path, so unsaved edits run. */
  texts: [string, string][];
  /** One scenario, or all of the file's. */
  scenario?: string;
  workspaceRoot: string;
  maxCheckpointBytes: number;
  seed?: number;
  /** Run the scenario once per seed (the batch engine) instead of once. */
  seeds?: number[];
  /** Worker threads the seeds run or sweep may use (default 1: the run worker itself). */
  jobs?: number;
  /** Run a sweep or an ablation of the file (sweep-batch.ts) instead. */
  sweep?: Omit<SweepArgs, 'uri'>;
}

export type WorkerMessage =
  | { kind: 'scenario'; view: ScenarioRunView; wallMs: number }
  | { kind: 'progress'; done: number; failed: number; total: number }
  | { kind: 'seeds'; scenario: SeedsScenario }
  | { kind: 'sweep'; outcome: SweepOutcome }
  | { kind: 'done'; status: 'ran' | 'invalid' | 'no-scenario' | 'unreadable' | 'crashed'; message?: string };

// What the language server and its run worker say to each other (one worker per run of a scenario or a file).
import type { ScenarioRunView } from '../../report/view-model';
import type { SeedsScenario } from '../../protocol';

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
  /** Worker threads the seeds run may use (default 1: the run worker itself). */
  jobs?: number;
}

export type WorkerMessage =
  | { kind: 'scenario'; view: ScenarioRunView; wallMs: number }
  | { kind: 'progress'; done: number; failed: number; total: number }
  | { kind: 'seeds'; scenario: SeedsScenario }
  | { kind: 'done'; status: 'ran' | 'invalid' | 'no-scenario' | 'unreadable' | 'crashed'; message?: string };

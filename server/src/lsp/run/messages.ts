// What the language server and its run worker say to each other (one worker per run of a scenario or a file).
import type { ScenarioRunView } from '../../report/view-model';

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
}

export type WorkerMessage =
  | { kind: 'scenario'; view: ScenarioRunView; wallMs: number }
  | { kind: 'done'; status: 'ran' | 'invalid' | 'no-scenario' | 'unreadable' | 'crashed'; message?: string };

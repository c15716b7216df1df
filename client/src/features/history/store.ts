// Every finished run of a scenario, the last N (vmsec.history.size) per
// scenario, in the workspace's storage; a pinned run is kept beside them and
// is the baseline for "changes since" until unpinned.
import type * as vscode from 'vscode';
import type { RunResultNotification, ScenarioRunView } from '../../../../server/src/protocol';

export interface HistoryEntry { runId: string; startedAt: string; durationMs: number; view: ScenarioRunView }
interface ScenarioHistory { runs: HistoryEntry[]; pinned?: HistoryEntry }

const KEY = 'vmsec.history.v1';

export class RunHistory {
  constructor(private readonly state: vscode.Memento, private readonly size: () => number) {}

  private all(): Record<string, ScenarioHistory> { return this.state.get<Record<string, ScenarioHistory>>(KEY, {}); }

  /** The runs of a scenario, oldest first. */
  runs(key: string): HistoryEntry[] { return this.all()[key]?.runs ?? []; }
  pinned(key: string): HistoryEntry | undefined { return this.all()[key]?.pinned; }

  async record(key: string, r: RunResultNotification): Promise<void> {
    const all = this.all();
    const h = all[key] ?? { runs: [] };
    // The whole view, raw result included: the report's diffViews compares raw facts.
    const entry: HistoryEntry = { runId: r.runId, startedAt: r.startedAt, durationMs: r.durationMs, view: r.scenario };
    h.runs = [...h.runs.filter((e) => e.runId !== r.runId), entry].slice(-Math.max(1, this.size()));
    all[key] = h;
    await this.state.update(KEY, all);
  }

  /** What the run `runId` is compared with: the pinned run, else the run before it. */
  baseline(key: string, runId: string): HistoryEntry | undefined {
    const h = this.all()[key];
    if (!h) return undefined;
    if (h.pinned && h.pinned.runId !== runId) return h.pinned;
    const i = h.runs.findIndex((e) => e.runId === runId);
    return i > 0 ? h.runs[i - 1] : i < 0 ? h.runs.at(-1) : undefined;
  }

  /** Pins a run (the latest when no id is given); returns the pinned entry. */
  async pin(key: string, runId?: string): Promise<HistoryEntry | undefined> {
    const all = this.all();
    const h = all[key];
    const e = h && (runId ? h.runs.find((x) => x.runId === runId) : h.runs.at(-1));
    if (!h || !e) return undefined;
    h.pinned = e;
    await this.state.update(KEY, all);
    return e;
  }

  async unpin(key: string): Promise<void> {
    const all = this.all();
    if (all[key]) { delete all[key].pinned; await this.state.update(KEY, all); }
  }
}

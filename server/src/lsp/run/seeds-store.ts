// The results of finished seeds runs, per document and scenario, kept like
// single runs' (results-store.ts): a scenario's next seeds run replaces its
// own, and an item stays only while the text of its lines is what ran.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Range0, SeedsScenario } from '../../protocol';
import { sameLines } from './results-store';

export interface StoredSeeds {
  scenario: SeedsScenario;
  /** The seeds as short text ("1..100"). */
  seeds: string;
  /** The document's text the run used. */
  ranText: TextDocument;
  runId: string; durationMs: number;
}

export class SeedsResults {
  private readonly byUri = new Map<string, Map<string, StoredSeeds>>();

  set(uri: string, run: StoredSeeds): void {
    let m = this.byUri.get(uri);
    if (!m) this.byUri.set(uri, m = new Map());
    m.set(run.scenario.name, run);
  }

  clear(uri: string, scenario?: string): boolean {
    const m = this.byUri.get(uri);
    if (!m) return false;
    if (scenario === undefined) return this.byUri.delete(uri);
    const had = m.delete(scenario);
    if (!m.size) this.byUri.delete(uri);
    return had;
  }

  runs(uri: string): StoredSeeds[] { return [...(this.byUri.get(uri)?.values() ?? [])]; }
  has(uri: string): boolean { return this.byUri.has(uri); }

  /** Drops what the current text no longer matches; true when anything went. */
  prune(uri: string, current: TextDocument): boolean {
    const m = this.byUri.get(uri);
    if (!m) return false;
    let changed = false;
    for (const [name, run] of m) {
      const same = (r: Range0) => sameLines(run.ranText, current, r.start.line, r.end.line);
      const s = run.scenario;
      if (!sameLines(run.ranText, current, s.range.start.line, s.range.start.line)) { m.delete(name); changed = true; continue; }
      const expectations = s.expectations.filter((e) => same(e.range));
      const errors = s.errors.filter((e) => same(e.range));
      if (expectations.length !== s.expectations.length || errors.length !== s.errors.length) {
        run.scenario = { ...s, expectations, errors };
        changed = true;
      }
    }
    if (!m.size) this.byUri.delete(uri);
    return changed;
  }
}


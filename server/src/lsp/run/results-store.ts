// The results of finished runs, per document and scenario: results of
// different scenarios accumulate; a scenario's next run replaces its own. An
// item stays only while the text of its lines is what ran: an edit under it
// drops it (the inline text, the diagnostic, the hover detail). The view of
// each scenario's last finished run is kept too, so that the next run can say
// what changed since it ("rejected pages 0 → 12").
import { TextDocument } from 'vscode-languageserver-textdocument';
import { diffViews, type ItemLoc, type ScenarioRunView } from '../../report/view-model';

export interface Change { loc?: ItemLoc; text: string }

export interface StoredRun {
  view: ScenarioRunView;
  /** The document's text the run used (the lines items are checked against). */
  ranText: TextDocument;
  runId: string; startedAt: string; durationMs: number;
  /** What changed since the scenario's previous finished run (set by `set`). */
  changes?: Change[];
  /** The run's verdict as counted when it finished (set by `set`): edits prune
   *  the view's expectations, not what the run said. */
  tally?: Tally;
}

/** What the CLI's summary counts: `passed: 6/7 expectations, 1 error`. */
export interface Tally { passed: boolean; expectationsPassed: number; expectations: number; errors: number }

export function tallyOf(view: ScenarioRunView): Tally {
  return { passed: view.passed, expectationsPassed: view.expectations.filter((e) => e.passed).length, expectations: view.expectations.length, errors: view.errors.length };
}

export class RunResults {
  private readonly byUri = new Map<string, Map<string, StoredRun>>();
  /** uri → scenario → the whole view of its last finished run (unpruned: the
   *  baseline of the next run's changes, even after edits or a cleared result). */
  private readonly lastViews = new Map<string, Map<string, ScenarioRunView>>();

  set(uri: string, run: StoredRun): void {
    let m = this.byUri.get(uri);
    if (!m) this.byUri.set(uri, m = new Map());
    let last = this.lastViews.get(uri);
    if (!last) this.lastViews.set(uri, last = new Map());
    const previous = last.get(run.view.name);
    run.changes = previous ? diffViews(previous, run.view) : [];
    run.tally = tallyOf(run.view);
    last.set(run.view.name, run.view);
    m.set(run.view.name, run);
  }

  /** Forgets a scenario's result (its next run has started), or all of a document's. */
  clear(uri: string, scenario?: string): boolean {
    const m = this.byUri.get(uri);
    if (!m) { if (scenario === undefined) this.lastViews.delete(uri); return false; }
    // A closed document forgets its baselines too (they hold whole results).
    if (scenario === undefined) { this.lastViews.delete(uri); return this.byUri.delete(uri); }
    const had = m.delete(scenario);
    if (!m.size) this.byUri.delete(uri);
    return had;
  }

  runs(uri: string): StoredRun[] { return [...(this.byUri.get(uri)?.values() ?? [])]; }
  has(uri: string): boolean { return this.byUri.has(uri); }
  uris(): string[] { return [...this.byUri.keys()]; }

  /** Drops what the current text no longer matches; true when anything went. */
  prune(uri: string, current: TextDocument): boolean {
    const m = this.byUri.get(uri);
    if (!m) return false;
    let changed = false;
    for (const [name, run] of m) {
      const same = (loc: ItemLoc) => loc.uri !== uri || sameLines(run.ranText, current, loc.range.start.line, loc.range.end.line);
      // The scenario's title line changed: the whole result goes (it may be another scenario now).
      if (!sameLines(run.ranText, current, run.view.range.start.line, run.view.range.start.line)) { m.delete(name); changed = true; continue; }
      const v = run.view;
      const inline = v.inline.filter((i) => same(i.loc));
      const expectations = v.expectations.filter((e) => same(e.loc));
      const errors = v.errors.filter((e) => same(e.loc));
      if (inline.length !== v.inline.length || expectations.length !== v.expectations.length || errors.length !== v.errors.length) {
        run.view = { ...v, inline, expectations, errors };
        changed = true;
      }
      // A change located on an edited line goes with that line's result.
      if (run.changes?.some((c) => c.loc && !same(c.loc))) { run.changes = run.changes.filter((c) => !c.loc || same(c.loc)); changed = true; }
    }
    if (!m.size) this.byUri.delete(uri);
    return changed;
  }
}

/** Whether lines from..to read the same in both texts (a result stays while the text under it does). */
export function sameLines(a: TextDocument, b: TextDocument, from: number, to: number): boolean {
  if (to >= a.lineCount || to >= b.lineCount) return false;
  const r = { start: { line: from, character: 0 }, end: { line: to + 1, character: 0 } };
  return a.getText(r) === b.getText(r);
}

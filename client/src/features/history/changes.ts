// What the hover of a line says about the change since the pinned run (no
// vscode here, so it is unit-tested): the diff items located on the line, or
// all of a scenario's on its title line, with lines followed through the
// edits made since the run (an edited line's item goes, as the server's do).
import { diffViews, type ScenarioRunView } from '../../../../server/src/report/view-model';

/** One text change, in lines of the text before it: lines start..end were replaced by end-start+1+delta lines. */
export interface LineEdit { start: number; end: number; delta: number }

/** Where a line of the run's text is now, or undefined when an edit touched it. */
export function mapLine(line: number, edits: readonly LineEdit[]): number | undefined {
  let l = line;
  for (const e of edits) {
    if (l < e.start) continue;
    if (l > e.end) { l += e.delta; continue; }
    return undefined;
  }
  return l;
}

/** The diff items of `current` against `baseline` shown on the (current) line `line`. */
export function changesOnLine(baseline: ScenarioRunView, current: ScenarioRunView, line: number, edits: readonly LineEdit[]): string[] {
  const title = mapLine(current.range.start.line, edits);
  if (title === undefined) return []; // the scenario's title changed: it may be another scenario now
  const out: string[] = [];
  for (const d of diffViews(baseline, current)) {
    const r = d.loc?.range;
    // The scenario's own verdict (its range is the whole scenario), and items of other files: on the title line only.
    const whole = !r || d.loc!.uri !== current.uri || (r.start.line === current.range.start.line && r.end.line === current.range.end.line);
    if (whole) { if (line === title) out.push(d.text); continue; }
    const from = mapLine(r.start.line, edits);
    const to = mapLine(r.end.line, edits);
    if (from === undefined || to === undefined) continue; // an edited line: its change went with its result
    if (line === title || (from <= line && line <= to)) out.push(d.text);
  }
  return [...new Set(out)];
}

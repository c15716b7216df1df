// What a sweep or an ablation shows, built once from the aggregate and
// printed as text or JSON (the HTML page, sweep-html.ts, reads the same view).
// Numbers are medians over the seeds of a point; `pass_rate` is a share.
import type { SweepAggregate, FailedExpectation } from '../batch/sweep-aggregate';
import { escapeControl, recordLines } from '../model/escape-text';
import { plural } from './words';
import { appendTo } from '../model/map-of-lists';

export interface CellView {
  scenario: string;
  runs: number;
  passed: number;
  pass_rate: number;
  /** Median per metric; null when no run of the point measured it. */
  metrics: Record<string, number | null>;
  failing: FailedExpectation[];
  errors: { line: number; message: string; seeds: number[] }[];
}

export interface SweepView {
  kind: 'sweep';
  file: string;
  seeds: string;
  axes: { path: string; values: string[] }[];
  metrics: string[];
  scenarios: string[];
  /** Points in grid order (a sample keeps grid order too). */
  points: { id: string; values: Record<string, string>; cells: CellView[] }[];
  /** Grid size, when a sample was run. */
  gridSize?: number;
}

export interface DefenceView {
  id: string;
  label: string;
  file: string;
  line: number;
  /** Expectations that pass as written (every seed) but fail without the defence. */
  carries: { scenario: string; line: number; text: string; seeds: number[] }[];
  /** Step errors that appear only without the defence. */
  errors: { scenario: string; line: number; message: string; seeds: number[] }[];
}

export interface AblationView {
  kind: 'ablation';
  file: string;
  seeds: string;
  scenarios: string[];
  baseline: CellView[];
  defences: DefenceView[];
  refused: { id: string; label: string; file: string; line: number; reason: string }[];
}

function cellView(agg: SweepAggregate, v: number, s: number, metrics: readonly string[]): CellView {
  const c = agg.cell(v, s);
  const m: Record<string, number | null> = {};
  for (const name of metrics) m[name] = agg.metric(v, s, name) ?? null;
  return {
    scenario: agg.scenarios[s], runs: c.runs, passed: c.passed, pass_rate: c.runs ? c.passed / c.runs : 0, metrics: m,
    failing: [...c.failing.values()].sort((a, b) => a.line - b.line),
    errors: [...c.errors.values()].sort((a, b) => a.line - b.line),
  };
}

/** What a row of the sweep names: the point's id and its values. */
export interface PointLabels { id: string; values: Record<string, string> }

/** `points.at(i)` is read once per row as the row is made (a plan makes the point then). */
export function sweepView(args: {
  file: string; seeds: string; axes: { path: string; values: string[] }[]; metrics: string[];
  points: { count: number; at(i: number): PointLabels }; agg: SweepAggregate; gridSize?: number;
}): SweepView {
  const { agg, points } = args;
  const rows: SweepView['points'] = new Array(points.count);
  for (let i = 0; i < points.count; i++) {
    const { id, values } = points.at(i);
    rows[i] = { id, values, cells: agg.scenarios.map((_, s) => cellView(agg, i, s, args.metrics)) };
  }
  return {
    kind: 'sweep', file: args.file, seeds: args.seeds, axes: args.axes, metrics: args.metrics, scenarios: [...agg.scenarios],
    points: rows,
    ...(args.gridSize !== undefined && args.gridSize !== points.count ? { gridSize: args.gridSize } : {}),
  };
}

/**
 * Variant 0 is the files as written; variants 1.. are the defences in order.
 * A defence carries an expectation that never fails as written and fails in
 * at least one seed without it.
 */
export function ablationView(args: {
  file: string; seeds: string; agg: SweepAggregate;
  defences: { id: string; label: string; file: string; line: number }[];
  refused: { id: string; label: string; file: string; line: number; reason: string }[];
}): AblationView {
  const { agg } = args;
  const scenarios = [...agg.scenarios];
  const baseline = scenarios.map((_, s) => cellView(agg, 0, s, []));
  const defences = args.defences.map((d, i): DefenceView => {
    const carries: DefenceView['carries'] = [];
    const errors: DefenceView['errors'] = [];
    scenarios.forEach((scenario, s) => {
      const base = agg.cell(0, s);
      const without = agg.cell(i + 1, s);
      for (const f of [...without.failing.values()].sort((a, b) => a.line - b.line)) {
        if (!base.failing.has(f.line)) carries.push({ scenario, line: f.line, text: f.text, seeds: f.seeds });
      }
      for (const [key, e] of without.errors) if (!base.errors.has(key)) errors.push({ scenario, ...e });
    });
    return { ...d, carries, errors };
  });
  return { kind: 'ablation', file: args.file, seeds: args.seeds, scenarios, baseline, defences, refused: args.refused };
}

/** A number as a table shows it: at most three decimals, no trailing zeros. */
export function numberText(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (Number.isInteger(x)) return String(x);
  return String(Math.round(x * 1000) / 1000);
}

/** A cell of the text table: pass_rate as a percentage (one decimal), other metrics as numbers. */
export function metricText(metric: string, x: number | null | undefined): string {
  if (metric !== 'pass_rate' || x === null || x === undefined) return numberText(x);
  return `${(x * 100).toFixed(1)}%`;
}

/** Columns padded to their widths; cells escaped first, so a value's newline neither breaks a row nor the padding. */
function table(raw: string[][]): string[] {
  const rows = raw.map((r) => r.map(escapeControl));
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  return rows.map((r) => r.map((c, k) => (k === r.length - 1 ? c : c.padEnd(widths[k]))).join('  ').trimEnd());
}


export function formatSweepText(v: SweepView): string {
  const out: string[] = [];
  const runs = v.points.reduce((n, p) => n + p.cells.reduce((m, c) => m + c.runs, 0), 0);
  const sample = v.gridSize !== undefined ? ` (a sample of ${v.gridSize.toLocaleString('en-US')})` : '';
  out.push(`vmsec sweep of ${v.file}: ${v.axes.map((a) => `${a.path} (${a.values.length})`).join(' × ')}, ${plural(v.points.length, 'point')}${sample}, seeds ${v.seeds}, ${plural(runs, 'run')}`);
  // pass_rate is a column like the others (a share of runs, as a percentage), not a median.
  const medians = v.metrics.some((m) => m !== 'pass_rate');
  v.scenarios.forEach((name, s) => {
    out.push('', `scenario "${name}"${medians ? ' (medians over seeds)' : ''}`);
    const rows = [[...v.axes.map((a) => a.path), ...v.metrics, 'passed']];
    for (const p of v.points) {
      const c = p.cells[s];
      rows.push([...v.axes.map((a) => p.values[a.path]), ...v.metrics.map((m) => metricText(m, c.metrics[m])), `${c.passed}/${c.runs}`]);
    }
    out.push(...table(rows).map((l) => `  ${l}`));
    // Why points fail, once per distinct reason, so the table stays readable.
    const reasons = new Map<string, string[]>();
    const at = (why: string, id: string) => appendTo(reasons, why, id);
    for (const p of v.points) {
      const c = p.cells[s];
      for (const e of c.errors) at(`line ${e.line}: ${e.message}`, p.id);
      for (const f of c.failing) at(`line ${f.line}: ${f.text} failed`, p.id);
    }
    for (const [why, ids] of reasons) out.push(`  ${why} at ${ids.length === v.points.length ? 'every point' : ids.length <= 3 ? ids.join('; ') : `${ids.length} points`}`);
  });
  // One line per entry, whatever a title, value or message holds.
  return recordLines(out);
}

export function formatAblationText(v: AblationView): string {
  const out: string[] = [];
  // A defence declared in an imported file is named with its file.
  const where = (file: string, line: number) => (file === v.file ? `line ${line}` : `${file}:${line}`);
  const passing = v.baseline.filter((c) => c.passed === c.runs && c.runs > 0).length;
  out.push(`vmsec sweep --ablate of ${v.file}: ${plural(v.defences.length + v.refused.length, 'defence')}, seeds ${v.seeds}`);
  out.push(`as written: ${passing} of ${plural(v.baseline.length, 'scenario')} pass in every seed`);
  for (const d of v.defences) {
    out.push('');
    const n = d.carries.length + d.errors.length;
    if (n === 0) { out.push(`without ${d.label.replace(/^without /, '')} (${where(d.file, d.line)}): no expectation depends on it`); continue; }
    const what = d.carries.length ? plural(d.carries.length, 'expectation') + ` fail${d.carries.length === 1 ? 's' : ''}` : '';
    const errs = d.errors.length ? plural(d.errors.length, 'step error') : '';
    out.push(`${d.label} (${where(d.file, d.line)}), ${[what, errs].filter(Boolean).join(' and ')}:`);
    for (const c of d.carries) out.push(`  line ${c.line} ${c.text} ("${c.scenario}", ${seedList(c.seeds)})`);
    for (const e of d.errors) out.push(`  line ${e.line} error: ${e.message} ("${e.scenario}", ${seedList(e.seeds)})`);
  }
  if (v.refused.length) {
    out.push('');
    for (const r of v.refused) out.push(`cannot be switched off: ${r.label.replace(/^without /, '')} (${where(r.file, r.line)}): ${r.reason}`);
  }
  return recordLines(out);
}

function seedList(seeds: number[]): string {
  if (seeds.length === 1) return `seed ${seeds[0]}`;
  return seeds.length <= 5 ? `seeds ${seeds.join(', ')}` : `${seeds.length} seeds, first ${seeds[0]}`;
}

/** The first bytes of each output format, so `--out` replaces only an earlier sweep output. */
export const SWEEP_TEXT_MAGIC = 'vmsec sweep';
export const SWEEP_JSON_MAGIC = '{\n  "vmsec_sweep": 1';

export function formatSweepJson(v: SweepView | AblationView): string {
  return JSON.stringify({ vmsec_sweep: 1, ...v }, null, 2);
}

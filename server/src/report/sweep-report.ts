// A sweep's report from its description and its aggregate: what `vmsec sweep`
// prints and what `vmsec merge` of sweep partials prints, built by the same
// code from the same data, so the two agree byte for byte. The description
// (SweepSpec) is plain JSON: a shard writes it into its partial's header.
import * as nodePath from 'node:path';
import type { SweepAggregate } from '../batch/sweep-aggregate';
import { writeGuarded, writeProblem, WriteRefused } from '../model/guarded-write';
import { ablationView, formatAblationText, formatSweepJson, formatSweepText, sweepView, SWEEP_JSON_MAGIC, SWEEP_TEXT_MAGIC, type AblationView, type PointLabels, type SweepView } from './sweep-view';
import { renderAblationHtml, renderSweepHtml, SWEEP_HTML_MAGIC } from './sweep-html';

interface Located { id: string; label: string; file: string; line: number }

/** What a sweep is, apart from its runs. `file` fields are names as shown. */
export type SweepSpec =
  | { kind: 'sweep'; file: string; seeds: string; scenarios: string[]; axes: { path: string; values: string[] }[]; metrics: string[]; gridSize?: number }
  | { kind: 'ablation'; file: string; seeds: string; scenarios: string[]; defences: Located[]; refused: (Located & { reason: string })[] };

export type SweepFormat = 'text' | 'json' | 'html';

const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isLocated = (x: unknown): x is Located => {
  const l = x as Located;
  return typeof l === 'object' && l !== null && typeof l.id === 'string' && typeof l.label === 'string' && typeof l.file === 'string' && typeof l.line === 'number';
};

/** Whether a partial's `sweep` field is a sweep description this version reads. */
export function isSweepSpec(x: unknown): x is SweepSpec {
  const s = x as SweepSpec;
  if (typeof s !== 'object' || s === null || typeof s.file !== 'string' || typeof s.seeds !== 'string' || !isStrings(s.scenarios)) return false;
  if (s.kind === 'sweep') {
    return isStrings(s.metrics) && Array.isArray(s.axes) && s.axes.every((a) => typeof a?.path === 'string' && isStrings(a.values))
      && (s.gridSize === undefined || typeof s.gridSize === 'number');
  }
  return s.kind === 'ablation' && Array.isArray(s.defences) && s.defences.every(isLocated)
    && Array.isArray(s.refused) && s.refused.every((r) => isLocated(r) && typeof r.reason === 'string');
}

/** A sweep's points in plan order: a list (a merged header's), or a lookup that makes each when asked (a plan's). */
export type SweepPoints = readonly PointLabels[] | { count: number; at(i: number): PointLabels };

const isPointList = (p: SweepPoints): p is readonly PointLabels[] => Array.isArray(p);

/**
 * The view of a sweep, and whether a run failed (ablation: the file as
 * written failed). Each row's id and values are read from `points` when the
 * row is made.
 */
export function sweepResult(spec: SweepSpec, points: SweepPoints, agg: SweepAggregate): { view: SweepView | AblationView; failed: boolean } {
  if (spec.kind === 'ablation') {
    const view = ablationView({ file: spec.file, seeds: spec.seeds, agg, defences: spec.defences, refused: spec.refused });
    return { view, failed: view.baseline.some((c) => c.passed < c.runs) };
  }
  const lookup = isPointList(points) ? { count: points.length, at: (i: number) => points[i] } : points;
  const view = sweepView({ file: spec.file, seeds: spec.seeds, axes: spec.axes, metrics: spec.metrics, points: lookup, agg, gridSize: spec.gridSize });
  return { view, failed: view.points.some((pt) => pt.cells.some((c) => c.passed < c.runs)) };
}

/**
 * Whether a shard's slice fails by the rule of the whole sweep, so a shard
 * exits as the unsharded run would for the same runs: a sweep fails with any
 * run; an ablation only with a run of the files as written (point 0), since
 * runs without a defence are expected to fail. `asWritten`: those runs.
 */
export function sliceVerdict(spec: SweepSpec, agg: SweepAggregate, runs: number): { failed: boolean; asWritten?: { runs: number; passed: number } } {
  if (spec.kind === 'ablation') {
    let n = 0;
    let ok = 0;
    for (let s = 0; s < agg.scenarios.length; s++) { const c = agg.cell(0, s); n += c.runs; ok += c.passed; }
    return { failed: ok < n, asWritten: { runs: n, passed: ok } };
  }
  return { failed: agg.passed() < runs };
}

export function sweepOutput(view: SweepView | AblationView, format: SweepFormat): string {
  if (format === 'json') return formatSweepJson(view);
  if (format === 'html') return view.kind === 'sweep' ? renderSweepHtml(view) : renderAblationHtml(view);
  return view.kind === 'sweep' ? formatSweepText(view) : formatAblationText(view);
}

const MAGICS: Record<SweepFormat, string> = { text: SWEEP_TEXT_MAGIC, json: SWEEP_JSON_MAGIC, html: SWEEP_HTML_MAGIC };

/** The magic an existing target was written with (any sweep format may replace any other), or the format's own. */
function magicFor(target: string, format: SweepFormat): Buffer | undefined {
  const root = nodePath.dirname(target);
  for (const m of [MAGICS[format], ...Object.values(MAGICS)]) {
    if (writeProblem(root, target, Buffer.from(m, 'utf8')) === undefined) return Buffer.from(m, 'utf8');
  }
  return undefined;
}

/** Why a sweep's output may not be written to `target`, or undefined. */
export function sweepOutProblem(target: string, format: SweepFormat): string | undefined {
  if (magicFor(target, format)) return undefined;
  return writeProblem(nodePath.dirname(target), target, Buffer.from(MAGICS[format], 'utf8'));
}

/** Writes a sweep's output through the guarded writer; `shown` is the target as the user reads it. */
export function writeSweepOut(target: string, shown: string, format: SweepFormat, text: string): void {
  const magic = magicFor(target, format) ?? Buffer.from(MAGICS[format], 'utf8');
  try {
    writeGuarded(target, { root: nodePath.dirname(target), ownMagic: magic }, (sink) => sink.write(Buffer.from(text.endsWith('\n') ? text : text + '\n', 'utf8')));
  } catch (e) {
    if (e instanceof WriteRefused) throw new WriteRefused(`--out ${shown}: ${e.message}`);
    throw new WriteRefused(`--out ${shown}: could not write (${(e as Error).message})`);
  }
}

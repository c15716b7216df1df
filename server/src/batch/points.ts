// The points of a plan (sweep points, ablations) as a lookup: a point is made
// from the grid's axes when it is asked for, so a plan of 100,000 grid points
// holds its axes (each value's edits once) and, for `--samples`, the picked
// grid indexes as numbers, never 100,000 variants with their edits. The
// description is plain data, so the same one goes to worker threads and each
// makes only the points it runs.
import type { SourceEdit, Variant } from './types';

/** One varied path: its values and, per value, the edits that give it that value. */
export interface GridAxis { path: string; values: string[]; edits: SourceEdit[][] }

export type PointSource =
  /** Points listed one by one (an ablation's few defences, tests). */
  | { kind: 'list'; variants: Variant[] }
  /** The cartesian product of the axes (first axis slowest); `sample`: only these grid indexes, ascending. */
  | { kind: 'grid'; axes: GridAxis[]; sample?: number[] };

/** No points: the files as written. */
export const NO_POINTS: PointSource = { kind: 'list', variants: [] };

/** Number of points in the grid of `axes`. */
export function gridSize(axes: readonly { values: readonly string[] }[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** The value index of each axis at a grid index (the first axis changes slowest). */
export function gridCoordinates(axes: readonly { values: readonly string[] }[], index: number): number[] {
  const out = new Array<number>(axes.length);
  let rest = index;
  for (let k = axes.length - 1; k >= 0; k--) {
    const n = axes[k].values.length;
    out[k] = rest % n;
    rest = Math.floor(rest / n);
  }
  return out;
}

/** The point at `index` of the grid. */
export function gridPoint(axes: readonly GridAxis[], index: number): Variant {
  const values: Record<string, string> = {};
  const edits: SourceEdit[] = [];
  const parts: string[] = [];
  const coords = gridCoordinates(axes, index);
  axes.forEach((a, k) => {
    values[a.path] = a.values[coords[k]];
    parts.push(`${a.path}=${a.values[coords[k]]}`);
    edits.push(...a.edits[coords[k]]);
  });
  return { id: parts.join(','), label: parts.join(' '), values, edits };
}

export function pointCount(src: PointSource): number {
  if (src.kind === 'list') return src.variants.length;
  return src.sample ? src.sample.length : gridSize(src.axes);
}

/** Point `i` (0-based, in plan order), or undefined past the end. */
export function pointAt(src: PointSource, i: number): Variant | undefined {
  if (!Number.isInteger(i) || i < 0 || i >= pointCount(src)) return undefined;
  if (src.kind === 'list') return src.variants[i];
  return gridPoint(src.axes, src.sample ? src.sample[i] : i);
}

/**
 * The same points with every edit's path mapped (absolute path → file key),
 * as plain data (an axis keeps only its path, values and edits). A grid's
 * edits are per axis value: this is linear in the values given, not in the points.
 */
export function mapPointPaths(src: PointSource, map: (path: string) => string): PointSource {
  const edit = (e: SourceEdit): SourceEdit => ({ ...e, path: map(e.path) });
  if (src.kind === 'list') return { kind: 'list', variants: src.variants.map((v) => ({ ...v, edits: v.edits.map(edit) })) };
  return { kind: 'grid', axes: src.axes.map((a) => ({ path: a.path, values: a.values, edits: a.edits.map((es) => es.map(edit)) })), ...(src.sample ? { sample: src.sample } : {}) };
}

// What a sweep runs, from its arguments: the checks and words of
// `vmsec sweep`, in one place so the editor's vmsec.sweep refuses the same
// requests with the same messages and runs the same points in the same order
// (so its numbers are the CLI's). Presentation only shows the result.
import type { FileSet } from '../model/workspace';
import { QUANTITIES, type Variant } from '../batch/types';
import type { PointSource } from '../batch/points';
import { Grid, guess, MAX_GRID_POINTS, parseVaryArg, resolveAxes, VaryUsageError, type VaryArg, type VaryProblem } from '../batch/vary';
import { planAblation } from '../batch/ablate';
import { EditedFiles } from '../batch/sweep-edits';
import { parseSeeds, seedsText, type Plan } from '../batch/plan';
import { sweepPlan, sweepScenarios } from '../batch/sweep-run';
import type { SweepSpec } from './sweep-report';

/** Every measured quantity, and the share of runs that passed. */
export const SWEEP_METRICS = [...Object.keys(QUANTITIES), 'pass_rate'];
/** Which grid points `--samples` picks: fixed, so a sample is the same on every machine. */
export const SWEEP_SAMPLE_SEED = 1;

export interface SweepRequest {
  vary: VaryArg[];
  ablate: boolean;
  metrics: string[];
  samples?: number;
  seeds: number[] | null;
  scenario?: string;
}

/** The sweep's arguments as an editor sends them (strings as the CLI's flags take them). */
export interface SweepRequestText {
  vary?: readonly string[];
  ablate?: boolean;
  metrics?: readonly string[];
  samples?: number;
  seeds?: string;
  scenario?: string;
}

/** The metrics named (each once, in order), or what is wrong with one. */
export function checkMetrics(list: readonly string[]): string[] | string {
  const out: string[] = [];
  for (const m of list.flatMap((x) => x.split(',')).map((x) => x.trim())) {
    if (!SWEEP_METRICS.includes(m)) {
      const g = guess(m, SWEEP_METRICS);
      return `unknown metric '${m}'${g ? ` (did you mean ${g}?)` : ''}; metrics are ${SWEEP_METRICS.join(', ')}`;
    }
    if (!out.includes(m)) out.push(m);
  }
  return out;
}

/** A request from its texts, or the message `vmsec sweep` gives for the same flags. */
export function sweepRequest(raw: SweepRequestText): SweepRequest | string {
  const ablate = raw.ablate === true;
  const varyRaw = raw.vary ?? [];
  if (ablate && varyRaw.length) return '--ablate and --vary do not go together; run them as two sweeps';
  if (!ablate && varyRaw.length === 0) return 'sweep needs --vary PATH=V1,V2,... or --ablate';
  let vary: VaryArg[];
  try { vary = varyRaw.map(parseVaryArg); } catch (e) {
    if (e instanceof VaryUsageError) return e.message;
    throw e;
  }
  const metrics = checkMetrics(raw.metrics ?? []);
  if (typeof metrics === 'string') return metrics;
  if (ablate && metrics.length) return '--metric is for --vary; an ablation reports the expectations each defence carries';
  if (raw.samples !== undefined && (!Number.isSafeInteger(raw.samples) || raw.samples < 1 || raw.samples > MAX_GRID_POINTS)) {
    return `--samples ${raw.samples}: write a whole number from 1 to ${MAX_GRID_POINTS}`;
  }
  if (ablate && raw.samples !== undefined) return '--samples is for --vary';
  let seeds: number[] | null = null;
  if (raw.seeds !== undefined) {
    const s = parseSeeds(raw.seeds);
    if (typeof s === 'string') return `--seeds ${raw.seeds}: ${s}`;
    seeds = s;
  }
  return { vary, ablate, metrics, samples: raw.samples, seeds, scenario: raw.scenario };
}

export type PreparedSweep =
  /** The plan's points are read through plan.variant(i) (a grid's are made when asked). */
  | { ok: true; spec: SweepSpec; plan: Plan }
  /** `problems`: the wrong paths and values, each located where the path got that far. */
  | { ok: false; message: string; problems: VaryProblem[] };

/** `file:line:col: message` for a located problem (the file as `show` names it), else the message. */
export function problemText(pr: VaryProblem, show: (path: string) => string): string {
  if (!pr.at) return pr.message;
  const pos = pr.at.file.lines.position(pr.at.span.start);
  return `${show(pr.at.file.path)}:${pos.line + 1}:${pos.character + 1}: ${pr.message}`;
}

/**
 * The points (or ablations) of a validated file set, the report's description
 * and the plan: as `vmsec sweep` makes them. `show` names files as the user
 * reads them.
 */
export function prepareSweep(set: FileSet, req: SweepRequest, opts: { workspaceRoot?: string; show: (path: string) => string }): PreparedSweep {
  const name = opts.show(set.root.path);
  const scenarios = sweepScenarios(set, req.scenario);
  if (scenarios.length === 0) {
    if (req.scenario === undefined) return { ok: false, message: `no scenarios in ${name}`, problems: [] };
    const all = sweepScenarios(set).map((s) => `"${s.name}"`);
    return { ok: false, message: `no scenario "${req.scenario}"; the file has: ${all.join(', ') || 'none'}`, problems: [] };
  }
  const edited = new EditedFiles(set, opts.workspaceRoot);
  const names = scenarios.map((x) => x.name);
  let variants: Variant[] | PointSource;
  let spec: SweepSpec;
  if (req.ablate) {
    const a = planAblation(set, { workspaceRoot: opts.workspaceRoot, edited });
    const lineOf = (f: { lines: { position(o: number): { line: number } } }, o: number) => f.lines.position(o).line + 1;
    variants = [{ id: 'as-written', label: 'as written', values: {}, edits: [] }, ...a.variants];
    spec = {
      kind: 'ablation', file: name, seeds: seedsText(req.seeds), scenarios: names,
      defences: a.defences.map((d, i) => ({ id: a.variants[i].id, label: a.variants[i].label, file: opts.show(d.file.path), line: lineOf(d.file, d.span.start) })),
      refused: a.refused.map((r) => ({ id: `ablate:${r.defence.id}`, label: `without ${r.defence.what}`, file: opts.show(r.defence.file.path), line: lineOf(r.defence.file, r.defence.span.start), reason: r.reason })),
    };
  } else {
    const { axes, problems } = resolveAxes(set, req.vary, { workspaceRoot: opts.workspaceRoot, edited });
    if (problems.length) return { ok: false, message: problems.map((p) => problemText(p, opts.show)).join('\n'), problems };
    const grid = new Grid(axes);
    if (req.samples === undefined && grid.size > MAX_GRID_POINTS) {
      return { ok: false, message: `the grid has ${grid.size.toLocaleString('en-US')} points; run a sample of it with --samples N (at most ${MAX_GRID_POINTS.toLocaleString('en-US')})`, problems: [] };
    }
    // The axes (and a sample's grid indexes), not the points: each is made when it runs or is reported.
    variants = grid.points(req.samples, SWEEP_SAMPLE_SEED);
    spec = { kind: 'sweep', file: name, seeds: seedsText(req.seeds), scenarios: names, axes: axes.map((x) => ({ path: x.path, values: x.values })), metrics: req.metrics };
    if (req.samples !== undefined) spec.gridSize = grid.size;
  }
  return { ok: true, spec, plan: sweepPlan(set, name, variants, req.seeds, req.scenario) };
}

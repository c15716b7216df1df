// The work of many runs in one canonical order: file, scenario, variant, seed.
// Items are numbered in that order and never materialised as a whole (a plan
// of a million items is a few arrays), so shards, workers and the merge all
// agree on what item N is without talking to each other.
import * as nodePath from 'node:path';
import type * as A from '../../../grammar/src/ast';
import type { ImportGraph } from '../model/workspace';
import { LIMITS } from '../model/limits';
import type { Variant, WorkItem } from './types';
import { mapPointPaths, pointAt, pointCount, type PointSource } from './points';

export interface PlanFile {
  /** Absolute path (what runs). */
  path: string;
  /** As shown and written into results: relative to the working folder when inside it. */
  name: string;
  /** Scenarios to run, in source order, each with its own declared seed (default 1). */
  scenarios: { name: string; seed: number }[];
  /** Every file of the file set (root first): what the input hash covers and what items run on. */
  texts: { path: string; name: string; text: string }[];
}

/**
 * A file's key: its path relative to the folder holding every file of the
 * plan, with '/' separators. The one name a file goes by from the plan on
 * (runner texts, variant edits, the inputs hash, partials): it is the same on
 * every machine and from every working folder, where absolute paths (CI
 * checkouts) and shown names (relative to the working folder) are not.
 */
export type FileKey = string;

export interface Plan {
  files: PlanFile[];
  /** The folder holding every file of the plan, on this machine: key = path relative to it. */
  base: string;
  /** Keys by absolute path. */
  keys: Map<string, FileKey>;
  /** Seeds every scenario runs with; null: each scenario runs once with its own seed. */
  seeds: number[] | null;
  /**
   * The variants (sweep points, ablations) as plain data, their edits' `path`
   * a FileKey: a grid's axes (and a sample's grid indexes), never a list of
   * every point. No points: the files as written.
   */
  points: PointSource;
  /** Number of variants (0: the files as written). */
  variantCount: number;
  /** Variant `i` (0 ≤ i < variantCount), made when asked; its edits' `path` is a FileKey. */
  variant(i: number): Variant;
  /** Number of items. */
  count: number;
}

/** The most seeds one run accepts (a plan is still never materialised item by item). */
export const MAX_SEEDS = 1_000_000;

/** A path as shown: relative to `cwd` when inside it (so results of different machines compare equal). */
export function nameOf(path: string, cwd = process.cwd()): string {
  const rel = nodePath.relative(cwd, path);
  return rel && !rel.startsWith('..') && !nodePath.isAbsolute(rel) ? rel.split(nodePath.sep).join('/') : path;
}

/**
 * `--seeds 1..1000`, `--seeds 3,7,9` or a mix (`1..10,42`): the seeds in the
 * order given, or a message saying what is wrong. Duplicates are refused (a
 * seed twice would count one run twice in a pass rate).
 */
export function parseSeeds(text: string): number[] | string {
  const max = LIMITS.seed.max;
  const out: number[] = [];
  const seen = new Set<number>();
  const num = (s: string) => (/^\d+$/.test(s) && Number(s) <= max ? Number(s) : undefined);
  for (const part of text.split(',')) {
    const p = part.trim();
    const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(p);
    const from = range ? num(range[1]) : num(p);
    const to = range ? num(range[2]) : from;
    if (from === undefined || to === undefined) return `'${p}' is not a seed or a range of seeds; write e.g. 1..1000 or 3,7,9 (seeds are 0 to ${max})`;
    if (to < from) return `${p}: the range is empty (write the smaller seed first)`;
    if (out.length + (to - from + 1) > MAX_SEEDS) return `more than ${MAX_SEEDS.toLocaleString('en-US')} seeds; split the run with --shard`;
    for (let s = from; s <= to; s++) {
      if (seen.has(s)) return `seed ${s} is given twice`;
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/** Seeds as short text: "1..1000", "3,7,9", "1..10,42". */
export function seedsText(seeds: number[] | null): string {
  if (seeds === null) return 'as declared';
  const parts: string[] = [];
  for (let i = 0; i < seeds.length;) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j] + 1) j++;
    parts.push(j - i >= 2 ? `${seeds[i]}..${seeds[j]}` : seeds.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

/** The plan for the given root files of a validated graph (`scenario` keeps only scenarios titled so). */
export function planFromGraph(graph: ImportGraph, roots: string[], opts: { scenario?: string; seeds: number[] | null; variants?: Variant[] | PointSource; cwd?: string }): Plan {
  const files: PlanFile[] = [];
  for (const root of roots) {
    const set = graph.fileSet(root);
    if (!set) continue;
    const scenarios = set.root.doc.decls
      .filter((d): d is A.ScenarioDecl => d.kind === 'scenario')
      .filter((d) => opts.scenario === undefined || d.title.value === opts.scenario)
      .map((d) => {
        const item = d.items.find((i): i is Extract<A.ScenarioItem, { key: 'seed' }> => i.key === 'seed');
        return { name: d.title.value, seed: item?.value.value ?? 1 };
      });
    if (scenarios.length === 0) continue;
    files.push({ path: root, name: nameOf(root, opts.cwd), scenarios, texts: set.files.map((f) => ({ path: f.path, name: nameOf(f.path, opts.cwd), text: f.text })) });
  }
  return makePlan(files, opts.seeds, opts.variants ?? []);
}

/** The deepest folder holding every path (absolute paths). */
export function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return nodePath.resolve('.');
  let base = nodePath.dirname(paths[0]);
  for (const p of paths) {
    while (base !== nodePath.dirname(base)) {
      const rel = nodePath.relative(base, p);
      if (!rel.startsWith('..') && !nodePath.isAbsolute(rel)) break;
      base = nodePath.dirname(base);
    }
  }
  return base;
}

/**
 * A plan of files, seeds and variants. `variants` (a list, or a grid's axes:
 * points.ts) may edit by absolute path (as vary.ts and ablate.ts make them)
 * or by key: the plan's points edit by key, so the same sweep planned on two
 * machines is equal data.
 */
export function makePlan(files: PlanFile[], seeds: number[] | null, variants: Variant[] | PointSource): Plan {
  const paths = [...new Set(files.flatMap((f) => [f.path, ...f.texts.map((t) => t.path)]))];
  const base = commonFolder(paths);
  const keys = new Map(paths.map((p) => [p, nodePath.relative(base, p).split(nodePath.sep).join('/')]));
  const points = mapPointPaths(Array.isArray(variants) ? { kind: 'list', variants } : variants, (p) => keys.get(p) ?? p);
  const variantCount = pointCount(points);
  const per = Math.max(1, variantCount) * (seeds ? seeds.length : 1);
  const variant = (i: number): Variant => {
    const v = pointAt(points, i);
    if (!v) throw new RangeError(`variant ${i} is not part of the plan (it has ${variantCount})`);
    return v;
  };
  return { files, base, keys, seeds, points, variantCount, variant, count: files.reduce((n, f) => n + f.scenarios.length * per, 0) };
}

/** The items of a plan in canonical order (file, scenario, variant, seed); `keep` filters by index (a shard). */
export function* planItems(plan: Plan, keep: (index: number) => boolean = () => true): Generator<WorkItem> {
  let index = 0;
  // Variant numbers are counted, not listed: -1 stands for the files as written.
  const last = plan.variantCount - 1;
  for (const f of plan.files) {
    for (const s of f.scenarios) {
      for (let v = last < 0 ? -1 : 0; v <= last; v++) {
        const variant = v < 0 ? undefined : v;
        const seeds = plan.seeds ?? [s.seed];
        for (const seed of seeds) {
          if (keep(index)) yield variant === undefined ? { index, file: f.name, scenario: s.name, seed } : { index, file: f.name, scenario: s.name, seed, variant };
          index++;
        }
      }
    }
  }
}

// The work of many runs in one canonical order: file, scenario, variant, seed.
// Items are numbered in that order and never materialised as a whole (a plan
// of a million items is a few arrays), so shards, workers and the merge all
// agree on what item N is without talking to each other.
import * as nodePath from 'node:path';
import type * as A from '../../../grammar/src/ast';
import type { ImportGraph } from '../model/workspace';
import { LIMITS } from '../model/limits';
import type { Variant, WorkItem } from './types';

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

export interface Plan {
  files: PlanFile[];
  /** Seeds every scenario runs with; null: each scenario runs once with its own seed. */
  seeds: number[] | null;
  /** Variants (sweep points, ablations); empty: the files as written. */
  variants: Variant[];
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
export function planFromGraph(graph: ImportGraph, roots: string[], opts: { scenario?: string; seeds: number[] | null; variants?: Variant[]; cwd?: string }): Plan {
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

export function makePlan(files: PlanFile[], seeds: number[] | null, variants: Variant[]): Plan {
  const per = Math.max(1, variants.length) * (seeds ? seeds.length : 1);
  return { files, seeds, variants, count: files.reduce((n, f) => n + f.scenarios.length * per, 0) };
}

/** The items of a plan in canonical order (file, scenario, variant, seed); `keep` filters by index (a shard). */
export function* planItems(plan: Plan, keep: (index: number) => boolean = () => true): Generator<WorkItem> {
  let index = 0;
  const variants: (number | undefined)[] = plan.variants.length ? plan.variants.map((_, i) => i) : [undefined];
  for (const f of plan.files) {
    for (const s of f.scenarios) {
      for (const variant of variants) {
        const seeds = plan.seeds ?? [s.seed];
        for (const seed of seeds) {
          if (keep(index)) yield variant === undefined ? { index, file: f.name, scenario: s.name, seed } : { index, file: f.name, scenario: s.name, seed, variant };
          index++;
        }
      }
    }
  }
}

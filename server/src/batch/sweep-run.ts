// Runs a sweep or an ablation on the batch engine: one work item per
// (scenario, variant, seed) in the plan's canonical order, on `jobs` threads,
// each outcome folded into the aggregate as it arrives (and handed to
// `onOutcome`, which writes a shard's partial); the aggregate drops each
// (variant, scenario) cell once its last seed is in. A sweep is a plan of one file
// with variants, so its items, keys and shards are those of `vmsec run`.
import type * as A from '../../../grammar/src/ast';
import type { FileSet } from '../model/workspace';
import { runItemsAsync, type WorkerPool } from './run-items';
import { runnerInput, type RunSettings } from './item-runner';
import { makePlan, nameOf, planItems, type Plan } from './plan';
import { inShard, type Shard } from './shard';
import { SweepAggregate } from './sweep-aggregate';
import type { ItemOutcome, Variant } from './types';
import type { PointSource } from './points';

export interface SweepRun {
  plan: Plan;
  settings: RunSettings;
  jobs: number;
  /** Worker threads started ahead (see WorkerPool). */
  pool?: WorkerPool;
  /** Only this shard's items. */
  shard?: Shard;
  onOutcome?: (o: ItemOutcome) => void;
  /** Metrics whose medians the report shows (the aggregate keeps only those). */
  metrics?: readonly string[];
}

/** The scenarios a sweep runs, with their declared seeds. */
export function sweepScenarios(set: FileSet, only?: string): { name: string; seed: number }[] {
  return set.root.doc.decls
    .filter((d): d is A.ScenarioDecl => d.kind === 'scenario')
    .filter((d) => only === undefined || d.title.value === only)
    .map((d) => {
      const item = d.items.find((i): i is Extract<A.ScenarioItem, { key: 'seed' }> => i.key === 'seed');
      return { name: d.title.value, seed: item?.value.value ?? 1 };
    });
}

/** The plan of a sweep of one file set: `name` is the file as shown; the points a list or a grid (points.ts). */
export function sweepPlan(set: FileSet, name: string, variants: Variant[] | PointSource, seeds: number[] | null, scenario?: string): Plan {
  return makePlan([{ path: set.root.path, name, scenarios: sweepScenarios(set, scenario), texts: set.files.map((f) => ({ path: f.path, name: nameOf(f.path), text: f.text })) }], seeds, variants);
}

/** An empty aggregate for a sweep plan (one file), of the items of `shard` when given. */
export function sweepAggregate(plan: Plan, opts: { metrics?: readonly string[]; shard?: Shard } = {}): SweepAggregate {
  return new SweepAggregate(plan.variantCount, plan.files[0]?.scenarios.map((s) => s.name) ?? [], {
    seedsPerCell: plan.seeds ? plan.seeds.length : 1, metrics: opts.metrics, keep: opts.shard ? inShard(opts.shard) : undefined,
  });
}

/** On `jobs` threads (this one and jobs − 1 workers). */
export async function runSweep(r: SweepRun): Promise<SweepAggregate> {
  const agg = sweepAggregate(r.plan, { metrics: r.metrics, shard: r.shard });
  const on = r.onOutcome;
  await runItemsAsync(runnerInput(r.plan, r.settings), planItems(r.plan, inShard(r.shard)), r.jobs, (o) => { agg.add(o); on?.(o); }, { pool: r.pool });
  agg.finish();
  return agg;
}

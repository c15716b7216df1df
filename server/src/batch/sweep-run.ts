// Runs a sweep or an ablation on the batch engine: one work item per
// (scenario, variant, seed) in canonical order, on `jobs` threads, each
// outcome folded into the aggregate as it arrives.
import type * as A from '../../../grammar/src/ast';
import type { FileSet } from '../model/workspace';
import { runItemsAsync, type WorkerPool } from './run-items';
import type { RunnerInput, RunSettings } from './item-runner';
import { SweepAggregate } from './sweep-aggregate';
import type { Variant, WorkItem } from './types';

export interface SweepRun {
  set: FileSet;
  /** The file as shown in results. */
  name: string;
  variants: Variant[];
  /** Seeds for every scenario; null: each scenario's own seed. */
  seeds: number[] | null;
  /** Only the scenario titled so. */
  scenario?: string;
  settings: RunSettings;
  jobs: number;
  /** Worker threads started ahead (see WorkerPool). */
  pool?: WorkerPool;
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

/** Items in canonical order: scenario, variant, seed. */
export function* sweepItems(name: string, scenarios: { name: string; seed: number }[], variants: number, seeds: number[] | null): Generator<WorkItem> {
  let index = 0;
  for (const s of scenarios) {
    for (let v = 0; v < variants; v++) {
      for (const seed of seeds ?? [s.seed]) yield { index: index++, file: name, scenario: s.name, seed, variant: v };
    }
  }
}

function prepare(r: SweepRun): { agg: SweepAggregate; input: RunnerInput; items: Iterable<WorkItem> } {
  const scenarios = sweepScenarios(r.set, r.scenario);
  const agg = new SweepAggregate(r.variants.length, scenarios.map((s) => s.name));
  const input: RunnerInput = {
    files: [{ name: r.name, path: r.set.root.path }],
    texts: r.set.files.map((f) => [f.path, f.text] as [string, string]),
    variants: r.variants,
    settings: r.settings,
  };
  return { agg, input, items: sweepItems(r.name, scenarios, r.variants.length, r.seeds) };
}

/** On `jobs` threads (this one and jobs − 1 workers). */
export async function runSweep(r: SweepRun): Promise<SweepAggregate> {
  const { agg, input, items } = prepare(r);
  await runItemsAsync(input, items, r.jobs, (o) => agg.add(o), { pool: r.pool });
  return agg;
}

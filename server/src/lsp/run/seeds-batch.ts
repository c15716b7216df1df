// A scenario once per seed, on the run worker, through the CLI's many-runs
// engine (server/src/batch): the same plan, items, outcomes and aggregate as
// `vmsec run --seeds`, so the editor shows exactly the CLI's numbers. The
// aggregate becomes a SeedsScenario: ranges for the editor, a histogram per
// quantity, the command that reproduces the first failing seed.
import type * as A from '../../../../grammar/src/ast';
import type { FileSet } from '../../model/workspace';
import { makePlan, nameOf, planItems, seedsText, type PlanFile } from '../../batch/plan';
import { runnerInput, type RunSettings } from '../../batch/item-runner';
import { runItems } from '../../batch/run-items';
import { Aggregator, type BatchSummary, type ScenarioStats } from '../../batch/aggregate';
import { QUANTITIES } from '../../batch/types';
import { histogram } from '../../report/batch-html';
import { reproduceText } from '../../report/batch-text';
import type { Range0, SeedsScenario } from '../../protocol';
import { toRange } from '../convert';

/** Seeds listed per expectation and scenario (the counts say how many in all). */
export const MAX_LISTED_SEEDS = 100;

export interface SeedsJob {
  path: string; uri: string; scenario: string; seeds: number[];
  /** Worker threads of the batch engine (1: this thread). */
  jobs: number;
  settings: RunSettings;
}

/** Runs `job.scenario` of a validated file set once per seed; `progress` is called as runs finish. */
export function runSeedsOf(set: FileSet, job: SeedsJob, progress: (done: number, failed: number, total: number) => void): SeedsScenario {
  const root = job.settings.workspaceRoot;
  const decls = set.root.doc.decls.filter((d): d is A.ScenarioDecl => d.kind === 'scenario');
  // The plan covers the whole file, so item numbers (and the CLI's order) are the same whichever scenario runs.
  const file: PlanFile = {
    path: job.path, name: nameOf(job.path, root),
    scenarios: decls.map((d) => ({ name: d.title.value, seed: 1 })),
    texts: set.files.map((f) => ({ path: f.path, name: nameOf(f.path, root), text: f.text })),
  };
  const plan = makePlan([file], job.seeds, []);
  const total = job.seeds.length;
  const agg = new Aggregator({ files: [file.name], seeds: seedsText(job.seeds), variants: [], items: total });
  const step = Math.max(1, Math.ceil(total / 200));
  let done = 0;
  let failed = 0;
  const items = (function* () { for (const i of planItems(plan)) if (i.scenario === job.scenario) yield i; })();
  runItems(runnerInput(plan, job.settings), items, Math.min(job.jobs, total), (o) => {
    agg.add(o);
    done++;
    if (!o.passed) failed++;
    if (done % step === 0 || done === total) progress(done, failed, total);
  });
  const summary = agg.summary();
  const decl = decls.find((d) => d.title.value === job.scenario)!;
  return seedsScenarioOf(summary, summary.scenarios[0], set, decl, job.uri, (q) => agg.values(file.name, job.scenario, undefined, q));
}

function seedsScenarioOf(summary: BatchSummary, s: ScenarioStats | undefined, set: FileSet, decl: A.ScenarioDecl, uri: string, values: (q: string) => number[]): SeedsScenario {
  const file = set.root;
  const range = toRange(file, decl.span);
  if (!s) return { name: decl.title.value, uri, range, runs: 0, passed: 0, rate: 0, ci: [0, 1], failingSeeds: [], failingCount: 0, expectations: [], errors: [], quantities: [] };
  // Results name lines (1-based, where the item starts); the editor wants the item's range.
  const itemRange = new Map<number, Range0>();
  for (const i of decl.items) {
    const r = toRange(file, i.span);
    if (!itemRange.has(r.start.line + 1)) itemRange.set(r.start.line + 1, r);
  }
  const lineRange = (line: number): Range0 => itemRange.get(line) ?? { start: { line: Math.max(0, line - 1), character: 0 }, end: { line: Math.max(0, line - 1), character: 0 } };
  const out: SeedsScenario = {
    name: s.scenario, uri, range,
    runs: s.runs, passed: s.passed, rate: s.rate, ci: s.ci,
    failingSeeds: s.failingSeeds.slice(0, MAX_LISTED_SEEDS), failingCount: s.failingSeeds.length,
    expectations: s.expectations.map((e) => ({
      text: e.text, range: lineRange(e.line), runs: e.runs, passed: e.passed, rate: e.rate, ci: e.ci,
      failingSeeds: e.failing.slice(0, MAX_LISTED_SEEDS).map((f) => f.seed), failingCount: e.failing.length,
      ...(e.failing.length ? { firstFailure: { seed: e.failing[0].seed, actual: String(e.failing[0].actual) } } : {}),
    })),
    errors: s.errors.map((e) => ({ range: lineRange(e.line), message: e.message, runs: e.runs, seeds: e.seeds })),
    quantities: Object.entries(s.quantities).map(([name, q]) => ({
      name, description: Object.hasOwn(QUANTITIES, name) ? QUANTITIES[name as keyof typeof QUANTITIES] : name,
      n: q.n, min: q.min, median: q.median, p95: q.p95, max: q.max, histogram: histogram(values(name)),
    })),
  };
  if (s.failingSeeds.length) out.reproduce = reproduceText(summary, s, s.failingSeeds[0]);
  return out;
}

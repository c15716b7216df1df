// Runs one scenario: a fresh world from time 0 with the scenario's seed, each
// step at its time (steps at the same time in the order written), then every
// expectation against what happened.
import * as nodePath from 'node:path';
import type * as A from '../../../grammar/src/ast';
import type { Resolved } from '../model/resolve';
import type { FileSet } from '../model/workspace';
import { LIMITS, rangeText } from '../model/limits';
import { DEFAULT_COSTS } from './costs';
import { startHashWorkers } from './page-hasher';
import { Monitors } from './monitor';
import { EventBudgetExceeded, type EventContext } from './engine';
import { CertificateAuthority } from './certificates';
import { attackerSees, evaluate } from './expectations';
import { watchCoResidency } from './coresidency-ledger';
import type { Loc, ScenarioResult } from './results';
import { locOfFiles } from './locations';
import { World } from './world';
import { replayTrace, type TraceReport } from './trace-replay';
import { readStraceLines } from './strace';
import type { RunOptions, ScenarioState, StepCall } from './steps/context';
import { runStep } from './steps/registry';
import { vmNamedBy } from './steps/ready';
import { messageOf } from './steps/text';

export type { RunOptions } from './steps/context';

/** What a step's events carry, so an error in any of them is reported on that step. */
interface StepLabel { line: number; at_ms: number; step: string; loc: Loc }

export function runScenario(d: A.ScenarioDecl, set: FileSet, resolved: Resolved, options: RunOptions): ScenarioResult {
  const wall0 = performance.now();
  const seedItem = d.items.find((i): i is Extract<A.ScenarioItem, { key: 'seed' }> => i.key === 'seed');
  const seed = options.seed ?? seedItem?.value.value ?? 1;
  const locOf = options.locOf ?? locOfFiles(set.files);
  const here = (span: A.Span) => locOf(set.root.path, span);
  const result: ScenarioResult = {
    name: d.title.value, seed, passed: false, line: options.lineOf(d.title.span), loc: here(d.title.span), steps: [], expectations: [], attestations: [],
    transfers: [], monitor: [], checkpoints: [], moves: [], taps: [], attacks: { tampered: 0, dropped: 0, replayed: 0 }, errors: [],
    stats: { events: 0, sim_ms: 0, wall_ms: 0, signatures: 0, verifications: 0, hashes: 0, bytes_sent: 0 },
  };
  // Steps' errors are caught per step; this is the last resort for the set-up and the evaluation, so nothing escapes.
  let world: World | undefined;
  try {
    world = simulate(d, set, resolved, options, result, seed, here);
  } catch (e) {
    result.errors.push({ line: result.line, loc: result.loc, message: `the simulator could not complete this scenario (${messageOf(e)})` });
    result.passed = false;
  }
  // What happened when, for the results view's chart (simulated times only, so still deterministic).
  if (world) result.timeline = world.timeline.records;
  result.stats.wall_ms = Math.round(performance.now() - wall0);
  // Outside the guard: the caller's own errors (exporting quotes) are the caller's to report.
  if (world) options.onWorld?.(result.name, world);
  return result;
}

function simulate(d: A.ScenarioDecl, set: FileSet, resolved: Resolved, options: RunOptions, result: ScenarioResult, seed: number, here: (span: A.Span) => Loc): World {
  const { ns, model } = resolved;
  const world = new World(model, seed, { ...DEFAULT_COSTS, ...options.costs }, result, options.maxEventsPerStep, options.maxObservedImageBytes);
  // Hashing threads boot while the world is set up, if any fork will hash batches.
  if ([...model.forks.values()].some((f) => f.integrity.mode === 'batched')) startHashWorkers();
  const monitors = new Monitors(world, model.monitors.values());
  const cas = new CertificateAuthority(world);
  const state: ScenarioState = {
    world, model, seed, options, result, monitors, cas,
    forks: [], excludedBy: new Map(), lost: new Map(), writes: [], takenOn: new Map(), forkLocs: new Map(),
    // Checkpoint files stay inside --checkpoint-dir when given, else inside the workspace.
    writeRoot: options.checkpointDir ?? options.workspaceRoot ?? nodePath.dirname(set.root.path),
  };
  // Who shared a host with an attacker's VM, and when, from time 0 on (`sees` reads it).
  watchCoResidency(world, state.lost);
  /** Each step line's location: items other modules push carry a line. */
  const stepLocs = new Map<number, Loc>();

  // One module per step kind (steps/registry.ts); each reports on its own step.
  const step = (item: Extract<A.ScenarioItem, { key: 'step' }>, describe: string) => {
    const line = options.lineOf(item.span);
    const loc = here(item.span);
    const atMs = world.nowMs;
    const report = (ok: boolean, outcome: string) => {
      result.steps.push({ line, at_ms: atMs, step: describe, ok, outcome, loc });
      if (!ok) result.errors.push({ line, message: outcome, loc });
    };
    const call: StepCall = { line, loc, atMs, report, vmNamed: vmNamedBy(world, atMs, report) };
    runStep(state, item.body, call);
  };

  // Each step's events (and the events they cause) carry the step, so an
  // error anywhere in them is that step's error and the run goes on.
  for (const item of d.items) {
    if (item.key !== 'step') continue;
    const describe = options.textOf({ start: item.at.span.end, end: item.span.end });
    const label: StepLabel = { line: options.lineOf(item.span), at_ms: item.at.value / 1000, step: describe, loc: here(item.span) };
    stepLocs.set(label.line, label.loc);
    // The validator bounds step times; a model built without it must not run into float or clock limits.
    if (!(item.at.value <= LIMITS.stepAt.max)) {
      const message = `a step at ${describeUs(item.at.value)} is beyond the simulator's range (${rangeText(LIMITS.stepAt)}); not run`;
      result.steps.push({ ...label, ok: false, outcome: message });
      result.errors.push({ line: label.line, message, loc: label.loc });
      continue;
    }
    world.engine.within(label, () => world.engine.at(item.at.value, () => step(item, describe)));
  }
  // Real traces: each log's calls reach the VM's monitors as syscall steps would, at time 0 + their time in the log.
  const traceReports: TraceReport[] = [];
  for (const t of options.traces ?? []) {
    if (!world.vms.has(t.vm)) { result.errors.push({ line: result.line, loc: result.loc, message: `--trace ${t.vm}=${t.path}: no vm '${t.vm}' in this run` }); continue; }
    const label: StepLabel = { line: result.line, at_ms: 0, step: `trace ${t.vm}=${t.path}`, loc: result.loc };
    world.engine.within(label, () => traceReports.push(replayTrace(world, monitors, t.vm, readStraceLines(t.path), { path: t.path, line: result.line, startUs: 0 })));
  }
  world.engine.run(Infinity, (ctx: EventContext, e: unknown) => {
    const label = ctx.label as StepLabel | undefined;
    const message = e instanceof EventBudgetExceeded
      ? `step stopped: it caused more than ${e.limit.toLocaleString('en-US')} simulated events (the simulator's limit per step); ${budgetHint(label?.step ?? '')}`
      : `step stopped: the simulator could not complete it (${messageOf(e)})`;
    const line = label?.line ?? result.line;
    const loc = label?.loc ?? result.loc;
    result.steps.push({ line, at_ms: label?.at_ms ?? world.nowMs, step: label?.step ?? '', ok: false, outcome: message, loc });
    result.errors.push({ line, message, loc });
  });
  // The end of the run: the last event, or a later verdict that needed none.
  result.stats.sim_ms = Math.max(world.nowMs, world.engine.horizon / 1000);
  if (traceReports.length) {
    result.traces = traceReports;
    for (const r of traceReports) if (r.error) result.errors.push({ line: result.line, loc: result.loc, message: `--trace ${r.vm}=${r.path}: ${r.error}` });
  }
  // Whoever waited for a VM that never became ready hears it now.
  for (const vm of world.vms.values()) if (vm.arriving?.waiters) world.arrived(vm, undefined, 'it never became ready');
  for (const f of state.forks) f.finish();
  // Outcomes reported late (a fork child's ready time, a transfer's end) go back to their step's time; sort is stable.
  result.steps.sort((a, b) => a.at_ms - b.at_ms);
  // Items the fork, monitor and migration modules recorded carry their step's line (or fork): give them its location.
  const atLine = (line: number) => stepLocs.get(line) ?? result.loc;
  for (const a of result.attestations) a.loc ??= state.forkLocs.get(a.fork) ?? atLine(a.line);
  for (const t of result.transfers) t.loc ??= state.forkLocs.get(t.fork) ?? result.loc;
  for (const m of result.monitor) m.loc ??= atLine(m.line);
  for (const m of result.moves) m.loc ??= atLine(m.line);

  for (const t of world.network.taps.values()) result.taps.push({ ...t });
  Object.assign(result.attacks, world.network.attackCounts);
  result.stats.events = world.engine.processed;
  result.stats.bytes_sent = world.network.bytesSent;
  Object.assign(result.stats, world.work);

  for (const item of d.items) {
    if (item.key !== 'expect') continue;
    result.expectations.push(evaluate(item.body, { line: options.lineOf(item.span), loc: here(item.span) }, options.textOf(item.span), {
      world, result,
      sees: (attacker) => attackerSees(world, result, attacker, state.lost),
      writeVerdict: (vm, path) => [...state.writes].reverse().find((w) => w.vm === vm && w.path === path)?.allowed,
      excluded: (c) => state.excludedBy.get(c),
      verdicts: (m, action) => monitors.counts.get(m)?.[action] ?? 0,
    }));
  }
  // Transient children are discarded after the expectations have seen them.
  for (const f of state.forks) f.discard();
  result.passed = result.errors.length === 0 && result.expectations.every((e) => e.passed);
  return world;
}

function describeUs(us: number): string {
  return Number.isFinite(us) ? `${(us / 3600e6).toPrecision(3)} h` : String(us);
}

/** What to change when a step (or a replayed trace) ran out of events, by what it was. */
function budgetHint(step: string): string {
  if (step.startsWith('trace ')) return 'replay a shorter trace (every call counts, and so does what its decisions set off, such as migrations)';
  if (step.startsWith('fork ')) return 'lower children, memory or the working set';
  return 'lower the memory it moves or what it sets off';
}

// Runs one scenario: a fresh world from time 0 with the scenario's seed, each
// step at its time (steps at the same time in the order written), then every
// expectation against what happened.
import * as nodePath from 'node:path';
import { closeSync, existsSync, fstatSync, mkdirSync, readSync } from 'node:fs';
import { openRegularFile } from '../model/source-reader';
import type * as A from '../../../grammar/src/ast';
import type { Resolved } from '../model/resolve';
import type { FileSet } from '../model/workspace';
import { excludedProcesses, includesDisk, outputPath } from '../model/checkpoint-plan';
import type { HostModel, VmModel } from '../model/semantic';
import { LIMITS, rangeText } from '../model/limits';
import { DEFAULT_COSTS, Costs } from './costs';
import { ForkRun } from './fork';
import { startHashWorkers } from './page-hasher';
import { Monitors, actionText } from './monitor';
import { readCheckpoint, writeCheckpoint } from './checkpoint';
import { EventBudgetExceeded, type EventContext } from './engine';
import { migrateVm, move, moveProblem, type ImageSource } from './migration';
import { CertificateAuthority } from './certificates';
import { evaluate, vmRefName } from './expectations';
import type { Loc, ScenarioResult } from './results';
import { locOfFiles } from './locations';
import { World, VmRuntime, isRunning } from './world';
import { replayTrace, type TraceReport } from './trace-replay';
import { readStraceLines } from './strace';

export interface RunOptions {
  costs?: Partial<Costs>;
  /** Where checkpoint files go instead of beside the declaring file (tests, CI); writes stay inside it. */
  checkpointDir?: string;
  /** Checkpoint files beside their declaring file stay inside this folder (default: the root file's folder). */
  workspaceRoot?: string;
  /** The largest checkpoint file a run writes (default: the checkpoint module's, 1 GiB). */
  maxCheckpointBytes?: number;
  /** `--trace VM=LOG`: strace logs replayed into VMs' monitors from time 0 (docs/traces.md). */
  traces?: { vm: string; path: string }[];
  /** How the user raises that limit, for the refusal's message (default: the CLI flag). */
  checkpointLimitHint?: string;
  /** Events one step may cause before it is stopped (tests; default 50 million). */
  maxEventsPerStep?: number;
  /** Lines of the file, for expectation texts and step lines. */
  lineOf: (span: A.Span) => number;
  textOf: (span: A.Span) => string;
  /** Replaces the scenario's own `seed` (an editor's "run with seed"). */
  seed?: number;
  /** Every result item's location (file + range); default: from the file set's own texts. */
  locOf?: (path: string, span: A.Span) => Loc;
  /** Receives the world after the run (for exporting quotes). */
  onWorld?: (scenario: string, world: World) => void;
}

interface WriteRecord { vm: string; path: string; allowed: boolean; why: string }

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
  const world = new World(model, seed, { ...DEFAULT_COSTS, ...options.costs }, result, options.maxEventsPerStep);
  // Hashing threads boot while the world is set up, if any fork will hash batches.
  if ([...model.forks.values()].some((f) => f.integrity.mode === 'batched')) startHashWorkers();
  const decls = [...ns.byName.values()].map((s) => s.decl);
  const monitors = new Monitors(world, decls.filter((x): x is A.MonitorDecl => (x as A.Decl).kind === 'monitor'));
  const cas = new CertificateAuthority(seed,
    decls.filter((x): x is A.AuthorityDecl => (x as A.Decl).kind === 'authority'),
    decls.filter((x): x is A.CertificateDecl => (x as A.Decl).kind === 'certificate'));
  const shares: A.ShareDecl[] = [];
  const forks: ForkRun[] = [];
  const excludedBy = new Map<string, string[]>();
  const lost = new Map<string, Set<string>>();
  const writes: WriteRecord[] = [];
  /** Each step line's location, and each fork's latest step: items other modules push carry a line or a fork name. */
  const stepLocs = new Map<number, Loc>();
  const forkLocs = new Map<string, Loc>();
  /** The host each checkpoint's file was written on (its latest taking). */
  const takenOn = new Map<string, HostModel>();
  // Checkpoint files stay inside --checkpoint-dir when given, else inside the workspace.
  const writeRoot = options.checkpointDir ?? options.workspaceRoot ?? nodePath.dirname(set.root.path);

  // Shares are nameless, so they come from the declarations of every file.
  for (const f of set.files) for (const x of f.doc.decls) if (x.kind === 'share') shares.push(x);

  const step = (item: Extract<A.ScenarioItem, { key: 'step' }>, describe: string) => {
    const line = options.lineOf(item.span);
    const loc = here(item.span);
    const atMs = world.nowMs;
    const report = (ok: boolean, outcome: string) => {
      result.steps.push({ line, at_ms: atMs, step: describe, ok, outcome, loc });
      if (!ok) result.errors.push({ line, message: outcome, loc });
    };
    /** The VM a step acts on, or undefined once the step is reported as an error (a terminated VM is final). */
    const vmNamed = (r: A.VmRef, what: string): VmRuntime | undefined => {
      const name = vmRefName(r);
      const vm = world.vms.get(name);
      if (!vm) { report(false, `${name} does not exist in this run`); return undefined; }
      if (vm.state === 'failed') { report(false, vm.failure ?? `${name} was not created (${vm.fork ? 'its host was refused or it failed' : 'failed'})`); return undefined; }
      if (vm.state === 'terminated') { report(false, `${name} is terminated; ${what}`); return undefined; }
      if (vm.arriving) { notReady(vm, atMs, report); return undefined; }
      return vm;
    };
    const b = item.body;
    switch (b.kind) {
      case 'fork': {
        const f = model.forks.get(b.fork.text);
        if (!f) { report(false, `no fork '${b.fork.text}'`); return; }
        const run = new ForkRun(world, f, line, report);
        forkLocs.set(f.name, loc);
        forks.push(run);
        run.begin();
        return;
      }
      case 'syscall': {
        const vm = vmNamed(b.vm, 'the call does not run');
        if (!vm) return;
        // A migrated VM runs on its new host.
        if (!isRunning(vm)) { report(false, `${vm.name} is ${vm.state}; the call does not run`); return; }
        if (monitors.killed.has(`${vm.name}/${b.process.text}`) || lost.get(vm.name)?.has(b.process.text)) {
          report(false, `process ${b.process.text} of ${vm.name} is gone`); return;
        }
        // `isolate`: a child's packets never leave the parent's subnet.
        const run = vm.fork ? forks.find((f) => f.name === vm.fork) : undefined;
        const dest = b.args.find((a): a is A.Addr => 'ip' in a);
        if (run && dest && (b.call.text === 'connect' || b.call.text === 'sendto') && !run.reaches(dest.ip)) {
          report(true, `${b.call.text} by ${vm.name}/${b.process.text} to ${dest.text}: blocked by isolate (outside the parent's subnet), ENETUNREACH`);
          return;
        }
        monitors.decide({ vm, process: b.process.text, call: b.call.text, args: b.args, line }, (v) => {
          const what = `${b.call.text} by ${vm.name}/${b.process.text}`;
          if (!v.monitor) report(true, `${what}: no monitor, allowed`);
          else if (v.dropped) report(true, `${what}: ${v.monitor} buffer full, event dropped`);
          else report(true, `${what}: ${v.monitor} rule ${v.rule} → ${v.actions.map(actionText).join(', ')} after ${v.delayUs} us`);
        });
        return;
      }
      case 'checkpoint': {
        const sym = ns.get(b.checkpoint.text);
        const cd = sym?.decl as A.CheckpointDecl | undefined;
        const vmModel = cd ? model.vms.get(cd.vm.text) : undefined;
        const vm = vmModel ? world.vms.get(vmModel.name) : undefined;
        if (!sym || !cd || !vmModel || !vm) { report(false, `no checkpoint '${b.checkpoint.text}'`); return; }
        if (vm.state === 'terminated') { report(false, `${vm.name} is terminated`); return; }
        if (vm.arriving) { notReady(vm, atMs, report); return; }
        const rel = outputPath(cd);
        const file = nodePath.resolve(options.checkpointDir ?? nodePath.dirname(sym.path), rel);
        const excluded = excludedProcesses(vmModel, cd);
        try {
          // --checkpoint-dir comes from the command line (trusted), not from the source: create it if missing.
          if (options.checkpointDir && !existsSync(options.checkpointDir)) mkdirSync(options.checkpointDir, { recursive: true });
          const w = writeCheckpoint(file, vmModel, cd.name.text, seed, atMs, excluded, includesDisk(cd), { root: writeRoot, maxBytes: options.maxCheckpointBytes, limitHint: options.checkpointLimitHint });
          excludedBy.set(cd.name.text, w.manifest.excluded);
          takenOn.set(cd.name.text, vm.host);
          result.checkpoints.push({ name: cd.name.text, file, excluded: w.manifest.excluded, sanitized_pages: w.manifest.sanitized.pages, bytes: w.bytes, line, loc });
          report(true, `checkpoint ${cd.name.text}: wrote ${w.bytes} bytes to ${file}; sanitised ${w.manifest.sanitized.pages} pages and ${w.manifest.sanitized.blocks} blocks of ${w.manifest.excluded.join(', ') || 'nothing'}`);
        } catch (e) {
          // Refusals (outside the root, not vmsec's file, too large) and I/O errors: this step's error, located.
          const m = messageOf(e);
          report(false, m.startsWith(`checkpoint ${cd.name.text} `) ? m : `checkpoint ${cd.name.text}: ${m}`);
        }
        return;
      }
      case 'restore': {
        const ck = [...result.checkpoints].reverse().find((c) => c.name === b.checkpoint.text);
        const host = model.hosts.get(b.host.text);
        const cd = ns.get(b.checkpoint.text)?.decl as A.CheckpointDecl | undefined;
        const orig = cd ? model.vms.get(cd.vm.text) : undefined;
        if (!ck || !host || !orig) { report(false, `checkpoint ${b.checkpoint.text} has not been taken`); return; }
        const as = b.as.text;
        const existing = world.vms.get(as);
        if (existing?.state === 'terminated') { report(false, `${as} is terminated; a restore cannot replace it`); return; }
        if (existing?.arriving) { notReady(existing, atMs, report); return; }
        let manifest: ReturnType<typeof readCheckpoint>;
        try { manifest = readCheckpoint(ck.file); } catch (e) { report(false, `restore ${b.checkpoint.text}: ${messageOf(e)}`); return; }
        // Another checkpoint may have been written to the same file since.
        if (manifest.checkpoint !== ck.name || manifest.vm !== orig.name) {
          report(false, `restore ${b.checkpoint.text}: ${ck.file} now holds checkpoint ${manifest.checkpoint} of ${manifest.vm}, written over it`);
          return;
        }
        const from = takenOn.get(ck.name) ?? orig.host;
        const lostNow = manifest.excluded ?? [];
        const place = (vm: VmRuntime) => {
          vm.vtpm = orig.vtpm ? world.newVtpm(as, host) : undefined;
          world.vms.set(as, vm);
          lost.set(as, new Set(lostNow));
        };
        const lostText = `lost: ${lostNow.join(', ') || 'nothing'}`;
        if (from === host) {
          place({ name: as, model: orig, host, state: 'running' });
          report(true, `restored ${as} on ${host.name} from ${ck.file} (on this host); ${lostText}`);
          return;
        }
        const spec = { kind: 'restore' as const, vm: as, from, to: host, line, image: fileImage(ck.file) };
        const problem = moveProblem(world, spec);
        if (problem) { report(false, `restore ${b.checkpoint.text} as ${as} on ${host.name}: ${problem}${existing ? `; ${as} stays as it was` : ''}`); return; }
        // A new name exists at once, not ready until its image has arrived; a VM restored over stays until then.
        const pending: VmRuntime = { name: as, model: orig, host, state: 'paused' };
        if (!existing) world.vms.set(as, pending);
        const { expectedReadyUs } = move(world, spec, (r) => {
          world.arrived(pending, r.failed ? undefined : world.engine.now, r.failed);
          // Terminated while the image crossed (a monitor): terminated is final, the restore does not revive it.
          if (existing && world.vms.get(as) === existing && existing.state === 'terminated') {
            report(false, `restore ${b.checkpoint.text} as ${as} on ${host.name}: ${as} was terminated meanwhile; a restore cannot replace it`);
            return;
          }
          if (r.failed) {
            pending.state = 'failed';
            pending.failure = `${as} was not restored (${r.failed})`;
            report(false, `restore ${b.checkpoint.text} as ${as} on ${host.name} failed: ${r.failed}${existing ? `; ${as} stays as it was` : ''}`);
            return;
          }
          pending.state = 'running';
          place(pending);
          report(true, `restored ${as} on ${host.name}, ready at ${world.nowMs.toFixed(1)} ms: ${r.bytes} bytes of ${ck.file} copied from ${from.name} over ${r.link} in ${r.sent} chunk messages${resentText(r)}; ${lostText}`);
        });
        pending.arriving = { what: 'restored', over: routeName(world, from, host), readyUs: expectedReadyUs };
        return;
      }
      case 'write': {
        const vm = vmNamed(b.vm, 'it cannot write');
        if (!vm) return;
        const share = shares.find((s) => s.path.value === b.path.value && s.vms.some((v) => v.text === vm.name));
        if (!share) {
          // A write on a fork parent's own disk is propagated to its clones.
          const updates = forks.filter((f) => f.parentName === vm.name).map((f) => [f.name, f.propagateWrite(b.path.value)] as const);
          const done = updates.filter(([, u]) => u);
          if (done.length) {
            report(true, `write by ${vm.name} to "${b.path.value}": ${done.map(([n, u]) => `block ${u!.block} sent again to ${u!.children} ${n} ${u!.children === 1 ? 'child' : 'children'} holding it`).join('; ')}`);
          } else report(false, `${vm.name} neither shares "${b.path.value}" nor has it as a process file of a forked vm`);
          return;
        }
        const verdict = share.requireCertificate ? cas.checkAny(cas.heldBy(vm.name), vm.name, world.engine.now) : { ok: true, why: 'no certificate required' };
        writes.push({ vm: vm.name, path: b.path.value, allowed: verdict.ok, why: verdict.why });
        report(true, `write by ${vm.name} to "${b.path.value}": ${verdict.ok ? 'allowed' : 'denied'} (${verdict.why})`);
        return;
      }
      case 'present': {
        // The thief's copy as it was when stolen: the owner's later `rotate` does not renew it.
        const cert = cas.stolenCopy(b.certificate.text);
        const thief = [...model.attackers.values()].find((a) => a.steals.includes(b.certificate.text));
        if (!cert || !thief) { report(false, `no attacker holds certificate ${b.certificate.text}`); return; }
        const verdict = cas.check(cert, cert.subject, world.engine.now);
        writes.push({ vm: `${thief.name} as ${cert.subject}`, path: b.path.value, allowed: verdict.ok, why: verdict.why });
        report(true, `attacker ${thief.name} presents ${cert.name} for "${b.path.value}": ${verdict.ok ? 'accepted' : 'rejected'} (${verdict.why})`);
        return;
      }
      case 'rotate': {
        const c = cas.rotate(b.certificate.text, world.engine.now);
        report(!!c, c ? `certificate ${c.name} re-issued, valid until ${((c.issuedUs + c.validUs) / 1000).toFixed(0)} ms` : `no certificate ${b.certificate.text}`);
        return;
      }
      case 'migrate': {
        const vm = vmNamed(b.vm, 'it cannot be migrated');
        const host = model.hosts.get(b.host.text);
        if (!vm || !host) { if (vm) report(false, `no host '${b.host.text}'`); return; }
        // One meaning for every migration (step, monitor action, escalation): migration.ts.
        const refused = migrateVm(world, vm, host, line, undefined, (o) => report(o.ok, o.text));
        if (refused) report(false, refused.text);
        return;
      }
    }
  };

  /**
   * A step that named a VM before it is ready: an error that says when it will
   * be. A fork child's ready time is known only once it has its descriptor,
   * vTPM and attestation, so until then the error is reported when it is
   * (ready or failed); the step's time stays the one it was run at.
   */
  const notReady = (vm: VmRuntime, atMs: number, report: (ok: boolean, outcome: string) => void): void => {
    const a = vm.arriving!;
    const how = `it is being ${a.what} ${a.what === 'forked' ? a.over : `over ${a.over}`}`;
    if (a.readyUs !== undefined) { report(false, `${vm.name} is not ready: ${how} and will be ready at about ${(a.readyUs / 1000).toFixed(1)} ms`); return; }
    (a.waiters ??= []).push((readyUs, failure) => report(false, readyUs !== undefined
      ? `${vm.name} is not ready at ${atMs.toFixed(1)} ms: ${how} and will be ready at ${(readyUs / 1000).toFixed(1)} ms`
      : `${vm.name} is not ready at ${atMs.toFixed(1)} ms: ${how}, and then ${failure ?? 'never became ready'}`));
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
      ? `step stopped: it caused more than ${e.limit.toLocaleString('en-US')} simulated events (the simulator's limit per step); lower children, memory or the working set`
      : `step stopped: the simulator could not complete it (${messageOf(e)})`;
    const line = label?.line ?? result.line;
    const loc = label?.loc ?? result.loc;
    result.steps.push({ line, at_ms: label?.at_ms ?? world.nowMs, step: label?.step ?? '', ok: false, outcome: message, loc });
    result.errors.push({ line, message, loc });
  });
  result.stats.sim_ms = world.nowMs;
  if (traceReports.length) {
    result.traces = traceReports;
    for (const r of traceReports) if (r.error) result.errors.push({ line: result.line, loc: result.loc, message: `--trace ${r.vm}=${r.path}: ${r.error}` });
  }
  // Whoever waited for a VM that never became ready hears it now.
  for (const vm of world.vms.values()) if (vm.arriving?.waiters) world.arrived(vm, undefined, 'it never became ready');
  for (const f of forks) f.finish();
  // Outcomes reported late (a fork child's ready time, a transfer's end) go back to their step's time; sort is stable.
  result.steps.sort((a, b) => a.at_ms - b.at_ms);
  // Items the fork, monitor and migration modules recorded carry their step's line (or fork): give them its location.
  const atLine = (line: number) => stepLocs.get(line) ?? result.loc;
  for (const a of result.attestations) a.loc ??= forkLocs.get(a.fork) ?? atLine(a.line);
  for (const t of result.transfers) t.loc ??= forkLocs.get(t.fork) ?? result.loc;
  for (const m of result.monitor) m.loc ??= atLine(m.line);
  for (const m of result.moves) m.loc ??= atLine(m.line);

  for (const t of world.network.taps.values()) result.taps.push({ ...t });
  Object.assign(result.attacks, world.network.attackCounts);
  result.stats.events = world.engine.processed;
  result.stats.bytes_sent = world.network.bytesSent;
  Object.assign(result.stats, world.work);

  const sees = (attacker: string) => {
    const tapped = result.taps.filter((t) => t.attacker === attacker && t.confidential_seen);
    if (tapped.length) return { seen: true, why: `marker seen in clear on ${tapped.map((t) => t.link).join(', ')}` };
    const a = model.attackers.get(attacker);
    for (const spy of a?.vms ?? []) {
      for (const vm of world.vms.values()) {
        // Where the VM is now: a migrated VM is co-resident on its new host.
        if (vm.host !== spy.host || (!isRunning(vm) && vm.state !== 'paused')) continue;
        if (a?.tenant && vm.model.tenant === a.tenant) continue;
        const secret = vm.model.processes.find((p) => p.confidential && !lost.get(vm.name)?.has(p.name));
        if (secret) return { seen: true, why: `co-resident with ${vm.name} (confidential ${secret.name}) on ${vm.host.name}` };
      }
    }
    const taps = result.taps.filter((t) => t.attacker === attacker);
    return { seen: false, why: taps.length ? `tapped ${taps.reduce((n, t) => n + t.messages, 0)} messages, no marker in clear` : 'no tap, no co-resident vm with confidential data' };
  };
  for (const item of d.items) {
    if (item.key !== 'expect') continue;
    result.expectations.push(evaluate(item.body, { line: options.lineOf(item.span), loc: here(item.span) }, options.textOf(item.span), {
      world, result, sees,
      writeVerdict: (vm, path) => [...writes].reverse().find((w) => w.vm === vm && w.path === path)?.allowed,
      excluded: (c) => excludedBy.get(c),
      verdicts: (m, action) => monitors.counts.get(m)?.[action] ?? 0,
    }));
  }
  // Transient children are discarded after the expectations have seen them.
  for (const f of forks) f.discard();
  result.passed = result.errors.length === 0 && result.expectations.every((e) => e.passed);
  return world;
}

function describeUs(us: number): string {
  return Number.isFinite(us) ? `${(us / 3600e6).toPrecision(3)} h` : String(us);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function routeName(world: World, a: HostModel, b: HostModel): string {
  return world.network.route(a, b)?.name ?? 'no link';
}

function resentText(r: { dropped: number; rejected: number }): string {
  if (!r.dropped && !r.rejected) return '';
  return ` (re-sent ${[r.dropped ? `${r.dropped} lost` : '', r.rejected ? `${r.rejected} rejected by SHA-256` : ''].filter(Boolean).join(' and ')})`;
}

/** A checkpoint file as an image to send: read in pieces as they are sent, never opening anything but a regular file. */
function fileImage(file: string): ImageSource {
  const fd = openRegularFile(file);
  let size: number;
  try { size = fstatSync(fd).size; } finally { closeSync(fd); }
  return {
    size,
    bytes(offset, length) {
      const out = Buffer.alloc(length);
      const f = openRegularFile(file);
      try {
        readSync(f, out, 0, length, offset);
      } finally { closeSync(f); }
      return out;
    },
  };
}

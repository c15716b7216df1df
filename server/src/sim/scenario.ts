// Runs one scenario: a fresh world from time 0 with the scenario's seed, each
// step at its time (steps at the same time in the order written), then every
// expectation against what happened.
import * as nodePath from 'node:path';
import type * as A from '../../../grammar/src/ast';
import type { Resolved } from '../model/resolve';
import type { FileSet } from '../model/workspace';
import { excludedProcesses, includesDisk, outputPath } from '../model/checkpoint-plan';
import type { HostModel, VmModel } from '../model/semantic';
import { DEFAULT_COSTS, Costs } from './costs';
import { ForkRun } from './fork';
import { startHashWorkers } from './page-hasher';
import { Monitors, actionText } from './monitor';
import { fileChunks, readCheckpoint, writeCheckpoint } from './checkpoint';
import { CertificateAuthority } from './certificates';
import { evaluate, vmRefName } from './expectations';
import { memoryLayout, PAGE, PageSource } from './pages';
import type { ScenarioResult } from './results';
import { World, VmRuntime } from './world';

export interface RunOptions {
  costs?: Partial<Costs>;
  /** Where checkpoint files go instead of beside the declaring file (tests, CI). */
  checkpointDir?: string;
  /** Lines of the file, for expectation texts and step lines. */
  lineOf: (span: A.Span) => number;
  textOf: (span: A.Span) => string;
  /** Receives the world after the run (for exporting quotes). */
  onWorld?: (scenario: string, world: World) => void;
}

interface WriteRecord { vm: string; path: string; allowed: boolean; why: string }

export function runScenario(d: A.ScenarioDecl, set: FileSet, resolved: Resolved, options: RunOptions): ScenarioResult {
  const wall0 = performance.now();
  const seedItem = d.items.find((i): i is Extract<A.ScenarioItem, { key: 'seed' }> => i.key === 'seed');
  const seed = seedItem?.value.value ?? 1;
  const result: ScenarioResult = {
    name: d.title.value, seed, passed: false, line: options.lineOf(d.title.span), steps: [], expectations: [], attestations: [],
    transfers: [], monitor: [], checkpoints: [], taps: [], attacks: { tampered: 0, dropped: 0, replayed: 0 }, errors: [],
    stats: { events: 0, sim_ms: 0, wall_ms: 0, signatures: 0, verifications: 0, hashes: 0, bytes_sent: 0 },
  };
  const { ns, model } = resolved;
  const world = new World(model, seed, { ...DEFAULT_COSTS, ...options.costs }, result);
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

  // Shares are nameless, so they come from the declarations of every file.
  for (const f of set.files) for (const x of f.doc.decls) if (x.kind === 'share') shares.push(x);

  const step = (item: Extract<A.ScenarioItem, { key: 'step' }>, describe: string) => {
    const line = options.lineOf(item.span);
    const atMs = world.nowMs;
    const report = (ok: boolean, outcome: string) => {
      result.steps.push({ line, at_ms: atMs, step: describe, ok, outcome });
      if (!ok) result.errors.push({ line, message: outcome });
    };
    const vmNamed = (r: A.VmRef): VmRuntime | undefined => {
      const name = vmRefName(r);
      const vm = world.vms.get(name);
      if (!vm) { report(false, `${name} does not exist in this run`); return undefined; }
      if (vm.state === 'failed') { report(false, `${name} was not created (${vm.fork ? 'its host was refused or it failed' : 'failed'})`); return undefined; }
      return vm;
    };
    const b = item.body;
    switch (b.kind) {
      case 'fork': {
        const f = model.forks.get(b.fork.text);
        if (!f) { report(false, `no fork '${b.fork.text}'`); return; }
        const run = new ForkRun(world, f, line, report);
        forks.push(run);
        run.begin();
        return;
      }
      case 'syscall': {
        const vm = vmNamed(b.vm);
        if (!vm) return;
        // A migrated VM runs on its new host.
        if (vm.state !== 'running' && vm.state !== 'migrated') { report(false, `${vm.name} is ${vm.state}; the call does not run`); return; }
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
        const rel = outputPath(cd);
        const file = options.checkpointDir ? nodePath.resolve(options.checkpointDir, rel) : nodePath.resolve(nodePath.dirname(sym.path), rel);
        const excluded = excludedProcesses(vmModel, cd);
        try {
          const w = writeCheckpoint(file, vmModel, cd.name.text, seed, atMs, excluded, includesDisk(cd));
          excludedBy.set(cd.name.text, w.manifest.excluded);
          result.checkpoints.push({ name: cd.name.text, file, excluded: w.manifest.excluded, sanitized_pages: w.manifest.sanitized.pages, bytes: w.bytes, line });
          report(true, `checkpoint ${cd.name.text}: wrote ${w.bytes} bytes to ${file}; sanitised ${w.manifest.sanitized.pages} pages and ${w.manifest.sanitized.blocks} blocks of ${w.manifest.excluded.join(', ') || 'nothing'}`);
        } catch (e) { report(false, `checkpoint ${cd.name.text}: ${(e as Error).message}`); }
        return;
      }
      case 'restore': {
        const ck = result.checkpoints.find((c) => c.name === b.checkpoint.text);
        const host = model.hosts.get(b.host.text);
        const cd = ns.get(b.checkpoint.text)?.decl as A.CheckpointDecl | undefined;
        const orig = cd ? model.vms.get(cd.vm.text) : undefined;
        if (!ck || !host || !orig) { report(false, `checkpoint ${b.checkpoint.text} has not been taken`); return; }
        try {
          const manifest = readCheckpoint(ck.file);
          const from = world.vms.get(orig.name)?.host ?? orig.host;
          const moved = sendFile(world, ck.file, from, host);
          const vm: VmRuntime = { name: b.as.text, model: orig, host, state: 'running', vtpm: orig.vtpm ? world.newVtpm(b.as.text, host) : undefined };
          world.vms.set(vm.name, vm);
          lost.set(vm.name, new Set(manifest.excluded));
          report(true, `restored ${b.as.text} on ${host.name} from ${manifest.records} records${moved}; lost: ${manifest.excluded.join(', ') || 'nothing'}`);
        } catch (e) { report(false, `restore: ${(e as Error).message}`); }
        return;
      }
      case 'write': {
        const vm = vmNamed(b.vm);
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
        const verdict = share.requireCertificate ? cas.check(cas.heldBy(vm.name), vm.name, world.engine.now) : { ok: true, why: 'no certificate required' };
        writes.push({ vm: vm.name, path: b.path.value, allowed: verdict.ok, why: verdict.why });
        report(true, `write by ${vm.name} to "${b.path.value}": ${verdict.ok ? 'allowed' : 'denied'} (${verdict.why})`);
        return;
      }
      case 'present': {
        const cert = cas.certs.get(b.certificate.text);
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
        const vm = vmNamed(b.vm);
        const host = model.hosts.get(b.host.text);
        if (!vm || !host) return;
        if (vm.host === host) { report(false, `${vm.name} is already on ${host.name}`); return; }
        const moved = migrate(world, vm, host);
        report(!!moved, moved ?? `no link or network joins ${vm.host.name} and ${host.name}`);
        return;
      }
    }
  };

  for (const item of d.items) {
    if (item.key !== 'step') continue;
    world.engine.at(item.at.value, () => step(item, options.textOf({ start: item.at.span.end, end: item.span.end })));
  }
  try {
    world.engine.run();
  } catch (e) {
    result.errors.push({ line: result.line, message: `simulation stopped: ${(e as Error).message}` });
  }
  result.stats.sim_ms = world.nowMs;
  for (const f of forks) f.finish();

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
        if (vm.host !== spy.host || (vm.state !== 'running' && vm.state !== 'paused')) continue;
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
    result.expectations.push(evaluate(item.body, options.lineOf(item.span), options.textOf(item.span), {
      world, result, sees,
      writeVerdict: (vm, path) => [...writes].reverse().find((w) => w.vm === vm && w.path === path)?.allowed,
      excluded: (c) => excludedBy.get(c),
      verdicts: (m, action) => monitors.counts.get(m)?.[action] ?? 0,
    }));
  }
  result.passed = result.errors.length === 0 && result.expectations.every((e) => e.passed);
  result.stats.wall_ms = Math.round(performance.now() - wall0);
  options.onWorld?.(result.name, world);
  return result;
}

/** A file copied from one host to another crosses the network in 1 MiB messages (taps see its bytes). */
function sendFile(world: World, file: string, from: HostModel, to: HostModel): string {
  if (from === to) return '';
  const link = world.network.route(from, to);
  if (!link) return ` (no route from ${from.name}: read locally)`;
  let n = 0;
  for (const chunk of fileChunks(file)) { world.network.send(from, link, 1, { kind: 'file', bytes: chunk.length, payload: chunk, meta: null }, () => undefined); n++; }
  return ` after copying it from ${from.name} over ${link.name} (${n} MiB)`;
}

/** Live migration: the VM's memory crosses the network in the clear, 256 pages a message. */
function migrate(world: World, vm: VmRuntime, to: HostModel): string | undefined {
  const link = world.network.route(vm.host, to);
  if (!link) return undefined;
  const model: VmModel = vm.model;
  const pages = Math.floor(model.memory / PAGE);
  const src = new PageSource(world.seed, model.name, 'mem', memoryLayout(model), pages);
  const from = vm.host;
  vm.state = 'paused';
  // As for fork pages: the bytes are made only where something on the link reads them.
  const observed = world.network.observed(link);
  for (let i = 0; i < pages; i += 256) {
    const n = Math.min(256, pages - i);
    const payload = observed ? src.span(i, n) : undefined;
    world.network.send(from, link, 1, { kind: 'migrate', bytes: n * PAGE, payload, meta: null }, () => undefined);
  }
  const done = world.engine.now + world.network.transmitUs(link, model.memory) + link.latencyUs;
  world.engine.at(done, () => { vm.host = to; if (vm.state === 'paused') vm.state = 'migrated'; });
  return `${vm.name} migrates from ${from.name} to ${to.name} over ${link.name}: ${pages} pages, about ${((done - world.engine.now) / 1000).toFixed(1)} ms`;
}

// A fork (SnowFlock, made trusted by Ma et al.), phase by phase: placement
// (placement.ts), the parent's descriptor (descriptor.ts), mutual attestation
// of each target host and of new vTPMs (attestation.ts), the descriptor and
// pages on the wire (page-transfer.ts, multicast.ts), the eager copy
// (eager-copy.ts), the lazy working set (workload.ts), the disk (disk.ts) and
// each child's readiness or failure (lifecycle.ts). This file sequences them.
import type { ForkModel, HostModel, LinkModel } from '../../model/semantic';
import { inBlock } from '../../../../grammar/src/literals';
import { isRunning, type World } from '../world';
import { ForkState, type Child } from './state';
import { placeChildren, tooLarge } from './placement';
import { attestHost } from './attestation';
import { beginChildren, buildDescriptor, pausedForDescriptor } from './descriptor';
import { planIntegrity } from './page-transfer';
import { propagateWrite } from './disk';
import { refuse } from './lifecycle';

/** Hosts whose children begin together: one per network with `multicast`, else one per host. */
interface Gate { hosts: number; passed: Child[] }

export class ForkRun {
  private readonly s: ForkState;

  constructor(world: World, fork: ForkModel, line: number, onSettled: (ok: boolean, outcome: string) => void) {
    this.s = new ForkState(world, fork, line, onSettled);
  }

  begin(): void { this.s.startMs = this.s.world.nowMs; this.start(); }

  start(): void {
    const s = this.s;
    const { world, fork } = s;
    // A migrated parent runs on its new host and may fork there.
    if (!isRunning(s.parent) || s.parent.arriving) {
      // Paused by another fork of it: say by which, and until when (a later step can fork it then).
      s.onSettled(false, `fork ${fork.name}: parent vm '${fork.parent.name}' is ${pausedForDescriptor(s.parent) ?? s.parent.state}`);
      return;
    }
    const large = tooLarge(s);
    if (large) { s.onSettled(false, large); return; }
    planIntegrity(s);
    const buildDone = buildDescriptor(s);
    const byHost = placeChildren(s);

    // Hosts are attested before anything is sent to them. With `multicast`,
    // the hosts on one network wait for each other's verdicts and then get the
    // descriptor in one frame (once per network); otherwise each host alone.
    // Each gate counts its hosts first: a host without a TPM is refused at once.
    const routes = new Map<HostModel, LinkModel | undefined>();
    const gates = new Map<unknown, Gate>();
    for (const host of byHost.keys()) {
      const link = host === s.source ? undefined : world.network.route(s.source, host);
      routes.set(host, link);
      if (!link) continue;
      const key = fork.multicast ? link : host;
      const gate = gates.get(key) ?? { hosts: 0, passed: [] };
      gates.set(key, gate);
      gate.hosts++;
    }
    for (const [host, kids] of byHost) {
      if (host === s.source) { world.engine.at(buildDone, () => beginChildren(s, kids)); continue; }
      const link = routes.get(host);
      if (!link) { refuse(s, host, kids, 'no link or network to the source'); continue; }
      for (const k of kids) k.link = link;
      const gate = gates.get(fork.multicast ? link : host)!;
      if (!fork.attestHosts) { this.verdict(gate, kids, buildDone); continue; }
      attestHost(s, host, link, (ok, why) => {
        if (!ok) refuse(s, host, kids, `attestation failed, ${why}`);
        this.verdict(gate, ok ? kids : [], buildDone);
      });
    }
    if (s.children.length === 0) s.onSettled(false, `fork ${fork.name}: no children`);
  }

  /** A host's verdict for its gate: once every host of the gate has one, the passed children begin (after the descriptor is built). */
  private verdict(gate: Gate, passed: Child[], buildDone: number): void {
    const s = this.s;
    gate.passed.push(...passed);
    if (--gate.hosts > 0) return;
    const kids = gate.passed.sort((a, b) => a.index - b.index);
    s.world.engine.at(Math.max(s.world.engine.now, buildDone), () => beginChildren(s, kids));
  }

  /** A write on the parent's disk after the fork, propagated to children holding the block (disk.ts). */
  propagateWrite(path: string): { block: number; children: number } | undefined { return propagateWrite(this.s, path); }

  get parentName(): string { return this.s.fork.parent.name; }
  get name(): string { return this.s.fork.name; }

  /** Whether a child may reach an address (`isolate`: only the parent's subnet). */
  reaches(ip: number): boolean {
    return !this.s.fork.isolate || inBlock(ip, this.s.fork.parent.subnet);
  }

  /** At scenario end, before the expectations: each child's final state in the JSON. */
  finish(): void {
    for (const c of this.s.children) c.stats.state = c.failed ? c.stats.state : c.runtime.state;
  }

  /** After the expectations: transient children are discarded (the JSON keeps the state they were checked in). */
  discard(): void {
    if (!this.s.fork.transient) return;
    for (const c of this.s.children) {
      if (c.failed || c.runtime.state === 'terminated') continue;
      c.runtime.state = 'terminated';
      c.stats.discarded = true;
    }
  }
}

// The descriptor (SnowFlock): the parent pauses while its page tables are
// built, then every created child gets its vTPM and the descriptor (once per
// network with multicast; a child on the source host has it at once).
import { range, type Child, type ForkState, GiB } from './state';
import { attestVtpm } from './attestation';
import { maybeReady } from './lifecycle';
import { sendAll } from './page-transfer';
import type { VmRuntime } from '../world';

/** Parents paused by a descriptor build, with the fork and the end (µs): a later step can say why the VM is paused. */
const building = new WeakMap<VmRuntime, { fork: string; untilUs: number }>();

/** Pauses the parent while the descriptor is built; returns when it is done (µs). */
export function buildDescriptor(s: ForkState): number {
  const { world, fork } = s;
  const before = s.parent.state;
  s.parent.state = 'paused';
  const buildDone = world.engine.now + world.costs.descriptorPerGiB * (fork.parent.memory / GiB);
  const build = { fork: fork.name, untilUs: buildDone };
  building.set(s.parent, build);
  world.engine.at(buildDone, () => {
    if (building.get(s.parent) === build) building.delete(s.parent);
    if (s.parent.state === 'paused') s.parent.state = before;
  });
  return buildDone;
}

/** Why a paused VM is paused, when a fork's descriptor build paused it: "paused until … while fork F's descriptor is built". */
export function pausedForDescriptor(vm: VmRuntime): string | undefined {
  const b = vm.state === 'paused' ? building.get(vm) : undefined;
  return b && `paused until ${(b.untilUs / 1000).toFixed(1)} ms while fork ${b.fork}'s descriptor is built`;
}

/** Children whose host passed: create their vTPMs and send their descriptor. */
export function beginChildren(s: ForkState, kids: Child[]): void {
  const { world, fork } = s;
  for (const c of kids) {
    c.created = true;
    c.createdUs = world.engine.now;
    s.phase(c, c.link && fork.attestHosts ? `${c.host.name} attested, descriptor built` : 'descriptor built', s.startMs * 1000);
    c.stats.created = true;
    c.stats.state = 'starting';
    c.runtime.state = 'paused';
    if (fork.parent.vtpm) {
      world.engine.after(world.costs.vtpmCreate, () => {
        c.runtime.vtpm = world.newVtpm(c.name, c.host);
        if (fork.attestVtpm) attestVtpm(s, c); else { c.vtpmDone = true; s.phase(c, 'vTPM created', c.createdUs!); maybeReady(s, c); }
      });
    } else c.vtpmDone = true;
    if (!c.link) { c.descMissing = 0; c.have.desc.fill(1); }
  }
  const remote = kids.filter((c) => c.link);
  sendAll(s, 'desc', range({ first: 0, count: s.descCount }), remote);
  for (const c of kids) maybeReady(s, c);
}

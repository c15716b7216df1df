// The descriptor (SnowFlock): the parent pauses while its page tables are
// built, then every created child gets its vTPM and the descriptor (once per
// network with multicast; a child on the source host has it at once).
import { range, type Child, type ForkState, GiB } from './state';
import { attestVtpm } from './attestation';
import { maybeReady } from './lifecycle';
import { sendAll } from './page-transfer';

/** Pauses the parent while the descriptor is built; returns when it is done (µs). */
export function buildDescriptor(s: ForkState): number {
  const { world, fork } = s;
  const before = s.parent.state;
  s.parent.state = 'paused';
  const buildDone = world.engine.now + world.costs.descriptorPerGiB * (fork.parent.memory / GiB);
  world.engine.at(buildDone, () => { if (s.parent.state === 'paused') s.parent.state = before; });
  return buildDone;
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

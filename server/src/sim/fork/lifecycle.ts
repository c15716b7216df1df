// A child's life: ready once it has its descriptor, vTPM and attestation (and,
// eagerly, every page); failed or never created otherwise. The fork step is
// reported once every child is ready or failed.
import type { HostModel } from '../../model/semantic';
import { round3, type Child, type ForkState } from './state';
import { refusalText } from '../results';
import { joinCarousel } from './eager-copy';
import { runWorkload } from './workload';

/** Makes the child ready when nothing is missing any more (eager copies first join the carousel). */
export function maybeReady(s: ForkState, c: Child): void {
  if (!c.created || c.failed || c.readyAt !== undefined || c.descMissing > 0 || !c.vtpmDone) return;
  const { world, fork } = s;
  if (c.link && !c.stats.state.startsWith('eager') && (fork.memory === 'eager' || fork.disk === 'eager')) {
    // Eager: every page (and allocated block) arrives before the child runs.
    c.stats.state = 'eager-copy';
    c.eagerUs = world.engine.now;
    if (joinCarousel(s, c)) return;
  }
  if (c.eagerMissing > 0) return;
  if (c.eagerUs !== undefined) s.phase(c, 'eager copy', c.eagerUs);
  c.readyAt = world.engine.now + world.costs.resume;
  if (c.runtime.arriving) c.runtime.arriving.readyUs = c.readyAt;
  world.engine.at(c.readyAt, () => {
    if (c.failed) return;
    world.arrived(c.runtime, c.readyAt);
    s.phase(c, 'ready', c.readyAt!, true);
    c.runtime.state = 'running';
    c.stats.state = 'running';
    c.stats.ready_ms = round3(c.readyAt! / 1000 - s.startMs);
    settle(s, c);
    if (c.link) runWorkload(s, c);
  });
}

/** A host that cannot take its children: they are not created. */
export function refuse(s: ForkState, host: HostModel, kids: Child[], why: string): void {
  s.refused.set(host.name, why);
  const refusal = { host: host.name, reason: why };
  for (const k of kids) {
    if (k.failed) continue;
    k.stats.refused = refusal;
    fail(s, k, refusalText(refusal), false);
  }
}

export function fail(s: ForkState, c: Child, why: string, created: boolean): void {
  if (c.failed) return;
  c.failed = why;
  c.stats.failed = why;
  // A child can fail after it was ready (a page rejected too often): the time tells the two apart.
  c.stats.failed_ms = round3(s.world.engine.now / 1000 - s.startMs);
  c.stats.state = created ? 'failed' : 'not created';
  c.runtime.state = 'failed';
  c.runtime.failure = created ? `${c.name} failed (${why})` : `${c.name} was ${why}`;
  s.world.arrived(c.runtime, undefined, c.runtime.failure);
  c.waiting.clear();
  s.phase(c, created ? `failed: ${why}` : why, s.world.engine.now, false);
  settle(s, c);
}

/** Reports the fork step once every child is ready or failed. */
function settle(s: ForkState, c: Child): void {
  if (c.settled) return;
  c.settled = true;
  if (++s.settled < s.children.length) return;
  const ready = s.children.filter((k) => k.stats.ready_ms !== null && !k.failed);
  const hosts = [...new Set(ready.map((k) => k.host.name))];
  const worst = Math.max(0, ...ready.map((k) => k.stats.ready_ms ?? 0));
  const refused = [...s.refused].map(([h, why]) => `${h} refused (${why})`);
  const failed = s.children.filter((k) => k.failed && k.created).map((k) => `${k.name} failed (${k.failed})`);
  const parts = [`${ready.length}/${s.children.length} children ready${hosts.length ? ` on ${hosts.join(', ')}` : ''}${ready.length ? ` within ${worst.toFixed(1)} ms` : ''}`, ...refused, ...failed];
  s.onSettled(ready.length > 0, `fork ${s.fork.name}: ${parts.join('; ')}`);
}

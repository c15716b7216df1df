// Page transfer (Ma et al.): every page or block that crosses a network is
// hashed and, per `integrity`, signed by the parent's AK (per page, or a
// Merkle root per batch); `encrypt` hides it from taps. The child verifies
// before use; a rejected page is asked for again, a lost one after a
// timeout, under the one retry rule (sim/retry.ts).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { LinkModel } from '../../model/semantic';
import { signCost, verifyCost } from '../costs';
import { signatureSlot } from '../keys';
import { PAGE } from '../pages';
import { fillPage } from '../page-bytes';
import { Proof, Space, proofBytes } from '../integrity';
import type { Message } from '../network';
import { Child, DataMeta, ForkState, keyOf, RUN, unkey } from './state';
import { givesUp } from '../retry';
import { claimForNetwork, frameGroups, siblingsOn } from './multicast';
import { fail, maybeReady } from './lifecycle';
import { touchOrder } from './workload';

/** Tells the signer which batches the fork will need, so worker threads can hash them ahead. */
export function planIntegrity(s: ForkState): void {
  const { fork } = s;
  if (fork.integrity.mode !== 'batched') return;
  const n = fork.integrity.batch;
  const every = (count: number) => (function* () { for (let i = 0; i < count; i += n) yield i; })();
  s.signer.plan('desc', s.desc, every(s.descCount));
  if (fork.memory === 'eager') s.signer.plan('mem', s.mem, every(s.mem.count));
  if (fork.disk === 'eager') s.signer.plan('disk', s.disk, s.diskBlocks);
  // Lazily, in the order the first child will touch them.
  for (const key of touchOrder(s, `${fork.name}[1]`)) { const [space, index] = unkey(key); s.signer.plan(space, s.pagesOf(space), [index]); }
}

/**
 * Pushes pages to children (descriptor, eager memory and disk): one frame
 * per network with multicast, else one per child, in runs of RUN pages.
 */
export function sendAll(s: ForkState, space: Space, indexes: number[], kids: Child[], count = space !== 'desc'): void {
  if (kids.length === 0) return;
  if (count) for (const c of kids) c.eagerMissing += indexes.length;
  const groups = frameGroups(s, kids);
  // Run-major, so each run's bytes are made once for every receiver.
  for (let i = 0; i < indexes.length; i += RUN) {
    const run = indexes.slice(i, i + RUN);
    // One plaintext for every group that needs the bytes, made at most once.
    let plain: Buffer | undefined;
    const bytes = () => (plain ??= plaintext(s, space, run));
    for (const [link, members] of groups) sendData(s, space, run, members, link, bytes, true);
  }
}

/**
 * A pushed run nobody asked for is noticed missing like a fetched page: where
 * an attacker drops messages, each receiver asks again for the pages of the
 * run it lacks and nobody has asked for since (a rejected page was), once the
 * run should long have come and been checked (one timer per run and link).
 * Called as the run goes on the wire, so the link's queue is known.
 */
function watchRunForLoss(s: ForkState, space: Space, run: number[], members: Child[], link: LinkModel): void {
  const { world } = s;
  const check = (c: Child) => {
    // Still checking what came: look again when the child's CPU is free.
    if (c.cpuFree > world.engine.now) { world.engine.at(c.cpuFree, () => check(c)); return; }
    for (const index of run) {
      if (c.failed) return;
      if (!c.have[space][index] && !c.requested.has(keyOf(space, index))) lost(s, c, space, index);
    }
  };
  world.engine.after(world.network.backlogUs(link, s.source) + 2 * link.latencyUs + world.costs.requestTimeout, () => { for (const c of members) check(c); });
}

/** The pages' own bytes, in one buffer. */
function plaintext(s: ForkState, space: Space, indexes: number[]): Buffer {
  const src = s.pagesOf(space);
  if (indexes.length === 1) return src.page(indexes[0]);
  const consecutive = indexes.every((x, k) => x === indexes[0] + k);
  return consecutive ? src.span(indexes[0], indexes.length) : Buffer.concat(indexes.map((i) => src.page(i)));
}

/** Signs (per `integrity`), encrypts (if `encrypt`) and sends pages in one message. */
export function sendData(s: ForkState, space: Space, indexes: number[], to: Child[], link: LinkModel, plain = () => plaintext(s, space, indexes), pushed = false): void {
  const { world, fork } = s;
  const costs = world.costs;
  const src = s.pagesOf(space);
  const h0 = s.signer.hashes;
  const s0 = s.signer.signatures;
  const versions = indexes.map((i) => src.version(i));
  const rewritten = versions.some((v) => v > 0);
  const proofs = indexes.map((i, k) => s.signer.proof(space, i, src, versions[k]));
  const hashed = s.signer.hashes - h0;
  const signed = s.signer.signatures - s0;
  world.work.hashes += hashed;
  world.work.signatures += signed;
  // The bytes travel where something reads them: encryption, or an attacker
  // on the link. Elsewhere the receiver gets the pages' own bytes, which the
  // sender has hashed, so they are not copied into a message nobody reads.
  let payload = fork.encrypt || world.network.observed(link) ? plain() : undefined;
  let iv: Buffer | undefined;
  if (payload && fork.encrypt) {
    iv = Buffer.alloc(12);
    iv.writeUInt32BE(s.ivCounter++, 8);
    const c = createCipheriv('aes-256-gcm', s.encKey, iv);
    payload = Buffer.concat([c.update(payload), c.final(), c.getAuthTag()]);
  }
  const cost = hashed * costs.sha256Page + signed * signCost(costs, s.signAlg) + (fork.encrypt ? costs.aesPage * indexes.length : 0);
  s.signerFree = Math.max(world.engine.now, s.signerFree) + cost;
  const overhead = proofs.reduce((n, p) => n + proofBytes(p, signatureSlot(s.signAlg)), 0);
  const msg: Message<DataMeta> = {
    kind: `data-${space}`, bytes: (payload?.length ?? indexes.length * PAGE) + 64 + 8 * indexes.length + overhead, payload,
    proof: fork.integrity.mode === 'none' ? undefined : proofs, meta: { space, indexes, iv, versions: rewritten ? versions : undefined },
  };
  world.engine.at(s.signerFree, () => {
    world.network.send(s.source, link, to.length, msg, (m, r) => receive(s, to[r], m));
    for (const c of to) c.stats.bytes += msg.bytes;
    if (pushed && world.network.canLose(link)) watchRunForLoss(s, space, indexes, to, link);
  });
}

/** Checks one page of a message; identical bytes are checked once for all receivers. */
function check(s: ForkState, m: Message<DataMeta>, k: number, plain: Buffer | undefined): { ok: boolean; bytes?: Buffer; hashes: number } {
  const { space, indexes } = m.meta;
  const index = indexes[k];
  const version = m.meta.versions?.[k] ?? 0;
  const key = keyOf(space, index);
  // An unmodified copy of a page has the page's own bytes: its answer is the same for every copy.
  const pristine = !m.tampered && !m.replayed;
  const reuse = pristine && version === 0;
  if (reuse) { const known = s.canonical.get(key); if (known) return known; }
  const bytes = plain && plain.length >= (k + 1) * PAGE ? plain.subarray(k * PAGE, (k + 1) * PAGE) : undefined;
  const proofs = m.proof as (Proof | undefined)[] | undefined;
  const proof = proofs?.[k];
  // Without bytes, only an unmodified copy can be checked (by its sender's hash); a body that did not decrypt fails.
  const v = bytes || (pristine && !m.payload) ? s.verifier.check(space, index, bytes, proof, pristine, version) : { ok: false, hashes: 0 };
  s.world.work.verifications = s.verifier.verifications;
  // The bytes are kept only where the truth must be checked later (a tampered or replayed body).
  const res = { ok: v.ok, bytes: v.ok && !pristine ? bytes : undefined, hashes: v.hashes };
  if (reuse) s.canonical.set(key, res);
  return res;
}

/** A child receives a message of pages: decrypt, verify each, then use them or ask again. */
function receive(s: ForkState, c: Child, m: Message<DataMeta>): void {
  if (c.failed) return;
  const { world, fork } = s;
  const costs = world.costs;
  const { space, indexes } = m.meta;
  const counts = space === 'disk' ? c.stats.blocks : space === 'desc' ? c.stats.descriptor : c.stats.pages;
  let plain: Buffer | undefined = m.payload;
  if (fork.encrypt && m.payload) {
    const perPayload = s.decrypted.get(m.payload);
    plain = perPayload ?? decrypt(s.encKey, m.meta.iv, m.payload);
    if (plain && !perPayload) s.decrypted.set(m.payload, plain);
  }
  const results = indexes.map((_, k) => check(s, m, k, plain));
  // Simulated cost, charged to every receiver; a batch signature once per child.
  let cost = fork.encrypt ? costs.aesPage * indexes.length : 0;
  indexes.forEach((index, k) => {
    cost += results[k].hashes * costs.sha256Page;
    if (fork.integrity.mode === 'per-page') cost += verifyCost(costs, s.signAlg);
    if (fork.integrity.mode === 'batched') {
      const b = keyOf(space, Math.floor(index / fork.integrity.batch));
      if (!c.batchesPaid.has(b)) { c.batchesPaid.add(b); cost += verifyCost(costs, s.signAlg); }
    }
  });
  c.cpuFree = Math.max(world.engine.now, c.cpuFree) + cost;
  world.engine.at(c.cpuFree, () => {
    if (!c.failed) world.timeline.count(s.receivedSeries, world.engine.now, indexes.length);
    indexes.forEach((index, k) => {
      if (c.failed) return;
      const result = results[k];
      const key = keyOf(space, index);
      counts.sent++;
      if (!result.ok) {
        counts.rejected++;
        world.timeline.count(s.rejectedSeries, world.engine.now);
        const n = (c.rejections.get(key) ?? 0) + 1;
        c.rejections.set(key, n);
        if (givesUp('rejected', n)) { fail(s, c, `${space === 'disk' ? 'block' : 'page'} ${index} rejected ${n} times`, true); return; }
        request(s, c, space, index, true);
        return;
      }
      if (fork.integrity.mode !== 'none') counts.verified++;
      const version = m.meta.versions?.[k] ?? 0;
      if (c.have[space][index]) {
        // A propagated write replaces the older contents.
        if (version > (c.versions.get(key) ?? 0)) { c.versions.set(key, version); c.stats.writes_propagated++; }
        return;
      }
      if (version > 0) c.versions.set(key, version);
      c.have[space][index] = 1;
      // The simulator knows the truth: bytes used that are not the page's own.
      // A tampered message of many pages has only some of them changed (the
      // rest are the pages themselves), so each accepted page is judged by its bytes.
      if (result.bytes && !isTrue(s, space, index, version, result.bytes)) c.stats.corrupted_accepted++;
      arrived(s, c, space, key);
    });
  });
}

/** Whether bytes are the page's own contents at the version the message was sent for. */
function isTrue(s: ForkState, space: Space, index: number, version: number, bytes: Buffer): boolean {
  const truth = Buffer.allocUnsafe(PAGE);
  fillPage(s.pagesOf(space).spec, index, version, truth, 0);
  return bytes.equals(truth);
}

/** A verified page is in: the descriptor or eager copy may be complete, and whoever waited for it goes on. */
function arrived(s: ForkState, c: Child, space: Space, key: number): void {
  if (space === 'desc') { if (--c.descMissing === 0 && c.createdUs !== undefined) s.phase(c, 'descriptor received', c.createdUs); maybeReady(s, c); }
  else if (c.eagerMissing > 0 && !c.readyAt) { c.eagerMissing--; maybeReady(s, c); }
  const w = c.waiting.get(key);
  if (w) { c.waiting.delete(key); for (const fn of w) fn(); }
}

/** The child asks the source for a page (first touch, or again after a rejection or a loss). */
export function request(s: ForkState, c: Child, space: Space, index: number, force: boolean): void {
  const { world, fork } = s;
  const key = keyOf(space, index);
  const link = c.link!;
  const shared = fork.multicast && !force;
  // A page already on its way to the child's network is not sent again (the
  // memory server would drop the request, so it is not simulated as a message either).
  if (shared && !claimForNetwork(s, link, key)) { watchForLoss(s, c, space, index); return; }
  const group = shared ? siblingsOn(s, link) : [c];
  // `fetched`: pages this child asked the source for (once each, retries aside).
  if (!c.requested.has(key)) { c.requested.add(key); (space === 'disk' ? c.stats.blocks : c.stats.pages).fetched++; }
  world.network.send(c.host, link, 1, { kind: 'request', bytes: 64, meta: null }, () => sendData(s, space, [index], group, link));
  watchForLoss(s, c, space, index);
}

/** Where an attacker drops messages, silence means a loss: ask again once the answer should long have come. */
function watchForLoss(s: ForkState, c: Child, space: Space, index: number): void {
  const { world } = s;
  const link = c.link!;
  if (!world.network.canLose(link)) return;
  const key = keyOf(space, index);
  const backlog = Math.max(0, s.signerFree - world.engine.now) + world.network.backlogUs(link, s.source);
  world.engine.after(backlog + 2 * (link.latencyUs + world.network.transmitUs(link, PAGE)) + world.costs.requestTimeout, () => {
    if (c.failed || c.have[space][index]) return;
    lost(s, c, space, index);
  });
}

/** A page that did not come: ask again, or fail the child (sim/retry.ts). */
function lost(s: ForkState, c: Child, space: Space, index: number): void {
  const key = keyOf(space, index);
  const n = (c.timeouts.get(key) ?? 0) + 1;
  c.timeouts.set(key, n);
  c.stats.dropped++;
  if (givesUp('lost', n)) { fail(s, c, `${space === 'disk' ? 'block' : 'page'} ${index} lost ${n} times`, true); return; }
  request(s, c, space, index, true);
}

function decrypt(key: Buffer, iv: Buffer | undefined, data: Buffer): Buffer | undefined {
  if (!iv || data.length < 16) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
  } catch { return undefined; }
}

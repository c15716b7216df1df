// A fork (SnowFlock, made trusted by Ma et al.): the parent pauses while its
// descriptor is built; each target host is attested both ways before anything
// is sent; the descriptor goes to every child (once per network with
// multicast); each child gets a vTPM with PCR 1-7 of its host (checked under
// `attest vtpm`); a child is ready when it has all three, and with eager
// memory or disk once every page or block has arrived. Lazily, a ready child
// fetches its working set on first touch. Every page really travels as bytes,
// is signed and verified per `integrity`, and is re-requested when rejected.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { ForkModel, HostModel, LinkModel } from '../model/semantic';
import { placement } from '../model/semantic';
import { formatIp, inBlock } from '../../../grammar/src/literals';
import { attest, Exchange } from './attest-exchange';
import { signCost, verifyCost } from './costs';
import { keyFor, signatureSlot } from './keys';
import { bootPcrs, measuredIndexes } from './pcr';
import { diskLayout, memoryLayout, PAGE, PageSource, Region } from './pages';
import { Proof, Signer, Space, Verifier, proofBytes } from './integrity';
import { derive, Rng } from './rng';
import type { Message } from './network';
import type { TransferResult } from './results';
import type { Policy } from './attestation';
import type { Tpm } from './tpm';
import { isRunning, type World, type VmRuntime } from './world';

const GiB = 1024 ** 3;
/** A rejected page is asked for again at most this many times; then the child fails. */
export const MAX_REJECTIONS = 3;
/** Lost messages are asked for again at most this many times. */
const MAX_TIMEOUTS = 8;
/** Touched memory beyond this is refused as too large to simulate. */
export const MAX_TOUCHED_BYTES = 64 * GiB;
/** Per-child page maps (a byte per page, block and descriptor page, for every child) beyond this are refused. */
export const MAX_PAGE_MAP_BYTES = GiB;

/** A size for messages, rounded to one decimal (390.6 GiB). */
export function formatSize(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return `${Number.isInteger(n) ? n : n.toFixed(1).replace(/\.0$/, '')} ${units[u]}`;
}

interface DataMeta { space: Space; indexes: number[]; versions?: number[]; iv?: Buffer }

/** A page's key in per-child maps and sets: a number, not a string (a fork may track millions). */
const SPACE_CODE: Record<Space, number> = { mem: 0, disk: 1, desc: 2 };
const keyOf = (space: Space, index: number): number => index * 4 + SPACE_CODE[space];
const SPACES: Space[] = ['mem', 'disk', 'desc'];
const unkey = (key: number): [Space, number] => { const code = key % 4; return [SPACES[code], (key - code) / 4]; };

/** Pages per message when pushing (descriptor, eager copies); a fetch carries one. */
const RUN = 64;

interface Child {
  index: number;
  name: string;
  host: HostModel;
  link?: LinkModel;          // undefined: on the source host
  runtime: VmRuntime;
  created: boolean;
  failed?: string;
  have: Record<Space, Uint8Array>;
  waiting: Map<number, (() => void)[]>;
  rejections: Map<number, number>;
  timeouts: Map<number, number>;
  requested: Set<number>;
  batchesPaid: Set<number>;
  /** Versions of rewritten pages this child holds. */
  versions: Map<number, number>;
  cpuFree: number;
  descMissing: number;
  eagerMissing: number;
  vtpmDone: boolean;
  readyAt?: number;
  /** Counted once towards the fork step's outcome (ready or failed). */
  settled: boolean;
  stats: TransferResult;
  /** Simulated times (µs) of its phases, for the timeline. */
  createdUs?: number;
  eagerUs?: number;
}

export class ForkRun {
  private readonly round: number;
  private readonly parent: VmRuntime;
  private readonly source: HostModel;
  private readonly children: Child[] = [];
  private readonly mem: PageSource;
  private readonly disk: PageSource;
  private readonly desc: PageSource;
  private readonly diskBlocks: number[];
  private readonly descCount: number;
  private readonly signer: Signer;
  private readonly verifier: Verifier;
  private readonly signAlg: 'ecdsa-p256' | 'rsa-2048';
  private signerFree = 0;
  private readonly groupSent = new Map<LinkModel, Set<number>>();
  /** Plaintexts of encrypted messages, decrypted once for all receivers of the very same ciphertext. */
  private readonly decrypted = new WeakMap<Buffer, Buffer>();
  /** Results for the canonical bytes of a page (copies nobody modified, never rewritten), computed once. */
  private readonly canonical = new Map<number, { ok: boolean; bytes?: Buffer; hashes: number }>();
  private readonly encKey: Buffer;
  private ivCounter = 0;
  private settled = 0;
  private readonly refused = new Map<string, string>();
  /** Timeline rate series: pages received and rejected per time bin. */
  private readonly receivedSeries: number;
  private readonly rejectedSeries: number;

  constructor(private readonly world: World, private readonly fork: ForkModel, private readonly line: number, private readonly onSettled: (ok: boolean, outcome: string) => void) {
    this.round = world.nextRound(fork.name);
    this.parent = world.vms.get(fork.parent.name)!;
    this.source = this.parent.host;
    const vm = fork.parent;
    const seed = world.seed;
    const pages = Math.floor(vm.memory / PAGE);
    this.mem = new PageSource(seed, vm.name, 'mem', memoryLayout(vm), pages);
    const dl = diskLayout(vm);
    this.disk = new PageSource(seed, vm.name, 'disk', dl, Math.floor(vm.disk / PAGE));
    this.diskBlocks = dl.flatMap((r) => range(r));
    this.descCount = Math.max(1, Math.ceil((vm.memory * world.costs.descriptorFraction) / PAGE));
    this.desc = new PageSource(seed, `${vm.name}#descriptor`, 'mem', [], this.descCount);
    // Pages are signed by the parent vTPM's AK; without a vTPM, by the host TPM's; else by a hypervisor key.
    const key = this.parent.vtpm?.ak ?? world.hostTpm(this.source)?.ak ?? keyFor(seed, `${vm.name}#hypervisor`, 'ecdsa-p256');
    this.signAlg = key.alg;
    this.signer = new Signer(key, fork.name, this.round, fork.integrity);
    this.verifier = new Verifier(key.publicKey, fork.name, this.round, fork.integrity);
    this.encKey = derive(seed, 'session', fork.name, this.round);
    this.receivedSeries = world.timeline.newSeries('page-rate', fork.name, 'pages received', line);
    this.rejectedSeries = world.timeline.newSeries('page-rate', fork.name, 'pages rejected', line);
  }

  /** A phase of a child on the timeline, from `fromUs` to now (a point when equal). */
  private phase(c: Child, label: string, fromUs: number, ok?: boolean): void {
    const { world } = this;
    world.timeline.add({ kind: 'fork-phase', lane: c.name, label, startMs: fromUs / 1000, endMs: world.nowMs, line: this.line, ok });
  }

  start(): void {
    const { world, fork } = this;
    const costs = world.costs;
    // A migrated parent runs on its new host and may fork there.
    if (!isRunning(this.parent) || this.parent.arriving) {
      this.onSettled(false, `fork ${fork.name}: parent vm '${fork.parent.name}' is ${this.parent.state}`);
      return;
    }
    // Guards before anything is allocated per child: what `check` accepts must end in seconds, not exhaust memory.
    const maps = fork.children * (this.mem.count + this.disk.count + this.descCount);
    if (maps > MAX_PAGE_MAP_BYTES) {
      this.onSettled(false, `fork ${fork.name}: ${fork.children} ${fork.children === 1 ? 'child' : 'children'} of ${formatSize(fork.parent.memory)}${fork.parent.disk ? ` with ${formatSize(fork.parent.disk)} of disk` : ''} need ${formatSize(maps)} of page maps; the simulator's limit is ${formatSize(MAX_PAGE_MAP_BYTES)} — lower children or memory`);
      return;
    }
    const touched = (fork.parent.memory * fork.parent.workingset) / 100 * fork.children;
    if (fork.memory === 'eager' ? fork.parent.memory * fork.children > MAX_TOUCHED_BYTES : touched > MAX_TOUCHED_BYTES) {
      this.onSettled(false, `fork ${fork.name}: more than ${formatSize(MAX_TOUCHED_BYTES)} of pages would be touched; too large to simulate — lower children, memory or the working set`);
      return;
    }
    this.planIntegrity();
    // The parent pauses while its descriptor (page tables) is built.
    const before = this.parent.state;
    this.parent.state = 'paused';
    const buildDone = world.engine.now + costs.descriptorPerGiB * (fork.parent.memory / GiB);
    world.engine.at(buildDone, () => { if (this.parent.state === 'paused') this.parent.state = before; });

    const placed = placement(fork);
    placed.forEach((host, i) => this.children.push(this.newChild(i + 1, host)));
    const byHost = new Map<HostModel, Child[]>();
    for (const c of this.children) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c]);

    // Hosts are attested before anything is sent to them; hosts on one network
    // then receive the descriptor together.
    const pendingOnLink = new Map<LinkModel, number>();
    for (const [host, kids] of byHost) {
      if (host === this.source) { world.engine.at(buildDone, () => this.beginChildren(kids)); continue; }
      const link = world.network.route(this.source, host);
      if (!link) { this.refuse(host, kids, 'no link or network to the source'); continue; }
      for (const k of kids) k.link = link;
      if (!fork.attestHosts) { world.engine.at(buildDone, () => this.beginChildren(kids)); continue; }
      pendingOnLink.set(link, (pendingOnLink.get(link) ?? 0) + 1);
      this.attestHost(host, link, (ok, why) => {
        if (!ok) this.refuse(host, kids, `attestation failed, ${why}`);
        const passed = ok ? kids : [];
        world.engine.at(Math.max(world.engine.now, buildDone), () => this.beginChildren(passed));
      });
    }
    if (this.children.length === 0) this.onSettled(false, `fork ${fork.name}: no children`);
  }

  /** Pages the children will touch first (lazy), the same in every child: computed once. */
  private touches?: { mem: number[]; disk: number[] };
  private lazyTouches(): { mem: number[]; disk: number[] } {
    const { world, fork } = this;
    const vm = fork.parent;
    this.touches ??= {
      mem: fork.memory === 'lazy' ? workingSet(world.seed, vm.name, this.mem.count, vm.workingset) : [],
      disk: fork.disk === 'lazy' ? diskTouches(this.diskBlocks, vm.workingset, world.seed, vm.name) : [],
    };
    return this.touches;
  }

  /** Tells the signer which batches the fork will need, so worker threads can hash them ahead. */
  private planIntegrity(): void {
    const { fork } = this;
    if (fork.integrity.mode !== 'batched') return;
    const n = fork.integrity.batch;
    const every = (count: number) => (function* () { for (let i = 0; i < count; i += n) yield i; })();
    this.signer.plan('desc', this.desc, every(this.descCount));
    if (fork.memory === 'eager') this.signer.plan('mem', this.mem, every(this.mem.count));
    if (fork.disk === 'eager') this.signer.plan('disk', this.disk, this.diskBlocks);
    // Lazily, in the order the first child will touch them.
    for (const key of this.touchOrder(`${fork.name}[1]`)) { const [space, index] = unkey(key); this.signer.plan(space, this.pagesOf(space), [index]); }
  }

  /** The order a child touches the working set in: its own shuffle, as page keys (a typed array: millions of touches stay small). */
  private touchOrder(child: string): Float64Array {
    const lazy = this.lazyTouches();
    const keys = new Float64Array(lazy.mem.length + lazy.disk.length);
    let n = 0;
    for (const i of lazy.mem) keys[n++] = keyOf('mem', i);
    for (const i of lazy.disk) keys[n++] = keyOf('disk', i);
    // Fisher-Yates with the child's own stream (as Rng.shuffle).
    const rng = new Rng(this.world.seed, 'order', child);
    for (let i = keys.length - 1; i > 0; i--) { const j = rng.int(i + 1); const t = keys[i]; keys[i] = keys[j]; keys[j] = t; }
    return keys;
  }

  private newChild(index: number, host: HostModel): Child {
    const name = `${this.fork.name}[${index}]`;
    const vm = this.fork.parent;
    // Not ready until it has its descriptor, vTPM and attestation: a step naming it meanwhile is told when it will be.
    const runtime: VmRuntime = { name, model: vm, host, state: 'paused', fork: this.fork.name, index, arriving: { what: 'forked', over: `from ${this.source.name} to ${host.name}` } };
    this.world.vms.set(name, runtime);
    const zero = { sent: 0, verified: 0, rejected: 0, fetched: 0 };
    const stats: TransferResult = {
      fork: this.fork.name, child: name, host: host.name, created: false, ready_ms: null, state: 'pending',
      ip: formatIp((vm.subnet.ip + index + 1) >>> 0), pages: { ...zero }, blocks: { ...zero }, descriptor: { ...zero }, bytes: 0, corrupted_accepted: 0, dropped: 0, writes_propagated: 0,
    };
    this.world.result.transfers.push(stats);
    return {
      index, name, host, runtime, created: false,
      have: { mem: new Uint8Array(this.mem.count), disk: new Uint8Array(this.disk.count), desc: new Uint8Array(this.descCount) },
      waiting: new Map(), rejections: new Map(), timeouts: new Map(), requested: new Set(), batchesPaid: new Set(), versions: new Map(),
      cpuFree: 0, descMissing: this.descCount, eagerMissing: 0, vtpmDone: false, settled: false, stats,
    };
  }

  private policyFor(): { selection: number[]; policy: Policy } {
    const chains = this.fork.attestHosts ?? [];
    const selection = [...new Set(chains.flatMap(measuredIndexes))].sort((a, b) => a - b);
    const sel = selection.length ? selection : [0];
    return { selection: sel, policy: { chains: chains.map((c) => { const v = bootPcrs(c); return { name: c.name, pcrs: new Map(sel.map((i) => [i, v[i]])) }; }) } };
  }

  /** Mutual attestation of the source and a target host. */
  private attestHost(host: HostModel, link: LinkModel, done: (ok: boolean, why: string) => void): void {
    const { world } = this;
    const targetTpm = world.hostTpm(host);
    const sourceTpm = world.hostTpm(this.source);
    if (!targetTpm || !sourceTpm) { done(false, `no TPM on ${targetTpm ? this.source.name : host.name}`); return; }
    const { selection, policy } = this.policyFor();
    const base = { fork: this.fork.name, round: this.round, line: this.line, kind: 'host' as const, link, selection, policy, quoteCost: world.costs.tpmQuote };
    let waiting = 2;
    let firstFailure = '';
    const one = (x: Exchange) => attest(world, x, (r) => {
      if (!r.passed && !firstFailure) firstFailure = `${r.target}: ${r.failures[0]?.id ?? 'failed'}`;
      if (--waiting === 0) done(!firstFailure, firstFailure);
    });
    one({ ...base, verifier: this.source.name, target: host.name, verifierHost: this.source, targetHost: host, tpm: targetTpm });
    one({ ...base, verifier: host.name, target: this.source.name, verifierHost: host, targetHost: this.source, tpm: sourceTpm });
  }

  private refuse(host: HostModel, kids: Child[], why: string): void {
    this.refused.set(host.name, why);
    for (const k of kids) this.fail(k, `not created: ${host.name} refused (${why})`, false);
  }

  /** Children whose host passed: create their vTPMs and send their descriptor. */
  private beginChildren(kids: Child[]): void {
    const { world, fork } = this;
    for (const c of kids) {
      c.created = true;
      c.createdUs = world.engine.now;
      this.phase(c, c.link && fork.attestHosts ? `${c.host.name} attested, descriptor built` : 'descriptor built', this.startMs * 1000);
      c.stats.created = true;
      c.stats.state = 'starting';
      c.runtime.state = 'paused';
      if (fork.parent.vtpm) {
        world.engine.after(world.costs.vtpmCreate, () => {
          c.runtime.vtpm = world.newVtpm(c.name, c.host);
          if (fork.attestVtpm) this.attestVtpm(c); else { c.vtpmDone = true; this.phase(c, 'vTPM created', c.createdUs!); this.maybeReady(c); }
        });
      } else c.vtpmDone = true;
      if (!c.link) { c.descMissing = 0; c.have.desc.fill(1); }
    }
    const remote = kids.filter((c) => c.link);
    this.sendAll('desc', range({ first: 0, count: this.descCount }), remote);
    for (const c of kids) this.maybeReady(c);
  }

  private attestVtpm(c: Child): void {
    const { world } = this;
    const parentVtpm = this.parent.vtpm!;
    const sel = [1, 2, 3, 4, 5, 6, 7];
    const policy: Policy = { chains: [{ name: `${this.parent.name} vTPM`, pcrs: new Map(sel.map((i) => [i, parentVtpm.pcrs[i]])) }] };
    attest(world, {
      verifier: this.parent.name, target: c.name, kind: 'vtpm', fork: this.fork.name, round: this.round, line: this.line,
      verifierHost: this.source, targetHost: c.host, link: c.link, tpm: c.runtime.vtpm as Tpm, quoteCost: world.costs.vtpmQuote,
      selection: sel, policy,
    }, (r) => {
      if (!r.passed) { this.fail(c, `vTPM check failed: ${r.failures[0]?.id}`, true); return; }
      c.vtpmDone = true;
      this.phase(c, 'vTPM created and attested', c.createdUs ?? 0);
      this.maybeReady(c);
    });
  }

  /**
   * Pushes pages to children (descriptor, eager memory and disk): one frame
   * per network with multicast, else one per child, in runs of RUN pages.
   */
  private sendAll(space: Space, indexes: number[], kids: Child[], count = space !== 'desc'): void {
    if (kids.length === 0) return;
    if (count) for (const c of kids) c.eagerMissing += indexes.length;
    const groups = this.fork.multicast ? groupBy(kids, (c) => c.link!) : kids.map((c) => [c.link!, [c]] as [LinkModel, Child[]]);
    // Run-major, so each run's bytes are made once for every receiver.
    for (let i = 0; i < indexes.length; i += RUN) {
      const run = indexes.slice(i, i + RUN);
      // One plaintext for every group that needs the bytes, made at most once.
      let plain: Buffer | undefined;
      const bytes = () => (plain ??= this.plaintext(space, run));
      for (const [link, members] of groups) this.sendData(space, run, members, link, bytes);
    }
  }

  private pagesOf(space: Space): PageSource { return space === 'mem' ? this.mem : space === 'disk' ? this.disk : this.desc; }

  /** Signs (per `integrity`), encrypts (if `encrypt`) and sends pages in one message. */
  private plaintext(space: Space, indexes: number[]): Buffer {
    const src = this.pagesOf(space);
    if (indexes.length === 1) return src.page(indexes[0]);
    const consecutive = indexes.every((x, k) => x === indexes[0] + k);
    return consecutive ? src.span(indexes[0], indexes.length) : Buffer.concat(indexes.map((i) => src.page(i)));
  }

  private sendData(space: Space, indexes: number[], to: Child[], link: LinkModel, plain = () => this.plaintext(space, indexes)): void {
    const { world, fork } = this;
    const costs = world.costs;
    const src = this.pagesOf(space);
    const h0 = this.signer.hashes;
    const s0 = this.signer.signatures;
    const versions = indexes.map((i) => src.version(i));
    const rewritten = versions.some((v) => v > 0);
    const proofs = indexes.map((i, k) => this.signer.proof(space, i, src, versions[k]));
    const hashed = this.signer.hashes - h0;
    const signed = this.signer.signatures - s0;
    world.work.hashes += hashed;
    world.work.signatures += signed;
    // The bytes travel where something reads them: encryption, or an attacker
    // on the link. Elsewhere the receiver gets the pages' own bytes, which the
    // sender has hashed, so they are not copied into a message nobody reads.
    let payload = fork.encrypt || world.network.observed(link) ? plain() : undefined;
    let iv: Buffer | undefined;
    if (payload && fork.encrypt) {
      iv = Buffer.alloc(12);
      iv.writeUInt32BE(this.ivCounter++, 8);
      const c = createCipheriv('aes-256-gcm', this.encKey, iv);
      payload = Buffer.concat([c.update(payload), c.final(), c.getAuthTag()]);
    }
    const cost = hashed * costs.sha256Page + signed * signCost(costs, this.signAlg) + (fork.encrypt ? costs.aesPage * indexes.length : 0);
    this.signerFree = Math.max(world.engine.now, this.signerFree) + cost;
    const overhead = proofs.reduce((n, p) => n + proofBytes(p, signatureSlot(this.signAlg)), 0);
    const msg: Message<DataMeta> = {
      kind: `data-${space}`, bytes: (payload?.length ?? indexes.length * PAGE) + 64 + 8 * indexes.length + overhead, payload,
      proof: fork.integrity.mode === 'none' ? undefined : proofs, meta: { space, indexes, iv, versions: rewritten ? versions : undefined },
    };
    world.engine.at(this.signerFree, () => {
      world.network.send(this.source, link, to.length, msg, (m, r) => this.receive(to[r], m));
      for (const c of to) c.stats.bytes += msg.bytes;
    });
  }

  /** Checks one page of a message; identical bytes are checked once for all receivers. */
  private check(m: Message<DataMeta>, k: number, plain: Buffer | undefined): { ok: boolean; bytes?: Buffer; hashes: number } {
    const { space, indexes } = m.meta;
    const index = indexes[k];
    const version = m.meta.versions?.[k] ?? 0;
    const key = keyOf(space, index);
    // An unmodified copy of a page has the page's own bytes: its answer is the same for every copy.
    const pristine = !m.tampered && !m.replayed;
    const reuse = pristine && version === 0;
    if (reuse) { const known = this.canonical.get(key); if (known) return known; }
    const bytes = plain && plain.length >= (k + 1) * PAGE ? plain.subarray(k * PAGE, (k + 1) * PAGE) : undefined;
    const proofs = m.proof as (Proof | undefined)[] | undefined;
    const proof = proofs?.[k];
    // Without bytes, only an unmodified copy can be checked (by its sender's hash); a body that did not decrypt fails.
    const v = bytes || (pristine && !m.payload) ? this.verifier.check(space, index, bytes, proof, pristine, version) : { ok: false, hashes: 0 };
    this.world.work.verifications = this.verifier.verifications;
    // The bytes are kept only where the truth must be checked later (a replayed body).
    const res = { ok: v.ok, bytes: v.ok && !pristine ? bytes : undefined, hashes: v.hashes };
    if (reuse) this.canonical.set(key, res);
    return res;
  }

  /** A child receives a message of pages: decrypt, verify each, then use them or ask again. */
  private receive(c: Child, m: Message<DataMeta>): void {
    if (c.failed) return;
    const { world, fork } = this;
    const costs = world.costs;
    const { space, indexes } = m.meta;
    const counts = space === 'disk' ? c.stats.blocks : space === 'desc' ? c.stats.descriptor : c.stats.pages;
    let plain: Buffer | undefined = m.payload;
    if (fork.encrypt && m.payload) {
      const perPayload = this.decrypted.get(m.payload);
      plain = perPayload ?? decrypt(this.encKey, m.meta.iv, m.payload);
      if (plain && !perPayload) this.decrypted.set(m.payload, plain);
    }
    const results = indexes.map((_, k) => this.check(m, k, plain));
    // Simulated cost, charged to every receiver; a batch signature once per child.
    let cost = fork.encrypt ? costs.aesPage * indexes.length : 0;
    indexes.forEach((index, k) => {
      cost += results[k].hashes * costs.sha256Page;
      if (fork.integrity.mode === 'per-page') cost += verifyCost(costs, this.signAlg);
      if (fork.integrity.mode === 'batched') {
        const b = keyOf(space, Math.floor(index / fork.integrity.batch));
        if (!c.batchesPaid.has(b)) { c.batchesPaid.add(b); cost += verifyCost(costs, this.signAlg); }
      }
    });
    c.cpuFree = Math.max(world.engine.now, c.cpuFree) + cost;
    world.engine.at(c.cpuFree, () => {
      if (!c.failed) world.timeline.count(this.receivedSeries, world.engine.now, indexes.length);
      indexes.forEach((index, k) => {
        if (c.failed) return;
        const result = results[k];
        const key = keyOf(space, index);
        counts.sent++;
        if (!result.ok) {
          counts.rejected++;
          world.timeline.count(this.rejectedSeries, world.engine.now);
          const n = (c.rejections.get(key) ?? 0) + 1;
          c.rejections.set(key, n);
          if (n > MAX_REJECTIONS) { this.fail(c, `${space === 'disk' ? 'block' : 'page'} ${index} rejected ${n} times`, true); return; }
          this.request(c, space, index, true);
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
        if (m.tampered || (m.replayed && result.bytes && !result.bytes.equals(this.pagesOf(space).page(index)))) c.stats.corrupted_accepted++;
        this.arrived(c, space, key);
      });
    });
  }

  private arrived(c: Child, space: Space, key: number): void {
    if (space === 'desc') { if (--c.descMissing === 0 && c.createdUs !== undefined) this.phase(c, 'descriptor received', c.createdUs); this.maybeReady(c); }
    else if (c.eagerMissing > 0 && !c.readyAt) { c.eagerMissing--; this.maybeReady(c); }
    const w = c.waiting.get(key);
    if (w) { c.waiting.delete(key); for (const fn of w) fn(); }
  }

  /** The child asks the source for a page (first touch, or again after a rejection or a loss). */
  private request(c: Child, space: Space, index: number, force: boolean): void {
    const { world, fork } = this;
    const key = keyOf(space, index);
    const link = c.link!;
    if (fork.multicast && !force) {
      // The shared bitmap: a page already on its way to the child's network is
      // not sent again (the request would be dropped by the memory server, so
      // it is not simulated as a message either).
      const sent = this.groupSent.get(link) ?? new Set<number>();
      this.groupSent.set(link, sent);
      if (sent.has(key)) { this.watchForLoss(c, space, index); return; }
      sent.add(key);
    }
    const group = fork.multicast && !force ? this.children.filter((k) => k.link === link && k.created && !k.failed) : [c];
    // `fetched`: pages this child asked the source for (once each, retries aside).
    if (!c.requested.has(key)) { c.requested.add(key); (space === 'disk' ? c.stats.blocks : c.stats.pages).fetched++; }
    world.network.send(c.host, link, 1, { kind: 'request', bytes: 64, meta: null }, () => this.sendData(space, [index], group, link));
    this.watchForLoss(c, space, index);
  }

  /** Where an attacker drops messages, silence means a loss: ask again once the answer should long have come. */
  private watchForLoss(c: Child, space: Space, index: number): void {
    const { world } = this;
    const link = c.link!;
    if (!world.network.canLose(link)) return;
    const key = keyOf(space, index);
    const backlog = Math.max(0, this.signerFree - world.engine.now) + world.network.backlogUs(link, this.source);
    world.engine.after(backlog + 2 * (link.latencyUs + world.network.transmitUs(link, PAGE)) + world.costs.requestTimeout, () => {
      if (c.failed || c.have[space][index]) return;
      const n = (c.timeouts.get(key) ?? 0) + 1;
      c.timeouts.set(key, n);
      c.stats.dropped++;
      if (n > MAX_TIMEOUTS) { this.fail(c, `${space === 'disk' ? 'block' : 'page'} ${index} lost ${n} times`, true); return; }
      this.request(c, space, index, true);
    });
  }

  private maybeReady(c: Child): void {
    if (!c.created || c.failed || c.readyAt !== undefined || c.descMissing > 0 || !c.vtpmDone) return;
    const { world, fork } = this;
    if (c.link && !c.stats.state.startsWith('eager') && (fork.memory === 'eager' || fork.disk === 'eager')) {
      // Eager: every page (and allocated block) arrives before the child runs.
      c.stats.state = 'eager-copy';
      c.eagerUs = world.engine.now;
      if (this.joinCarousel(c)) return;
    }
    if (c.eagerMissing > 0) return;
    if (c.eagerUs !== undefined) this.phase(c, 'eager copy', c.eagerUs);
    c.readyAt = world.engine.now + world.costs.resume;
    if (c.runtime.arriving) c.runtime.arriving.readyUs = c.readyAt;
    world.engine.at(c.readyAt, () => {
      if (c.failed) return;
      world.arrived(c.runtime, c.readyAt);
      this.phase(c, 'ready', c.readyAt!, true);
      c.runtime.state = 'running';
      c.stats.state = 'running';
      c.stats.ready_ms = round3(c.readyAt! / 1000 - this.startMs);
      this.settle(c);
      if (c.link) this.runWorkload(c);
    });
  }

  /** The eager copy: runs of pages the source cycles through, sending each to every child still copying. */
  private carousel?: { runs: { space: Space; indexes: number[] }[]; at: number; riders: { c: Child; left: number }[]; turning: boolean };

  private joinCarousel(c: Child): boolean {
    const { fork } = this;
    if (!this.carousel) {
      const runs: { space: Space; indexes: number[] }[] = [];
      const add = (space: Space, idx: number[]) => { for (let i = 0; i < idx.length; i += RUN) runs.push({ space, indexes: idx.slice(i, i + RUN) }); };
      if (fork.memory === 'eager') add('mem', range({ first: 0, count: this.mem.count }));
      if (fork.disk === 'eager') add('disk', this.diskBlocks);
      this.carousel = { runs, at: 0, riders: [], turning: false };
    }
    const car = this.carousel;
    if (car.runs.length === 0) return false;
    c.eagerMissing += car.runs.reduce((n, r) => n + r.indexes.length, 0);
    car.riders.push({ c, left: car.runs.length });
    if (!car.turning) { car.turning = true; this.turnCarousel(); }
    return true;
  }

  /** Sends the next run to every rider (one payload for all), then waits for the egress to drain a little. */
  private turnCarousel(): void {
    const car = this.carousel!;
    car.riders = car.riders.filter((r) => r.left > 0 && !r.c.failed);
    if (car.riders.length === 0) { car.turning = false; return; }
    const run = car.runs[car.at % car.runs.length];
    car.at++;
    const kids = car.riders.map((r) => { r.left--; return r.c; });
    this.sendAll(run.space, run.indexes, kids, false);
    const link = kids[0].link!;
    const lead = this.world.network.transmitUs(link, run.indexes.length * PAGE);
    this.world.engine.after(Math.max(0, this.world.network.backlogUs(link, this.source) - 2 * lead), () => this.turnCarousel());
  }

  private startMs = 0;
  begin(): void { this.startMs = this.world.nowMs; this.start(); }

  /** After resuming, a lazy child touches its working set (memory, then disk reads), `vcpus` faults at a time. */
  private runWorkload(c: Child): void {
    const { world, fork } = this;
    const vm = fork.parent;
    const touches = this.touchOrder(c.name);
    let next = 0;
    let finished = 0;
    const stream = () => {
      while (next < touches.length && !c.failed) {
        const [space, index] = unkey(touches[next++]);
        if (c.have[space][index]) continue;
        const key = keyOf(space, index);
        const w = c.waiting.get(key);
        const resume = () => world.engine.after(world.costs.faultHandling, stream);
        if (w) { w.push(resume); return; }
        c.waiting.set(key, [resume]);
        this.request(c, space, index, false);
        return;
      }
      // Each stream ends once; the working set is in when the last has.
      if (++finished === streams && !c.failed && touches.length) this.phase(c, 'working set fetched', c.readyAt!);
    };
    // More vcpus than touches adds nothing: each stream would find no page left.
    const streams = Math.min(Math.max(1, vm.vcpus), Math.max(1, touches.length));
    for (let s = 0; s < streams; s++) stream();
  }

  private fail(c: Child, why: string, created: boolean): void {
    if (c.failed) return;
    c.failed = why;
    c.stats.failed = why;
    c.stats.state = created ? 'failed' : 'not created';
    c.runtime.state = 'failed';
    c.runtime.failure = created ? `${c.name} failed (${why})` : `${c.name} was ${why}`;
    this.world.arrived(c.runtime, undefined, c.runtime.failure);
    c.waiting.clear();
    this.phase(c, created ? `failed: ${why}` : why, this.world.engine.now, false);
    this.settle(c);
  }

  /** Reports the fork step once every child is ready or failed. */
  private settle(c: Child): void {
    if (c.settled) return;
    c.settled = true;
    if (++this.settled < this.children.length) return;
    const ready = this.children.filter((k) => k.stats.ready_ms !== null && !k.failed);
    const hosts = [...new Set(ready.map((k) => k.host.name))];
    const worst = Math.max(0, ...ready.map((k) => k.stats.ready_ms ?? 0));
    const refused = [...this.refused].map(([h, why]) => `${h} refused (${why})`);
    const failed = this.children.filter((k) => k.failed && k.created).map((k) => `${k.name} failed (${k.failed})`);
    const parts = [`${ready.length}/${this.children.length} children ready${hosts.length ? ` on ${hosts.join(', ')}` : ''}${ready.length ? ` within ${worst.toFixed(1)} ms` : ''}`, ...refused, ...failed];
    this.onSettled(ready.length > 0, `fork ${this.fork.name}: ${parts.join('; ')}`);
  }

  /**
   * A write on the parent's disk after the fork (Ma et al.: writes on the
   * source are propagated to the clone): one block of the written file gets
   * new contents, and children that already hold it are sent the new version.
   * Returns undefined when the path is not a file of the parent's processes.
   */
  propagateWrite(path: string): { block: number; children: number } | undefined {
    const region = diskLayout(this.fork.parent).find((r) => {
      const file = r.name.slice(r.name.indexOf(':') + 1);
      return r.name.includes(':') && (path === file || path.startsWith(file.endsWith('/') ? file : `${file}/`));
    });
    if (!region) return undefined;
    const block = region.first + (derive(this.world.seed, 'write', path).readUInt32BE(0) % region.count);
    this.disk.rewrite(block);
    const holders = this.children.filter((c) => c.created && !c.failed && c.link && c.have.disk[block]);
    const groups = this.fork.multicast ? groupBy(holders, (c) => c.link!) : holders.map((c) => [c.link!, [c]] as [LinkModel, Child[]]);
    for (const [link, members] of groups) this.sendData('disk', [block], members, link);
    return { block, children: holders.length };
  }

  get parentName(): string { return this.fork.parent.name; }
  get name(): string { return this.fork.name; }

  /** Whether a child may reach an address (`isolate`: only the parent's subnet). */
  reaches(ip: number): boolean {
    return !this.fork.isolate || inBlock(ip, this.fork.parent.subnet);
  }

  /** At scenario end, before the expectations: each child's final state in the JSON. */
  finish(): void {
    for (const c of this.children) c.stats.state = c.failed ? c.stats.state : c.runtime.state;
  }

  /** After the expectations: transient children are discarded (the JSON keeps the state they were checked in). */
  discard(): void {
    if (!this.fork.transient) return;
    for (const c of this.children) {
      if (c.failed || c.runtime.state === 'terminated') continue;
      c.runtime.state = 'terminated';
      c.stats.discarded = true;
    }
  }
}

function decrypt(key: Buffer, iv: Buffer | undefined, data: Buffer): Buffer | undefined {
  if (!iv || data.length < 16) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
  } catch { return undefined; }
}

function range(r: Pick<Region, 'first' | 'count'>): number[] {
  const out = new Array<number>(r.count);
  for (let i = 0; i < r.count; i++) out[i] = r.first + i;
  return out;
}

function groupBy<T, K>(xs: T[], key: (x: T) => K): [K, T[]][] {
  const m = new Map<K, T[]>();
  for (const x of xs) { const k = key(x); const l = m.get(k); if (l) l.push(x); else m.set(k, [x]); }
  return [...m];
}

function round3(x: number): number { return Math.round(x * 1000) / 1000; }

/** The pages a workload touches: the same set in every child (they run the same code), chosen by the seed. */
export function workingSet(seed: number, vm: string, pages: number, percent: number): number[] {
  const w = Math.min(pages, Math.round((pages * percent) / 100));
  const rng = new Rng(seed, 'workingset', vm);
  if (w > pages / 2) {
    const all = new Uint32Array(pages);
    for (let i = 0; i < pages; i++) all[i] = i;
    for (let i = 0; i < w; i++) { const j = i + rng.int(pages - i); const t = all[i]; all[i] = all[j]; all[j] = t; }
    return Array.from(all.subarray(0, w)).sort((a, b) => a - b);
  }
  const set = new Set<number>();
  while (set.size < w) set.add(rng.int(pages));
  return [...set].sort((a, b) => a - b);
}

/** Disk reads after resume: the working-set share of the OS image and every block of the processes' files. */
function diskTouches(blocks: number[], percent: number, seed: number, vm: string): number[] {
  const osEnd = Math.min(blocks.length, (64 * 1024 * 1024) / PAGE);
  const os = workingSet(seed, `${vm}#disk`, osEnd, percent).map((i) => blocks[i]);
  return [...os, ...blocks.slice(osEnd)];
}

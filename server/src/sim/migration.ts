// A VM image crossing the network: a restore's checkpoint file, or a live
// migration's memory. Both travel like a fork's pages: over the fastest link
// or network joining the hosts (none: refused), through its attackers (taps
// read the bytes, tampering flips them, drops lose them, replays substitute
// an earlier chunk). The image goes in 1 MiB chunks, each hashed with SHA-256
// at the sender; the digest list reaches the receiver authenticated, which
// checks every chunk's real bytes against it. A chunk lost (silence until a
// timeout) or rejected (digest mismatch) is sent again under the retry rule
// a fork's pages follow (sim/retry.ts); then the transfer fails. The VM is
// ready when the last chunk has arrived and it has resumed.
//
// Migration has one meaning: the `migrate` step, the monitor action and an
// escalation to `migrate` all call migrateVm. Without a target, the VM goes
// to the first host by name (other than its own) that a link or network
// joins to its host and that has room: the host's memory minus the memory of
// the VMs on it (not terminated or failed) is at least the VM's memory.
//
// Room is judged with the moves under way: a move holds the VM's memory on its
// target from its start until the VM is ready there or the move failed, so a
// second migration or restore to the same host cannot count on the same free
// memory (it is refused, and says for which VM the memory is held). Room is
// memory only: vcpus may be overcommitted (VMS018 checks each VM alone).
import { createHash } from 'node:crypto';
import type { HostModel, LinkModel, VmModel } from '../model/semantic';
import { formatSize } from './fork';
import type { Message } from './network';
import { memoryLayout, PAGE, PageSource } from './pages';
import type { MoveResult } from './results';
import { occupies, type VmRuntime, type World } from './world';
import { givesUp, type Miss } from './retry';

/** Bytes per chunk on a link something reads (taps and tampering act per message). */
export const CHUNK = 1 << 20;
/** Header and SHA-256 digest travelling with each chunk. */
export const CHUNK_OVERHEAD = 64 + 32;
/** On a link nothing reads, the image goes in at most this many messages (the time is the same). */
const MAX_QUIET_MESSAGES = 65_536;

export interface ImageSource {
  /** Bytes in the image. */
  size: number;
  /** Bytes [offset, offset + length) of the image (made or read only where the link is read). */
  bytes(offset: number, length: number): Buffer;
}

export interface MoveSpec {
  kind: 'restore' | 'migrate';
  vm: string;
  from: HostModel;
  to: HostModel;
  line: number;
  image: ImageSource;
  /** Who asked, when not a step (a monitor). */
  by?: string;
  /** Memory held on `to` for the VM while it moves (released when it is ready there, or the move failed). */
  hold?: number;
}

interface ChunkMeta { index: number; digest?: Buffer }

/** Why a transfer cannot start (no route, over the run's budget of read image bytes), or undefined. */
export function moveProblem(world: World, spec: MoveSpec): string | undefined {
  const link = world.network.route(spec.from, spec.to);
  if (!link) return `no link or network joins ${spec.from.name} and ${spec.to.name}`;
  if (world.network.observed(link) && world.observedImageBytes + spec.image.size > world.maxObservedImageBytes) {
    const before = world.observedImageBytes ? `${formatSize(world.observedImageBytes)} of images have crossed read links in this run, and ` : '';
    return `${formatSize(spec.image.size)} would cross ${link.name}, which an attacker reads; ${before}the simulator's limit is ${formatSize(world.maxObservedImageBytes)} of such image bytes per run`;
  }
  return undefined;
}

/**
 * Sends the image; `done` runs once, when the VM is ready (result.ready_ms
 * set) or the transfer has failed (result.failed set). Returns the result
 * record (also in world.result.moves) and the expected ready time (µs).
 * Call only when moveProblem gave nothing.
 */
export function move(world: World, spec: MoveSpec, done: (r: MoveResult) => void): { result: MoveResult; expectedReadyUs: number } {
  const { engine, network, costs } = world;
  const link = network.route(spec.from, spec.to) as LinkModel;
  const observed = network.observed(link);
  const lossy = network.canLose(link);
  const size = Math.max(0, spec.image.size);
  const chunkBytes = observed ? CHUNK : Math.max(CHUNK, Math.ceil(size / MAX_QUIET_MESSAGES / CHUNK) * CHUNK);
  const chunks = Math.ceil(size / chunkBytes);
  const startUs = engine.now;
  const result: MoveResult = {
    kind: spec.kind, vm: spec.vm, from: spec.from.name, to: spec.to.name, link: link.name,
    bytes: size, chunks, sent: 0, dropped: 0, rejected: 0, ready_ms: null, line: spec.line, ...(spec.by ? { by: spec.by } : {}),
  };
  world.result.moves.push(result);
  if (observed) world.observedImageBytes += size;
  if (spec.hold !== undefined) hold(world, spec.to, spec.vm, spec.hold);

  const have = new Uint8Array(chunks);
  const sends = new Uint8Array(chunks);
  // Each chunk's misses of each kind, for the retry rule.
  const misses = { lost: new Uint8Array(chunks), rejected: new Uint8Array(chunks) };
  const resend: number[] = [];
  let next = 0;
  let missing = chunks;
  let finished = false;
  let sending = false;
  const lengthOf = (i: number) => Math.min(chunkBytes, size - i * chunkBytes);

  const finish = (failed?: string) => {
    if (finished) return;
    finished = true;
    if (failed) { release(world, spec); result.failed = failed; done(result); return; }
    engine.after(costs.resume, () => {
      result.ready_ms = round3((engine.now - startUs) / 1000);
      release(world, spec);
      done(result);
    });
  };

  /** A chunk that did not make it: send it again, or give up. */
  const again = (i: number, why: Miss) => {
    if (finished || have[i]) return;
    if (why === 'lost') result.dropped++; else result.rejected++;
    const n = ++misses[why][i];
    if (givesUp(why, n)) {
      finish(why === 'lost'
        ? `chunk ${i + 1} of ${chunks} lost ${n} times on ${link.name}`
        : `chunk ${i + 1} of ${chunks} rejected ${n} times on ${link.name} (its SHA-256 did not match: tampered or replayed on the way)`);
      return;
    }
    resend.push(i);
    pump();
  };

  const receive = (m: Message<ChunkMeta>) => {
    const i = m.meta.index;
    if (finished || have[i]) return;
    // The receiver hashes what arrived (real bytes where the link is read; elsewhere nothing could change them).
    if (m.meta.digest && !(m.payload && createHash('sha256').update(m.payload).digest().equals(m.meta.digest))) {
      // The rejection goes back to the sender (and may itself be lost: then the timeout asks again).
      const attempt = sends[i];
      network.send(spec.to, link, 1, { kind: `${spec.kind}-nack`, bytes: 64, meta: null }, () => { if (sends[i] === attempt) again(i, 'rejected'); });
      return;
    }
    have[i] = 1;
    if (--missing === 0) finish();
  };

  const sendChunk = (i: number) => {
    sends[i]++;
    result.sent++;
    const length = lengthOf(i);
    let payload: Buffer | undefined;
    let digest: Buffer | undefined;
    if (observed) {
      payload = spec.image.bytes(i * chunkBytes, length);
      digest = createHash('sha256').update(payload).digest();
    }
    const attempt = sends[i];
    // On a quiet link a message carries several 1 MiB chunks: the same bytes on the wire, fewer events.
    const wire = length + Math.ceil(length / CHUNK) * CHUNK_OVERHEAD;
    network.send(spec.from, link, 1, { kind: spec.kind, bytes: wire, payload, meta: { index: i, digest } }, receive);
    const leftUs = engine.now + network.backlogUs(link, spec.from);
    if (lossy) {
      // Silence means a loss: the receiver asks again once the chunk should long have come.
      engine.at(leftUs + 2 * link.latencyUs + costs.requestTimeout, () => { if (sends[i] === attempt) again(i, 'lost'); });
    }
  };

  /** Sends the next chunk when the link's egress is free, so only the chunks on the wire are in memory. */
  const pump = () => {
    if (sending || finished) return;
    const i = resend.length ? resend.shift()! : next < chunks ? next++ : -1;
    if (i < 0) return;
    sending = true;
    sendChunk(i);
    engine.at(engine.now + network.backlogUs(link, spec.from), () => { sending = false; pump(); });
  };

  // Without losses, the last chunk arrives once what is queued on the link and the whole image have crossed
  // (each 1 MiB with its header and digest, also where a message carries several).
  const expectedReadyUs = startUs + network.backlogUs(link, spec.from) + network.transmitUs(link, size + Math.ceil(size / CHUNK) * CHUNK_OVERHEAD) + link.latencyUs + costs.resume;
  if (chunks === 0) engine.at(startUs + link.latencyUs, () => finish());
  else pump();
  return { result, expectedReadyUs };
}

function round3(x: number): number { return Math.round(x * 1000) / 1000; }

/** What was sent again, for an outcome text ('' when nothing was). */
export function resentText(r: { dropped: number; rejected: number }): string {
  if (!r.dropped && !r.rejected) return '';
  return ` (re-sent ${[r.dropped ? `${r.dropped} lost` : '', r.rejected ? `${r.rejected} rejected by SHA-256` : ''].filter(Boolean).join(' and ')})`;
}

function hold(world: World, host: HostModel, vm: string, bytes: number): void {
  let held = world.reserved.get(host);
  if (!held) { held = new Map(); world.reserved.set(host, held); }
  held.set(vm, bytes);
}

function release(world: World, spec: MoveSpec): void {
  if (spec.hold === undefined) return;
  const held = world.reserved.get(spec.to);
  held?.delete(spec.vm);
  if (held?.size === 0) world.reserved.delete(spec.to);
}

/**
 * Why `host` has no room for a VM named `name` needing `memory` bytes, or
 * undefined: the memory of the VMs on it (other than one of that name, which
 * the VM replaces) and the memory held for VMs on their way there.
 */
export function roomFor(world: World, name: string, memory: number, host: HostModel): string | undefined {
  let used = 0;
  const counted = new Set<string>();
  for (const other of world.vms.values()) {
    if (other.name !== name && other.host === host && occupies(other)) { used += other.model.memory; counted.add(other.name); }
  }
  // A restore's new VM is already on its host (paused): its hold is counted once.
  const held = [...world.reserved.get(host) ?? []].filter(([who]) => who !== name && !counted.has(who));
  for (const [, bytes] of held) used += bytes;
  if (host.memory - used >= memory) return undefined;
  const holding = held.length ? `; ${held.map(([who, bytes]) => `${formatSize(bytes)} held for ${who}, on its way there`).join('; ')}` : '';
  return `${host.name} has no room for ${name} (${formatSize(memory)} needed, ${formatSize(Math.max(0, host.memory - used))} free${holding})`;
}

/** Why `host` has no room for `vm`, or undefined (roomFor). */
export function roomProblem(world: World, vm: VmRuntime, host: HostModel): string | undefined {
  return roomFor(world, vm.name, vm.model.memory, host);
}

/** The target rule without `to`: the first host by name, other than the VM's, joined to it by a link and with room. */
export function defaultTarget(world: World, vm: VmRuntime): HostModel | undefined {
  const hosts = [...world.model.hosts.values()].filter((h) => h !== vm.host).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return hosts.find((h) => world.network.route(vm.host, h) && !roomProblem(world, vm, h));
}

/** What a migration's outcome is reported as: ok, and the text of the step outcome or monitor effect. */
export interface MigrationOutcome { ok: boolean; text: string }

/**
 * Live-migrates a VM (stop-and-copy): it pauses while its memory crosses
 * through the network model, then runs on `to` (state `migrated`). `to`
 * undefined: the default target rule. A refusal (terminated, not ready, no
 * link, no room, too large) is returned at once and the VM stays; otherwise
 * undefined is returned and `settled` hears the outcome when the VM is ready
 * or the transfer failed.
 */
export function migrateVm(world: World, vm: VmRuntime, to: HostModel | undefined, line: number, by: string | undefined, settled: (o: MigrationOutcome) => void): MigrationOutcome | undefined {
  const from = vm.host;
  const refuse = (why: string): MigrationOutcome => ({ ok: false, text: `migrate ${vm.name}${to ? ` to ${to.name}` : ''}: ${why}; ${vm.name} stays on ${from.name}` });
  if (vm.state === 'terminated') return { ok: false, text: `${vm.name} is terminated; it cannot be migrated` };
  if (vm.state === 'failed') return { ok: false, text: vm.failure ?? `${vm.name} failed; it cannot be migrated` };
  if (vm.arriving) return refuse(`it is not ready (being ${vm.arriving.what})`);
  const target = to ?? defaultTarget(world, vm);
  if (!target) return refuse(`no other host joined to ${from.name} by a link or network has room for it`);
  if (target === from) return { ok: false, text: `${vm.name} is already on ${target.name}` };
  const spec: MoveSpec = { kind: 'migrate', vm: vm.name, from, to: target, line, image: memoryImage(world, vm.model), by, hold: vm.model.memory };
  const problem = moveProblem(world, spec) ?? roomProblem(world, vm, target);
  if (problem) return refuse(problem);
  const before = vm.state;
  vm.state = 'paused';
  const { expectedReadyUs } = move(world, spec, (r) => {
    world.arrived(vm, r.failed ? undefined : world.engine.now, r.failed);
    if (r.failed) {
      if (vm.state === 'paused') vm.state = before;
      settled({ ok: false, text: `migrate ${vm.name} to ${target.name} failed: ${r.failed}; ${vm.name} stays on ${from.name}` });
      return;
    }
    // Terminated on the way (a monitor): it stays terminated, and nowhere new.
    if (vm.state === 'terminated') {
      settled({ ok: false, text: `migrate ${vm.name} to ${target.name}: ${vm.name} was terminated on the way; it stays on ${from.name}, terminated` });
      return;
    }
    vm.host = target;
    if (vm.state === 'paused') vm.state = 'migrated';
    settled({ ok: true, text: `${vm.name} migrated from ${from.name} to ${target.name} over ${r.link}, ready at ${world.nowMs.toFixed(1)} ms: ${r.bytes} bytes of memory in ${r.sent} chunk messages${resentText(r)}` });
  });
  vm.arriving = { what: 'migrated', over: world.network.route(from, target)?.name ?? 'no link', readyUs: expectedReadyUs };
  return undefined;
}

/**
 * A VM's memory as an image to send: the pages holding data (processes and
 * kernel); free pages are zero and travel as the page map only (QEMU's zero
 * page flag does the same).
 */
export function memoryImage(world: World, model: VmModel): ImageSource {
  const layout = memoryLayout(model);
  const pages = Math.floor(model.memory / PAGE);
  const dataPages = Math.min(pages, Math.max(0, ...layout.filter((r) => !(r as { zero?: boolean }).zero).map((r) => r.first + r.count)));
  let src: PageSource | undefined;
  return {
    size: dataPages * PAGE,
    bytes(offset, length) {
      src ??= new PageSource(world.seed, model.name, 'mem', layout, pages);
      return src.span(offset / PAGE, length / PAGE);
    },
  };
}

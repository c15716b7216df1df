// The state one fork run shares between its phases: the parent's pages, the
// signer and verifier, the children and the counters. Each phase module
// (placement, attestation, descriptor, page transfer, eager copy, workload,
// multicast, disk, lifecycle) reads and updates this; `fork-run.ts` sequences them.
import type { ForkModel, HostModel, LinkModel } from '../../model/semantic';
import { keyFor } from '../keys';
import { diskLayout, memoryLayout, PAGE, PageSource, Region } from '../pages';
import { Signer, Space, Verifier } from '../integrity';
import { derive } from '../rng';
import type { TransferResult } from '../results';
import type { World, VmRuntime } from '../world';

export const GiB = 1024 ** 3;
// A rejected or lost page is asked for again under the one retry rule (sim/retry.ts); then the child fails.
export { MAX_REJECTIONS, MAX_TIMEOUTS } from '../retry';
/** Touched memory beyond this is refused as too large to simulate. */
export const MAX_TOUCHED_BYTES = 64 * GiB;
/** Per-child page maps (a byte per page, block and descriptor page, for every child) beyond this are refused. */
export const MAX_PAGE_MAP_BYTES = GiB;
/** Pages per message when pushing (descriptor, eager copies); a fetch carries one. */
export const RUN = 64;

export interface DataMeta { space: Space; indexes: number[]; versions?: number[]; iv?: Buffer }

/** A page's key in per-child maps and sets: a number, not a string (a fork may track millions). */
const SPACE_CODE: Record<Space, number> = { mem: 0, disk: 1, desc: 2 };
export const keyOf = (space: Space, index: number): number => index * 4 + SPACE_CODE[space];
const SPACES: Space[] = ['mem', 'disk', 'desc'];
export const unkey = (key: number): [Space, number] => { const code = key % 4; return [SPACES[code], (key - code) / 4]; };

export interface Child {
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

/** The eager copy: runs of pages the source cycles through, sending each to every child still copying. */
export interface Carousel { runs: { space: Space; indexes: number[] }[]; at: number; riders: { c: Child; left: number }[]; turning: boolean }

export class ForkState {
  readonly round: number;
  readonly parent: VmRuntime;
  readonly source: HostModel;
  readonly children: Child[] = [];
  readonly mem: PageSource;
  readonly disk: PageSource;
  readonly desc: PageSource;
  readonly diskBlocks: number[];
  readonly descCount: number;
  readonly signer: Signer;
  readonly verifier: Verifier;
  readonly signAlg: 'ecdsa-p256' | 'rsa-2048';
  /** When the source's signing CPU is next free (µs). */
  signerFree = 0;
  /** Multicast's shared bitmap: pages already sent to each network. */
  readonly groupSent = new Map<LinkModel, Set<number>>();
  /** Plaintexts of encrypted messages, decrypted once for all receivers of the very same ciphertext. */
  readonly decrypted = new WeakMap<Buffer, Buffer>();
  /** Results for the canonical bytes of a page (copies nobody modified, never rewritten), computed once. */
  readonly canonical = new Map<number, { ok: boolean; bytes?: Buffer; hashes: number }>();
  readonly encKey: Buffer;
  ivCounter = 0;
  /** Children counted towards the step's outcome so far. */
  settled = 0;
  readonly refused = new Map<string, string>();
  /** Timeline rate series: pages received and rejected per time bin. */
  readonly receivedSeries: number;
  readonly rejectedSeries: number;
  /** Pages the children will touch first (lazy), the same in every child: computed once. */
  touches?: { mem: number[]; disk: number[] };
  carousel?: Carousel;
  /** Simulated time (ms) the fork step began. */
  startMs = 0;

  constructor(readonly world: World, readonly fork: ForkModel, readonly line: number, readonly onSettled: (ok: boolean, outcome: string) => void) {
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
  phase(c: Child, label: string, fromUs: number, ok?: boolean): void {
    const { world } = this;
    world.timeline.add({ kind: 'fork-phase', lane: c.name, label, startMs: fromUs / 1000, endMs: world.nowMs, line: this.line, ok });
  }

  pagesOf(space: Space): PageSource { return space === 'mem' ? this.mem : space === 'disk' ? this.disk : this.desc; }
}

export function range(r: Pick<Region, 'first' | 'count'>): number[] {
  const out = new Array<number>(r.count);
  for (let i = 0; i < r.count; i++) out[i] = r.first + i;
  return out;
}

export function round3(x: number): number { return Math.round(x * 1000) / 1000; }

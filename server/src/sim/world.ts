// The state of one scenario run: the clock, the network, every TPM and VM,
// and what has been reported so far.
import type { SemanticModel, VmModel, HostModel } from '../model/semantic';
import { Engine } from './engine';
import { Network } from './network';
import { Costs } from './costs';
import { Tpm } from './tpm';
import { initialPcrs } from './pcr';
import type { ScenarioResult } from './results';
import type { Quote } from './tpm';
import { Timeline } from './timeline';

export type VmState = 'running' | 'paused' | 'terminated' | 'migrated' | 'failed';

export interface VmRuntime {
  name: string;
  model: VmModel;           // for a child: its parent's model
  host: HostModel;
  state: VmState;
  vtpm?: Tpm;
  /** Set for fork children. */
  fork?: string;
  index?: number;
  /**
   * Set while the VM is not ready: its bytes cross the network (restore,
   * migrate) or it is a fork child still being created. `readyUs` is the
   * (expected) ready time once known; `waiters` hear when it is ready
   * (readyUs) or failed (failure), so a step that came too early can say when.
   */
  arriving?: { what: 'restored' | 'migrated' | 'forked'; over: string; readyUs?: number; waiters?: ((readyUs: number | undefined, failure?: string) => void)[] };
  /** Why the VM does not exist after all (a failed restore). */
  failure?: string;
}

export interface ExportedQuote {
  verifier: string; target: string; kind: 'host' | 'vtpm'; attempt: number; passed: boolean;
  nonce: Buffer; quote: Quote; akPem: string;
}

/**
 * Image bytes that may cross links an attacker reads in one scenario run
 * (restores and migrations; sim/migration.ts refuses a move past it).
 * There every byte is made, hashed twice and scanned (about 2.3 s per GiB
 * here), and a monitor escalating to `migrate` under a long trace can move
 * a VM back and forth thousands of times: without a bound, a 20,000-line
 * trace ran for minutes.
 */
export const MAX_OBSERVED_IMAGE_BYTES = 4 * 1024 ** 3;

export class World {
  readonly engine: Engine;
  readonly network: Network;
  readonly vms = new Map<string, VmRuntime>();
  readonly quotes: ExportedQuote[] = [];
  /** What happened when, for the results view's chart (simulated times only). */
  readonly timeline = new Timeline();
  private readonly hostTpms = new Map<string, Tpm>();
  private readonly rounds = new Map<string, number>();
  /** Crypto work done, for statistics. */
  readonly work = { signatures: 0, verifications: 0, hashes: 0 };
  /**
   * Memory held on a host for VMs on their way there (a migration or a
   * restore under way), by VM name: room is judged against it, so two moves
   * cannot both count on the same free memory (sim/migration.ts).
   */
  readonly reserved = new Map<HostModel, Map<string, number>>();
  /** Bytes of VM images (restores, migrations) sent over links an attacker reads in this run: bounded by the next (sim/migration.ts). */
  observedImageBytes = 0;
  readonly maxObservedImageBytes: number;

  constructor(readonly model: SemanticModel, readonly seed: number, readonly costs: Costs, readonly result: ScenarioResult, maxEventsPerStep?: number, maxObservedImageBytes = MAX_OBSERVED_IMAGE_BYTES) {
    this.engine = new Engine(maxEventsPerStep);
    this.maxObservedImageBytes = maxObservedImageBytes;
    this.network = new Network(this.engine, model, seed, this.timeline);
    for (const vm of model.vms.values()) {
      this.vms.set(vm.name, { name: vm.name, model: vm, host: vm.host, state: 'running', vtpm: vm.vtpm ? this.newVtpm(vm.name, vm.host) : undefined });
    }
  }

  hostTpm(h: HostModel): Tpm | undefined {
    if (!h.tpm) return undefined;
    let t = this.hostTpms.get(h.name);
    if (!t) { t = Tpm.forHost(h.name, h.tpm, h.boot, this.seed); this.hostTpms.set(h.name, t); }
    return t;
  }

  /** A new vTPM: initial PCRs, then PCR 1-7 copied from its host's TPM. */
  newVtpm(owner: string, host: HostModel): Tpm {
    const pcrs = initialPcrs();
    const ht = this.hostTpm(host);
    if (ht) for (let i = 1; i <= 7; i++) pcrs[i] = Buffer.from(ht.pcrs[i]);
    return new Tpm(owner, 'ecdsa-p256', pcrs, this.seed);
  }

  nextRound(fork: string): number {
    const r = (this.rounds.get(fork) ?? 0) + 1;
    this.rounds.set(fork, r);
    return r;
  }

  get nowMs(): number { return this.engine.now / 1000; }

  /** Ends a VM's `arriving` and tells whoever waited for it. */
  arrived(vm: VmRuntime, readyUs: number | undefined, failure?: string): void {
    const waiters = vm.arriving?.waiters ?? [];
    vm.arriving = undefined;
    for (const w of waiters) w(readyUs, failure);
  }
}

/** A VM that occupies memory on its host: not terminated, not failed (children being created count). */
export function occupies(vm: VmRuntime): boolean {
  return vm.state !== 'terminated' && vm.state !== 'failed';
}

/** Whether a VM runs (a migrated VM runs on its new host). */
export function isRunning(vm: VmRuntime): boolean {
  return vm.state === 'running' || vm.state === 'migrated';
}

// Co-residency over the whole run (LANGUAGE.md §3, "VM life": a migrated VM
// runs on its new host for co-residency from then on). An attacker's VM sees
// a VM's confidential data while the two share a host, so what counts is
// every stretch of time they did, not only where the VMs are at the end: a
// VM migrated away, or terminated, after sitting beside an attacker's VM was
// still exposed. The rule for one moment is model/coresidency.ts's, the one
// VMS050 uses.
//
// VMs move from many places (migrations, monitors, restores, fork children),
// so the ledger watches the VMs themselves: every VM entering `world.vms`
// gets its `host`, `state` and `arriving` observed. Before the first change
// at a later time, the placement as it stood since the previous change is
// recorded, so only the state at the end of each simulated instant counts
// (not the half-done states a step passes through within one instant).
import type { HostModel } from '../model/semantic';
import { coResidencies } from '../model/coresidency';
import { isRunning, type VmRuntime, type World } from './world';
import { appendTo } from '../model/map-of-lists';

/** One stretch of time a VM with a confidential process shared a host with an attacker's VM. */
export interface Exposure {
  attacker: string;
  /** The attacker's VM. */
  spy: string;
  vm: string;
  /** The confidential process it held (the first in declaration order not sanitised away). */
  process: string;
  host: string;
  /** Simulated time, ms: from the instant it began to the one it ended (the end of the run, if it lasted). */
  from_ms: number;
  to_ms: number;
  /** Whether it lasted to the end of the run. */
  to_end: boolean;
}

/** At most this many stretches are kept (a VM bounced between hosts by a monitor makes one per visit). */
export const MAX_EXPOSURES = 1000;

const WATCHED = ['host', 'state', 'arriving'] as const;

export class CoResidencyLedger {
  private sinceUs: number;
  private readonly exposures: Exposure[] = [];
  /** The stretch each (attacker, spy, vm, process, host) is in, if it was exposed up to `sinceUs`. */
  private readonly open = new Map<string, Exposure>();
  /** Stretches left out past MAX_EXPOSURES. */
  dropped = 0;
  private finishedAtUs: number | undefined;

  /**
   * `lost`: the processes a restored VM came back without (they hold nothing
   * to see). Watches nothing when no attacker has a VM, so runs without one
   * pay nothing. `ledgerOf(world)` finds it again.
   */
  constructor(private readonly world: World, private readonly lost: ReadonlyMap<string, ReadonlySet<string>>) {
    this.sinceUs = world.engine.now;
    ledgers.set(world, this);
    if (![...world.model.attackers.values()].some((a) => a.vms.length)) return;
    for (const vm of world.vms.values()) this.watch(vm);
    const vms = world.vms;
    const set = vms.set.bind(vms);
    // Fork children and restored VMs enter the run here.
    vms.set = (name: string, vm: VmRuntime) => { this.changing(); this.watch(vm); return set(name, vm); };
  }

  /**
   * Every stretch of exposure up to the end of the run (`endUs`, at least
   * the last change), earliest first. The first call closes the ledger.
   */
  finish(endUs: number): Exposure[] {
    if (this.finishedAtUs === undefined) {
      this.finishedAtUs = Math.max(endUs, this.sinceUs);
      this.record(this.finishedAtUs, true);
    }
    return [...this.exposures].sort((x, y) => x.from_ms - y.from_ms);
  }

  private watch(vm: VmRuntime): void {
    if (watchedVms.has(vm)) return;
    watchedVms.add(vm);
    for (const key of WATCHED) {
      let value = vm[key];
      Object.defineProperty(vm, key, {
        enumerable: true, configurable: true,
        get: () => value,
        set: (v) => { if (v !== value) { this.changing(); value = v; } },
      });
    }
  }

  /** Called before any change: the state since the last change held until now. */
  private changing(): void {
    if (this.finishedAtUs !== undefined) return;
    const now = this.world.engine.now;
    if (now <= this.sinceUs) return;
    this.record(now);
    this.sinceUs = now;
  }

  /** Records the placement as it is now as having held over [sinceUs, untilUs]. */
  private record(untilUs: number, last = false): void {
    const from = this.sinceUs / 1000;
    const to = untilUs / 1000;
    // Only VMs holding a confidential process matter: index them by host once
    // per change, not once per attacker VM (200 spies beside a 1,000-child fork took 80 s).
    const secrets = secretsByHost(this.world, this.lost);
    if (secrets.size === 0) return;
    for (const { attacker, spy, vm: { vm, secret } } of coResidencies(this.world.model.attackers.values(), (h) => secrets.get(h) ?? [])) {
      const key = `${attacker.name}\0${spy.name}\0${vm.name}\0${secret.name}\0${vm.host.name}`;
      const prev = this.open.get(key);
      if (prev && prev.to_ms === from) { prev.to_ms = to; prev.to_end = last; continue; }
      if (this.exposures.length >= MAX_EXPOSURES) { this.dropped++; continue; }
      const e: Exposure = { attacker: attacker.name, spy: spy.name, vm: vm.name, process: secret.name, host: vm.host.name, from_ms: from, to_ms: to, to_end: last };
      this.exposures.push(e);
      this.open.set(key, e);
    }
  }
}

/** Starts the ledger of a run, before its first step (`ledgerOf(world)` finds it). */
export function watchCoResidency(world: World, lost: ReadonlyMap<string, ReadonlySet<string>>): CoResidencyLedger {
  return new CoResidencyLedger(world, lost);
}

const ledgers = new WeakMap<World, CoResidencyLedger>();

/** The ledger watching a world's run, if one was started. */
export function ledgerOf(world: World): CoResidencyLedger | undefined { return ledgers.get(world); }

/** VMs already observed (by any ledger: a VM belongs to one run). */
const watchedVms = new WeakSet<VmRuntime>();

/**
 * The VMs whose memory is on a host now and that hold a confidential process
 * (not lost in a restore), by host: running, migrated or paused, and not on
 * their way there (a restore's or fork child's image still crossing). A VM
 * being migrated away is still on its source host until it is ready on the
 * target.
 */
function secretsByHost(world: World, lost: ReadonlyMap<string, ReadonlySet<string>>): Map<HostModel, { name: string; host: HostModel; tenant?: string; vm: VmRuntime; secret: { name: string } }[]> {
  const out = new Map<HostModel, { name: string; host: HostModel; tenant?: string; vm: VmRuntime; secret: { name: string } }[]>();
  for (const vm of world.vms.values()) {
    if (!(isRunning(vm) || vm.state === 'paused')) continue;
    if (vm.arriving && vm.arriving.what !== 'migrated') continue;
    const secret = vm.model.processes.find((p) => p.confidential && !lost.get(vm.name)?.has(p.name));
    if (!secret) continue;
    appendTo(out, vm.host, { name: vm.name, host: vm.host, tenant: vm.model.tenant, vm, secret });
  }
  return out;
}

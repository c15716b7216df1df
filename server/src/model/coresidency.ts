// Co-residency (Ristenpart et al., 2009): a VM on the same host as an
// attacker's VM is exposed to cross-VM side channels, unless it belongs to the
// attacker's own tenant. One rule for the validator (VMS050, placement as
// declared) and the simulator (`sees`, placement as it is now: after a
// migrate or restore a VM is on its new host).
import type { AttackerModel, HostModel } from './semantic';

/** A VM where it is: the caller says which host (declared, or current). */
export interface Placed { name: string; host: HostModel; tenant?: string }

export type Spy = AttackerModel['vms'][number];

export interface CoResidency<V extends Placed> { attacker: AttackerModel; spy: Spy; vm: V }

/** Whether `vm` is exposed to the attacker's VM `spy`. */
export function isCoResident(attacker: AttackerModel, spy: Spy, vm: Placed): boolean {
  return vm.host === spy.host && !(attacker.tenant && vm.tenant === attacker.tenant);
}

/**
 * Every (attacker, attacker's VM, exposed VM), attackers and their VMs in
 * declaration order, then the VMs `on(host)` gives in its order.
 */
export function* coResidencies<V extends Placed>(attackers: Iterable<AttackerModel>, on: (host: HostModel) => Iterable<V>): Generator<CoResidency<V>> {
  for (const attacker of attackers) {
    for (const spy of attacker.vms) {
      for (const vm of on(spy.host)) if (isCoResident(attacker, spy, vm)) yield { attacker, spy, vm };
    }
  }
}

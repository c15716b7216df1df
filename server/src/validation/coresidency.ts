// VMS050: a VM on the same host as an attacker's VM is exposed to
// cross-VM side channels (Ristenpart et al., 2009).
import type { ValidationContext } from './context';

export function checkCoResidency(ctx: ValidationContext): void {
  for (const atk of ctx.model.attackers.values()) {
    for (const spy of atk.vms) {
      for (const vm of ctx.model.vmsByHost.get(spy.host) ?? []) {
        if (atk.tenant && vm.tenant === atk.tenant) continue;
        const msg = `vm '${vm.name}' shares host '${vm.host.name}' with vm '${spy.name}' of attacker '${atk.name}' (co-residency: cross-VM side channels); place it on another host or dedicate the host to one tenant`;
        if (vm.path === ctx.file.path) ctx.report((vm.decl as { host: { span: { start: number; end: number } } }).host.span, 'VMS050', msg);
        else if (atk.path === ctx.file.path) ctx.report(spy.prop.span, 'VMS050', msg);
      }
    }
  }
}

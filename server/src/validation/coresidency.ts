// VMS050: a VM on the same host as an attacker's VM is exposed to
// cross-VM side channels (the rule: model/coresidency.ts, shared with the simulator).
import { coResidencies } from '../model/coresidency';
import type { ValidationContext } from './context';
import { declNamed, named, nameWritten } from './names';

export function checkCoResidency(ctx: ValidationContext): void {
  for (const { attacker: atk, spy, vm } of coResidencies(ctx.model.attackers.values(), (h) => ctx.model.vmsByHost.get(h) ?? [])) {
    // A name the parser could not read (or took a keyword for) is its VMS000; the message would quote it.
    if (!named(atk.name, spy.name, vm.name) || !declNamed(ctx, vm.path, vm.decl) || !declNamed(ctx, atk.path, atk.decl)) continue;
    if (spy.prop.key === 'vm' && !nameWritten(ctx, atk.path, spy.prop.name)) continue;
    const msg = `vm '${vm.name}' shares host '${vm.host.name}' with vm '${spy.name}' of attacker '${atk.name}' (co-residency: cross-VM side channels); place it on another host or dedicate the host to one tenant`;
    if (vm.path === ctx.file.path) ctx.report((vm.decl as { host: { span: { start: number; end: number } } }).host.span, 'VMS050', msg);
    else if (atk.path === ctx.file.path) ctx.report(spy.prop.span, 'VMS050', msg);
  }
}

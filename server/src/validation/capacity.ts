// VMS018: a VM must fit its host — its memory at most the host's, its vcpus
// at most the host's cpus when the host declares them. (A fork's children
// are checked against their targets in fork.ts, VMS014.)
import type * as A from '../../../grammar/src/ast';
import { formatBytes } from '../../../grammar/src/literals';
import { Limit, LIMITS, within } from '../model/limits';
import type { ValidationContext } from './context';
import { declNamed } from './names';

export function checkCapacity(ctx: ValidationContext): void {
  for (const d of ctx.file.doc.decls) {
    if (d.kind !== 'vm') continue;
    const vm = ctx.model.vms.get(d.name.text);
    // `vm on h { }` (name missing) is read as a vm named `on`: its VMS000 is the one message.
    if (!vm || vm.decl !== d || !declNamed(ctx, ctx.file.path, d)) continue;
    const host = vm.host;
    const prop = (key: 'memory' | 'vcpus') => (d.props.find((p) => p.key === key) as A.ValueProp<typeof key, A.Quantity> | undefined)?.value;
    // A value out of its range is reported as VMS003 and stands for the default: no second message on it.
    const valid = (key: 'memory' | 'vcpus', limit: Limit) => { const q = prop(key); return !q || within(q, limit) !== undefined; };
    if (vm.memory > host.memory && valid('memory', LIMITS.vmMemory)) {
      ctx.report(prop('memory')?.span ?? d.host.span, 'VMS018',
        `vm '${vm.name}' needs ${formatBytes(vm.memory)} of memory but host '${host.name}' has ${formatBytes(host.memory)}; lower the vm's \`memory\` or raise the host's`);
    }
    if (host.cpusDeclared && vm.vcpus > host.cpus && valid('vcpus', LIMITS.vmVcpus)) {
      ctx.report(prop('vcpus')?.span ?? d.host.span, 'VMS018',
        `vm '${vm.name}' has ${vm.vcpus} vcpus but host '${host.name}' has ${host.cpus} ${host.cpus === 1 ? 'cpu' : 'cpus'}; lower \`vcpus\` or raise the host's \`cpus\``);
    }
  }
}

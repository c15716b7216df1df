// `at T write VM "PATH"`: a write to a file shared copy-on-write (SCOW: with
// `require certificate`, allowed only with a valid certificate), or else to a
// fork parent's own disk, whose block is propagated to the clones holding it.
// Who may write a share is one rule with `present` (share-access.ts).
import type { StepHandler } from './context';
import { shareVerdict } from './share-access';

export const writeStep: StepHandler<'write'> = (s, b, { report, vmNamed }) => {
  const vm = vmNamed(b.vm, 'it cannot write');
  if (!vm) return;
  const share = s.model.certificates.sharesByFile.get(b.path.value)?.find((x) => x.vms.includes(vm.name));
  if (!share) {
    // A write on a fork parent's own disk is propagated to its clones.
    const updates = s.forks.filter((f) => f.parentName === vm.name).map((f) => [f.name, f.propagateWrite(b.path.value)] as const);
    const done = updates.filter(([, u]) => u);
    if (done.length) {
      report(true, `write by ${vm.name} to "${b.path.value}": ${done.map(([n, u]) => `block ${u!.block} sent again to ${u!.children} ${n} ${u!.children === 1 ? 'child' : 'children'} holding it`).join('; ')}`);
    } else report(false, `${vm.name} neither shares "${b.path.value}" nor has it as a process file of a forked vm`);
    return;
  }
  const verdict = shareVerdict(s, share, vm.name, s.cas.heldBy(vm.name));
  s.writes.push({ vm: vm.name, path: b.path.value, allowed: verdict.ok, why: verdict.why });
  report(true, `write by ${vm.name} to "${b.path.value}": ${verdict.ok ? 'allowed' : 'denied'} (${verdict.why})`);
};

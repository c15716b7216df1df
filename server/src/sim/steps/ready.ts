// Steps that name a VM: which VM, and the error when it cannot act yet
// (LANGUAGE.md §3: not ready is not refused; terminated is final).
import type * as A from '../../../../grammar/src/ast';
import { vmRefName } from '../expectations';
import { doneBy } from '../monitor-effects';
import type { VmRuntime, World } from '../world';

/**
 * A step that named a VM before it is ready: an error that says when it will
 * be. A fork child's ready time is known only once it has its descriptor,
 * vTPM and attestation, so until then the error is reported when it is
 * (ready or failed); the step's time stays the one it was run at.
 */
export function notReady(vm: VmRuntime, atMs: number, report: (ok: boolean, outcome: string) => void): void {
  const a = vm.arriving!;
  const how = `it is being ${a.what} ${a.what === 'forked' ? a.over : `over ${a.over}`}`;
  if (a.readyUs !== undefined) { report(false, `${vm.name} is not ready: ${how} and will be ready at about ${(a.readyUs / 1000).toFixed(1)} ms`); return; }
  (a.waiters ??= []).push((readyUs, failure) => report(false, readyUs !== undefined
    ? `${vm.name} is not ready at ${atMs.toFixed(1)} ms: ${how} and will be ready at ${(readyUs / 1000).toFixed(1)} ms`
    : `${vm.name} is not ready at ${atMs.toFixed(1)} ms: ${how}, and then ${failure ?? 'never became ready'}`));
}

/** The VM a step names, or undefined once the step is reported as an error (`what`: what does not happen). */
export function vmNamedBy(world: World, atMs: number, report: (ok: boolean, outcome: string) => void) {
  return (r: A.VmRef, what: string): VmRuntime | undefined => {
    const name = vmRefName(r);
    const vm = world.vms.get(name);
    if (!vm) { report(false, `${name} does not exist in this run`); return undefined; }
    if (vm.state === 'failed') { report(false, vm.failure ?? `${name} was not created (${vm.fork ? 'its host was refused or it failed' : 'failed'})`); return undefined; }
    // A monitor's termination says which rule and when (a step's own `terminate` has no listed decision).
    if (vm.state === 'terminated') { report(false, `${name} is terminated${doneBy(world.result.monitor, name, `${name} terminated`)}; ${what}`); return undefined; }
    if (vm.arriving) { notReady(vm, atMs, report); return undefined; }
    return vm;
  };
}

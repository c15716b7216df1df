// `at T syscall VM PROC call(args)`: one event through the VM's monitors
// (sim/monitor), after the fork's `isolate` rule.
import type * as A from '../../../../grammar/src/ast';
import { actionText } from '../monitor';
import { isRunning } from '../world';
import type { StepHandler } from './context';
import { pausedForDescriptor } from '../fork/descriptor';

export const syscallStep: StepHandler<'syscall'> = (s, b, { line, report, vmNamed }) => {
  const vm = vmNamed(b.vm, 'the call does not run');
  if (!vm) return;
  // A migrated VM runs on its new host.
  if (!isRunning(vm)) { report(false, `${vm.name} is ${pausedForDescriptor(vm) ?? vm.state}; the call does not run`); return; }
  if (s.monitors.killed.has(`${vm.name}/${b.process.text}`) || s.lost.get(vm.name)?.has(b.process.text)) {
    report(false, `process ${b.process.text} of ${vm.name} is gone`); return;
  }
  // `isolate`: a child's packets never leave the parent's subnet.
  const run = vm.fork ? s.forks.find((f) => f.name === vm.fork) : undefined;
  const dest = b.args.find((a): a is A.Addr => 'ip' in a);
  if (run && dest && (b.call.text === 'connect' || b.call.text === 'sendto') && !run.reaches(dest.ip)) {
    report(true, `${b.call.text} by ${vm.name}/${b.process.text} to ${dest.text}: blocked by isolate (outside the parent's subnet), ENETUNREACH`);
    return;
  }
  s.monitors.decide({ vm, process: b.process.text, call: b.call.text, args: b.args, line }, (v) => {
    const what = `${b.call.text} by ${vm.name}/${b.process.text}`;
    if (!v.monitor) report(true, `${what}: no monitor, allowed`);
    else if (v.dropped) report(true, `${what}: ${v.monitor} buffer full, event dropped`);
    else report(true, `${what}: ${v.monitor} rule ${v.rule} → ${v.actions.map(actionText).join(', ')} after ${v.delayUs} us`);
  });
};

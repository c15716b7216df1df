// `at T syscall VM PROC call(args)`: one event through the VM's monitors
// (sim/monitor), after the fork's `isolate` rule.
import type * as A from '../../../../grammar/src/ast';
import { actionText } from '../monitor';
import { isRunning } from '../world';
import type { StepHandler } from './context';
import type { ScenarioResult } from '../results';
import { pausedForDescriptor } from '../fork/descriptor';
import { doneBy } from '../monitor-effects';

export const syscallStep: StepHandler<'syscall'> = (s, b, { line, loc, report, vmNamed }) => {
  const vm = vmNamed(b.vm, 'the call does not run');
  if (!vm) return;
  // A migrated VM runs on its new host.
  if (!isRunning(vm)) {
    const why = pausedForDescriptor(vm) ?? `${vm.state}${vm.state === 'paused' ? doneBy(s.result.monitor, vm.name, `${vm.name} paused`) : ''}`;
    report(false, `${vm.name} is ${why}; the call does not run`); return;
  }
  const proc = b.process.text;
  if (s.monitors.killed.has(`${vm.name}/${proc}`)) {
    report(false, `process ${proc} of ${vm.name} is gone: killed${doneBy(s.result.monitor, vm.name, `process ${proc} killed`)}`); return;
  }
  if (s.lost.get(vm.name)?.has(proc)) {
    report(false, `process ${proc} of ${vm.name} is gone: left out of the checkpoint ${vm.name} was restored from`); return;
  }
  // `isolate`: a child's packets never leave the parent's subnet.
  const run = vm.fork ? s.forks.find((f) => f.name === vm.fork) : undefined;
  const dest = b.args.find((a): a is A.Addr => 'ip' in a);
  if (run && dest && (b.call.text === 'connect' || b.call.text === 'sendto') && !run.reaches(dest.ip)) {
    report(true, `${b.call.text} by ${vm.name}/${b.process.text} to ${dest.text}: blocked by isolate (outside the parent's subnet), ENETUNREACH`);
    return;
  }
  const what = `${b.call.text} by ${vm.name}/${b.process.text}`;
  // A call that does not run at once (held by a full buffer, waiting for a serial verdict) is reported in
  // its place now and turned into an error if its process was killed (or its VM terminated) before it ran.
  let step: ScenarioResult['steps'][number] | undefined;
  const ran = (never: string | undefined) => {
    if (!never || !step) return;
    step.ok = false;
    step.outcome = `${what}: the call never ran: ${never} (${step.outcome.slice(what.length + 2)})`;
    s.result.errors.push({ line, message: step.outcome, loc });
  };
  s.monitors.decide({ vm, process: b.process.text, call: b.call.text, args: b.args, line, ran }, (v) => {
    if (!v.monitor) report(true, `${what}: no monitor, allowed`);
    else if (v.dropped) report(true, `${what}: ${v.monitor} buffer full, event dropped`);
    else {
      report(true, `${what}: ${v.monitor} rule ${v.rule} → ${v.actions.map(actionText).join(', ')} after ${v.delayUs} us${v.blockedUs !== undefined ? ` (the call was held ${v.blockedUs} us: ${v.monitor}'s buffer was full)` : ''}`);
      if (v.later) step = s.result.steps[s.result.steps.length - 1];
    }
  });
};

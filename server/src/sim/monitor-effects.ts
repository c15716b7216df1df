// Who did something to a VM or a process, from the monitor decisions a run
// listed (their `effect`s): for the step error and the expectation that
// meet the result ("killed at 5.05 ms by rule kill-shell of monitor guard").
import type { MonitorResult } from './results';

/** Whether a decision's applied effects (`a; b; c`) include this one. */
function hasEffect(m: MonitorResult, what: string): boolean {
  return m.effect !== undefined && m.effect.split('; ').includes(what);
}

/**
 * ` at 5.05 ms by rule kill-shell of monitor guard`: the latest listed
 * decision on `vm` whose effects include `effect`, with when it took effect
 * (after its detection delay); empty when none is listed (a replayed trace
 * lists only the first decisions of each rule).
 */
export function doneBy(decisions: readonly MonitorResult[], vm: string, effect: string): string {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const m = decisions[i];
    if (m.vm !== vm || m.at_ms === undefined || !hasEffect(m, effect)) continue;
    const at = Number((m.at_ms + m.delay_us / 1000).toFixed(3));
    return ` at ${at} ms by ${m.rule === 'escalate' ? 'the escalation' : `rule ${m.rule}`} of monitor ${m.monitor}`;
  }
  return '';
}

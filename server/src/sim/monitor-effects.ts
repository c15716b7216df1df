// Who did something to a VM or a process, from the monitor decisions a run
// listed (their `effect`s): for the step error and the expectation that
// meet the result ("killed at 5.05 ms by rule kill-shell of monitor guard").
import type { MonitorResult } from './results';

/** Whether a decision's applied effects (`a; b; c`) include this one. */
function hasEffect(m: MonitorResult, what: string): boolean {
  return m.effect !== undefined && m.effect.split('; ').includes(what);
}

/**
 * ` at 5.05 ms by rule kill-shell of monitor guard`: the listed decision on
 * `vm` that applied `effect` last (after its detection delay), empty when
 * none is listed (a replayed trace lists only the first decisions of each
 * rule). A decision that found the effect already there says `none: …
 * already …`, so only the one that brought it about can be named.
 */
export function doneBy(decisions: readonly MonitorResult[], vm: string, effect: string): string {
  let by: MonitorResult | undefined;
  let byAt = -Infinity;
  for (const m of decisions) {
    if (m.vm !== vm || m.at_ms === undefined || !hasEffect(m, effect)) continue;
    // Listed in decision order, applied in verdict order (an in-VM verdict can overtake an analysed one).
    const at = m.at_ms + m.delay_us / 1000;
    if (at >= byAt) { by = m; byAt = at; }
  }
  if (!by) return '';
  return ` at ${Number(byAt.toFixed(3))} ms by ${by.rule === 'escalate' ? 'the escalation' : `rule ${by.rule}`} of monitor ${by.monitor}`;
}

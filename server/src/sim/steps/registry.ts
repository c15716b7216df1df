// Step kind → its module. Adding a step kind to the grammar without a module
// here is a type error, so no step is silently ignored.
import type * as A from '../../../../grammar/src/ast';
import type { ScenarioState, StepCall, StepHandler } from './context';
import { forkStep } from './fork';
import { syscallStep } from './syscall';
import { checkpointStep } from './checkpoint';
import { restoreStep } from './restore';
import { writeStep } from './write';
import { presentStep } from './present';
import { rotateStep } from './rotate';
import { migrateStep } from './migrate';

export const STEPS: { [K in A.StepBody['kind']]: StepHandler<K> } = {
  fork: forkStep,
  syscall: syscallStep,
  checkpoint: checkpointStep,
  restore: restoreStep,
  write: writeStep,
  migrate: migrateStep,
  rotate: rotateStep,
  present: presentStep,
};

/** Runs one step through its kind's module. */
export function runStep(s: ScenarioState, body: A.StepBody, call: StepCall): void {
  // STEPS[body.kind] is the handler of exactly this body's kind.
  (STEPS[body.kind] as (s: ScenarioState, b: A.StepBody, c: StepCall) => void)(s, body, call);
}

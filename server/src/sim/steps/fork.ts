// `at T fork F`: starts a SnowFlock fork (sim/fork); its children report as they become ready.
import { ForkRun } from '../fork';
import type { StepHandler } from './context';

export const forkStep: StepHandler<'fork'> = (s, b, { line, loc, report }) => {
  const f = s.model.forks.get(b.fork.text);
  if (!f) { report(false, `no fork '${b.fork.text}'`); return; }
  const run = new ForkRun(s.world, f, line, report);
  s.forkLocs.set(f.name, loc);
  s.forks.push(run);
  run.begin();
};

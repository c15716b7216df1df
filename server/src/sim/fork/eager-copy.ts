// The eager copy (`memory eager` / `disk eager`): the source cycles through
// runs of pages, sending each run once to every child still copying, pacing
// itself by the egress backlog; a child is ready when it has every page.
import { PAGE } from '../pages';
import type { Space } from '../integrity';
import { range, RUN, type Child, type ForkState } from './state';
import { sendAll } from './page-transfer';

/** Adds the child to the carousel; false when there is nothing to copy. */
export function joinCarousel(s: ForkState, c: Child): boolean {
  const { fork } = s;
  if (!s.carousel) {
    const runs: { space: Space; indexes: number[] }[] = [];
    const add = (space: Space, idx: number[]) => { for (let i = 0; i < idx.length; i += RUN) runs.push({ space, indexes: idx.slice(i, i + RUN) }); };
    if (fork.memory === 'eager') add('mem', range({ first: 0, count: s.mem.count }));
    if (fork.disk === 'eager') add('disk', s.diskBlocks);
    s.carousel = { runs, at: 0, riders: [], turning: false };
  }
  const car = s.carousel;
  if (car.runs.length === 0) return false;
  c.eagerMissing += car.runs.reduce((n, r) => n + r.indexes.length, 0);
  car.riders.push({ c, left: car.runs.length });
  if (!car.turning) { car.turning = true; turnCarousel(s); }
  return true;
}

/** Sends the next run to every rider (one payload for all), then waits for the egress to drain a little. */
function turnCarousel(s: ForkState): void {
  const car = s.carousel!;
  car.riders = car.riders.filter((r) => r.left > 0 && !r.c.failed);
  if (car.riders.length === 0) { car.turning = false; return; }
  const run = car.runs[car.at % car.runs.length];
  car.at++;
  const kids = car.riders.map((r) => { r.left--; return r.c; });
  sendAll(s, run.space, run.indexes, kids, false);
  const link = kids[0].link!;
  const lead = s.world.network.transmitUs(link, run.indexes.length * PAGE);
  s.world.engine.after(Math.max(0, s.world.network.backlogUs(link, s.source) - 2 * lead), () => turnCarousel(s));
}

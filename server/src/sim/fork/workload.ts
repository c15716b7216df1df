// The lazy workload (SnowFlock): after resuming, a child touches its working
// set — memory, then disk reads — in its own order, `vcpus` faults at a time,
// fetching each page it does not hold yet.
import { Rng } from '../rng';
import { diskLayout, osBlocks } from '../pages';
import { keyOf, unkey, type Child, type ForkState } from './state';
import { diskTouches } from './disk';
import { request } from './page-transfer';

/** Pages the children will touch first (lazy), the same in every child: computed once. */
function lazyTouches(s: ForkState): { mem: number[]; disk: number[] } {
  const { world, fork } = s;
  const vm = fork.parent;
  s.touches ??= {
    mem: fork.memory === 'lazy' ? workingSet(world.seed, vm.name, s.mem.count, vm.workingset) : [],
    disk: fork.disk === 'lazy' ? diskTouches(s.diskBlocks, Math.min(s.diskBlocks.length, osBlocks(diskLayout(vm))), vm.workingset, world.seed, vm.name) : [],
  };
  return s.touches;
}

/** The order a child touches the working set in: its own shuffle, as page keys (a typed array: millions of touches stay small). */
export function touchOrder(s: ForkState, child: string): Float64Array {
  const lazy = lazyTouches(s);
  const keys = new Float64Array(lazy.mem.length + lazy.disk.length);
  let n = 0;
  for (const i of lazy.mem) keys[n++] = keyOf('mem', i);
  for (const i of lazy.disk) keys[n++] = keyOf('disk', i);
  // Fisher-Yates with the child's own stream (as Rng.shuffle).
  const rng = new Rng(s.world.seed, 'order', child);
  for (let i = keys.length - 1; i > 0; i--) { const j = rng.int(i + 1); const t = keys[i]; keys[i] = keys[j]; keys[j] = t; }
  return keys;
}

/** After resuming, a lazy child touches its working set (memory, then disk reads), `vcpus` faults at a time. */
export function runWorkload(s: ForkState, c: Child): void {
  const { world, fork } = s;
  const vm = fork.parent;
  const touches = touchOrder(s, c.name);
  let next = 0;
  let finished = 0;
  const stream = () => {
    while (next < touches.length && !c.failed) {
      const [space, index] = unkey(touches[next++]);
      if (c.have[space][index]) continue;
      const key = keyOf(space, index);
      const w = c.waiting.get(key);
      const resume = () => world.engine.after(world.costs.faultHandling, stream);
      if (w) { w.push(resume); return; }
      c.waiting.set(key, [resume]);
      request(s, c, space, index, false);
      return;
    }
    // Each stream ends once; the working set is in when the last has.
    if (++finished === streams && !c.failed && touches.length) s.phase(c, 'working set fetched', c.readyAt!);
  };
  // More vcpus than touches adds nothing: each stream would find no page left.
  const streams = Math.min(Math.max(1, vm.vcpus), Math.max(1, touches.length));
  for (let st = 0; st < streams; st++) stream();
}

/** The pages a workload touches: the same set in every child (they run the same code), chosen by the seed. */
export function workingSet(seed: number, vm: string, pages: number, percent: number): number[] {
  const w = Math.min(pages, Math.round((pages * percent) / 100));
  const rng = new Rng(seed, 'workingset', vm);
  if (w > pages / 2) {
    const all = new Uint32Array(pages);
    for (let i = 0; i < pages; i++) all[i] = i;
    for (let i = 0; i < w; i++) { const j = i + rng.int(pages - i); const t = all[i]; all[i] = all[j]; all[j] = t; }
    return Array.from(all.subarray(0, w)).sort((a, b) => a - b);
  }
  const set = new Set<number>();
  while (set.size < w) set.add(rng.int(pages));
  return [...set].sort((a, b) => a - b);
}

// The disk (Ma et al.): cloned lazily through a block bitmap — a child reads
// the working-set share of the OS image and its processes' files after
// resuming — and writes on the source after the fork are propagated to
// children that already hold the block.
import { diskLayout } from '../pages';
import { derive } from '../rng';
import type { ForkState } from './state';
import { frameGroups } from './multicast';
import { sendData } from './page-transfer';
import { workingSet } from './workload';

/**
 * Disk reads after resume: the working-set share of the OS image (the first
 * `osEnd` of `blocks`, see pages.ts osBlocks) and every block of the processes' files.
 */
export function diskTouches(blocks: number[], osEnd: number, percent: number, seed: number, vm: string): number[] {
  const os = workingSet(seed, `${vm}#disk`, osEnd, percent).map((i) => blocks[i]);
  return [...os, ...blocks.slice(osEnd)];
}

/**
 * A write on the parent's disk after the fork: one block of the written file
 * gets new contents, and children that already hold it are sent the new
 * version. Undefined when the path is not a file of the parent's processes.
 */
export function propagateWrite(s: ForkState, path: string): { block: number; children: number } | undefined {
  const region = diskLayout(s.fork.parent).find((r) => {
    const file = r.name.slice(r.name.indexOf(':') + 1);
    return r.name.includes(':') && (path === file || path.startsWith(file.endsWith('/') ? file : `${file}/`));
  });
  if (!region) return undefined;
  const block = region.first + (derive(s.world.seed, 'write', path).readUInt32BE(0) % region.count);
  s.disk.rewrite(block);
  const holders = s.children.filter((c) => c.created && !c.failed && c.link && c.have.disk[block]);
  for (const [link, members] of frameGroups(s, holders)) sendData(s, 'disk', [block], members, link);
  return { block, children: holders.length };
}

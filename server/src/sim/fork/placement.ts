// Placement: the guards that keep a fork simulable, and the children placed
// round-robin over the `on` hosts, each with its vmid, address and empty page maps.
import type { HostModel } from '../../model/semantic';
import { childrenShortfalls, placement } from '../../model/semantic';
import { childIp } from '../../model/child-address';
import { formatIp } from '../../../../grammar/src/literals';
import { formatSize } from '../../model/units';
import type { TransferResult } from '../results';
import type { VmRuntime } from '../world';
import { Child, ForkState, MAX_PAGE_MAP_BYTES, MAX_TOUCHED_BYTES } from './state';
import { groupBy } from '../../model/map-of-lists';

/** Why the fork cannot be simulated (too large, or no room where its children go), or undefined: checked before anything is allocated per child. */
export function tooLarge(s: ForkState): string | undefined {
  const { fork } = s;
  // What `check` accepts must end in seconds, not exhaust memory.
  const maps = fork.children * (s.mem.count + s.disk.count + s.descCount);
  if (maps > MAX_PAGE_MAP_BYTES) {
    return `fork ${fork.name}: ${fork.children} ${fork.children === 1 ? 'child' : 'children'} of ${formatSize(fork.parent.memory)}${fork.parent.disk ? ` with ${formatSize(fork.parent.disk)} of disk` : ''} need ${formatSize(maps)} of page maps; the simulator's limit is ${formatSize(MAX_PAGE_MAP_BYTES)} — lower children or memory`;
  }
  const touched = (fork.parent.memory * fork.parent.workingset) / 100 * fork.children;
  if (fork.memory === 'eager' ? fork.parent.memory * fork.children > MAX_TOUCHED_BYTES : touched > MAX_TOUCHED_BYTES) {
    return `fork ${fork.name}: more than ${formatSize(MAX_TOUCHED_BYTES)} of pages would be touched; too large to simulate — lower children, memory or the working set`;
  }
  // Without `on`, after the parent migrated, the children go to its new host: VMS014's rule, checked here since `check` saw the declared host.
  if (!fork.onDeclared && s.source !== fork.parent.host) {
    const [short] = childrenShortfalls(s.source, fork.children, fork.parent);
    if (short) {
      const need = short.what === 'memory' ? `${formatSize(short.need)}, but it has ${formatSize(short.has)}` : `${short.need} cpus, but it has ${short.has}`;
      return `fork ${fork.name}: ${fork.children} ${fork.children === 1 ? 'child' : 'children'} on host '${s.source.name}', where vm '${fork.parent.name}' runs since it migrated, ${fork.children === 1 ? 'needs' : 'need'} ${need}; give the fork \`on\` hosts or lower \`children\``;
    }
  }
  return undefined;
}

/** Creates every child on its host (round-robin over `on`) and groups them by host, in placement order. */
export function placeChildren(s: ForkState): Map<HostModel, Child[]> {
  // Without `on`, children stay where the parent runs now (its host after a migration), not where it was declared.
  const hosts = s.fork.onDeclared ? placement(s.fork) : Array.from({ length: s.fork.children }, () => s.source);
  hosts.forEach((host, i) => s.children.push(newChild(s, i + 1, host)));
  return groupBy(s.children, (c) => c.host);
}

function newChild(s: ForkState, index: number, host: HostModel): Child {
  const name = `${s.fork.name}[${index}]`;
  const vm = s.fork.parent;
  // Not ready until it has its descriptor, vTPM and attestation: a step naming it meanwhile is told when it will be.
  const runtime: VmRuntime = { name, model: vm, host, state: 'paused', fork: s.fork.name, index, arriving: { what: 'forked', over: `from ${s.source.name} to ${host.name}` } };
  s.world.vms.set(name, runtime);
  const zero = { sent: 0, verified: 0, rejected: 0, fetched: 0 };
  const stats: TransferResult = {
    fork: s.fork.name, child: name, host: host.name, created: false, ready_ms: null, state: 'pending',
    ip: formatIp(childIp(vm.subnet, index)), pages: { ...zero }, blocks: { ...zero }, descriptor: { ...zero }, bytes: 0, corrupted_accepted: 0, dropped: 0, writes_propagated: 0,
  };
  s.world.result.transfers.push(stats);
  return {
    index, name, host, runtime, created: false,
    have: { mem: new Uint8Array(s.mem.count), disk: new Uint8Array(s.disk.count), desc: new Uint8Array(s.descCount) },
    waiting: new Map(), rejections: new Map(), timeouts: new Map(), requested: new Set(), batchesPaid: new Set(), versions: new Map(),
    cpuFree: 0, descMissing: s.descCount, eagerMissing: 0, vtpmDone: false, settled: false, stats,
  };
}

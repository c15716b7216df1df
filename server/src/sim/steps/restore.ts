// `at T restore C as NAME on H`: brings a VM back from its checkpoint file; on
// another host the file crosses the network as a migration's memory does
// (sim/migration.ts), and the VM is ready when it has arrived.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { openRegularFile } from '../../model/source-reader';
import type { HostModel } from '../../model/semantic';
import { readCheckpoint } from '../checkpoint';
import { move, moveProblem, resentText, roomFor, type ImageSource } from '../migration';
import type { VmRuntime, World } from '../world';
import type { StepHandler } from './context';
import { notReady } from './ready';
import { messageOf } from './text';

export const restoreStep: StepHandler<'restore'> = (s, b, { line, atMs, report }) => {
  const { world } = s;
  const ck = [...s.result.checkpoints].reverse().find((c) => c.name === b.checkpoint.text);
  const host = s.model.hosts.get(b.host.text);
  const orig = s.model.checkpoints.get(b.checkpoint.text)?.vm;
  if (!ck || !host || !orig) { report(false, `checkpoint ${b.checkpoint.text} has not been taken`); return; }
  const as = b.as.text;
  const existing = world.vms.get(as);
  if (existing?.state === 'terminated') { report(false, `${as} is terminated; a restore cannot replace it`); return; }
  if (existing?.arriving) { notReady(existing, atMs, report); return; }
  let manifest: ReturnType<typeof readCheckpoint>;
  try { manifest = readCheckpoint(ck.file); } catch (e) { report(false, `restore ${b.checkpoint.text}: ${messageOf(e)}`); return; }
  // Another checkpoint may have been written to the same file since.
  if (manifest.checkpoint !== ck.name || manifest.vm !== orig.name) {
    report(false, `restore ${b.checkpoint.text}: ${ck.file} now holds checkpoint ${manifest.checkpoint} of ${manifest.vm}, written over it`);
    return;
  }
  const from = s.takenOn.get(ck.name) ?? orig.host;
  const lostNow = manifest.excluded ?? [];
  const place = (vm: VmRuntime) => {
    vm.vtpm = orig.vtpm ? world.newVtpm(as, host) : undefined;
    world.vms.set(as, vm);
    s.lost.set(as, new Set(lostNow));
  };
  const lostText = `lost: ${lostNow.join(', ') || 'nothing'}`;
  const refuse = (why: string) => report(false, `restore ${b.checkpoint.text} as ${as} on ${host.name}: ${why}${existing ? `; ${as} stays as it was` : ''}`);
  // The restored VM needs room on its host, like a migration's target (a VM restored over gives its own back).
  const room = () => roomFor(world, as, orig.memory, host);
  if (from === host) {
    const noRoom = room();
    if (noRoom) { refuse(noRoom); return; }
    // Nothing crosses a network and the read takes no simulated time (docs/simulator.md), but it is a move like any restore.
    const bytes = fileImage(ck.file).size;
    world.result.moves.push({
      kind: 'restore', vm: as, from: host.name, to: host.name, link: LOCAL_LINK,
      bytes, chunks: 0, sent: 0, dropped: 0, rejected: 0, ready_ms: 0, line,
    });
    place({ name: as, model: orig, host, state: 'running' });
    report(true, `restored ${as} on ${host.name}, ready at ${world.nowMs.toFixed(1)} ms: ${bytes} bytes of ${ck.file} read on ${host.name}, where it was taken (nothing crossed a network); ${lostText}`);
    return;
  }
  const spec = { kind: 'restore' as const, vm: as, from, to: host, line, image: fileImage(ck.file), hold: orig.memory };
  const problem = moveProblem(world, spec) ?? room();
  if (problem) { refuse(problem); return; }
  // A new name exists at once, not ready until its image has arrived; a VM restored over stays until then.
  const pending: VmRuntime = { name: as, model: orig, host, state: 'paused' };
  if (!existing) world.vms.set(as, pending);
  const { expectedReadyUs } = move(world, spec, (r) => {
    world.arrived(pending, r.failed ? undefined : world.engine.now, r.failed);
    // Terminated while the image crossed (a monitor): terminated is final, the restore does not revive it.
    if (existing && world.vms.get(as) === existing && existing.state === 'terminated') {
      report(false, `restore ${b.checkpoint.text} as ${as} on ${host.name}: ${as} was terminated meanwhile; a restore cannot replace it`);
      return;
    }
    if (r.failed) {
      pending.state = 'failed';
      pending.failure = `${as} was not restored (${r.failed})`;
      report(false, `restore ${b.checkpoint.text} as ${as} on ${host.name} failed: ${r.failed}${existing ? `; ${as} stays as it was` : ''}`);
      return;
    }
    pending.state = 'running';
    place(pending);
    report(true, `restored ${as} on ${host.name}, ready at ${world.nowMs.toFixed(1)} ms: ${r.bytes} bytes of ${ck.file} copied from ${from.name} over ${r.link} in ${r.sent} chunk messages${resentText(r)}; ${lostText}`);
  });
  pending.arriving = { what: 'restored', over: routeName(world, from, host), readyUs: expectedReadyUs };
};

/** A restore on the host its checkpoint was taken on: the `link` of its move. */
export const LOCAL_LINK = 'same host';

function routeName(world: World, a: HostModel, b: HostModel): string {
  return world.network.route(a, b)?.name ?? 'no link';
}

/** A checkpoint file as an image to send: read in pieces as they are sent, never opening anything but a regular file. */
function fileImage(file: string): ImageSource {
  const fd = openRegularFile(file);
  let size: number;
  try { size = fstatSync(fd).size; } finally { closeSync(fd); }
  return {
    size,
    bytes(offset, length) {
      const out = Buffer.alloc(length);
      const f = openRegularFile(file);
      try {
        readSync(f, out, 0, length, offset);
      } finally { closeSync(f); }
      return out;
    },
  };
}

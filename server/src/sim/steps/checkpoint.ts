// `at T checkpoint C`: writes the VM's checkpoint file (sim/checkpoint.ts,
// SPARC sanitising) through the guarded writer; refusals are this step's error.
import * as nodePath from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { writeCheckpoint } from '../checkpoint';
import type { StepHandler } from './context';
import { notReady } from './ready';
import { messageOf } from './text';

export const checkpointStep: StepHandler<'checkpoint'> = (s, b, { line, loc, atMs, report }) => {
  const ck = s.model.checkpoints.get(b.checkpoint.text);
  const vm = ck ? s.world.vms.get(ck.vm.name) : undefined;
  if (!ck || !vm) { report(false, `no checkpoint '${b.checkpoint.text}'`); return; }
  if (vm.state === 'terminated') { report(false, `${vm.name} is terminated`); return; }
  if (vm.arriving) { notReady(vm, atMs, report); return; }
  const { options } = s;
  const file = options.checkpointDir ? nodePath.resolve(options.checkpointDir, ck.to) : ck.file;
  try {
    // --checkpoint-dir comes from the command line (trusted), not from the source: create it if missing.
    if (options.checkpointDir && !existsSync(options.checkpointDir)) mkdirSync(options.checkpointDir, { recursive: true });
    const w = writeCheckpoint(file, ck.vm, ck.name, s.seed, atMs, ck.excluded, ck.disk, { root: s.writeRoot, maxBytes: options.maxCheckpointBytes, limitHint: options.checkpointLimitHint });
    s.excludedBy.set(ck.name, w.manifest.excluded);
    s.takenOn.set(ck.name, vm.host);
    s.result.checkpoints.push({ name: ck.name, file, excluded: w.manifest.excluded, sanitized_pages: w.manifest.sanitized.pages, bytes: w.bytes, line, loc });
    report(true, `checkpoint ${ck.name}: wrote ${w.bytes} bytes to ${file}; sanitised ${w.manifest.sanitized.pages} pages and ${w.manifest.sanitized.blocks} blocks of ${w.manifest.excluded.join(', ') || 'nothing'}`);
  } catch (e) {
    // Refusals (outside the root, not vmsec's file, too large) and I/O errors: this step's error, located.
    const m = messageOf(e);
    report(false, m.startsWith(`checkpoint ${ck.name} `) ? m : `checkpoint ${ck.name}: ${m}`);
  }
};

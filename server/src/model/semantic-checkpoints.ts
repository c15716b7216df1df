// The meaning of checkpoint declarations (LANGUAGE.md §3, "Checkpoints"):
// the VM resolved, what is excluded (after `ipc follow`), whether the disk
// goes in, and the output file resolved against the declaring file's folder.
// The validator (VMS030/031, the path) and the simulator's checkpoint and
// restore steps read this, never the checkpoint's AST. Like the rest of the
// semantic model, a checkpoint whose VM does not resolve is left out.
import * as nodePath from 'node:path';
import type * as A from '../../../grammar/src/ast';
import type { SourceFile } from './source-file';
import type { Namespace } from './symbols';
import type { VmModel } from './semantic';
import { declIndex } from './decl-index';
import { excludeNames, includesDisk, ipcMode, outputPath, spreadExclusion, type IpcMode } from './checkpoint-plan';

export interface CheckpointModel {
  path: string; decl: A.CheckpointDecl; name: string; vm: VmModel;
  /** The processes named in `exclude`, as written (for locating diagnostics). */
  exclude: A.Ident[];
  /** Every process left out: `exclude`, spread along IPC with `ipc follow`. */
  excluded: Set<string>;
  ipc: IpcMode;
  /** `disk include` (the default) or not. */
  disk: boolean;
  /** The output path as written (default `<name>.ckpt`), relative to the declaring file's folder. */
  to: string;
  /** The output file: `to` resolved against the declaring file's folder. */
  file: string;
}

/** One declaration's meaning (also for a declaration the namespace does not own: the validator checks those too). */
export function checkpointModel(path: string, d: A.CheckpointDecl, vm: VmModel): CheckpointModel {
  const exclude = excludeNames(d);
  const ipc = ipcMode(d);
  const to = outputPath(d);
  return {
    path, decl: d, name: d.name.text, vm, exclude, ipc,
    excluded: spreadExclusion(vm, exclude.map((n) => n.text), ipc),
    disk: includesDisk(d), to, file: nodePath.resolve(nodePath.dirname(path), to),
  };
}

export function buildCheckpoints(files: readonly SourceFile[], ns: Namespace, vms: ReadonlyMap<string, VmModel>): Map<string, CheckpointModel> {
  const out = new Map<string, CheckpointModel>();
  for (const f of files) {
    for (const d of declIndex(f.doc).checkpoints) {
      if (ns.get(d.name.text)?.decl !== d) continue;
      const vm = vms.get(d.vm.text);
      if (vm) out.set(d.name.text, checkpointModel(f.path, d, vm));
    }
  }
  return out;
}

// What a checkpoint leaves out (SPARC): the processes named in `exclude`,
// spread along IPC edges in both directions when `ipc follow`; and how its
// other properties read, defaults filled in. The semantic model
// (semantic-checkpoints.ts) is built from these; the validator, the
// simulator and hover read that model or these functions, never their own copy.
import type * as A from '../../../grammar/src/ast';
import type { VmModel } from './semantic';

export type IpcMode = 'follow' | 'warn' | 'ignore';

/** The processes left out: `names`, and with `ipc follow` everything joined to them by IPC. */
export function spreadExclusion(vm: VmModel, names: Iterable<string>, mode: IpcMode): Set<string> {
  const out = new Set<string>(names);
  if (mode === 'follow') {
    let grew = true;
    while (grew) {
      grew = false;
      for (const e of vm.ipc) {
        if (out.has(e.from) !== out.has(e.to)) { out.add(e.from); out.add(e.to); grew = true; }
      }
    }
  }
  return out;
}

/** The `exclude` names as written, in order, with where each is written. */
export function excludeNames(d: A.CheckpointDecl): A.Ident[] {
  const out: A.Ident[] = [];
  for (const p of d.props) if (p.key === 'exclude') out.push(...p.value);
  return out;
}

export function excludedProcesses(vm: VmModel, d: A.CheckpointDecl): Set<string> {
  return spreadExclusion(vm, excludeNames(d).map((n) => n.text), ipcMode(d));
}

/** `ipc` as written (default `warn`); a misspelt value reads as `warn` (the validator reports it). */
export function ipcMode(d: A.CheckpointDecl): IpcMode {
  const v = (d.props.find((p) => p.key === 'ipc') as A.ValueProp<'ipc', A.Ident> | undefined)?.value.text ?? 'warn';
  return v === 'follow' || v === 'ignore' ? v : 'warn';
}

export function includesDisk(d: A.CheckpointDecl): boolean {
  return (d.props.find((p) => p.key === 'disk') as A.ValueProp<'disk', A.Ident> | undefined)?.value.text !== 'exclude';
}

/** The output path as written (default `<name>.ckpt`), relative to the declaring file's folder. */
export function outputPath(d: A.CheckpointDecl): string {
  return (d.props.find((p) => p.key === 'to') as A.ValueProp<'to', A.Str> | undefined)?.value.value || `${d.name.text}.ckpt`;
}

// What a checkpoint leaves out (SPARC): the processes named in `exclude`,
// spread along IPC edges in both directions when `ipc follow`. Shared by the
// validator (VMS030/031) and the simulator (the file it writes).
import type * as A from '../../../grammar/src/ast';
import type { VmModel } from './semantic';

export function excludedProcesses(vm: VmModel, d: A.CheckpointDecl): Set<string> {
  const out = new Set<string>();
  for (const p of d.props) if (p.key === 'exclude') for (const n of p.value) out.add(n.text);
  if (ipcMode(d) === 'follow') {
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

export function ipcMode(d: A.CheckpointDecl): string {
  return (d.props.find((p) => p.key === 'ipc') as A.ValueProp<'ipc', A.Ident> | undefined)?.value.text ?? 'warn';
}

export function includesDisk(d: A.CheckpointDecl): boolean {
  return (d.props.find((p) => p.key === 'disk') as A.ValueProp<'disk', A.Ident> | undefined)?.value.text !== 'exclude';
}

/** The output path as written (default `<name>.ckpt`), relative to the declaring file's folder. */
export function outputPath(d: A.CheckpointDecl): string {
  return (d.props.find((p) => p.key === 'to') as A.ValueProp<'to', A.Str> | undefined)?.value.value || `${d.name.text}.ckpt`;
}

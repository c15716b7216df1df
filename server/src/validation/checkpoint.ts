// SPARC checkpoints: confidential processes should be excluded (VMS030), and
// exclusion should follow IPC, since a kept peer's buffers hold what the
// excluded process sent (VMS031). Output paths stay inside the workspace.
import * as nodePath from 'node:path';
import type * as A from '../../../grammar/src/ast';
import { excludedProcesses, ipcMode } from '../model/checkpoint-plan';
import type { ValidationContext } from './context';

export function checkCheckpoints(ctx: ValidationContext): void {
  for (const d of ctx.file.doc.decls) {
    if (d.kind !== 'checkpoint') continue;
    const to = d.props.find((p) => p.key === 'to') as A.ValueProp<'to', A.Str> | undefined;
    if (to && to.value.value) {
      const target = nodePath.resolve(nodePath.dirname(ctx.file.path), to.value.value);
      const rel = nodePath.relative(ctx.workspaceRoot, target);
      if (nodePath.isAbsolute(to.value.value) || rel.startsWith('..') || nodePath.isAbsolute(rel)) {
        ctx.report(to.value.span, 'VMS003', `checkpoint file '${to.value.value}' is outside the workspace (${ctx.workspaceRoot}); write it below the folder of this file`);
      }
    }
    const vm = ctx.model.vms.get(d.vm.text);
    if (!vm) continue;
    const excluded = excludedProcesses(vm, d);
    const mode = ipcMode(d);
    for (const p of vm.processes) {
      if (p.confidential && !excluded.has(p.name)) {
        ctx.report(d.name.span, 'VMS030', `checkpoint '${d.name.text}' keeps confidential process '${p.name}' of vm '${vm.name}' in clear; add \`exclude ${p.name}\``,
          { data: { checkpoint: d.name.text, process: p.name } });
      }
    }
    if (mode === 'follow') continue;
    const spans = new Map<string, A.Span>();
    for (const p of d.props) if (p.key === 'exclude') for (const n of p.value) spans.set(n.text, n.span);
    for (const e of vm.ipc) {
      const [inside, outside] = excluded.has(e.from) && !excluded.has(e.to) ? [e.from, e.to] : excluded.has(e.to) && !excluded.has(e.from) ? [e.to, e.from] : [];
      if (!inside || !outside) continue;
      ctx.report(spans.get(inside) ?? d.name.span, 'VMS031',
        `excluded process '${inside}' has ${e.channel} IPC with kept process '${outside}', whose buffers may hold its data; add \`ipc follow\` (or exclude '${outside}')`,
        { data: { checkpoint: d.name.text, process: outside } });
    }
  }
}

// SPARC checkpoints: confidential processes should be excluded (VMS030), and
// exclusion should follow IPC, since a kept peer's buffers hold what the
// excluded process sent (VMS031). The output path is judged exactly as the
// writer will judge it (model/guarded-write.ts), so `check` reports what
// `run` would refuse: outside the workspace (by path segments, after
// symlinks), an existing folder, a path ending in `/`, an existing file that
// is not a vmsec checkpoint.
import * as nodePath from 'node:path';
import { writeProblem } from '../model/guarded-write';
import { CHECKPOINT_MAGIC } from '../model/checkpoint-magic';
import type * as A from '../../../grammar/src/ast';
import { outputPath } from '../model/checkpoint-plan';
import { checkpointModel } from '../model/semantic-checkpoints';
import { appendTo } from '../model/map-of-lists';
import type { ValidationContext } from './context';
import { unreadProperty } from './syntax';
import { declNamed, named } from './names';

export function checkCheckpoints(ctx: ValidationContext): void {
  for (const d of ctx.file.doc.decls) {
    if (d.kind !== 'checkpoint') continue;
    const to = d.props.find((p) => p.key === 'to') as A.ValueProp<'to', A.Str> | undefined;
    // Without `to` (or with an empty one) the file is `<name>.ckpt`, which must be writable too.
    const file = outputPath(d);
    // A `to` that could not be read would have the default file judged, which the user did not name.
    const problem = (d.name.text || to?.value.value) && !unreadProperty(d, 'to') ? outputProblem(ctx, file) : undefined;
    if (problem) ctx.report(to?.value.value ? to.value.span : d.name.span, 'VMS003', `checkpoint file '${file}' cannot be written: ${problem}`);
    // The semantic model's meaning; a second declaration of the name (VMS002) is judged the same way.
    const owned = ctx.model.checkpoints.get(d.name.text);
    const vm = owned?.decl === d ? owned.vm : ctx.model.vms.get(d.vm.text);
    // A checkpoint without a name (VMS000) is judged once it has one: the warnings name it.
    if (!vm || !declNamed(ctx, ctx.file.path, d)) continue;
    const ck = owned?.decl === d ? owned : checkpointModel(ctx.file.path, d, vm);
    for (const p of vm.processes) {
      // A process whose name could not be read cannot be excluded by name (its VMS000 comes first).
      if (p.confidential && named(p.name) && !ck.excluded.has(p.name) && !unreadProperty(d, 'exclude')) {
        ctx.report(d.name.span, 'VMS030', `checkpoint '${d.name.text}' keeps confidential process '${p.name}' of vm '${vm.name}' in clear; add \`exclude ${p.name}\``,
          { data: { checkpoint: d.name.text, process: p.name } });
      }
    }
    if (ck.ipc === 'follow' || unreadProperty(d, 'ipc')) continue;
    const spans = new Map<string, A.Span>();
    for (const n of ck.exclude) spans.set(n.text, n.span);
    // One warning per excluded–kept pair, naming every channel between them.
    // Keyed by `inside NUL outside` (a process name has no NUL), in order of first mention.
    const pairs = new Map<string, string[]>();
    // Only edges whose channel was read and whose ends are processes of the vm
    // (a missing or unknown end is its VMS000 or VMS001 already).
    const processes = new Set(vm.processes.filter((p) => named(p.name)).map((p) => p.name));
    for (const e of vm.ipc) {
      if (!named(e.channel) || !processes.has(e.from) || !processes.has(e.to)) continue;
      const [inside, outside] = ck.excluded.has(e.from) && !ck.excluded.has(e.to) ? [e.from, e.to] : ck.excluded.has(e.to) && !ck.excluded.has(e.from) ? [e.to, e.from] : [];
      if (!inside || !outside) continue;
      const key = `${inside}\u0000${outside}`;
      if (!pairs.get(key)?.includes(e.channel)) appendTo(pairs, key, e.channel);
    }
    for (const [key, channels] of pairs) {
      const [inside, outside] = key.split('\u0000');
      const via = channels.length === 1 ? channels[0] : `${channels.slice(0, -1).join(', ')} and ${channels[channels.length - 1]}`;
      ctx.report(spans.get(inside) ?? d.name.span, 'VMS031',
        `excluded process '${inside}' has ${via} IPC with kept process '${outside}', whose buffers may hold its data; add \`ipc follow\` (or exclude '${outside}')`,
        { data: { checkpoint: d.name.text, process: outside } });
    }
  }
}

/** Real paths of folders, shared by the checkpoints of one validation (they mostly share a folder). */
const memos = new WeakMap<ValidationContext, Map<string, string>>();
function folderMemo(ctx: ValidationContext): Map<string, string> {
  let m = memos.get(ctx);
  if (!m) { m = new Map(); memos.set(ctx, m); }
  return m;
}

/** Why the checkpoint file at `to` (relative to the declaring file's folder) cannot be written, if it cannot. */
function outputProblem(ctx: ValidationContext, to: string): string | undefined {
  if (to.includes('\0')) return 'a path cannot contain a NUL character';
  const target = nodePath.resolve(nodePath.dirname(ctx.file.path), to);
  // resolve() drops a trailing separator; the writer must still see that a folder was named.
  const trailing = /[\\/]$/.test(to) ? nodePath.sep : '';
  try {
    return writeProblem(ctx.workspaceRoot, target + trailing, CHECKPOINT_MAGIC, folderMemo(ctx));
  } catch (e) {
    return (e as Error).message;
  }
}

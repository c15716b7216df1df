// The processes of VMs declared in text the last analysis has not seen.
// Completion answers from the last finished analysis (Session.snapshot); a
// VM typed a moment ago, or a process just added to one, is only in the
// text changed since. That change is one region (text-map.ts): reparse just
// the declarations it touches, once per request that needs process names.
import { parse } from '../../../grammar/src/parse';
import type { Snapshot } from './session';

/** Above this, the change is not reparsed for completion: the next analysis (a typing pause away) will know its VMs. */
const MAX_REPARSE = 256 * 1024;

/**
 * Process names by VM name, for the VMs the changed text declares (whole
 * declarations: from the start of the analysed declaration the change begins
 * in to the end of the one it ends in). Empty when nothing changed or the
 * change is too large to reparse here.
 */
export function processesInChange(snap: Snapshot): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (snap.map.identical) return out;
  const decls = snap.analysis.set.root.doc.decls;
  const lastAtOrBefore = (x: number) => {
    let lo = 0; let hi = decls.length - 1; let found = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (decls[mid].span.start <= x) { found = mid; lo = mid + 1; } else hi = mid - 1; }
    return found;
  };
  const changeStart = snap.map.changeStart;
  const first = lastAtOrBefore(changeStart);
  // Text before the change is the same in both: an analysed start there is a start in the current text.
  const start = first >= 0 ? Math.min(decls[first].span.start, changeStart) : 0;
  let end = snap.map.changeEnd;
  const oldEnd = snap.map.toOld(end);
  const last = oldEnd === undefined ? -1 : lastAtOrBefore(oldEnd);
  if (last >= 0 && decls[last].span.end > oldEnd!) end = Math.max(end, snap.map.toNew(decls[last].span.end) ?? end);
  if (end - start > MAX_REPARSE) return out;
  for (const d of parse(snap.text.slice(start, end)).decls) {
    if (d.kind === 'vm' && d.name.text) out.set(d.name.text, d.props.flatMap((p) => (p.key === 'process' && p.name.text ? [p.name.text] : [])));
  }
  return out;
}

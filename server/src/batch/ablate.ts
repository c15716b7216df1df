// `--ablate`: every defence the files declare, and for each one a variant of
// the files with that defence switched off by the smallest edit (remove the
// property, rule or excluded name; `integrity` becomes `none`). Running them
// shows which expectations each defence carries. A variant that no longer
// validates is not run: its defence "cannot be switched off", with the reason.
import type * as A from '../../../grammar/src/ast';
import type { FileSet } from '../model/workspace';
import type { SourceFile } from '../model/source-file';
import type { SourceEdit, Variant } from './types';
import { EditedFiles, propEnd, removal } from './sweep-edits';

export interface Defence {
  /** Stable: "integrity@burst", "rule.shadow@guard", "exclude.payments@nightly". */
  id: string;
  /** What a person reads after "without": "integrity on burst". */
  what: string;
  file: SourceFile;
  /** The property, rule or name that is the defence. */
  span: A.Span;
  edits: SourceEdit[];
}

export interface Ablation {
  /** One variant per defence that can be switched off, in source order. */
  variants: Variant[];
  /** The defence of each variant (same index). */
  defences: Defence[];
  /** Defences whose removal leaves files with errors: not run. */
  refused: { defence: Defence; reason: string }[];
}

/** Every defence of every file of the set, in file and source order. */
export function listDefences(set: FileSet): Defence[] {
  const out: Defence[] = [];
  for (const file of set.files) {
    for (const d of file.doc.decls) {
      if (d.kind === 'fork') forkDefences(file, d, out);
      else if (d.kind === 'monitor') monitorDefences(file, d, out);
      else if (d.kind === 'checkpoint') checkpointDefences(file, d, out);
      else if (d.kind === 'share' && d.requireCertificate) shareDefence(file, d, out);
    }
  }
  return out;
}

function forkDefences(file: SourceFile, d: A.ForkDecl, out: Defence[]): void {
  const on = d.name.text;
  for (const p of d.props) {
    const remove = (id: string, what: string) => out.push({ id: `${id}@${on}`, what: `${what} on ${on}`, file, span: p.span, edits: [removal(file, p.span.start, propEnd(file, p))] });
    if (p.key === 'attest hosts') remove('attest-hosts', 'attest hosts');
    else if (p.key === 'attest vtpm') remove('attest-vtpm', 'attest vtpm');
    else if (p.key === 'encrypt') remove('encrypt', 'encrypt');
    else if (p.key === 'isolate') remove('isolate', 'isolate');
    else if (p.key === 'integrity' && p.mode.text && p.mode.text !== 'none') {
      // `none` is the language's off value; writing it keeps the line readable.
      const end = (p.batch ?? p.mode).span.end;
      out.push({ id: `integrity@${on}`, what: `integrity on ${on}`, file, span: p.span, edits: [{ path: file.path, start: p.mode.span.start, end, text: 'none' }] });
    }
  }
}

function monitorDefences(file: SourceFile, d: A.MonitorDecl, out: Defence[]): void {
  const on = d.name.text;
  for (const p of d.props) {
    if (p.key === 'rule' && p.name.text) {
      out.push({ id: `rule.${p.name.text}@${on}`, what: `rule ${p.name.text} of ${on}`, file, span: p.span, edits: [removal(file, p.span.start, p.span.end)] });
    } else if (p.key === 'escalate') {
      out.push({ id: `escalate@${on}`, what: `escalate on ${on}`, file, span: p.span, edits: [removal(file, p.span.start, p.span.end)] });
    } else if (p.key === 'default' && p.action.kind === 'deny') {
      // A default deny is a defence too; its off value is the language default, allow.
      out.push({ id: `default-deny@${on}`, what: `default deny on ${on}`, file, span: p.span, edits: [{ path: file.path, start: p.action.span.start, end: p.action.span.end, text: 'allow' }] });
    }
  }
}

function checkpointDefences(file: SourceFile, d: A.CheckpointDecl, out: Defence[]): void {
  const on = d.name.text;
  for (const p of d.props) {
    if (p.key !== 'exclude') continue;
    const names = p.value;
    names.forEach((n, i) => {
      if (!n.text) return;
      // One name out of the list, with the comma that joins it to a neighbour; the last one takes the whole line.
      let edit: SourceEdit;
      if (names.length === 1) edit = removal(file, p.span.start, p.span.end);
      else if (i < names.length - 1) edit = removal(file, n.span.start, names[i + 1].span.start);
      else edit = removal(file, names[i - 1].span.end, n.span.end);
      out.push({ id: `exclude.${n.text}@${on}`, what: `exclude ${n.text} on ${on}`, file, span: n.span, edits: [edit] });
    });
  }
}

function shareDefence(file: SourceFile, d: A.ShareDecl, out: Defence[]): void {
  // `require certificate` is the last words of the share; remove from after the last VM name.
  const last = d.vms[d.vms.length - 1];
  if (!last) return;
  const start = last.span.end;
  const end = d.span.end;
  if (!/^\s*require\s+certificate\s*$/.test(file.text.slice(start, end))) return;
  out.push({ id: `require-certificate@${d.path.value}`, what: `require certificate on share "${d.path.value}"`, file, span: { start, end }, edits: [removal(file, start, end)] });
}

/** One variant per defence that still validates without it; the others refused with the first error. */
export function planAblation(set: FileSet, options: { workspaceRoot?: string; edited?: EditedFiles } = {}): Ablation {
  const edited = options.edited ?? new EditedFiles(set, options.workspaceRoot);
  const out: Ablation = { variants: [], defences: [], refused: [] };
  for (const defence of listDefences(set)) {
    const c = edited.check(defence.edits);
    if (c.errors.length) {
      const e = c.errors[0];
      const f = c.files.find((x) => x.path === e.path);
      const where = f ? `${f.lines.position(e.span.start).line + 1}: ` : '';
      out.refused.push({ defence, reason: `without it, line ${where}${e.code} ${e.message}` });
      continue;
    }
    out.defences.push(defence);
    out.variants.push({ id: `ablate:${defence.id}`, label: `without ${defence.what}`, values: {}, edits: defence.edits });
  }
  return out;
}

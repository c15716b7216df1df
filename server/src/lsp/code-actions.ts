// Quick fixes for the diagnostics users meet most: a missing name (declare it,
// or take the close match), and the security gaps the validator warns about
// (attest, integrity, encrypt, exclude, ipc follow).
import { CodeAction, CodeActionKind, Diagnostic as LspDiagnostic, TextEdit } from 'vscode-languageserver';
import type * as A from '../../../grammar/src/ast';
import type { SourceFile } from '../model/source-file';
import { childrenPerHost, type SemanticModel } from '../model/semantic';
import type { Session } from './session';
import { toRange } from './convert';

/** Names a skeleton can refer to: the first declared of each kind, if any. */
interface Declared { host?: string; vm?: string; authority?: string }

/**
 * A new declaration that checks clean: the names it needs are the first
 * declared host, vm or authority. Without one there is no such text (a
 * placeholder would be an undeclared name, VMS001), so no fix is offered.
 */
const SKELETON: Record<string, (name: string, d: Declared) => string | undefined> = {
  host: (n) => `host ${n} { cpus 8 memory 64 GiB tpm ecdsa-p256 }`,
  boot: (n) => `boot ${n} {\n  pcr 0 "firmware"\n}`,
  vm: (n, d) => d.host && `vm ${n} on ${d.host} { memory 1 GiB }`,
  network: (n, d) => d.host && `network ${n} {\n  hosts ${d.host}\n}`,
  fork: (n, d) => d.vm && `fork ${n} of ${d.vm} { children 1 }`,
  monitor: (n, d) => d.vm && `monitor ${n} for ${d.vm} { default allow }`,
  checkpoint: (n, d) => d.vm && `checkpoint ${n} of ${d.vm} { }`,
  authority: (n) => `authority ${n} { key ecdsa-p256 }`,
  certificate: (n, d) => d.vm && d.authority && `certificate ${n} for ${d.vm} by ${d.authority} valid 1 h`,
  attacker: (n) => `attacker ${n} { }`,
};

function firstKey(m: ReadonlyMap<string, unknown> | undefined): string | undefined {
  return m?.keys().next().value;
}

/** An edit adding a property line to a block, before its closing brace, in the block's style. */
function addProperty(file: SourceFile, decl: A.Decl, line: string): TextEdit | undefined {
  const close = decl.span.end - 1;
  if (file.text[close] !== '}') return undefined;
  const open = file.text.lastIndexOf('{', close);
  const multiLine = file.text.slice(open, close).includes('\n');
  if (!multiLine) {
    const before = file.text[close - 1] === ' ' ? '' : ' ';
    return { range: toRange(file, { start: close, end: close }), newText: `${before}${line} ` };
  }
  // Insert as the block's last line, with the indentation of its other lines.
  const lineStart = file.text.lastIndexOf('\n', close - 1) + 1;
  const indentOfClose = file.text.slice(lineStart, close).match(/^\s*/)?.[0] ?? '';
  const inner = file.text.slice(open + 1, close).split('\n').find((l) => l.trim())?.match(/^\s*/)?.[0] ?? `${indentOfClose}  `;
  return { range: toRange(file, { start: lineStart, end: lineStart }), newText: `${inner}${line}\n` };
}

/** An edit that sets a property: replaces its line if the block has one, else adds it. */
function setProperty(file: SourceFile, decl: A.Decl & { props: readonly { key: string; span: A.Span }[] }, key: string, line: string): TextEdit | undefined {
  const existing = decl.props.find((p) => p.key === key);
  return existing ? { range: toRange(file, existing.span), newText: line } : addProperty(file, decl, line);
}

function findDecl<K extends A.Decl['kind']>(file: SourceFile, kind: K, name: string): Extract<A.Decl, { kind: K }> | undefined {
  return file.doc.decls.find((d) => d.kind === kind && 'name' in d && d.name.text === name) as Extract<A.Decl, { kind: K }> | undefined;
}

export function codeActions(session: Session, path: string, diagnostics: LspDiagnostic[]): CodeAction[] {
  const file = session.file(path);
  if (!file) return [];
  const uri = session.uriOf(path);
  const out: CodeAction[] = [];
  const fix = (title: string, d: LspDiagnostic, edits: (TextEdit | undefined)[], preferred = false) => {
    const ok = edits.filter((e): e is TextEdit => !!e);
    if (ok.length) out.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: preferred, edit: { changes: { [uri]: ok } } });
  };
  let model: SemanticModel | undefined | null = null;
  const modelOf = () => (model === null ? (model = session.analyze(path)?.resolved.model) : model);
  for (const d of diagnostics) {
    const data = (d.data ?? {}) as Record<string, unknown>;
    switch (d.code) {
      case 'VMS001': {
        const name = String(data.name ?? '');
        if (data.suggestion) fix(`Change to '${data.suggestion}'`, d, [{ range: d.range, newText: String(data.suggestion) }], true);
        const kind = (data.kinds as string[] | undefined)?.[0];
        const make = kind && SKELETON[kind === 'attacker-vm' ? 'vm' : kind];
        const model = make && name ? modelOf() : undefined;
        const decl = make && name ? make(name, { host: firstKey(model?.hosts), vm: firstKey(model?.vms), authority: firstKey(model?.certificates.authorities) }) : undefined;
        if (decl) {
          const end = file.lines.position(file.text.length);
          fix(`Declare ${kind} '${name}'`, d, [{ range: { start: end, end }, newText: `${file.text.endsWith('\n') ? '' : '\n'}\n${decl}\n` }]);
        }
        break;
      }
      case 'VMS021':
        if (data.suggestion) fix(`Change to '${data.suggestion}'`, d, [{ range: d.range, newText: String(data.suggestion) }], true);
        break;
      case 'VMS011': {
        const f = findDecl(file, 'fork', String(data.fork ?? ''));
        const model = modelOf();
        const boot = data.boot ? String(data.boot) : firstKey(model?.boots);
        // Attesting a host without a TPM is an error (VMS010): no fix then.
        const fm = model?.forks.get(String(data.fork ?? ''));
        const attested = fm ? [fm.parent.host, ...childrenPerHost(fm).keys()] : [];
        if (!f || !fm || !boot || f.props.some((p) => p.key === 'attest hosts')) break;
        const noTpm = [...new Set(attested.filter((h) => !h.tpm))];
        if (!noTpm.length) { fix(`Add 'attest hosts against ${boot}'`, d, [addProperty(file, f, `attest hosts against ${boot}`)], true); break; }
        // Attesting needs a TPM in each host: the fix gives them one too, and says so.
        const changes: Record<string, TextEdit[]> = { [uri]: [] };
        let ok = true;
        for (const h of noTpm) {
          const hf = h.path === path ? file : session.file(h.path);
          const e = hf && h.decl.kind === 'host' ? setProperty(hf, h.decl, 'tpm', 'tpm ecdsa-p256') : undefined;
          if (!e) { ok = false; break; }
          (changes[session.uriOf(h.path)] ??= []).push(e);
        }
        const attest = addProperty(file, f, `attest hosts against ${boot}`);
        if (!ok || !attest) break;
        changes[uri].push(attest);
        const names = noTpm.map((h) => `'${h.name}'`).join(', ');
        out.push({ title: `Add 'tpm ecdsa-p256' to host ${names} and 'attest hosts against ${boot}'`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: { changes } });
        break;
      }
      case 'VMS012': {
        const f = findDecl(file, 'fork', String(data.fork ?? ''));
        if (f) fix("Set 'integrity per-page'", d, [setProperty(file, f, 'integrity', 'integrity per-page')], true);
        break;
      }
      case 'VMS013': {
        const f = findDecl(file, 'fork', String(data.fork ?? ''));
        if (f) fix("Add 'encrypt'", d, [addProperty(file, f, 'encrypt')], true);
        break;
      }
      case 'VMS030': {
        const c = findDecl(file, 'checkpoint', String(data.checkpoint ?? ''));
        if (c) fix(`Exclude '${data.process}'`, d, [addProperty(file, c, `exclude ${data.process}`)], true);
        break;
      }
      case 'VMS031': {
        const c = findDecl(file, 'checkpoint', String(data.checkpoint ?? ''));
        if (!c) break;
        fix("Set 'ipc follow'", d, [setProperty(file, c, 'ipc', 'ipc follow')], true);
        if (data.process) fix(`Exclude '${data.process}' too`, d, [addProperty(file, c, `exclude ${data.process}`)]);
        break;
      }
      default: break;
    }
  }
  return out;
}

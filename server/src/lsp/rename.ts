// Rename: the declaration and every reference, across imported and importing
// files. A new name must be a valid identifier and free in the namespace.
import { ResponseError, ErrorCodes, Range, WorkspaceEdit, TextEdit } from 'vscode-languageserver';
import type { Session } from './session';
import { occurrences, symbolAt } from './navigation';
import { toRange } from './convert';
import { KIND_WORDS } from '../model/symbols';

const IDENT = /^[A-Za-z_](?:[A-Za-z0-9_]|-(?!>))*$/;

export function prepareRename(session: Session, path: string, offset: number): { range: Range; placeholder: string } | undefined {
  const hit = symbolAt(session, path, offset);
  const f = session.file(path);
  if (!hit || !f) return undefined;
  const span = hit.ref ? hit.ref.ident.span : hit.sym.span;
  return { range: toRange(f, span), placeholder: hit.sym.name };
}

export function rename(session: Session, path: string, offset: number, newName: string): WorkspaceEdit {
  const hit = symbolAt(session, path, offset);
  if (!hit) throw new ResponseError(ErrorCodes.InvalidRequest, 'nothing to rename here');
  if (!IDENT.test(newName)) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is not a valid name: use letters, digits, '_' and '-' (not first), no dots`);
  const sym = hit.sym;
  if (sym.kind === 'process') {
    if (session.analyze(sym.path)?.resolved.ns.processesOf(sym.parent!.name)?.has(newName)) {
      throw new ResponseError(ErrorCodes.InvalidParams, `vm '${sym.parent!.name}' already has a process '${newName}'`);
    }
  } else {
    const clash = session.analyze(path)?.resolved.ns.get(newName) ?? session.analyze(sym.path)?.resolved.ns.get(newName);
    if (clash && newName !== sym.name) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is already declared as a ${KIND_WORDS[clash.kind]}`);
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const o of occurrences(session, sym)) {
    const f = session.file(o.path);
    if (!f) continue;
    (changes[session.uriOf(o.path)] ??= []).push({ range: toRange(f, o.span), newText: newName });
  }
  return { changes };
}

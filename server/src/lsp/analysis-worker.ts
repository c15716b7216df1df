// The analysis thread: validation of a whole file set takes hundreds of
// milliseconds on a big file, so it runs here, off the thread that answers
// hover and completion. It keeps its own Session (open texts are sent to it
// before each request: whole when first sent, then as the changed region)
// and answers with diagnostics ready to publish. Its parse cache lives as
// long as the thread, so each edit reparses only what it touched.
import { parentPort } from 'node:worker_threads';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import { Session } from './session';
import { toLspDiagnostic } from './convert';
import { ImportedErrors, importLineErrors } from './imported-errors';

export const WORKER_ROLE = 'vmsec-analysis';

export type ToWorker =
  | { t: 'roots'; roots: string[] }
  | { t: 'doc'; path: string; uri: string; version: number; text: string }
  /** The text of a document the thread has, with [start, end) replaced by `text`. */
  | { t: 'edit'; path: string; version: number; start: number; end: number; text: string }
  | { t: 'close'; path: string }
  | { t: 'disk'; path: string; deleted: boolean }
  | { t: 'analyze'; path: string; version: number }
  | { t: 'sizes' };

export type FromWorker =
  | { t: 'result'; path: string; version: number; diagnostics: LspDiagnostic[]; ms: number }
  | { t: 'failed'; path: string; version: number; error: string }
  | { t: 'sizes'; sizes: ReturnType<Session['cacheSizes']> };

/** Diagnostics of `path`'s own file from a full analysis, and its imports' errors on their import lines (shared with the in-thread fallback). */
export function diagnosticsOf(session: Session, path: string, imported: ImportedErrors): LspDiagnostic[] {
  const a = session.analyze(path, { diagnostics: true });
  if (!a) return [];
  const own = (a.diagnostics ?? []).filter((d) => d.path === path);
  return [...own, ...importLineErrors(a.set, imported.of(a.set, session.workspaceRootOf(path)))]
    .map((d) => toLspDiagnostic(a.set.root, d, (p) => session.file(p), (p) => session.uriOf(p)));
}

export function runAnalysisWorker(): void {
  const port = parentPort;
  if (!port) return;
  const session = new Session();
  const imported = new ImportedErrors();
  const post = (m: FromWorker) => port.postMessage(m);
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'roots': session.roots.splice(0, session.roots.length, ...m.roots); break;
      case 'doc': session.open.set(m.path, TextDocument.create(m.uri, 'vmsec', m.version, m.text)); break;
      case 'edit': {
        const d = session.open.get(m.path);
        if (d) session.open.set(m.path, TextDocument.create(d.uri, 'vmsec', m.version, d.getText().slice(0, m.start) + m.text + d.getText().slice(m.end)));
        break;
      }
      case 'close': session.close(m.path); imported.forget(m.path); break;
      case 'disk': session.fileChangedOnDisk(m.path, m.deleted); break;
      case 'sizes': post({ t: 'sizes', sizes: session.cacheSizes() }); break;
      case 'analyze': {
        const started = performance.now();
        try {
          const diagnostics = diagnosticsOf(session, m.path, imported);
          post({ t: 'result', path: m.path, version: m.version, diagnostics, ms: Math.round(performance.now() - started) });
        } catch (e) {
          post({ t: 'failed', path: m.path, version: m.version, error: String((e as Error)?.stack ?? e) });
        }
        break;
      }
    }
  });
}

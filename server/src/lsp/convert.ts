// Between the model's offsets and paths and the protocol's positions and URIs.
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Diagnostic as LspDiagnostic, Range } from 'vscode-languageserver';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver';
import type { Span } from '../../../grammar/src/ast';
import type { Diagnostic } from '../model/diagnostics';
import type { SourceFile } from '../model/source-file';
import { codeHelpUri } from '../model/help-uri';

/** The file-system path of a file URI (query and fragment dropped), other schemes as they are; undefined for a file URI that names no local path. */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return uri;
  try { return fileURLToPath(uri); } catch { return undefined; }
}
export function pathToUri(path: string): string {
  return path.startsWith('/') || /^[A-Za-z]:/.test(path) ? pathToFileURL(path).toString() : path;
}

export function toRange(file: SourceFile, span: Span): Range {
  return { start: file.lines.position(span.start), end: file.lines.position(span.end) };
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

export function toLspDiagnostic(file: SourceFile, d: Diagnostic, fileOf: (path: string) => SourceFile | undefined, uriOf: (path: string) => string = pathToUri): LspDiagnostic {
  return {
    range: toRange(file, d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    codeDescription: { href: codeHelpUri(d.code) },
    source: 'vmsec',
    message: d.message,
    tags: d.code === 'VMS020' ? [DiagnosticTag.Unnecessary] : undefined,
    data: d.data,
    relatedInformation: d.related?.flatMap((r) => {
      const f = fileOf(r.path);
      return f ? [{ location: { uri: uriOf(r.path), range: toRange(f, r.span) }, message: r.message }] : [];
    }),
  };
}

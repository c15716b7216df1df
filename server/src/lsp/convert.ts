// Between the model's offsets and paths and the protocol's positions and URIs.
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Diagnostic as LspDiagnostic, Range } from 'vscode-languageserver';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver';
import type { Span } from '../../../grammar/src/ast';
import type { Diagnostic } from '../model/diagnostics';
import type { SourceFile } from '../model/source-file';
import { codeHelpUri } from '../cli/format-check';

export function uriToPath(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}
export function pathToUri(path: string): string {
  return path.startsWith('/') || /^[A-Za-z]:/.test(path) ? pathToFileURL(path).toString() : path;
}

export function toRange(file: SourceFile, span: Span): Range {
  return { start: file.lines.position(span.start), end: file.lines.position(span.end) };
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

export function toLspDiagnostic(file: SourceFile, d: Diagnostic, fileOf: (path: string) => SourceFile | undefined): LspDiagnostic {
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
      return f ? [{ location: { uri: pathToUri(r.path), range: toRange(f, r.span) }, message: r.message }] : [];
    }),
  };
}

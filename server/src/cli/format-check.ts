// Output formats of `vmsec check`: text lines, JSON, SARIF 2.1.0.
import { CODES, Diagnostic } from '../model/diagnostics';
import type { SourceFile } from '../model/source-file';
import * as nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { displayPath } from './files';
import { DOCS_URL, codeHelpUri } from '../model/help-uri';
import { recordLines } from '../model/escape-text';

export interface Located { file: string; line: number; col: number; endLine: number; endCol: number; d: Diagnostic }

export function locate(files: SourceFile[], diagnostics: Diagnostic[]): Located[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  return diagnostics.map((d) => {
    const f = byPath.get(d.path);
    const s = f ? f.lines.position(d.span.start) : { line: 0, character: 0 };
    const e = f ? f.lines.position(d.span.end) : s;
    return { file: displayPath(d.path), line: s.line + 1, col: s.character + 1, endLine: e.line + 1, endCol: e.character + 1, d };
  });
}

/** One line per diagnostic: a newline in a message or file name (an import's path) shows as `\n`, it cannot forge a diagnostic. */
export function formatText(items: Located[]): string {
  return recordLines(items.map((x) => `${x.file}:${x.line}:${x.col}: ${x.d.severity} ${x.d.code} ${x.d.message}`));
}

export function formatJson(items: Located[]): string {
  return JSON.stringify({
    diagnostics: items.map((x) => ({ file: x.file, line: x.line, col: x.col, endLine: x.endLine, endCol: x.endCol, severity: x.d.severity, code: x.d.code, message: x.d.message })),
  }, null, 2);
}

export { DOCS_URL, codeHelpUri };

/** A SARIF artifact location: a relative URI reference (each segment
 *  percent-encoded) against %SRCROOT% — the working folder — for files
 *  inside it, an absolute file:// URI (and no base) for the others. */
export function artifactLocation(absPath: string, cwd = process.cwd()): { uri: string; uriBaseId?: string } {
  const rel = nodePath.relative(cwd, absPath);
  if (rel && !rel.startsWith('..') && !nodePath.isAbsolute(rel)) {
    return { uri: rel.split(nodePath.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
  }
  return { uri: pathToFileURL(absPath).href };
}

export function formatSarif(items: Located[], version: string): string {
  const ids = Object.keys(CODES) as (keyof typeof CODES)[];
  const level = (s: string) => (s === 'info' ? 'note' : s);
  return JSON.stringify({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'vmsec', version, informationUri: DOCS_URL,
          rules: ids.map((id) => ({
            id, name: id, shortDescription: { text: CODES[id].summary }, helpUri: codeHelpUri(id),
            defaultConfiguration: { level: level(CODES[id].severity) },
          })),
        },
      },
      columnKind: 'utf16CodeUnits',
      originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(process.cwd()).href.replace(/\/?$/, '/') } },
      results: items.map((x) => ({
        ruleId: x.d.code, ruleIndex: ids.indexOf(x.d.code), level: level(x.d.severity), message: { text: x.d.message },
        locations: [{
          physicalLocation: {
            artifactLocation: artifactLocation(nodePath.resolve(x.d.path)),
            region: { startLine: x.line, startColumn: x.col, endLine: x.endLine, endColumn: Math.max(x.endCol, x.endLine === x.line ? x.col + 1 : 1) },
          },
        }],
      })),
    }],
  }, null, 2);
}

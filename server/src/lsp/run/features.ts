// What a finished run shows in any LSP client: inlay hints at the end of each
// result line, Error diagnostics for failed expectations and step errors, and
// hover details. Code lenses run scenarios (and say how the last run went).
import { DiagnosticSeverity, type CodeLens, type Diagnostic, type InlayHint, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type * as A from '../../../../grammar/src/ast';
import type { SourceFile } from '../../model/source-file';
import { toRange } from '../convert';
import { Commands, UNTRUSTED_MESSAGE, type ScenarioInfo } from '../../protocol';
import { tallyOf, type StoredRun, type Tally } from './results-store';

export function scenariosOf(file: SourceFile, uri: string): ScenarioInfo[] {
  const out: ScenarioInfo[] = [];
  for (const d of file.doc.decls) {
    if (d.kind !== 'scenario') continue;
    const s = d as A.ScenarioDecl;
    const item = (i: A.ScenarioItem) => ({ text: file.text.slice(i.span.start, i.span.end).replace(/\s+/g, ' ').trim(), range: toRange(file, i.span) });
    out.push({
      name: s.title.value, uri, range: toRange(file, s.span),
      steps: s.items.filter((i) => i.key === 'step').map(item),
      expectations: s.items.filter((i) => i.key === 'expect').map(item),
    });
  }
  return out;
}

export const runDiagnosticSource = 'vmsec run';

export function runDiagnostics(runs: StoredRun[], uri: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { view } of runs) {
    for (const e of view.expectations) {
      if (e.passed || e.loc.uri !== uri) continue;
      out.push({ range: e.loc.range, severity: DiagnosticSeverity.Error, source: runDiagnosticSource, code: 'run',
        message: `${e.text} — actual ${e.actual} (scenario "${view.name}")` });
    }
    for (const e of view.errors) {
      if (e.loc.uri !== uri) continue;
      out.push({ range: e.loc.range, severity: DiagnosticSeverity.Error, source: runDiagnosticSource, code: 'run', message: `${e.message} (scenario "${view.name}")` });
    }
  }
  return out;
}

export function inlayHints(runs: StoredRun[], doc: TextDocument, range: Range | undefined): InlayHint[] {
  const out: InlayHint[] = [];
  for (const { view } of runs) {
    for (const i of view.inline) {
      if (i.loc.uri !== doc.uri) continue;
      const line = i.loc.range.end.line;
      if (line >= doc.lineCount || (range && (line < range.start.line || line > range.end.line))) continue;
      // The end of the line's text (before any line break).
      const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$|\r$/, '');
      out.push({ position: { line, character: text.length }, label: i.text, paddingLeft: true,
        tooltip: i.detail ? { kind: 'markdown', value: i.detail } : undefined });
    }
  }
  return out;
}

/** Hover details of the results on a line (markdown). */
export function runDetails(runs: StoredRun[], uri: string, line: number): string[] {
  const out: string[] = [];
  for (const { view } of runs) {
    for (const i of view.inline) {
      if (i.loc.uri === uri && i.loc.range.start.line <= line && line <= i.loc.range.end.line) out.push(i.detail || i.text);
    }
  }
  return out;
}

/** The changes since each scenario's previous run shown in the hover of `line`:
 *  those located on it, and all of a scenario's on its title line. */
export function runChanges(runs: StoredRun[], uri: string, line: number): string[] {
  const out: string[] = [];
  for (const { view, changes } of runs) {
    if (!changes?.length || view.uri !== uri) continue;
    const title = view.range.start.line === line;
    for (const c of changes) {
      // The scenario's own verdict spans the whole scenario: shown on its title line only.
      const whole = c.loc !== undefined && c.loc.range.start.line === view.range.start.line && c.loc.range.end.line === view.range.end.line;
      const here = c.loc !== undefined && !whole && c.loc.uri === uri && c.loc.range.start.line <= line && line <= c.loc.range.end.line;
      if (title || here) out.push(c.text);
    }
  }
  return [...new Set(out)];
}

function fmtDuration(ms: number): string { return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`; }

/**
 * The lens after a run counts what the CLI's summary counts, the expectations
 * that passed (`passed: 6/7 expectations, 1 error`): `✓ 7/7 expectations
 * passed · 9.0 s`, `✗ 6/7 expectations passed · 1 error · 9.0 s`.
 */
export function verdictTitle(t: Tally, durationMs: number): string {
  const errors = t.errors ? ` · ${t.errors} error${t.errors === 1 ? '' : 's'}` : '';
  return `${t.passed ? '✓' : '✗'} ${t.expectationsPassed}/${t.expectations} expectations passed${errors} · ${fmtDuration(durationMs)}`;
}

export function codeLenses(scenarios: ScenarioInfo[], runs: StoredRun[], trusted: boolean, running: Set<string>): CodeLens[] {
  const out: CodeLens[] = [];
  const at = (s: ScenarioInfo): Range => ({ start: s.range.start, end: s.range.start });
  scenarios.forEach((s, n) => {
    const range = at(s);
    if (!trusted) {
      if (n === 0) out.push({ range, command: { title: `⚠ ${UNTRUSTED_MESSAGE}`, command: '' } });
      return;
    }
    out.push({ range, command: { title: running.has(s.name) ? '⟳ Running…' : '▶ Run', command: Commands.runScenario, arguments: [{ uri: s.uri, scenario: s.name }] } });
    if (n === 0) out.push({ range, command: { title: '▶ Run all', command: Commands.runFile, arguments: [{ uri: s.uri }] } });
    const last = runs.find((r) => r.view.name === s.name);
    if (last) {
      const title = verdictTitle(last.tally ?? tallyOf(last.view), last.durationMs);
      out.push({ range, command: { title, command: '' } });
    }
  });
  return out;
}

// What a finished seeds run shows in any LSP client: an inlay hint at the end
// of each expectation line ("✗ passes 85/100 (77–91%) · fails with seeds 11,
// 14 …") and of the scenario's title, an Error diagnostic per expectation
// that failed with some seed (naming the seeds and the command that
// reproduces one), hover details and a code lens with the pass count.
import { DiagnosticSeverity, type CodeLens, type Diagnostic, type InlayHint, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { SeedsExpectation, SeedsScenario } from '../../protocol';
import { ciText, percent, seedList } from '../../report/batch-text';
import type { StoredSeeds } from './seeds-store';
import { runDiagnosticSource } from './features';

/** Seeds named in an inlay hint before "…". */
const HINT_SEEDS = 5;

const pct = (ci: [number, number]) => `${Math.round(ci[0] * 100)}–${Math.round(ci[1] * 100)}%`;

/** The few seeds an inline text names: "11, 14, 17 …". */
function fewSeeds(seeds: number[], count: number): string {
  return `${seeds.slice(0, HINT_SEEDS).join(', ')}${count > HINT_SEEDS ? ' …' : ''}`;
}

export function expectationHint(e: SeedsExpectation): string {
  const ok = e.passed === e.runs;
  return `${ok ? '✓' : '✗'} passes ${e.passed}/${e.runs} (${pct(e.ci)})${ok ? '' : ` · fails with seed${e.failingCount === 1 ? '' : 's'} ${fewSeeds(e.failingSeeds, e.failingCount)}`}`;
}

export function scenarioHint(s: SeedsScenario, seeds: string): string {
  if (s.runs === 0) return `no runs (seeds ${seeds})`;
  const ok = s.passed === s.runs;
  return `${ok ? '✓' : '✗'} ${s.passed}/${s.runs} seeds passed (${pct(s.ci)}, seeds ${seeds})${s.failingCount ? ` · reproduce with --seed ${s.failingSeeds[0]}` : ''}`;
}

/** The scenario's reproduce command with another failing seed. */
export function reproduceWith(s: SeedsScenario, seed: number): string | undefined {
  return s.reproduce?.replace(/--seed \d+/, `--seed ${seed}`);
}

function expectationDetail(s: SeedsScenario, e: SeedsExpectation, seeds: string): string {
  const head = `**${e.passed}/${e.runs} seeds passed** (${percent(e.rate)}, ${ciText(e.ci)}) — scenario "${s.name}", seeds ${seeds}`;
  if (!e.firstFailure) return head;
  const more = e.failingCount > e.failingSeeds.length ? ` and ${e.failingCount - e.failingSeeds.length} more` : '';
  const cmd = reproduceWith(s, e.firstFailure.seed);
  return `${head}\n\nFails with seeds ${seedList(e.failingSeeds)}${more}; seed ${e.firstFailure.seed} saw ${e.firstFailure.actual}.${cmd ? `\n\nReproduce: \`${cmd}\`` : ''}`;
}

export function seedsDiagnostics(runs: StoredSeeds[], uri: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { scenario: s, seeds } of runs) {
    if (s.uri !== uri) continue;
    for (const e of s.expectations) {
      if (e.passed === e.runs || !e.firstFailure) continue;
      const cmd = reproduceWith(s, e.firstFailure.seed);
      const more = e.failingCount > e.failingSeeds.length ? ` and ${e.failingCount - e.failingSeeds.length} more` : '';
      out.push({ range: e.range, severity: DiagnosticSeverity.Error, source: runDiagnosticSource, code: 'seeds',
        message: `${e.text}: passes ${e.passed}/${e.runs} runs (${percent(e.rate)}, ${ciText(e.ci)}); fails with seeds ${seedList(e.failingSeeds)}${more}; seed ${e.firstFailure.seed} saw ${e.firstFailure.actual}${cmd ? ` — reproduce: ${cmd}` : ''} (scenario "${s.name}", seeds ${seeds})` });
    }
    for (const e of s.errors) {
      out.push({ range: e.range, severity: DiagnosticSeverity.Error, source: runDiagnosticSource, code: 'seeds',
        message: `step error in ${e.runs}/${s.runs} runs (seeds ${seedList(e.seeds)}): ${e.message} (scenario "${s.name}", seeds ${seeds})` });
    }
  }
  return out;
}

export function seedsInlayHints(runs: StoredSeeds[], doc: TextDocument, range: Range | undefined): InlayHint[] {
  const out: InlayHint[] = [];
  const at = (line: number, label: string, tooltip?: string) => {
    if (line >= doc.lineCount || (range && (line < range.start.line || line > range.end.line))) return;
    const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$|\r$/, '');
    out.push({ position: { line, character: text.length }, label, paddingLeft: true, tooltip: tooltip ? { kind: 'markdown', value: tooltip } : undefined });
  };
  for (const { scenario: s, seeds } of runs) {
    if (s.uri !== doc.uri) continue;
    at(s.range.start.line, scenarioHint(s, seeds), s.reproduce ? `Reproduce: \`${s.reproduce}\`` : undefined);
    for (const e of s.expectations) at(e.range.end.line, expectationHint(e), expectationDetail(s, e, seeds));
    for (const e of s.errors) at(e.range.end.line, `✗ step error in ${e.runs}/${s.runs} runs`, `${e.message}\n\nSeeds ${seedList(e.seeds)}`);
  }
  return out;
}

/** Hover details of the seeds results on a line (markdown). */
export function seedsDetails(runs: StoredSeeds[], uri: string, line: number): string[] {
  const out: string[] = [];
  for (const { scenario: s, seeds } of runs) {
    if (s.uri !== uri) continue;
    if (s.range.start.line === line) out.push(`${scenarioHint(s, seeds)}${s.reproduce ? `\n\nReproduce: \`${s.reproduce}\`` : ''}`);
    for (const e of s.expectations) if (e.range.start.line <= line && line <= e.range.end.line) out.push(expectationDetail(s, e, seeds));
  }
  return out;
}

/** A lens under the scenario's run lenses: how its last seeds run went. */
export function seedsLenses(runs: StoredSeeds[], uri: string): CodeLens[] {
  return runs.filter((r) => r.scenario.uri === uri && r.scenario.runs > 0).map(({ scenario: s, seeds }) => ({
    range: { start: s.range.start, end: s.range.start },
    command: { title: `${s.passed === s.runs ? '✓' : '✗'} ${s.passed}/${s.runs} seeds passed (${seeds})`, command: '' },
  }));
}

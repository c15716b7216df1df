// Many runs as SARIF 2.1.0 (for code scanning): one result per expectation
// that failed with some seed and per step that failed, at its line, saying
// how often, with which seeds, and how to reproduce it.
import { pathToFileURL } from 'node:url';
import type { BatchSummary } from '../batch/aggregate';
import { ciText, percent, reproduceText, seedList, variantLabel } from './batch-text';

export const BATCH_SARIF_MAGIC = '{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",\n  "version": "2.1.0",\n  "runs": [\n    {\n      "tool": {\n        "driver": {\n          "name": "vmsec",\n          "informationUri": "https://github.com/vmsec/vmsec/blob/main/docs/scale.md",\n          "rules": [\n            {\n              "id": "expectation-failed",';

const RULES = [
  { id: 'expectation-failed', shortDescription: { text: 'An expectation failed with some seeds' } },
  { id: 'step-failed', shortDescription: { text: 'A step failed with some seeds' } },
];

/** Shown names are relative to the working folder (SRCROOT) or absolute. */
function artifact(file: string): { uri: string; uriBaseId?: string } {
  return file.startsWith('/') ? { uri: pathToFileURL(file).href } : { uri: file.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

export function formatBatchSarif(summary: BatchSummary, version: string): string {
  const results: unknown[] = [];
  for (const s of summary.scenarios) {
    const label = variantLabel(summary, s);
    const where = `scenario "${s.scenario}"${label ? ` [${label}]` : ''}`;
    const at = (line: number) => [{ physicalLocation: { artifactLocation: artifact(s.file), region: { startLine: Math.max(1, line) } } }];
    for (const e of s.expectations) {
      if (e.passed === e.runs) continue;
      const seeds = e.failing.map((f) => f.seed);
      results.push({
        ruleId: 'expectation-failed', ruleIndex: 0, level: 'error',
        message: { text: `${e.text} failed in ${e.runs - e.passed} of ${e.runs} runs of ${where} (pass rate ${percent(e.rate)}, ${ciText(e.ci)}); seeds ${seedList(seeds, 20)}; seed ${seeds[0]} saw ${e.failing[0].actual}; reproduce with ${reproduceText(summary, s, seeds[0])}` },
        locations: at(e.line),
      });
    }
    for (const e of s.errors) {
      results.push({
        ruleId: 'step-failed', ruleIndex: 1, level: 'error',
        message: { text: `a step of ${where} failed in ${e.runs} of ${s.runs} runs (seeds ${seedList(e.seeds, 20)}): ${e.message}; reproduce with ${reproduceText(summary, s, e.seeds[0])}` },
        locations: at(e.line),
      });
    }
  }
  return JSON.stringify({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'vmsec', informationUri: 'https://github.com/vmsec/vmsec/blob/main/docs/scale.md', rules: RULES, version } },
      columnKind: 'utf16CodeUnits',
      results,
    }],
  }, null, 2);
}

// Many runs as JSON: the summary only (no wall-clock figures), so the merge
// of shards and the unsharded run print the same bytes.
import type { BatchSummary } from '../batch/aggregate';
import { reproduceText, variantLabel } from './batch-text';

/** The first bytes of every batch JSON vmsec writes (what --out may replace). */
export const BATCH_JSON_MAGIC = '{\n  "format": "vmsec-batch/1",';

export function formatBatchJson(summary: BatchSummary): string {
  const { info } = summary;
  return JSON.stringify({
    format: 'vmsec-batch/1',
    files: info.files, seeds: info.seeds, variants: info.variants, items: info.items,
    runs: summary.runs, passed: summary.passed, failed: summary.runs - summary.passed,
    scenarios: summary.scenarios.map((s) => ({
      file: s.file, scenario: s.scenario,
      ...(s.variant !== undefined ? { variant: s.variant, variant_label: variantLabel(summary, s) } : {}),
      runs: s.runs, passed: s.passed, pass_rate: s.rate, ci95: s.ci,
      failing_seeds: s.failingSeeds,
      ...(s.failingSeeds.length ? { reproduce: reproduceText(summary, s, s.failingSeeds[0]) } : {}),
      expectations: s.expectations.map((e) => ({ line: e.line, text: e.text, runs: e.runs, passed: e.passed, pass_rate: e.rate, ci95: e.ci, failing: e.failing })),
      errors: s.errors,
      quantities: s.quantities,
    })),
  }, null, 2);
}

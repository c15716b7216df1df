// Many runs as JUnit XML: one test case per scenario (and variant); a case
// fails when any seed failed, naming the failing seeds and the command that
// reproduces the first. No times: merged shards equal the unsharded run.
import type { BatchSummary } from '../batch/aggregate';
import { reproduceText, seedList, variantLabel } from './batch-text';
import { seedsFailureLines } from './seeds-failure';
import { xmlText as xml } from './xml-text';

export const BATCH_JUNIT_MAGIC = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- vmsec many runs -->\n';

export function formatBatchJunit(summary: BatchSummary): string {
  const byFile = new Map<string, string[]>();
  const counts = new Map<string, { tests: number; failures: number }>();
  for (const s of summary.scenarios) {
    const label = variantLabel(summary, s);
    const name = `${s.scenario}${label ? ` [${label}]` : ''}`;
    let body = '';
    if (s.failingSeeds.length) {
      const lines = seedsFailureLines({
        ...s, failingCount: s.failingSeeds.length,
        expectations: s.expectations.map((e) => ({ ...e, failingSeeds: e.failing.map((f) => f.seed), failingCount: e.failing.length, first: e.failing[0] })),
        errors: s.errors.map((e) => ({ ...e, count: e.seeds.length })),
        reproduce: reproduceText(summary, s, s.failingSeeds[0]),
      });
      body = `<failure message="${xml(`${s.runs - s.passed}/${s.runs} runs failed; seeds ${seedList(s.failingSeeds)}`)}">${xml(lines.join('\n'))}</failure>`;
    }
    const list = byFile.get(s.file) ?? [];
    list.push(`    <testcase classname="${xml(s.file)}" name="${xml(name)}" file="${xml(s.file)}">${body}</testcase>`);
    byFile.set(s.file, list);
    const c = counts.get(s.file) ?? { tests: 0, failures: 0 };
    c.tests++;
    if (body) c.failures++;
    counts.set(s.file, c);
  }
  const suites = [...byFile].map(([file, cases]) => {
    const c = counts.get(file)!;
    return `  <testsuite name="${xml(file)}" tests="${c.tests}" failures="${c.failures}" errors="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `${BATCH_JUNIT_MAGIC}<testsuites name="vmsec seeds ${xml(summary.info.seeds)}">\n${suites.join('\n')}\n</testsuites>`;
}

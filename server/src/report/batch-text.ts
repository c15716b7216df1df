// Many runs as text: per scenario its pass rate with a 95% confidence
// interval, every expectation that failed with the seeds it failed with and
// the command that reproduces the first, and each quantity's distribution.
import type { BatchSummary, ScenarioStats } from '../batch/aggregate';
import { escapeControl, hasControl, recordLines } from '../model/escape-text';
import { plural } from './words';

/**
 * A word for a POSIX shell: quoted when it needs to be; with control
 * characters (a newline in a title) as $'…' with escapes, so the command
 * stays on one line and still names the same scenario.
 */
export function shellWord(s: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(s)) return s;
  if (hasControl(s)) return `$'${[...s].map(ansiC).join('')}'`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One character inside $'…': a backslash and a quote escaped, a control as bash reads it back (\u for U+0080 on, a character, not a byte). */
function ansiC(c: string): string {
  if (c === '\\' || c === "'") return `\\${c}`;
  if (!hasControl(c)) return c;
  const code = c.charCodeAt(0);
  return code < 0x80 ? escapeControl(c) : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The command that runs one scenario once with one seed (the files as written). */
export function reproduceCommand(file: string, scenario: string, seed: number): string {
  // A file named -x.vmsec would be read as an option.
  return `vmsec run ${shellWord(file.startsWith('-') ? `./${file}` : file)} --scenario ${shellWord(scenario)} --seed ${seed}`;
}

export const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
export const ciText = (ci: [number, number]) => `95% CI ${(ci[0] * 100).toFixed(1)}–${(ci[1] * 100).toFixed(1)}%`;
export const num = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 3 });

/** Seeds as a short list: the first few, then how many more. */
export function seedList(seeds: number[], shown = 10): string {
  return seeds.length <= shown ? seeds.join(', ') : `${seeds.slice(0, shown).join(', ')} and ${seeds.length - shown} more`;
}

export function variantLabel(summary: BatchSummary, s: ScenarioStats): string | undefined {
  return s.variant === undefined ? undefined : summary.info.variants[s.variant]?.label ?? `variant ${s.variant}`;
}

/** How to run a failing seed again: the command, or for a variant what to apply first. */
export function reproduceText(summary: BatchSummary, s: ScenarioStats, seed: number): string {
  const label = variantLabel(summary, s);
  return label === undefined ? reproduceCommand(s.file, s.scenario, seed) : `${reproduceCommand(s.file, s.scenario, seed)} with ${label}`;
}

export function formatBatchText(summary: BatchSummary): string {
  const out: string[] = [];
  let file: string | undefined;
  for (const s of summary.scenarios) {
    if (s.file !== file) { if (file !== undefined) out.push(''); file = s.file; out.push(s.file); }
    const label = variantLabel(summary, s);
    const mark = s.passed === s.runs ? '✓' : '✗';
    out.push(`  ${mark} ${s.scenario}${label ? ` [${label}]` : ''}: ${s.passed}/${s.runs} runs passed (${percent(s.rate)}, ${ciText(s.ci)})`);
    for (const e of s.expectations) {
      if (e.passed === e.runs) { out.push(`      ✓ line ${e.line}: ${e.text}: ${e.passed}/${e.runs}`); continue; }
      const seeds = e.failing.map((f) => f.seed);
      out.push(`      ✗ line ${e.line}: ${e.text}: ${e.passed}/${e.runs} (${percent(e.rate)}, ${ciText(e.ci)})`);
      out.push(`          failing seed${seeds.length === 1 ? '' : 's'} ${seedList(seeds)}; seed ${seeds[0]} saw ${e.failing[0].actual}`);
    }
    for (const e of s.errors) out.push(`      ✗ line ${e.line}: step error in ${e.runs} run${e.runs === 1 ? '' : 's'} (seed${e.seeds.length === 1 ? '' : 's'} ${seedList(e.seeds)}): ${e.message}`);
    if (s.failingSeeds.length) out.push(`      reproduce: ${reproduceText(summary, s, s.failingSeeds[0])}`);
    const names = Object.keys(s.quantities);
    if (names.length) {
      const width = Math.max(...names.map((n) => n.length));
      for (const n of names) {
        const q = s.quantities[n];
        out.push(`      ${n.padEnd(width)}  min ${num(q.min)}  median ${num(q.median)}  p95 ${num(q.p95)}  max ${num(q.max)}${q.n !== s.runs ? `  (${q.n} runs)` : ''}`);
      }
    }
  }
  if (out.length) out.push('');
  out.push(`${plural(summary.runs, 'run')} (seeds ${summary.info.seeds}${summary.info.variants.length ? `, ${summary.info.variants.length} variants` : ''}): ${summary.passed} passed, ${summary.runs - summary.passed} failed`);
  // One line per entry whatever a file name, title or message holds.
  return recordLines(out);
}

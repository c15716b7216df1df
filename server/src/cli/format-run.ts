// Output formats of `vmsec run`: text for people, JSON (LANGUAGE.md §5) and
// JUnit XML for CI.
import type { RunResult, ScenarioResult } from '../sim/results';
import { displayPath } from './files';

function ms(x: number): string { return `${Number(x.toFixed(3))} ms`; }

export function formatRunText(r: RunResult): string {
  const out: string[] = [];
  for (const s of r.scenarios) {
    out.push(`scenario "${s.name}" (seed ${s.seed})`);
    for (const st of s.steps) out.push(`  ${st.ok ? 'step' : 'ERROR'} ${displayPath(r.file)}:${st.line} at ${ms(st.at_ms)}  ${st.outcome}`);
    for (const a of s.attestations) {
      const f = a.failures[0];
      out.push(`  attest ${a.kind} ${a.verifier} → ${a.target}: ${a.passed ? 'passed' : `failed ${f?.id}${f?.expected ? ` (expected ${f.expected.slice(0, 16)}…, actual ${f.actual?.slice(0, 16)}…)` : ''}`}${a.attempts > 1 ? ` after ${a.attempts} attempts` : ''}`);
    }
    for (const t of s.transfers) {
      out.push(`  child  ${t.child} on ${t.host} (${t.ip}): ${t.ready_ms !== null ? `ready at ${ms(t.ready_ms)}` : t.state}${t.failed ? ` — ${t.failed}` : ''}; pages sent ${t.pages.sent}, verified ${t.pages.verified}, rejected ${t.pages.rejected}, fetched ${t.pages.fetched}${t.blocks.sent ? `; blocks sent ${t.blocks.sent}, rejected ${t.blocks.rejected}` : ''}; ${t.bytes} bytes${t.corrupted_accepted ? `; ${t.corrupted_accepted} CORRUPTED pages accepted` : ''}`);
    }
    for (const t of s.taps) out.push(`  tap    ${t.attacker} on ${t.link}: ${t.messages} messages, ${t.bytes} bytes, confidential marker ${t.confidential_seen ? 'SEEN in clear' : 'not seen'}`);
    for (const e of s.errors) if (!s.steps.some((st) => st.line === e.line && !st.ok)) out.push(`  ERROR ${displayPath(r.file)}:${e.line} ${e.message}`);
    for (const e of s.expectations) out.push(`  ${e.passed ? 'PASS' : 'FAIL'} ${displayPath(r.file)}:${e.line}  ${e.text}  (actual: ${e.actual})`);
    out.push(`  ${s.passed ? 'passed' : 'FAILED'}: ${s.expectations.filter((e) => e.passed).length}/${s.expectations.length} expectations, ${s.errors.length} errors; simulated ${ms(s.stats.sim_ms)} in ${s.stats.wall_ms} ms`);
  }
  const passed = r.scenarios.filter((s) => s.passed).length;
  out.push(`${passed} passed, ${r.scenarios.length - passed} failed`);
  return out.join('\n');
}

export function formatRunJson(r: RunResult): string {
  return JSON.stringify({ file: displayPath(r.file), scenarios: r.scenarios }, null, 2);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function formatRunJunit(r: RunResult): string {
  const suite = (s: ScenarioResult) => {
    const cases = s.expectations.map((e) => `    <testcase classname="${esc(s.name)}" name="${esc(`line ${e.line}: ${e.text}`)}">${e.passed ? '' : `<failure message="${esc(`actual: ${e.actual}`)}"/>`}</testcase>`);
    for (const e of s.errors) cases.push(`    <testcase classname="${esc(s.name)}" name="${esc(`line ${e.line}: step`)}"><error message="${esc(e.message)}"/></testcase>`);
    const failures = s.expectations.filter((e) => !e.passed).length;
    return `  <testsuite name="${esc(s.name)}" tests="${cases.length}" failures="${failures}" errors="${s.errors.length}" time="${(s.stats.wall_ms / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(displayPath(r.file))}">\n${r.scenarios.map(suite).join('\n')}\n</testsuites>`;
}

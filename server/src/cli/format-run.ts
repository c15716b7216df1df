// Output formats of `vmsec run`: text for people, JSON (LANGUAGE.md §5) and
// JUnit XML for CI.
import type { RunResult, ScenarioResult, TransferResult } from '../sim/results';
import { traceReportText } from '../sim/trace-replay';
import { displayPath } from './files';
import { xmlText } from '../report/xml-text';
import { recordLines } from '../model/escape-text';

function ms(x: number): string { return `${Number(x.toFixed(3))} ms`; }

/** "ready at 3 ms", or the state and why — without saying "not created" twice
 *  when the reason already starts with the state. */
function childStatus(t: TransferResult): string {
  if (t.ready_ms !== null) return `ready at ${ms(t.ready_ms)}`;
  if (!t.failed) return t.state;
  return t.failed.startsWith(t.state) ? t.failed : `${t.state} — ${t.failed}`;
}

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
      out.push(`  child  ${t.child} on ${t.host} (${t.ip}): ${childStatus(t)}; pages sent ${t.pages.sent}, verified ${t.pages.verified}, rejected ${t.pages.rejected}, fetched ${t.pages.fetched}${t.blocks.sent ? `; blocks sent ${t.blocks.sent}, rejected ${t.blocks.rejected}` : ''}; ${t.bytes} bytes${t.corrupted_accepted ? `; ${t.corrupted_accepted} CORRUPTED pages accepted` : ''}`);
    }
    for (const t of s.taps) out.push(`  tap    ${t.attacker} on ${t.link}: ${t.messages} messages, ${t.bytes} bytes, confidential marker ${t.confidential_seen ? 'SEEN in clear' : 'not seen'}`);
    for (const tr of s.traces ?? []) for (const line of traceReportText(tr)) out.push(`  ${line}`);
    for (const e of s.errors) if (!s.steps.some((st) => st.line === e.line && !st.ok)) out.push(`  ERROR ${displayPath(r.file)}:${e.line} ${e.message}`);
    for (const e of s.expectations) out.push(`  ${e.passed ? 'PASS' : 'FAIL'} ${displayPath(r.file)}:${e.line}  ${e.text}  (actual: ${e.actual})`);
    out.push(`  ${s.passed ? 'passed' : 'FAILED'}: ${s.expectations.filter((e) => e.passed).length}/${s.expectations.length} expectations, ${s.errors.length} ${s.errors.length === 1 ? 'error' : 'errors'}; simulated ${ms(s.stats.sim_ms)} in ${s.stats.wall_ms} ms`);
  }
  const passed = r.scenarios.filter((s) => s.passed).length;
  out.push(`${passed} passed, ${r.scenarios.length - passed} failed`);
  // Each entry is one line: a title, path or outcome holding "\n" cannot fake a PASS line.
  return recordLines(out);
}

/** The CLI's JSON keeps to LANGUAGE.md §5 and the step/tap details: the chart's timeline stays in the HTML report. */
const forJson = (r: RunResult) => r.scenarios.map(({ timeline: _timeline, ...rest }) => rest);

export function formatRunJson(r: RunResult): string {
  return JSON.stringify({ file: displayPath(r.file), scenarios: forJson(r) }, null, 2);
}

/** Several files' results: `{"files":[{"file","scenarios"}]}`. */
export function formatRunJsonFiles(rs: RunResult[]): string {
  return JSON.stringify({ files: rs.map((r) => ({ file: displayPath(r.file), scenarios: forJson(r) })) }, null, 2);
}

export function formatRunJunit(rs: RunResult[]): string {
  const esc = xmlText;
  const suite = (r: RunResult, s: ScenarioResult) => {
    const file = esc(displayPath(r.file));
    const cases = s.expectations.map((e) => `    <testcase classname="${esc(s.name)}" name="${esc(`line ${e.line}: ${e.text}`)}" file="${file}">${e.passed ? '' : `<failure message="${esc(`actual: ${e.actual}`)}"/>`}</testcase>`);
    for (const e of s.errors) cases.push(`    <testcase classname="${esc(s.name)}" name="${esc(`line ${e.line}: step`)}" file="${file}"><error message="${esc(e.message)}"/></testcase>`);
    const failures = s.expectations.filter((e) => !e.passed).length;
    return `  <testsuite name="${esc(s.name)}" tests="${cases.length}" failures="${failures}" errors="${s.errors.length}" time="${(s.stats.wall_ms / 1000).toFixed(3)}" file="${file}">\n${cases.join('\n')}\n  </testsuite>`;
  };
  const name = rs.length === 1 ? displayPath(rs[0].file) : 'vmsec';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(name)}">\n${rs.flatMap((r) => r.scenarios.map((s) => suite(r, s))).join('\n')}\n</testsuites>`;
}

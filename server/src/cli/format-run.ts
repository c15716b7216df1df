// Output formats of `vmsec run`: text for people, JSON (LANGUAGE.md §5) and
// JUnit XML for CI.
import type { Loc, MonitorResult, RunResult, ScenarioResult, StepResult, TransferResult } from '../sim/results';
import { traceReportText } from '../sim/trace-replay';
import { displayPath } from './files';
import { xmlText } from '../report/xml-text';
import { recordLines } from '../model/escape-text';
import { groupBy } from '../model/map-of-lists';

function ms(x: number): string { return `${Number(x.toFixed(3))} ms`; }

/** The reason a child failed, without its state ("not created: …") said twice. */
function failedWhy(t: TransferResult): string {
  const why = t.failed ?? '';
  return why.startsWith(`${t.state}: `) ? why.slice(t.state.length + 2) : why;
}

/**
 * "ready at 132.262 ms", "ready at 132.262 ms, failed at 150.4 ms: page 7
 * rejected 4 times", "not created at 61 ms: h2 refused (invalid_pcr_8)".
 * Times are the scenario's: the JSON's are counted from the fork step
 * (`start`, in ms).
 */
function childStatus(t: TransferResult, start: number): string {
  const failedAt = t.failed_ms !== undefined ? ` at ${ms(start + t.failed_ms)}` : '';
  const failed = t.failed ? `${t.state}${failedAt}: ${failedWhy(t)}` : '';
  if (t.ready_ms !== null) return `ready at ${ms(start + t.ready_ms)}${failed ? `, ${failed}` : ''}`;
  return failed || t.state;
}

/** A step's place in the source, as transfers carry it (a fork's step location). */
const locKey = (l: Loc | undefined) => (l ? `${l.path}\u0000${l.line}\u0000${l.col}` : '');

/** A fork step is reported once every child is ready: a child that failed later is told on the step's line too. */
function failedLater(later: readonly TransferResult[], st: StepResult): string {
  return later.map((t) => `; then ${t.child} ${childStatus(t, st.at_ms).replace(/^ready at [^,]*, /, '')}`).join('');
}

/** An escalation, like a rule's decision on a step line: when, what fired it, what it did to the VM. */
function escalationLine(file: string, m: MonitorResult): string {
  return `  escalate ${file}:${m.line} at ${ms(m.at_ms ?? 0)}  ${m.monitor} on ${m.vm}: ${m.fired ?? 'violations'} → ${m.action}: ${m.effect ?? 'not applied'}`;
}

export function formatRunText(r: RunResult): string {
  const out: string[] = [];
  for (const s of r.scenarios) {
    out.push(`scenario "${s.name}" (seed ${s.seed})`);
    const file = displayPath(r.file);
    // Each escalation follows the step whose call fired it (a trace's: after the steps).
    const escalations = groupBy(s.monitor.filter((m) => m.rule === 'escalate'), (m) => m.line);
    const later = groupBy(s.transfers.filter((t) => t.ready_ms !== null && t.failed), (t) => locKey(t.loc));
    const stepAt = new Map<string, number>();
    for (const st of s.steps) {
      if (!stepAt.has(locKey(st.loc))) stepAt.set(locKey(st.loc), st.at_ms);
      out.push(`  ${st.ok ? 'step' : 'ERROR'} ${file}:${st.line} at ${ms(st.at_ms)}  ${st.outcome}${failedLater(later.get(locKey(st.loc)) ?? [], st)}`);
      for (const m of escalations.get(st.line) ?? []) out.push(escalationLine(file, m));
      escalations.delete(st.line);
    }
    for (const ms_ of escalations.values()) for (const m of ms_) out.push(escalationLine(file, m));
    for (const [key, n] of Object.entries(s.monitor_more ?? {})) if (key.endsWith('/escalate')) out.push(`  escalate ${key.slice(0, -'/escalate'.length)}: ${n} more not listed`);
    for (const a of s.attestations) {
      const f = a.failures[0];
      out.push(`  attest ${a.kind} ${a.verifier} → ${a.target}: ${a.passed ? 'passed' : `failed ${f?.id}${f?.expected ? ` (expected ${f.expected.slice(0, 16)}…, actual ${f.actual?.slice(0, 16)}…)` : ''}`}${a.attempts > 1 ? ` after ${a.attempts} attempts` : ''}`);
    }
    for (const t of s.transfers) {
      out.push(`  child  ${t.child} on ${t.host} (${t.ip}): ${childStatus(t, stepAt.get(locKey(t.loc)) ?? 0)}; pages sent ${t.pages.sent}, verified ${t.pages.verified}, rejected ${t.pages.rejected}, fetched ${t.pages.fetched}${t.blocks.sent ? `; blocks sent ${t.blocks.sent}, rejected ${t.blocks.rejected}` : ''}; ${t.bytes} bytes${t.corrupted_accepted ? `; ${t.corrupted_accepted} CORRUPTED pages accepted` : ''}`);
    }
    for (const t of s.taps) out.push(`  tap    ${t.attacker} on ${t.link}: ${t.messages} messages, ${t.bytes} bytes, confidential marker ${t.confidential_seen ? 'SEEN in clear' : 'not seen'}`);
    for (const tr of s.traces ?? []) for (const line of traceReportText(tr)) out.push(`  ${line}`);
    const stepErrors = new Set(s.steps.filter((st) => !st.ok).map((st) => st.line));
    for (const e of s.errors) if (!stepErrors.has(e.line)) out.push(`  ERROR ${file}:${e.line} ${e.message}`);
    for (const e of s.expectations) out.push(`  ${e.passed ? 'PASS' : 'FAIL'} ${file}:${e.line}  ${e.text}  (actual: ${e.actual})`);
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

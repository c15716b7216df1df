// The texts people read beside a line after a run (issue 10 "Inline results:
// what the user reads") and the markdown of its hover. Pure formatting over
// the simulator's result records.
import { pageCount, type AttestationResult, type CheckpointResult, type ExpectationResult, type MonitorResult, type MoveResult, type StepResult, type TapResult, type TransferResult } from '../sim/results';
import type { TimelineRecord } from '../sim/timeline';

export const OK = '✓';
export const FAIL = '✗';

export function count(n: number): string { return n.toLocaleString('en-US'); }

/** Decimal units, as the issue's `6.4 MB`. */
export function size(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let u = 0;
  let n = bytes;
  while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; }
  return u === 0 ? `${n} bytes` : `${n.toFixed(1).replace(/\.0$/, '')} ${units[u]}`;
}

export function ms(x: number): string {
  return `${x.toLocaleString('en-US', { maximumFractionDigits: x >= 100 ? 0 : x >= 10 ? 1 : 2 })} ms`;
}

export function us(x: number): string {
  return `${x.toLocaleString('en-US', { maximumFractionDigits: 3 })} µs`;
}

/** `ef30…`: enough of a digest to tell two apart at a glance. */
export function short(hex: string | undefined): string { return hex ? `${hex.slice(0, 4)}…` : '?'; }

/** Markdown-safe text (a name from the source must not become markup). */
export function md(s: string): string { return s.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`); }

const sum = (ts: TransferResult[], f: (t: TransferResult) => number) => ts.reduce((n, t) => n + f(t), 0);

/**
 * What `expect F pages verified` counts (LANGUAGE.md §3: every page or disk
 * block that crosses a network), said as what it is: `1,234 pages + 56 disk
 * blocks verified`, or `1,234 pages verified` when no block crossed. The
 * descriptor (page tables) is left to the hover, as the expectation leaves it out.
 */
export function verifiedText(kids: readonly TransferResult[]): string {
  const pages = sum(kids as TransferResult[], (t) => t.pages.verified);
  const blocks = sum(kids as TransferResult[], (t) => t.blocks.verified);
  return `${count(pages)} pages${blocks ? ` + ${count(blocks)} disk blocks` : ''} verified`;
}

/** The fork step: `✓ 8/8 children ready 812 ms · 1,639 pages verified · 0 rejected · 6.4 MB`
 *  (verified and rejected count what `expect F pages …` counts). */
export function forkText(kids: TransferResult[]): { text: string; ok: boolean } {
  const ready = kids.filter((t) => t.ready_ms !== null && !t.failed);
  const ok = kids.length > 0 && ready.length === kids.length;
  const worst = Math.max(0, ...ready.map((t) => t.ready_ms ?? 0));
  const parts = [
    `${ready.length}/${kids.length} children ready${ready.length ? ` ${ms(worst)}` : ''}`,
    verifiedText(kids),
    `${count(pageCount(kids, 'rejected'))} rejected`,
    size(sum(kids, (t) => t.bytes)),
  ];
  return { text: `${ok ? OK : FAIL} ${parts.join(' · ')}`, ok };
}

export function forkDetail(fork: string, kids: TransferResult[], attestations: AttestationResult[], facts: TimelineRecord[]): string {
  const out = [`**fork ${md(fork)}**`, '', '| host | children | ready | slowest ready | pages verified | disk blocks verified | rejected | bytes |', '|---|---|---|---|---|---|---|---|'];
  for (const host of [...new Set(kids.map((t) => t.host))]) {
    const mine = kids.filter((t) => t.host === host);
    const ready = mine.filter((t) => t.ready_ms !== null && !t.failed);
    out.push(`| ${md(host)} | ${mine.length} | ${ready.length} | ${ready.length ? ms(Math.max(...ready.map((t) => t.ready_ms ?? 0))) : '—'} | ${count(sum(mine, (t) => t.pages.verified))} | ${count(sum(mine, (t) => t.blocks.verified))} | ${count(pageCount(mine, 'rejected'))} | ${size(sum(mine, (t) => t.bytes))} |`);
  }
  // The descriptor is signed and verified like pages but is not what `expect F pages …` counts.
  const dVerified = sum(kids, (t) => t.descriptor.verified);
  const dRejected = sum(kids, (t) => t.descriptor.rejected);
  if (dVerified || dRejected) out.push('', `- descriptor (page tables): ${count(dVerified)} pages verified, ${count(dRejected)} rejected`);
  const failed = kids.filter((t) => t.failed);
  if (failed.length) out.push('', ...failed.map((t) => `- ${md(t.child)} on ${md(t.host)}: ${childFailure(t)}`));
  const corrupted = sum(kids, (t) => t.corrupted_accepted);
  if (corrupted) out.push('', `**${count(corrupted)} tampered pages accepted**`);
  if (attestations.length) out.push('', '**attestations**', '', ...attestations.map((a) => `- ${attestationText(a)}${attestationFacts(a, facts)}`));
  return out.join('\n');
}

/**
 * `ready after 132 ms, failed after 1,077 ms: page 7 rejected 4 times` (times
 * from the fork step, as the table's): a child can fail after it was ready.
 */
export function childFailure(t: TransferResult): string {
  const why = t.failed ?? t.state;
  if (t.state !== 'failed' || t.failed_ms === undefined) return md(why);
  const ready = t.ready_ms !== null ? `ready after ${ms(t.ready_ms)}, ` : '';
  return md(`${ready}failed after ${ms(t.failed_ms)}: ${why}`);
}

/** `✓ h2 attested` / `✗ h3 invalid_pcr_4: expected ef30…, got 91bc…`. */
export function attestationText(a: AttestationResult): string {
  const who = a.kind === 'vtpm' ? `vTPM of ${a.target}` : a.target;
  if (a.passed) return `${OK} ${who} attested`;
  const f = a.failures[0];
  if (!f) return `${FAIL} ${who} failed`;
  const pcr = f.expected != null && f.actual != null ? `: expected ${short(f.expected)}, got ${short(f.actual)}` : '';
  return `${FAIL} ${who} ${f.id}${pcr}`;
}

/** The facts of the exchange the timeline recorded (nonce, algorithm), matched by verifier, target and end time. */
function recordOf(a: AttestationResult, facts: TimelineRecord[]): TimelineRecord | undefined {
  return facts.find((r) => r.kind === 'attestation' && r.lane === `${a.verifier} → ${a.target}` && r.endMs === a.at_ms);
}

function attestationFacts(a: AttestationResult, facts: TimelineRecord[]): string {
  const f = recordOf(a, facts)?.facts;
  return f ? ` (verifier ${md(a.verifier)}, ${md(f.algorithm)}, nonce \`${f.nonce.slice(0, 16)}…\`)` : ` (verifier ${md(a.verifier)})`;
}

export function attestationDetail(a: AttestationResult, facts: TimelineRecord[]): string {
  const f = recordOf(a, facts)?.facts;
  const out = [
    `**${a.kind === 'vtpm' ? 'vTPM' : 'host'} attestation of ${md(a.target)}** by ${md(a.verifier)}: ${a.passed ? 'passed' : 'failed'}`,
    '',
    `- at ${ms(a.at_ms)}, ${a.attempts} attempt${a.attempts === 1 ? '' : 's'}`,
  ];
  if (f) {
    out.push(`- quote signature: ${md(f.algorithm)} (attestation key of ${md(a.target)})`);
    out.push(`- nonce: \`${f.nonce}\``);
    out.push(`- PCRs quoted: ${md(f.pcrs)}`);
  }
  for (const x of a.failures) {
    out.push(`- **${md(x.id)}**${x.pcr !== undefined ? ` (PCR ${x.pcr})` : ''}`);
    if (x.expected !== undefined) out.push(`  - expected \`${x.expected}\``);
    if (x.actual !== undefined) out.push(`  - actual \`${x.actual}\``);
  }
  return out.join('\n');
}

/** `deny(1) by rule r after 50 µs`. */
export function monitorText(m: MonitorResult): { text: string; ok: boolean } {
  if (m.action.startsWith('dropped')) return { text: `${FAIL} ${m.monitor} buffer full: event dropped`, ok: false };
  return { text: `${m.action || 'nothing'} by rule ${m.rule} after ${us(m.delay_us)}`, ok: true };
}

/** An effect longer than this is cut in the inline text (the hover has it whole). */
const EFFECT_CHARS = 100;

/**
 * An escalation as the run text tells it, short enough for the end of a line:
 * `m escalated: 2 violations within 1000 ms → pause: v paused`. What fired it
 * names the last violation, which is this line's call: left to the hover.
 */
export function escalationText(m: MonitorResult): string {
  const fired = m.violations !== undefined ? `${count(m.violations)} violation${m.violations === 1 ? '' : 's'} within ${m.window_ms} ms` : 'violations';
  return `${m.monitor} escalated: ${fired} → ${m.action}: ${shortEffect(m.effect ?? 'not applied')}`;
}

/**
 * A long effect (`a; b; c`, each step of what the action did) reads as its
 * last step, where the VM ended up, without that step's details after `: `:
 * `… v migrated from a to b over a<->b, ready at 62.3 ms`.
 */
function shortEffect(effect: string): string {
  if (effect.length <= EFFECT_CHARS) return effect;
  const steps = effect.split('; ');
  const last = steps[steps.length - 1];
  const detail = last.indexOf(': ', 20);
  const core = detail > 0 ? last.slice(0, detail) : last;
  const shown = core.length > EFFECT_CHARS ? `${core.slice(0, EFFECT_CHARS - 1)}…` : core;
  return steps.length > 1 ? `… ${shown}` : shown;
}

/**
 * A syscall step's decisions: the call's own first, then every escalation it
 * set off (what fired, the action, what it did to the VM), e.g.
 * `killProc by rule k after 50 µs · m escalated: 1 violation within 1000 ms → migrate to b: …`.
 * Other decisions on the line (more monitors) are counted, and listed in the hover.
 */
export function syscallText(decisions: readonly MonitorResult[]): { text: string; ok: boolean } {
  const calls = decisions.filter((m) => m.rule !== 'escalate');
  const escalations = decisions.filter((m) => m.rule === 'escalate');
  const first = calls[0] ? monitorText(calls[0]) : undefined;
  const parts = [
    ...(first ? [calls.length > 1 ? `${first.text} (+${calls.length - 1} more)` : first.text] : []),
    ...escalations.map(escalationText),
  ];
  return { text: parts.join(' · ') || 'nothing decided', ok: calls.every((m) => monitorText(m).ok) };
}

export function monitorDetail(ms_: MonitorResult[], step?: StepResult): string {
  const out = ms_.map((m) => m.rule === 'escalate'
    // An escalation: what fired it, and what it did to the VM.
    ? `- **${md(m.monitor)}** escalation${m.at_ms !== undefined ? ` at ${ms(m.at_ms)}` : ''}: ${md(m.fired ?? 'violations')} → **${md(m.action)}**${m.effect ? `: ${md(m.effect)}` : ''}`
    : `- **${md(m.monitor)}**: \`${md(m.call)}\` by ${md(m.vm)}/${md(m.process)} → rule **${md(m.rule)}**: ${md(m.action || 'nothing')}, decided after ${us(m.delay_us)}${m.effect ? ` (${md(m.effect)})` : ''}`);
  if (step) out.unshift(`at ${ms(step.at_ms)}: ${md(step.outcome)}`, '');
  return out.join('\n');
}

/** What a checkpoint sanitised and the file's size. */
export function checkpointText(c: CheckpointResult): string {
  return `${OK} sanitised ${c.excluded.join(', ') || 'nothing'} (${count(c.sanitized_pages)} pages) · ${size(c.bytes)}`;
}

export function checkpointDetail(c: CheckpointResult, step?: StepResult): string {
  return [`**checkpoint ${md(c.name)}**`, '', `- file: \`${c.file}\``, `- size: ${size(c.bytes)} (${count(c.bytes)} bytes)`,
    `- left out: ${md(c.excluded.join(', ') || 'nothing')}`, `- pages sanitised: ${count(c.sanitized_pages)}`, ...(step ? [`- taken at ${ms(step.at_ms)}`] : [])].join('\n');
}

/** Restore/migrate: chunks and ready time. */
export function moveText(m: MoveResult): { text: string; ok: boolean } {
  if (m.failed) return { text: `${FAIL} ${m.kind} failed: ${m.failed}`, ok: false };
  const resent = m.dropped + m.rejected;
  return { text: `${OK} ${m.vm} ready ${m.ready_ms === null ? '—' : ms(m.ready_ms)} · ${count(m.chunks)} chunks${resent ? ` · ${count(resent)} re-sent` : ''} · ${size(m.bytes)}`, ok: true };
}

export function moveDetail(m: MoveResult): string {
  return [`**${m.kind} ${md(m.vm)}** from ${md(m.from)} to ${md(m.to)} over ${md(m.link)}`, '',
    `- ${size(m.bytes)} in ${count(m.chunks)} chunks, ${count(m.sent)} chunk messages sent`,
    `- lost: ${count(m.dropped)}, rejected by SHA-256: ${count(m.rejected)}`,
    `- ready: ${m.ready_ms === null ? 'never' : ms(m.ready_ms)}`, ...(m.failed ? [`- **failed**: ${md(m.failed)}`] : [])].join('\n');
}

/** An expectation: `✓` or `✗ actual: denied`, with what it is about where that says more (an attestation, what an attacker saw). */
export function expectText(e: ExpectationResult, about?: string): string {
  const fact = about?.replace(/^[✓✗] /, '');
  if (e.passed) return fact ? `${OK} ${fact}` : OK;
  return fact ? `${FAIL} ${fact}` : `${FAIL} actual: ${e.actual}`;
}

export function expectDetail(e: ExpectationResult, more?: string): string {
  return [`**${md(e.text)}**: ${e.passed ? 'passed' : 'failed'}`, '', `- actual: ${md(String(e.actual))}`, ...(more ? ['', more] : [])].join('\n');
}

/** What an attacker saw: from its taps. */
export function tapsDetail(taps: TapResult[]): string {
  return taps.map((t) => `- ${md(t.attacker)} on ${md(t.link)}: ${count(t.messages)} messages, ${size(t.bytes)}, confidential marker ${t.confidential_seen ? '**seen in clear**' : 'not seen'}`).join('\n');
}

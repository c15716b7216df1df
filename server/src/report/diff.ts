// The change since the previous (or a pinned) run of a scenario, as short
// texts: "rejected pages 0 → 12", "h2 attestation passed → failed",
// "expect line 12: passed → failed". Facts are matched by what they are about
// (a fork, a host, an expectation's text), not by position, so an edit that
// moves lines still compares.
import { pageCount, type ScenarioResult } from '../sim/results';
import type { ItemLoc, ScenarioRunView } from './view-model';
import { size } from './inline-text';

interface Fact { label: string; value: string; loc?: ItemLoc }

export function diffViews(previous: ScenarioRunView, current: ScenarioRunView): { loc?: ItemLoc; text: string }[] {
  const before = facts(previous);
  const after = facts(current);
  const out: { loc?: ItemLoc; text: string }[] = [];
  for (const [key, now] of after) {
    const was = before.get(key);
    if (was && was.value !== now.value) out.push({ loc: now.loc, text: `${now.label} ${was.value} → ${now.value}` });
    if (!was && key.startsWith('expect:')) out.push({ loc: now.loc, text: `${now.label} new, ${now.value}` });
  }
  for (const [key, was] of before) if (!after.has(key) && key.startsWith('expect:')) out.push({ text: `${was.label} removed (was ${was.value})` });
  return out;
}

function facts(v: ScenarioRunView): Map<string, Fact> {
  // A view without its raw result (an old history entry) still compares by what the view itself holds.
  const r = (v.raw ?? {}) as Partial<ScenarioResult>;
  const m = new Map<string, Fact>();
  const put = (key: string, label: string, value: string | number, loc?: ItemLoc) => m.set(key, { label, value: String(value), loc });
  put('scenario', `scenario "${v.name}"`, v.passed ? 'passed' : 'failed', { uri: v.uri, range: v.range });
  const forks = [...new Set((r.transfers ?? []).map((t) => t.fork))];
  const rowLoc = (title: string, first: string) => v.tables.find((t) => t.title === title)?.rows.find((row) => row.cells[0] === first)?.loc;
  for (const fork of forks) {
    const kids = (r.transfers ?? []).filter((t) => t.fork === fork);
    const p = forks.length > 1 ? `${fork} ` : '';
    const loc = rowLoc('Transfers per child', kids[0].child);
    const add = (f: (t: (typeof kids)[number]) => number) => kids.reduce((n, t) => n + f(t), 0);
    put(`fork:${fork}:ready`, `${p}children ready`, `${kids.filter((t) => t.ready_ms !== null && !t.failed).length}/${kids.length}`, loc);
    put(`fork:${fork}:verified`, `${p}verified pages`, pageCount(kids, 'verified'), loc);
    put(`fork:${fork}:rejected`, `${p}rejected pages`, pageCount(kids, 'rejected'), loc);
    put(`fork:${fork}:corrupted`, `${p}tampered pages accepted`, add((t) => t.corrupted_accepted), loc);
  }
  for (const a of r.attestations ?? []) {
    if (a.kind !== 'host') continue;
    const key = `att:${a.target}`;
    // A host attested both ways or by several forks: failed if any exchange failed.
    if (!m.has(key) || !a.passed) put(key, `${a.target} attestation`, a.passed ? 'passed' : 'failed', rowLoc('Attestations', a.verifier));
  }
  for (const t of v.expectations) put(`expect:${t.text}`, `expect line ${t.loc.range.start.line + 1}:`, t.passed ? 'passed' : 'failed', t.loc);
  for (const c of r.checkpoints ?? []) put(`ckpt:${c.name}`, `checkpoint ${c.name} size`, size(c.bytes), rowLoc('Checkpoints', c.name));
  for (const mo of r.monitor ?? []) put(`mon:${mo.line}:${mo.call}:${mo.vm}`, `${mo.call} by ${mo.vm}`, mo.action, rowLoc('Monitor decisions', mo.monitor));
  for (const t of r.taps ?? []) put(`tap:${t.attacker}:${t.link}`, `${t.attacker} on ${t.link}`, t.confidential_seen ? 'saw the marker' : 'saw no marker');
  return m;
}

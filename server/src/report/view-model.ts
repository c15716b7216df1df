// A scenario's results as people read them: the inline text of each line, the
// tables and the timeline of the results view, every item with its location.
// Plain JSON (the editor receives it in a notification; the HTML report embeds
// it). Built from the ScenarioResult alone, so a saved result renders the same.
import { pageCount, type Loc, type ScenarioResult, type StepResult, type TransferResult } from '../sim/results';
import type { TimelineRecord } from '../sim/timeline';
import * as T from './inline-text';

/** A 0-based LSP range. */
export interface Range0 { start: { line: number; character: number }; end: { line: number; character: number } }
export interface ItemLoc { uri: string; range: Range0 }

export interface InlineText { loc: ItemLoc; text: string; ok: boolean | null; detail: string /* markdown for hover */ }

export type TimelineKind = 'fork-phase' | 'attestation' | 'page-rate' | 'monitor' | 'checkpoint' | 'move' | 'attack' | 'tap';
export interface TimelineEvent {
  kind: TimelineKind;
  label: string;
  startMs: number;
  endMs?: number;
  loc?: ItemLoc;
  /** The chart row: a child, `verifier → target`, a monitor, a fork, an attacker. */
  lane: string;
  /** page-rate: pages in the bin [startMs, endMs); attack: actions in the bin. */
  value?: number;
  ok?: boolean;
}

export interface ViewTable { title: string; columns: string[]; rows: { cells: string[]; loc?: ItemLoc }[] }

export interface ScenarioRunView {
  name: string; seed: number; passed: boolean; uri: string; range: Range0;
  inline: InlineText[];
  expectations: { loc: ItemLoc; text: string; passed: boolean; expected: string; actual: string }[];
  errors: { loc: ItemLoc; message: string }[];
  timeline: TimelineEvent[];
  tables: ViewTable[];
  raw: unknown;
}

export { diffViews } from './diff';
export { renderReportHtml, type ReportOptions } from './html';

/** LSP's largest character: "to the end of the line" when only the line is known. */
const LINE_END = 2147483647;

export function buildScenarioView(result: ScenarioResult, uriOf: (path: string) => string): ScenarioRunView {
  const path = (result as { loc?: Loc }).loc?.path ?? '';
  const uri = uriOf(path);
  const fromLoc = (l: Loc): ItemLoc => ({
    uri: uriOf(l.path),
    range: { start: { line: l.line - 1, character: l.col - 1 }, end: { line: l.endLine - 1, character: l.endCol - 1 } },
  });
  // Items without their own loc (older results, timeline records) take their line's step or expectation.
  const byLine = new Map<number, Loc>();
  for (const x of [...result.steps, ...result.expectations, ...result.errors] as { line: number; loc?: Loc }[]) if (x.loc && !byLine.has(x.line)) byLine.set(x.line, x.loc);
  const at = (line: number | undefined, loc?: Loc): ItemLoc => {
    if (loc) return fromLoc(loc);
    const known = line !== undefined ? byLine.get(line) : undefined;
    if (known) return fromLoc(known);
    const l = Math.max(0, (line ?? result.line) - 1);
    return { uri, range: { start: { line: l, character: 0 }, end: { line: l, character: LINE_END } } };
  };
  const scenarioLoc = at(result.line, (result as { loc?: Loc }).loc);
  const records = ((result as { timeline?: TimelineRecord[] }).timeline ?? []);

  const inline: InlineText[] = [];
  const coveredTargets = new Set<string>();
  const hostAttestations = (target: string) => result.attestations.filter((a) => a.kind === 'host' && a.target === target);

  // Expectations first: they claim the attestations they are about.
  const expectations = result.expectations.map((e) => {
    const loc = at(e.line, (e as { loc?: Loc }).loc);
    let about: string | undefined;
    let more: string | undefined;
    const att = /^expect attestation of (\S+)/.exec(e.text);
    const sees = /^expect (\S+) (never )?sees\b/.exec(e.text);
    if (att) {
      const mine = hostAttestations(att[1]);
      const shown = mine.find((a) => !a.passed) ?? mine[0];
      if (shown) { about = T.attestationText(shown); more = mine.map((a) => T.attestationDetail(a, records)).join('\n\n'); coveredTargets.add(att[1]); }
    } else if (sees) {
      about = String(e.actual);
      more = T.tapsDetail(result.taps.filter((t) => t.attacker === sees[1])) || undefined;
    }
    inline.push({ loc, text: T.expectText(e, about), ok: e.passed, detail: T.expectDetail(e, more) });
    return { loc, text: e.text, passed: e.passed, expected: e.expected ?? e.text.replace(/^expect\s+/, ''), actual: String(e.actual) };
  });

  for (const s of uniqueByLine(result.steps)) {
    const loc = at(s.line, (s as { loc?: Loc }).loc);
    const kind = s.step.split(/\s+/)[0];
    const onLine = <X extends { line: number }>(xs: X[]) => xs.filter((x) => x.line === s.line);
    if (kind === 'fork') {
      const forkName = s.step.split(/\s+/)[1];
      // A fork forked twice: its children of this step (by their loc when present).
      const kids = result.transfers.filter((t) => t.fork === forkName && (!t.loc || t.loc.line === s.line));
      const atts = onLine(result.attestations);
      if (kids.length) {
        const f = T.forkText(kids);
        inline.push({ loc, text: f.text, ok: f.ok, detail: T.forkDetail(forkName, kids, atts, records) });
      } else inline.push({ loc, text: `${s.ok ? T.OK : T.FAIL} ${s.outcome}`, ok: s.ok, detail: T.md(s.outcome) });
      // Host attestations no expectation speaks of show on the fork line.
      const targets = [...new Set(atts.filter((a) => a.kind === 'host' && !coveredTargets.has(a.target) && a.target !== a.verifier).map((a) => a.target))];
      for (const target of targets) {
        const mine = atts.filter((a) => a.kind === 'host' && a.target === target);
        const shown = mine.find((a) => !a.passed) ?? mine[0];
        inline.push({ loc, text: T.attestationText(shown), ok: mine.every((a) => a.passed), detail: mine.map((a) => T.attestationDetail(a, records)).join('\n\n') });
      }
      continue;
    }
    if (kind === 'syscall') {
      const ms = onLine(result.monitor);
      if (ms.length && s.ok) {
        // The call's own decision comes first, then each escalation it set off (the hover lists all).
        const m = T.syscallText(ms);
        inline.push({ loc, text: m.text, ok: m.ok, detail: T.monitorDetail(ms, s) });
        continue;
      }
    }
    if (kind === 'checkpoint') {
      const c = onLine(result.checkpoints)[0];
      if (c && s.ok) { inline.push({ loc, text: T.checkpointText(c), ok: true, detail: T.checkpointDetail(c, s) }); continue; }
    }
    if (kind === 'restore' || kind === 'migrate') {
      const m = onLine(result.moves)[0];
      if (m && (s.ok || m.failed)) { const t = T.moveText(m); inline.push({ loc, text: t.text, ok: t.ok, detail: T.moveDetail(m) }); continue; }
    }
    // An error keeps its subject: "f[1] is not ready at 1.0 ms: …" says which child.
    inline.push({ loc, text: `${s.ok ? T.OK : T.FAIL} ${s.ok ? stripSubject(s.outcome) : s.outcome}`, ok: s.ok, detail: `at ${T.ms(s.at_ms)}: ${T.md(s.outcome)}` });
  }

  const errors = result.errors.map((e) => ({ loc: at(e.line, (e as { loc?: Loc }).loc), message: e.message }));
  const timeline = buildTimeline(result, records, at);
  const tables = buildTables(result, at, scenarioLoc);
  // What the editor shows beside each line, for the static report.
  const byPosition = [...inline].sort((a, b) => a.loc.range.start.line - b.loc.range.start.line);
  tables.unshift({ title: 'Results by line', columns: ['result'], rows: byPosition.map((i) => ({ cells: [i.text], loc: i.loc })) });
  return {
    name: result.name, seed: result.seed, passed: result.passed, uri: scenarioLoc.uri, range: scenarioLoc.range,
    inline, expectations, errors, timeline, tables, raw: result,
  };
}

function uniqueByLine(steps: StepResult[]): StepResult[] {
  // A step reports once; an error from its later events adds a second record on the same line: keep the failure.
  const m = new Map<number, StepResult>();
  for (const s of steps) { const had = m.get(s.line); if (!had || (had.ok && !s.ok)) m.set(s.line, s); }
  return [...m.values()];
}

/** "write by web to …: allowed (…)" → the part after the subject, which the line already shows. */
function stripSubject(outcome: string): string {
  const i = outcome.indexOf(': ');
  return i > 0 && i < 80 ? outcome.slice(i + 2) : outcome;
}

type At = (line: number | undefined, loc?: Loc) => ItemLoc;

function buildTimeline(result: ScenarioResult, records: TimelineRecord[], at: At): TimelineEvent[] {
  // Only defined keys: the events are JSON (what the editor and the page receive equals what was built).
  const out: TimelineEvent[] = records.map((r) => ({
    kind: r.kind, label: r.label, startMs: round3(r.startMs), lane: r.lane,
    ...(r.endMs !== undefined ? { endMs: round3(r.endMs) } : {}), ...(r.line !== undefined ? { loc: at(r.line) } : {}),
    ...(r.value !== undefined ? { value: r.value } : {}), ...(r.ok !== undefined ? { ok: r.ok } : {}),
  }));
  // Checkpoints and moves come from the results (their steps' times).
  const stepAt = (line: number) => result.steps.find((s) => s.line === line)?.at_ms ?? 0;
  for (const c of result.checkpoints) {
    out.push({ kind: 'checkpoint', lane: `checkpoint ${c.name}`, label: `${c.name}: ${T.size(c.bytes)}, left out ${c.excluded.join(', ') || 'nothing'}`, startMs: stepAt(c.line), loc: at(c.line, c.loc), ok: true });
  }
  for (const m of result.moves) {
    const start = stepAt(m.line);
    out.push({ kind: 'move', lane: m.vm, label: `${m.kind} ${m.vm} ${m.from} → ${m.to}${m.failed ? `: failed (${m.failed})` : ''}`, startMs: start, ...(m.ready_ms === null ? {} : { endMs: start + m.ready_ms }), loc: at(m.line, m.loc), ok: !m.failed });
  }
  return out;
}

function buildTables(result: ScenarioResult, at: At, scenarioLoc: ItemLoc): ViewTable[] {
  const tables: ViewTable[] = [];
  const add = (title: string, columns: string[], rows: ViewTable['rows'], always = false) => { if (rows.length || always) tables.push({ title, columns, rows }); };
  add('Steps', ['at', 'step', 'result'], result.steps.map((s) => ({ cells: [T.ms(s.at_ms), s.step, `${s.ok ? T.OK : T.FAIL} ${s.outcome}`], loc: at(s.line, (s as { loc?: Loc }).loc) })), true);
  add('Expectations', ['expectation', 'result', 'actual'], result.expectations.map((e) => ({ cells: [e.text, e.passed ? `${T.OK} passed` : `${T.FAIL} failed`, String(e.actual)], loc: at(e.line, (e as { loc?: Loc }).loc) })), true);
  add('Attestations', ['verifier', 'target', 'kind', 'result', 'attempts', 'at'], result.attestations.map((a) => ({
    cells: [a.verifier, a.target, a.kind, T.attestationText(a), String(a.attempts), T.ms(a.at_ms)], loc: at(a.line, a.loc),
  })));
  const kidRow = (t: TransferResult) => ({
    cells: [t.child, t.host, t.failed ? `${T.FAIL} ${t.failed}` : t.state, t.ready_ms === null ? '—' : T.ms(t.ready_ms),
      T.count(pageCount([t], 'verified')), T.count(pageCount([t], 'rejected')),
      T.count(t.pages.fetched + t.blocks.fetched), T.size(t.bytes)],
    loc: at(result.steps.find((s) => s.step.split(/\s+/)[0] === 'fork' && s.step.split(/\s+/)[1] === t.fork)?.line, t.loc),
  });
  add('Transfers per child', ['child', 'host', 'state', 'ready', 'verified', 'rejected', 'fetched', 'bytes'], result.transfers.map(kidRow));
  add('Monitor decisions', ['monitor', 'vm/process', 'call', 'rule', 'action', 'delay'], result.monitor.map((m) => ({
    cells: [m.monitor, `${m.vm}/${m.process}`, m.call, m.rule, m.action, T.us(m.delay_us)], loc: at(m.line, m.loc),
  })));
  add('Checkpoints', ['checkpoint', 'left out', 'pages sanitised', 'size', 'file'], result.checkpoints.map((c) => ({
    cells: [c.name, c.excluded.join(', ') || 'nothing', T.count(c.sanitized_pages), T.size(c.bytes), c.file], loc: at(c.line, c.loc),
  })));
  add('Moves', ['kind', 'vm', 'from → to', 'link', 'chunks', 'lost', 'rejected', 'ready'], result.moves.map((m) => ({
    cells: [m.kind, m.vm, `${m.from} → ${m.to}`, m.link, T.count(m.chunks), T.count(m.dropped), T.count(m.rejected), m.failed ? `${T.FAIL} ${m.failed}` : m.ready_ms === null ? '—' : T.ms(m.ready_ms)],
    loc: at(m.line, m.loc),
  })));
  // Attackers are declared outside the scenario: their rows point at the scenario.
  const a = result.attacks;
  add('Attackers', ['attacker', 'link', 'messages read', 'bytes', 'confidential marker'], [
    ...result.taps.map((t) => ({ cells: [t.attacker, t.link, T.count(t.messages), T.size(t.bytes), t.confidential_seen ? 'seen in clear' : 'not seen'], loc: scenarioLoc })),
    ...(a.tampered || a.dropped || a.replayed ? [{ cells: ['(all)', '', `tampered ${T.count(a.tampered)} · dropped ${T.count(a.dropped)} · replayed ${T.count(a.replayed)}`, '', ''], loc: scenarioLoc }] : []),
  ]);
  add('Errors', ['error'], result.errors.map((e) => ({ cells: [e.message], loc: at(e.line, (e as { loc?: Loc }).loc) })));
  return tables;
}

/** Microsecond precision is all a chart or a table shows. */
function round3(x: number): number { return Math.round(x * 1000) / 1000; }

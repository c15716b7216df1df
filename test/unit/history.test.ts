// The editor's run history (client/src/features/history; no vscode at run
// time): the last N runs per scenario, the pinned run as the baseline of
// "changes since", and the changes a hover shows on a line after edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Memento } from 'vscode';
import { RunHistory } from '../../client/src/features/history/store';
import { changesOnLine, mapLine } from '../../client/src/features/history/changes';
import type { RunResultNotification, ScenarioRunView } from '../../server/src/protocol';

const URI = 'file:///w/a.vmsec';
const at = (line: number) => ({ uri: URI, range: { start: { line, character: 2 }, end: { line, character: 30 } } });

/** A scenario on lines 10–14 with expectations on lines 12 and 13. */
function view(passed12: boolean, passed13 = true): ScenarioRunView {
  return {
    name: 's', seed: 1, passed: passed12 && passed13, uri: URI,
    range: { start: { line: 10, character: 0 }, end: { line: 14, character: 1 } },
    inline: [], errors: [], timeline: [], tables: [], raw: undefined,
    expectations: [
      { loc: at(12), text: 'expect guard denies == 1', passed: passed12, expected: '== 1', actual: passed12 ? '1' : '0' },
      { loc: at(13), text: 'expect pair ready within 1 s', passed: passed13, expected: 'within 1 s', actual: '5 ms' },
    ],
  };
}

function memento(): Memento & { writes: number } {
  const m = new Map<string, unknown>();
  return {
    writes: 0,
    keys: () => [...m.keys()],
    get: <T>(k: string, d?: T) => (m.has(k) ? structuredClone(m.get(k)) as T : d) as T,
    async update(k: string, v: unknown) { this.writes++; m.set(k, structuredClone(v)); },
  };
}

let n = 0;
const result = (v: ScenarioRunView): RunResultNotification => ({ uri: URI, version: 1, runId: `run-${++n}`, startedAt: new Date(2024, 0, 1, 0, 0, n).toISOString(), durationMs: 5, scenario: v });

test('history keeps the last N runs of a scenario; the baseline is the run before, or the pinned run until unpinned', async () => {
  const state = memento();
  const h = new RunHistory(state, () => 3);
  const key = `${URI}#s`;
  const runs = [result(view(true)), result(view(true)), result(view(false)), result(view(false))];
  for (const r of runs) await h.record(key, r);
  assert.deepEqual(h.runs(key).map((e) => e.runId), runs.slice(1).map((r) => r.runId), 'the oldest run beyond 3 goes');
  assert.equal(h.baseline(key, runs[3].runId)?.runId, runs[2].runId);
  assert.equal(h.baseline(key, runs[1].runId), undefined, 'the oldest kept run has no baseline');
  // Pin the run that passed: it is the baseline of later runs (not of itself), and survives the size limit.
  assert.equal((await h.pin(key, runs[1].runId))?.runId, runs[1].runId);
  const later = [result(view(false)), result(view(false)), result(view(false))];
  for (const r of later) await h.record(key, r);
  assert.ok(!h.runs(key).some((e) => e.runId === runs[1].runId));
  assert.equal(h.baseline(key, later[2].runId)?.runId, runs[1].runId);
  assert.equal(h.pinned(key)?.view.passed, true);
  // Stored in the workspace state: a new RunHistory on the same state sees it.
  assert.equal(new RunHistory(state, () => 3).pinned(key)?.runId, runs[1].runId);
  await h.unpin(key);
  assert.equal(h.pinned(key), undefined);
  assert.equal(h.baseline(key, later[2].runId)?.runId, later[1].runId);
  assert.equal(await h.pin('file:///w/other.vmsec#never ran'), undefined, 'nothing to pin before a run');
});

test('pin without a run id pins the latest run', async () => {
  const h = new RunHistory(memento(), () => 10);
  const a = result(view(true));
  const b = result(view(false));
  await h.record('k', a);
  await h.record('k', b);
  assert.equal((await h.pin('k'))?.runId, b.runId);
});

test('a line of the run is followed through edits; an edited line is gone', () => {
  const edits = [
    { start: 2, end: 2, delta: 2 },   // two lines inserted on line 2
    { start: 20, end: 21, delta: -1 }, // lines 20–21 joined (in the text after the first edit)
  ];
  assert.equal(mapLine(1, edits), 1);
  assert.equal(mapLine(2, edits), undefined);
  assert.equal(mapLine(12, edits), 14);
  assert.equal(mapLine(18, edits), undefined, 'line 18 is line 20 after the first edit');
  assert.equal(mapLine(30, edits), 31);
  assert.equal(mapLine(7, []), 7);
});

test('the pinned-run hover of a line: its own changes, every change on the title line, none once the line was edited', () => {
  const pinned = view(true);
  const now = view(false);
  assert.deepEqual(changesOnLine(pinned, now, 12, []), ['expect line 13: passed → failed']);
  assert.deepEqual(changesOnLine(pinned, now, 13, []), [], 'an unchanged result');
  assert.deepEqual(changesOnLine(pinned, now, 11, []), [], 'the scenario\'s verdict is on its title line only');
  assert.deepEqual(changesOnLine(pinned, now, 10, []).sort(), ['expect line 13: passed → failed', 'scenario "s" passed → failed']);
  // Three lines inserted above the scenario: everything moves down.
  const moved = [{ start: 0, end: 0, delta: 3 }];
  assert.deepEqual(changesOnLine(pinned, now, 15, moved), ['expect line 13: passed → failed']);
  assert.deepEqual(changesOnLine(pinned, now, 12, moved), []);
  // The expectation's line was edited: its change goes, on its line and in the title's list.
  assert.deepEqual(changesOnLine(pinned, now, 12, [{ start: 12, end: 12, delta: 0 }]), []);
  assert.deepEqual(changesOnLine(pinned, now, 10, [{ start: 12, end: 12, delta: 0 }]), ['scenario "s" passed → failed']);
  // The title line was edited: it may be another scenario now, nothing is shown.
  assert.deepEqual(changesOnLine(pinned, now, 12, [{ start: 10, end: 10, delta: 0 }]), []);
  assert.deepEqual(changesOnLine(pinned, pinned, 10, []), []);
});

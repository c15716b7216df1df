// A replayed trace can make millions of monitor decisions: the results list
// the first LISTED of each rule from each source line and count the rest per
// rule in `monitor_more`; expectations count every decision, listed or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { runFileSet, type RunFileOptions } from '../../server/src/sim/run';
import type { ScenarioResult } from '../../server/src/sim/results';
import { LISTED } from '../../server/src/sim/monitor';
import { memoryWorkspace, ROOT } from '../helpers';
import { tempDir } from '../tmp';

const SOURCE = `host h { }
vm web on h { process nginx { } }
monitor guard for web {
  mode concurrent buffer 1048576 block default allow
  rule etc on open when filePrefix(0, "/etc/") then deny(13)
  rule tmp on execve when filePrefix(0, "/tmp/") then killProc
}
scenario "trace" {
  at 0 ms syscall web nginx open("/etc/passwd")
  expect guard denies == 301
  expect guard allows == 200
}
`;

/** A log of 300 denied opens, 200 allowed reads, one kill at the end. */
function log(): string {
  const lines: string[] = [];
  const t = (i: number) => `10:00:00.${String(10 + i * 10).padStart(6, '0')}`;
  for (let i = 0; i < 500; i++) {
    lines.push(i % 5 < 3 ? `100 ${t(i)} open("/etc/f${i}", O_RDONLY) = 3` : `100 ${t(i)} read(3, "x", 1) = 1`);
  }
  lines.push(`100 ${t(500)} execve("/tmp/x", ["x"], 0x7ffd /* 1 vars */) = 0`);
  return lines.join('\n') + '\n';
}

function runWithTrace() {
  const path = nodePath.join(tempDir('listing-'), 'web.strace');
  writeFileSync(path, log());
  const ws = memoryWorkspace({ 'main.vmsec': SOURCE });
  const out = runFileSet(ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!, { workspaceRoot: ROOT, checkpointDir: tempDir('ck-'), traces: [{ vm: 'web', path }] });
  if (out.kind !== 'ran') throw new Error(JSON.stringify(out));
  return out.result.scenarios[0];
}

test('the first LISTED decisions per rule and line are listed, the rest counted per rule; expectations count all', () => {
  const s = runWithTrace();
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  assert.deepEqual(s.expectations.map((e) => e.actual), [301, 200]);
  const listed = (rule: string) => s.monitor.filter((m) => m.rule === rule);
  // The step's own decision is on its own line, so it is listed whatever the trace did.
  const step = s.monitor.filter((m) => m.line === 9);
  assert.equal(step.length, 1);
  assert.equal(step[0].action, 'deny(13)');
  // The trace's decisions point at the scenario's line.
  assert.equal(listed('etc').filter((m) => m.line !== 9).length, LISTED);
  assert.equal(listed('default').length, LISTED);
  assert.equal(listed('tmp').length, 1);
  assert.equal(listed('tmp')[0].effect, 'process nginx killed');
  assert.deepEqual(s.monitor_more, { 'guard/etc': 300 - LISTED, 'guard/default': 200 - LISTED });
  // The trace's report keeps its own exact per-rule hits.
  assert.deepEqual(s.traces?.[0].hits, { 'guard/etc': 300, 'guard/default': 200, 'guard/tmp': 1 });
});

test('a run whose decisions are all listed has no monitor_more', () => {
  const ws = memoryWorkspace({ 'main.vmsec': SOURCE });
  const out = runFileSet(ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!, { workspaceRoot: ROOT, checkpointDir: tempDir('ck-') });
  assert.equal(out.kind, 'ran');
  if (out.kind !== 'ran') return;
  const s = out.result.scenarios[0];
  assert.equal(s.monitor.length, 1);
  assert.equal(s.monitor_more, undefined);
  assert.deepEqual(s.expectations.map((e) => e.actual), [1, 0]);
});

test('every decision of a syscall step is listed, even when many steps share a line (the cap is for replayed traces)', () => {
  const steps = Array.from({ length: LISTED + 5 }, (_, i) => `at ${i} ms syscall web nginx open("/etc/f${i}")`).join(' ');
  const source = SOURCE.replace('  at 0 ms syscall web nginx open("/etc/passwd")', `  ${steps}`).replace('denies == 301', `denies == ${LISTED + 5}`).replace('allows == 200', 'allows == 0');
  const ws = memoryWorkspace({ 'main.vmsec': source });
  const out = runFileSet(ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!, { workspaceRoot: ROOT, checkpointDir: tempDir('ck-') });
  if (out.kind !== 'ran') throw new Error(JSON.stringify(out));
  const s = out.result.scenarios[0];
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  assert.equal(s.monitor.filter((m) => m.rule === 'etc').length, LISTED + 5);
  assert.equal(s.monitor_more, undefined);
});

/** Denied opens of /etc files by web/nginx, `apart` seconds apart, as `strace -f -tt` writes them. */
function opens(count: number, apart: number): string[] {
  return Array.from({ length: count }, (_, i) => `100 10:00:${(i * apart).toFixed(6).padStart(9, '0')} open("/etc/f${i}", O_RDONLY) = 3`);
}

/** web on h (and h2 joined by a fast link), its opens of /etc denied, escalating as given. */
function escalating(escalate: string, denies: number, extra = ''): string {
  return `host h { }
host h2 { }
link h <-> h2 { bandwidth 100 Gbps latency 1 us }
vm web on h { memory 1 MiB process nginx { } }
monitor guard for web {
  rule etc on open when filePrefix(0, "/etc/") then deny(13)
  ${escalate}
}
${extra}
scenario "trace" { expect guard denies == ${denies} }
`;
}

/** Runs the source with `lines` replayed into web; its one scenario, which must pass. */
function replayInto(source: string, lines: string[], options: Partial<RunFileOptions> = {}): ScenarioResult {
  const path = nodePath.join(tempDir('listing-'), 'web.strace');
  writeFileSync(path, lines.join('\n') + '\n');
  const ws = memoryWorkspace({ 'main.vmsec': source });
  const out = runFileSet(ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!, { workspaceRoot: ROOT, checkpointDir: tempDir('ck-'), traces: [{ vm: 'web', path }], ...options });
  if (out.kind !== 'ran') throw new Error(JSON.stringify(out));
  const s = out.result.scenarios[0];
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  return s;
}

test('escalations fired by a replayed trace are listed like a rule (the first LISTED) and the rest counted; each still acts', () => {
  // Every denied open is a violation and every second one escalates to a migration (between two hosts, back and
  // forth); the opens are 50 ms apart, so each migration has settled before the next call.
  const n = 2 * (LISTED + 3);
  const s = replayInto(escalating('escalate 2 violations within 1 s then migrate', n), opens(n, 0.05));
  const escalations = s.monitor.filter((m) => m.rule === 'escalate');
  assert.equal(escalations.length, LISTED);
  assert.match(escalations[0].fired ?? '', /^2 violations within 1000 ms/);
  assert.match(escalations[1].effect ?? '', /^migration to h over h<->h2 started; web migrated from h2 to h/);
  assert.deepEqual(s.monitor_more, { 'guard/etc': LISTED + 6, 'guard/escalate': 3 });
});

test('under a long trace, escalations to migrate over a tapped link stop at the run limit; the first refusal past LISTED is listed', () => {
  // Every second denied open escalates to a migration of web's 1 MiB over a link eve taps; the run's limit lets
  // LISTED + 5 migrations through, so the first refusal comes after the listed escalations.
  const moved = LISTED + 5;
  const source = escalating('escalate 2 violations within 1 s then migrate', 4 * moved, 'attacker eve { tap h<->h2 }');
  const s = replayInto(source, opens(4 * moved, 0.05), { maxObservedImageBytes: moved * 1024 * 1024 });
  assert.equal(s.moves.length, moved);
  const escalations = s.monitor.filter((m) => m.rule === 'escalate');
  assert.equal(escalations.length, LISTED + 1);
  assert.match(escalations[LISTED].effect ?? '', /^refused: migrate web: 1 MiB would cross h<->h2, which an attacker reads; \d+ MiB of images have crossed read links in this run, and the simulator's limit is \d+ MiB of such image bytes per run; web stays on h2?$/);
  // Every escalation is either listed or counted: 2 × moved of them in all.
  assert.deepEqual(s.monitor_more, { 'guard/etc': 4 * moved - LISTED, 'guard/escalate': 2 * moved - LISTED - 1 });
});

test('escalation counts the violations inside its window, expiring old ones, over thousands of violations', () => {
  // 3,000 denied opens 0.2 ms apart: a 500 ms window holds at most 2,500 of them.
  const lines = opens(3000, 0.0002);
  const escalations = (count: number) => replayInto(escalating(`escalate ${count} violations within 500 ms then migrate to h`, 3000), lines).monitor.filter((m) => m.rule === 'escalate');
  assert.equal(escalations(2600).length, 0, 'never 2,600 within 500 ms');
  const fired = escalations(2500);
  // All of the first 2,500 are inside the window at the 2,500th (499.8 ms); then the count starts again.
  assert.deepEqual(fired.map((e) => [Math.round((e.at_ms ?? 0) * 10) / 10, e.fired?.split(' (')[0]]), [[499.8, '2500 violations within 500 ms']]);
  assert.match(fired[0].effect ?? '', /^refused: /);
});

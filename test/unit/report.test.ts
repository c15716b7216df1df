// The report layer: what a user reads beside each line after a run, the change
// since the previous run, and the results page (CSP, embedded data, links to
// source); the simulator's timeline records are deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { memoryWorkspace, ROOT } from '../helpers';
import { tempDir } from '../tmp';
import { runFileSet } from '../../server/src/sim/run';
import type { ScenarioResult } from '../../server/src/sim/results';
import type { TimelineRecord } from '../../server/src/sim/timeline';
import { buildScenarioView, diffViews, renderReportHtml, type ScenarioRunView } from '../../server/src/report/view-model';

const SMALL = readFileSync(nodePath.join(import.meta.dirname, '..', 'fixtures', 'report', 'small.vmsec'), 'utf8');
const MAIN = nodePath.resolve(ROOT, 'main.vmsec');
const uriOf = (p: string) => `file://${p}`;

/** Runs the file; each scenario's result carries its timeline (as scenario.ts will set it). */
function runWithTimeline(text: string): { result: ScenarioResult; records: TimelineRecord[] } {
  const set = memoryWorkspace({ 'main.vmsec': text }).fileSet(MAIN)!;
  const records: TimelineRecord[][] = [];
  const out = runFileSet(set, { workspaceRoot: ROOT, checkpointDir: tempDir('report-'), onWorld: (_n, w) => records.push(w.timeline.records) });
  if (out.kind !== 'ran') throw new Error(`not run: ${JSON.stringify(out)}`);
  const result = out.result.scenarios[0];
  const r = result as ScenarioResult & { timeline?: TimelineRecord[] };
  r.timeline ??= records[0];
  return { result, records: records[0] };
}

const run = runWithTimeline(SMALL);
const view = buildScenarioView(run.result, uriOf);
const lineOf = (needle: string) => SMALL.split('\n').findIndex((l) => l.includes(needle)) + 1;
const inlineAt = (needle: string) => view.inline.filter((i) => i.loc.range.start.line + 1 === lineOf(needle)).map((i) => i.text);

test('inline texts read as the issue shows them, each on the line that caused it', () => {
  assert.deepEqual(inlineAt('at 0 ms fork burst'), ['✗ 2/4 children ready 62.5 ms · 3,276 pages verified · 168 rejected · 14.9 MB', '✓ h1 attested']);
  assert.deepEqual(inlineAt('expect attestation of h2'), ['✓ h2 attested']);
  assert.deepEqual(inlineAt('expect attestation of h3'), ['✗ h3 invalid_pcr_4: expected 1abf…, got 322e…']);
  assert.deepEqual(inlineAt('syscall burst[1]'), ['deny(1) by rule r after 2 µs']);
  assert.deepEqual(inlineAt('at 600 ms checkpoint snap'), ['✓ sanitised secret (1,024 pages) · 12.6 MB']);
  assert.deepEqual(inlineAt('expect guard denies'), ['✓']);
  assert.deepEqual(inlineAt('expect eve never sees'), ['✓ no tap, no co-resident vm with confidential data']);
  for (const i of view.inline) assert.equal(i.loc.uri, `file://${MAIN}`);
});

test('a line with two decisions shows the call\'s own first; a failed step keeps its subject', () => {
  const text = `host a {} host b {} link a <-> b {}
vm v on a { memory 16 MiB process p { memory 1 MiB } }
vm w on a { memory 16 MiB process q { memory 1 MiB } }
monitor m for v { rule k on open then killProc escalate 1 violations within 1 s then migrate to b }
fork f of w { children 1 on b }
scenario "s" {
  at 0 ms syscall v p open("/x")
  at 1 ms fork f
  at 2 ms syscall f[1] q read()
}`;
  const r = runWithTimeline(text).result;
  const v = buildScenarioView(r, uriOf);
  const on = (line: number) => v.inline.filter((i) => i.loc.range.start.line + 1 === line).map((i) => i.text);
  assert.deepEqual(r.monitor.filter((m) => m.line === 7).map((m) => m.rule), ['k', 'escalate']);
  assert.match(on(7)[0], /^killProc by rule k after 50 µs · m escalated: 1 violation within 1000 ms → migrate to b: … v migrated from a to b over a<->b, ready at [\d.]+ ms$/);
  assert.match(on(9)[0], /^✗ f\[1\] is not ready at 2\.0 ms: /);
});

test('hovers carry the facts behind a line: PCR expected/actual, nonce, algorithm, per-host ready, rule and delay', () => {
  const h3 = view.inline.find((i) => i.text.startsWith('✗ h3'))!;
  assert.match(h3.detail, /expected `1abfe962830861962672136607310e80037ab6f8edbc1055cc47b7e6aa78a047`/);
  assert.match(h3.detail, /actual `322e945912ba6e3ff307ce2439749f390075bd96af8f977a4e78d409fd83c4a7`/);
  assert.match(h3.detail, /nonce: `[0-9a-f]{64}`/);
  assert.match(h3.detail, /quote signature: rsa-2048/);
  const fork = view.inline.find((i) => i.text.includes('children ready'))!;
  assert.match(fork.detail, /\| h2 \| 2 \| 2 \| 62\.5 ms \|/);
  assert.ok(fork.detail.includes('burst\\[2\\] on h3: not created: h3 refused (attestation failed, h3: invalid\\_pcr\\_4)'), fork.detail);
  const sys = view.inline.find((i) => i.text.startsWith('deny(1)'))!;
  assert.match(sys.detail, /rule \*\*r\*\*: deny\(1\), decided after 2 µs/);
});

test('expectations and errors carry expected, actual and their location', () => {
  const h3 = view.expectations.find((e) => e.text.includes('h3'))!;
  assert.deepEqual({ passed: h3.passed, expected: h3.expected, actual: h3.actual, line: h3.loc.range.start.line + 1 },
    { passed: false, expected: 'passed', actual: 'failed: invalid_pcr_4', line: lineOf('expect attestation of h3') });
  const denies = view.expectations.find((x) => x.text.includes('guard denies'))!;
  assert.deepEqual([denies.expected, denies.actual], ['== 1', '1'], 'expected is what is asked for, in the terms of actual');
  assert.equal(view.passed, false);
  assert.equal(view.name, 'small </script> run');
  assert.equal(view.range.start.line + 1, lineOf('scenario "small'));
});

test('the change since the previous run reads "rejected pages 0 → 168", "h2 attestation passed → failed", "expect line N: passed → failed"', () => {
  const prev = structuredClone(run.result);
  for (const t of prev.transfers) { t.pages.rejected = 0; t.blocks.rejected = 0; t.descriptor.rejected = 0; }
  const cur = structuredClone(run.result);
  for (const a of cur.attestations) if (a.target === 'h2') a.passed = false;
  const e = cur.expectations.find((x) => x.text.includes('h2'))!;
  e.passed = false;
  const texts = diffViews(buildScenarioView(prev, uriOf), buildScenarioView(cur, uriOf)).map((d) => d.text);
  assert.ok(texts.includes('rejected pages 0 → 168'), texts.join('\n'));
  assert.ok(texts.includes('h2 attestation passed → failed'), texts.join('\n'));
  assert.ok(texts.includes(`expect line ${lineOf('expect attestation of h2')}: passed → failed`), texts.join('\n'));
  assert.deepEqual(diffViews(view, view), []);
  // A view kept without its raw result (old history) still compares what the view holds.
  const bare = { ...buildScenarioView(cur, uriOf), raw: undefined };
  assert.ok(diffViews(bare, view).some((d) => d.text === `expect line ${lineOf('expect attestation of h2')}: failed → passed`));
});

test('timeline: fork phases, attestations, page rates, monitor decisions, checkpoints and attacker actions, located', () => {
  const kinds = new Set(view.timeline.map((t) => t.kind));
  for (const k of ['fork-phase', 'attestation', 'page-rate', 'monitor', 'checkpoint', 'attack']) assert.ok(kinds.has(k as never), `no ${k}`);
  const ready = view.timeline.filter((t) => t.kind === 'fork-phase' && t.label === 'ready').map((t) => t.lane).sort();
  assert.deepEqual(ready, ['burst[1]', 'burst[3]']);
  const h3 = view.timeline.find((t) => t.kind === 'attestation' && t.lane === 'h1 → h3')!;
  assert.deepEqual({ ok: h3.ok, line: h3.loc!.range.start.line + 1 }, { ok: false, line: lineOf('at 0 ms fork burst') });
  // Rates are binned: a bounded number of records whatever the run's length.
  const received = view.timeline.filter((t) => t.kind === 'page-rate' && t.label === 'pages received');
  assert.ok(received.length > 0 && received.length <= 64);
  assert.equal(received.reduce((n, t) => n + (t.value ?? 0), 0), run.result.transfers.reduce((n, t) => n + t.pages.sent + t.blocks.sent + t.descriptor.sent, 0));
});

test('timeline records are deterministic: the same seed gives the same records', () => {
  const again = runWithTimeline(SMALL);
  assert.deepEqual(again.records, run.records);
  assert.ok(run.records.length > 10);
});

function dataOf(html: string): { scenarios: { name: string; timeline: unknown[] }[]; raw: ScenarioResult[] } {
  const m = /<script type="application\/json" id="vmsec-data">([^]*?)<\/script>/.exec(html);
  assert.ok(m, 'no data block');
  return JSON.parse(m[1]);
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

test('the static page: strict CSP, no remote content, data that parses back, a title that cannot break out', () => {
  const script = 'console.log("view")';
  const html = renderReportHtml([view], { mode: 'static', inlineScript: script });
  assert.ok(html.startsWith('<!DOCTYPE html>\n<!-- vmsec report -->\n'));
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(csp);
  const policy = unescape(csp[1]);
  assert.match(policy, /^default-src 'none';/);
  const nonce = /script-src 'nonce-([^']+)'/.exec(policy)![1];
  // Every script is the data block or carries the nonce.
  const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 2);
  for (const attrs of scripts) assert.ok(attrs.includes('type="application/json"') || attrs.includes(`nonce="${nonce}"`), attrs);
  assert.equal((html.match(/<\/script>/g) ?? []).length, 2, 'a </script> in the data ended a script early');
  assert.doesNotMatch(html, /https?:\/\//);
  const data = dataOf(html);
  assert.equal(data.scenarios[0].name, 'small </script> run');
  assert.deepEqual(data.scenarios[0].timeline, view.timeline);
  assert.equal(data.raw[0].name, run.result.name);
  assert.ok(html.includes(`<title>vmsec report</title>`));
  assert.ok(html.includes('small &lt;/script&gt; run'));
  assert.ok(html.includes(script));
  assert.ok(html.includes('id="export"'));
});

test('every table row carries its location, and links to file:line in the static page', () => {
  const html = renderReportHtml([view], { mode: 'static' });
  let rows = 0;
  for (const body of html.matchAll(/<tbody>([^]*?)<\/tbody>/g)) {
    for (const tr of body[1].matchAll(/<tr([^>]*)>([^]*?)<\/tr>/g)) {
      rows++;
      const loc = /data-loc="([^"]*)"/.exec(tr[1]);
      assert.ok(loc, `a row without its location: ${tr[0].slice(0, 200)}`);
      const l = JSON.parse(unescape(loc[1]));
      assert.equal(l.uri, `file://${MAIN}`);
      assert.ok(tr[2].includes(`href="file://${MAIN}#L${l.range.start.line + 1}"`), tr[2]);
    }
  }
  assert.ok(rows >= view.tables.reduce((n, t) => n + t.rows.length, 0) && rows > 10);
});

test('the webview page loads its script by URI with the nonce and shows the diff', () => {
  const prev: ScenarioRunView = buildScenarioView({ ...structuredClone(run.result), passed: true }, uriOf);
  const html = renderReportHtml([view], { mode: 'webview', nonce: 'abcdefgh12345678', cspSource: 'vscode-webview://x', scriptUri: 'vscode-webview://x/dist/report-view.js', previous: [prev] });
  assert.ok(html.includes(`<script nonce="abcdefgh12345678" src="vscode-webview://x/dist/report-view.js"></script>`));
  assert.match(html, /style-src vscode-webview:\/\/x &#39;unsafe-inline&#39;/);
  assert.ok(html.includes('Since the previous run'));
  assert.ok(html.includes('scenario &quot;small &lt;/script&gt; run&quot; passed → failed'));
  // Clicks are posted to the editor, not followed.
  assert.doesNotMatch(html, /href="file:/);
  assert.throws(() => renderReportHtml([view], { mode: 'webview', nonce: '"><script>' }), /nonce/);
});

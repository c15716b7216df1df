// Many seeds through the language server over stdio, as any LSP client runs
// them: vmsec.runSeeds answers the CLI's numbers (pass rates with intervals,
// failing seeds, the reproduce command, quantities with histograms), with
// progress and cancellation, and the results show inline (inlay hints,
// diagnostics, a code lens) until the lines they belong to are edited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { CodeLens, Diagnostic, InlayHint } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { RunSession, TestClient, until } from './client';
import { Commands, Methods, type RunSummary, type SeedsResult } from '../../server/src/protocol';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = readFileSync(join(ROOT, 'test', 'fixtures', 'batch', 'small-fork.vmsec'), 'utf8');
const dir = tempDir('lsp-seeds-');
const lineOf = (text: string, needle: string) => { const i = text.indexOf(needle); assert.ok(i >= 0, needle); return text.slice(0, i).split('\n').length - 1; };
const TITLE = lineOf(FIXTURE, 'scenario "fork under tampering"');
const READY = lineOf(FIXTURE, 'expect f ready within 1 s');
const REJECTED = lineOf(FIXTURE, 'expect f pages rejected > 0');

let session: RunSession;
let c: TestClient;
let file: { path: string; uri: string };
const notified: SeedsResult[] = [];
before(async () => {
  session = new RunSession();
  c = session.c;
  c.conn.onNotification(Methods.seedsResult, (p: SeedsResult) => notified.push(p));
  await session.open(dir, 'small-fork.vmsec', FIXTURE);
  file = session.file;
});
after(async () => { await c.close(); });

const hints = () => c.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri: file.uri }, range: { start: { line: 0, character: 0 }, end: { line: 100_000, character: 0 } } });
const lenses = () => c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: file.uri } });
const label = (h: InlayHint) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));
const runSeeds = (args: Record<string, unknown>) => c.request<SeedsResult>('workspace/executeCommand', { command: Commands.runSeeds, arguments: [args] });

test('the server advertises vmsec.runSeeds and the seeds capabilities', () => {
  assert.ok(session.commands.includes('vmsec.runSeeds'));
  assert.equal(session.caps.runSeeds, true);
  assert.equal(session.caps.seedsResult, true);
});

test('vmsec.runSeeds answers the numbers `vmsec run --seeds` prints, with progress, a notification and the reproduce command', async () => {
  const before = session.progress.length;
  const r = await runSeeds({ uri: file.uri, seeds: '1..30' });
  assert.equal(r.uri, file.uri);
  assert.equal(r.seeds, '1..30');
  assert.deepEqual([r.runs, r.passed], [30, 25]);
  const [s] = r.scenarios;
  assert.equal(s.name, 'fork under tampering');
  assert.equal(s.range.start.line, TITLE);
  assert.deepEqual([s.runs, s.passed, s.failingSeeds, s.failingCount], [30, 25, [11, 14, 17, 25, 26], 5]);
  assert.equal(s.reproduce, "vmsec run small-fork.vmsec --scenario 'fork under tampering' --seed 11");
  const rejected = s.expectations.find((e) => e.range.start.line === REJECTED)!;
  assert.deepEqual([rejected.text, rejected.passed, rejected.runs, rejected.failingSeeds, rejected.firstFailure],
    ['expect f pages rejected > 0', 25, 30, [11, 14, 17, 25, 26], { seed: 11, actual: '0' }]);
  assert.deepEqual(rejected.range, { start: { line: REJECTED, character: 2 }, end: { line: REJECTED, character: 29 } });
  const ready = s.expectations.find((e) => e.range.start.line === READY)!;
  assert.deepEqual([ready.passed, ready.runs, ready.failingCount], [30, 30, 0]);
  const q = s.quantities.find((x) => x.name === 'pages_rejected')!;
  assert.equal(q.description, 'fork pages and disk blocks rejected by integrity checks (as expect F pages rejected counts them)');
  assert.equal(q.min, 0);
  assert.equal(q.histogram.reduce((n, b) => n + b.count, 0), 30, 'every run is in the histogram');
  assert.equal(q.histogram[0].count >= 5, true, 'the five runs without a rejected page are in the first bin');

  // The same numbers as the CLI (its file names are relative to where it runs: the workspace here).
  const cli = spawnSync(process.execPath, [join(ROOT, 'dist', 'vmsec.js'), 'run', 'small-fork.vmsec', '--seeds', '1..30', '--format', 'json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(cli.status, 1, cli.stderr);
  const j = JSON.parse(cli.stdout).scenarios[0];
  assert.deepEqual([s.rate, s.ci, s.failingSeeds, s.reproduce], [j.pass_rate, j.ci95, j.failing_seeds, j.reproduce]);
  for (const [name, stats] of Object.entries(j.quantities as Record<string, { min: number; median: number; p95: number; max: number }>)) {
    const mine = s.quantities.find((x) => x.name === name)!;
    assert.deepEqual([mine.min, mine.median, mine.p95, mine.max], [stats.min, stats.median, stats.p95, stats.max], name);
  }

  const mine = session.progress.slice(before);
  assert.equal(mine[0].value.kind, 'begin');
  assert.equal(mine.at(-1)!.value.kind, 'end');
  assert.ok(mine.some((p) => p.value.kind === 'report' && /^\d+\/30 runs · \d+ failed$/.test(p.value.message ?? '')), JSON.stringify(mine));
  const n = await until('the seedsResult notification', () => notified.find((x) => x.runId === r.runId));
  assert.deepEqual(n.scenarios, r.scenarios);
});

test('the results show inline: hints on the expectations and the title, a diagnostic naming the failing seeds, a lens', async () => {
  const hs = await hints();
  const at = (line: number) => hs.filter((h) => h.position.line === line).map(label);
  assert.deepEqual(at(REJECTED), ['✗ passes 25/30 (66–93%) · fails with seeds 11, 14, 17, 25, 26']);
  assert.deepEqual(at(READY), ['✓ passes 30/30 (89–100%)']);
  assert.deepEqual(at(TITLE), ['✗ 25/30 seeds passed (66–93%, seeds 1..30) · reproduce with --seed 11']);
  const rejectedHint = hs.find((h) => h.position.line === REJECTED)!;
  assert.equal(rejectedHint.position.character, FIXTURE.split('\n')[REJECTED].length, 'at the end of the line');
  const diags = await c.waitDiagnostics(file.uri, (d) => d.some((x) => x.code === 'seeds'));
  const seeds = diags.filter((d: Diagnostic) => d.code === 'seeds');
  assert.equal(seeds.length, 1);
  assert.equal(seeds[0].range.start.line, REJECTED);
  assert.equal(seeds[0].severity, 1);
  assert.equal(seeds[0].message, "expect f pages rejected > 0: passes 25/30 runs (83.3%, 95% CI 66.4–92.7%); fails with seeds 11, 14, 17, 25, 26; seed 11 saw 0 — reproduce: vmsec run small-fork.vmsec --scenario 'fork under tampering' --seed 11 (scenario \"fork under tampering\", seeds 1..30)");
  const ls = await lenses();
  assert.ok(ls.some((l) => l.range.start.line === TITLE && l.command?.title === '✗ 25/30 seeds passed (1..30)'), JSON.stringify(ls.map((l) => l.command?.title)));
  const hover = await c.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: file.uri }, position: { line: REJECTED, character: 4 } });
  assert.match(hover.contents.value, /\*\*25\/30 seeds passed\*\*/);
  assert.match(hover.contents.value, /Reproduce: `vmsec run small-fork\.vmsec --scenario 'fork under tampering' --seed 11`/);
});

test('a run of one named scenario over a few seeds; every seed passing says so', async () => {
  const r = await runSeeds({ uri: file.uri, scenario: 'fork under tampering', seeds: '1,2,3' });
  assert.deepEqual([r.seeds, r.runs, r.passed, r.scenarios[0].failingCount, r.scenarios[0].reproduce], ['1..3', 3, 3, 0, undefined]);
  const hs = await hints();
  assert.deepEqual(hs.filter((h) => h.position.line === REJECTED).map(label), ['✓ passes 3/3 (44–100%)']);
  await c.waitDiagnostics(file.uri, (d) => !d.some((x) => x.code === 'seeds'));
});

test('bad requests are refused with a clear message', async () => {
  await assert.rejects(runSeeds({ uri: file.uri, seeds: '5..1' }), /seeds 5\.\.1: 5\.\.1: the range is empty/);
  await assert.rejects(runSeeds({ uri: file.uri, seeds: '1,1' }), /seed 1 is given twice/);
  await assert.rejects(runSeeds({ uri: file.uri }), /vmsec\.runSeeds needs \[\{ uri, scenario\?, seeds \}\]/);
  await assert.rejects(runSeeds({ uri: file.uri, scenario: 'nope', seeds: '1..3' }), /no scenario "nope" in .*small-fork\.vmsec; the file has: "fork under tampering"/);
  await assert.rejects(runSeeds({ uri: file.uri, seeds: '1..200000' }), /at most 100,000 at once/);
  await c.conn.sendNotification(Methods.setTrusted, { trusted: false });
  await assert.rejects(runSeeds({ uri: file.uri, seeds: '1..3' }), /running scenarios is disabled in an untrusted workspace/);
  await c.conn.sendNotification(Methods.setTrusted, { trusted: true });
});

test('cancelling vmsec/runSeeds stops the workers and answers RequestCancelled', async () => {
  const cts = new CancellationTokenSource();
  const before = session.progress.length;
  const pending = c.conn.sendRequest<SeedsResult>(Methods.runSeeds, { uri: file.uri, seeds: '1..5000' }, cts.token);
  await until('a progress report', () => session.progress.slice(before).some((p) => p.value.kind === 'report'));
  await until('the run to be running', () => session.running.some((r) => r.scenario === 'fork under tampering'));
  cts.cancel();
  await assert.rejects(pending, (e: { code?: number }) => e.code === -32800);
  await until('nothing running', () => session.running.length === 0);
});

test('editing an expectation drops its hint and diagnostic; a single run replaces the seeds results', async () => {
  await runSeeds({ uri: file.uri, seeds: '9..14' });
  await c.waitDiagnostics(file.uri, (d) => d.some((x) => x.code === 'seeds'));
  const edited = FIXTURE.replace('expect f pages rejected > 0', 'expect f pages rejected > 1');
  c.change(file.uri, edited);
  await c.waitDiagnostics(file.uri, (d) => !d.some((x) => x.code === 'seeds'));
  const hs = await hints();
  assert.deepEqual(hs.filter((h) => h.position.line === REJECTED).map(label), []);
  assert.deepEqual(hs.filter((h) => h.position.line === READY).map(label), ['✓ passes 6/6 (61–100%)']);
  const s = await c.request<RunSummary>('workspace/executeCommand', { command: Commands.runScenario, arguments: [{ uri: file.uri, scenario: 'fork under tampering' }] });
  assert.equal(s.scenarios[0].name, 'fork under tampering');
  const after = await hints();
  assert.ok(!after.some((h) => /seeds passed|passes \d+\/\d+/.test(label(h))), JSON.stringify(after.map(label)));
  c.change(file.uri, FIXTURE);
});

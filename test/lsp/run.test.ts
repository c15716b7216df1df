// Running scenarios through the language server over stdio, as any LSP
// client (VS Code, Neovim) does it: commands, custom requests, progress,
// cancellation, and the results shown inline (inlay hints, diagnostics,
// hover, code lenses).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { CodeLens, Diagnostic, Hover, InlayHint } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { RUN_CLIENT, TestClient, until } from './client';
import { Commands, type RunResultNotification, type RunSummary, type ScenarioInfo } from '../../server/src/protocol';

const SAMPLES = join(import.meta.dirname, '..', '..', 'samples');
const dir = tempDir('lsp-run-');

// Small and fast: two scenarios, the second with a failed expectation.
const SMALL = `boot xen-stack { pcr 0 "firmware-2.1" pcr 8 "xen-4.17" }
host alpha { cpus 8 memory 16 GiB tpm ecdsa-p256 boot xen-stack }
host beta { cpus 8 memory 16 GiB tpm ecdsa-p256 boot xen-stack }
network campus { hosts alpha, beta }
vm web on alpha {
  memory 64 MiB
  workingset 5%
  process apache { memory 8 MiB }
}
fork pair of web {
  children 2
  on beta
  memory lazy
  attest hosts against xen-stack
}
monitor guard for web {
  default allow
  rule shadow on open when fileEq(0, "/etc/shadow") then deny(13)
}
scenario "small" {
  at 0 ms fork pair
  at 500 ms syscall web apache open("/etc/shadow")
  expect attestation of beta passes
  expect guard denies == 1
  expect pair ready within 1 s
}
scenario "small failing" {
  at 0 ms fork pair
  expect guard denies == 3
  expect pair ready within 1 s
}
`;
const lineOf = (text: string, needle: string) => { const i = text.indexOf(needle); assert.ok(i >= 0, needle); return text.slice(0, i).split('\n').length - 1; };

let c: TestClient;
const progress: { token: unknown; value: { kind: string; message?: string; percentage?: number } }[] = [];
const created: unknown[] = [];
const results: RunResultNotification[] = [];
let running: { uri: string; scenario: string }[] = [];
let refreshes = 0;

let small: { path: string; uri: string };
let lensRefreshes = 0;
before(async () => {
  c = new TestClient();
  c.conn.onRequest('window/workDoneProgress/create', (p: { token: unknown }) => { created.push(p.token); return null; });
  c.conn.onNotification('$/progress', (p: { token: unknown; value: { kind: string } }) => progress.push(p as typeof progress[number]));
  c.conn.onNotification('vmsec/runResult', (p: RunResultNotification) => results.push(p));
  c.conn.onNotification('vmsec/runState', (p: { running: typeof running }) => { running = p.running; });
  c.conn.onRequest('workspace/inlayHint/refresh', () => { refreshes++; return null; });
  c.conn.onRequest('workspace/codeLens/refresh', () => { lensRefreshes++; return null; });
  const init = await c.initialize(dir, {}, RUN_CLIENT) as { capabilities: { executeCommandProvider: { commands: string[] }; experimental: { vmsec: Record<string, boolean> }; inlayHintProvider: unknown; codeLensProvider: unknown } };
  assert.deepEqual([...init.capabilities.executeCommandProvider.commands].sort(), Object.values(Commands).sort());
  assert.equal(init.capabilities.experimental.vmsec.run, true);
  assert.equal(init.capabilities.experimental.vmsec.scenarios, true);
  assert.equal(init.capabilities.experimental.vmsec.runResult, true);
  assert.ok(init.capabilities.inlayHintProvider && init.capabilities.codeLensProvider);
  const path = join(dir, 'small.vmsec');
  writeFileSync(path, SMALL);
  small = { path, uri: c.open(path, SMALL) };
  await c.waitDiagnostics(small.uri, (d) => d.length === 0);
});
after(async () => { await c.close(); });

const hints = (uri: string) => c.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 100_000, character: 0 } } });
const lenses = (uri: string) => c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
const label = (h: InlayHint) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));

test('vmsec/scenarios lists each scenario with its range, steps and expectations', async () => {
  const r = await c.request<{ scenarios: ScenarioInfo[] }>('vmsec/scenarios', { uri: small.uri });
  assert.deepEqual(r.scenarios.map((s) => s.name), ['small', 'small failing']);
  const [s] = r.scenarios;
  assert.equal(s.uri, small.uri);
  assert.equal(s.range.start.line, lineOf(SMALL, 'scenario "small"'));
  assert.deepEqual(s.steps.map((x) => x.text), ['at 0 ms fork pair', 'at 500 ms syscall web apache open("/etc/shadow")']);
  assert.deepEqual(s.expectations[1], { text: 'expect guard denies == 1', range: { start: { line: lineOf(SMALL, 'expect guard denies == 1'), character: 2 }, end: { line: lineOf(SMALL, 'expect guard denies == 1'), character: 26 } } });
});

test('code lenses: ▶ Run above each scenario, ▶ Run all above the first, carrying the server commands', async () => {
  const ls = await lenses(small.uri);
  const first = lineOf(SMALL, 'scenario "small"');
  const second = lineOf(SMALL, 'scenario "small failing"');
  assert.deepEqual(ls.map((l) => [l.range.start.line, l.command!.title, l.command!.command, l.command!.arguments]), [
    [first, '▶ Run', Commands.runScenario, [{ uri: small.uri, scenario: 'small' }]],
    [first, '▶ Run all', Commands.runFile, [{ uri: small.uri }]],
    [second, '▶ Run', Commands.runScenario, [{ uri: small.uri, scenario: 'small failing' }]],
  ]);
});

test('a run through workspace/executeCommand: progress, a result notification, inlay hints, a passed lens, hover details', async () => {
  const before = progress.length;
  const summary = await c.request<RunSummary>('workspace/executeCommand', { command: Commands.runScenario, arguments: [{ uri: small.uri, scenario: 'small' }] });
  assert.deepEqual(summary, { uri: small.uri, scenarios: [{ name: 'small', passed: true }] });
  const mine = progress.slice(before);
  assert.ok(created.length > 0, 'the server created a progress token');
  assert.deepEqual([mine[0].value.kind, mine.at(-1)!.value.kind], ['begin', 'end']);
  const r = results.find((x) => x.scenario.name === 'small');
  assert.ok(r && r.uri === small.uri && r.scenario.passed && r.runId && r.durationMs >= 0);
  const hs = await hints(small.uri);
  const expectLine = lineOf(SMALL, 'expect guard denies == 1');
  const onExpect = hs.filter((h) => h.position.line === expectLine);
  assert.equal(onExpect.length, 1);
  assert.deepEqual(onExpect[0].position, { line: expectLine, character: '  expect guard denies == 1'.length });
  assert.match(label(onExpect[0]), /^✓/);
  const forkLine = lineOf(SMALL, 'at 0 ms fork pair');
  assert.ok(hs.some((h) => h.position.line === forkLine && /2\/2 children ready/.test(label(h))), JSON.stringify(hs.map(label)));
  const ls = await lenses(small.uri);
  assert.ok(ls.some((l) => /^✓ 3\/3 expectations passed · /.test(l.command!.title)), JSON.stringify(ls.map((l) => l.command!.title)));
  const h = await c.request<Hover>('textDocument/hover', { textDocument: { uri: small.uri }, position: { line: forkLine, character: 2 } });
  assert.match((h.contents as { value: string }).value, /Last run/);
});

test('a run through vmsec/run: failed expectations become Error diagnostics; results of other scenarios stay', async () => {
  const summary = await c.request<RunSummary>('vmsec/run', { uri: small.uri, scenario: 'small failing', workDoneToken: 'run-2' });
  assert.deepEqual(summary.scenarios, [{ name: 'small failing', passed: false }]);
  const kinds = progress.filter((p) => p.token === 'run-2').map((p) => p.value.kind);
  assert.deepEqual([kinds[0], kinds.includes('report'), kinds.at(-1)], ['begin', true, 'end']);
  const line = lineOf(SMALL, 'expect guard denies == 3');
  const ds = await c.waitDiagnostics(small.uri, (d) => d.some((x) => x.source === 'vmsec run'));
  const run = ds.filter((d) => d.source === 'vmsec run');
  assert.equal(run.length, 1);
  assert.equal(run[0].code, 'run');
  assert.equal(run[0].severity, 1);
  assert.deepEqual(run[0].range, { start: { line, character: 2 }, end: { line, character: 26 } });
  assert.match(run[0].message, /== 3 — actual 0 \(scenario /);
  const hs = await hints(small.uri);
  assert.ok(hs.some((h) => h.position.line === line && /^✗/.test(label(h))));
  assert.ok(hs.some((h) => h.position.line === lineOf(SMALL, 'expect guard denies == 1')), 'the first scenario\'s results stay');
  assert.ok((await lenses(small.uri)).some((l) => /^✗ 1\/2 expectations passed · \d+(\.\d)? m?s$/.test(l.command!.title)));
  assert.ok(refreshes > 0, 'workspace/inlayHint/refresh was sent');
  assert.ok(lensRefreshes > 0, 'workspace/codeLens/refresh was sent');
});

test('an edit under a failed expectation drops its diagnostic and inlay hint; the others stay', async () => {
  const line = lineOf(SMALL, 'expect guard denies == 3');
  const edited = SMALL.replace('expect guard denies == 3', 'expect guard denies == 0');
  c.change(small.uri, edited);
  const ds = await c.waitDiagnostics(small.uri, (d: Diagnostic[]) => !d.some((x) => x.source === 'vmsec run'));
  assert.deepEqual(ds, []);
  const hs = await hints(small.uri);
  assert.ok(!hs.some((h) => h.position.line === line));
  assert.ok(hs.some((h) => h.position.line === lineOf(SMALL, 'expect guard denies == 1')));
  c.change(small.uri, SMALL);
});

test('a long run: the server answers and publishes diagnostics of an edit while it runs; $/cancelRequest stops it', async () => {
  const path = join(dir, 'trusted-fork.vmsec');
  copyFileSync(join(SAMPLES, 'trusted-fork.vmsec'), path);
  const text = readFileSync(path, 'utf8');
  const uri = c.open(path, text);
  const other = join(dir, 'edited.vmsec');
  writeFileSync(other, 'host h1 { }\n');
  const otherUri = c.open(other, 'host h1 { }\n');
  await c.waitDiagnostics(otherUri, (d) => d.length === 0);
  const cts = new CancellationTokenSource();
  const pending = c.conn.sendRequest('vmsec/run', { uri }, cts.token);
  const settled = pending.then(() => 'resolved', (e: { code?: number }) => e.code);
  await until('the run to start', () => running.some((r) => r.uri === uri));
  c.change(otherUri, 'vm v on nowhere { }\n');
  const ds = await c.waitDiagnostics(otherUri, (d) => d.length > 0);
  assert.equal(ds[0].code, 'VMS001');
  const h = await c.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: lineOf(text, 'fork burst of web'), character: 6 } });
  assert.ok(h, 'hover answers mid-run');
  assert.ok(running.some((r) => r.uri === uri), 'the run was still going when the diagnostics arrived');
  cts.cancel();
  assert.equal(await settled, -32800);
  await until('the run to stop', () => running.length === 0 || undefined);
  assert.ok(!results.some((r) => r.uri === uri), 'a cancelled run publishes no result');
  const again = await c.request<{ scenarios: ScenarioInfo[] }>('vmsec/scenarios', { uri });
  assert.deepEqual(again.scenarios.map((s) => s.name), ['burst under tampering']);
});

test('a new run of a scenario cancels its older run', async () => {
  const path = join(dir, 'trusted-fork.vmsec');
  const uri = pathToFileURL(path).toString();
  const first = c.request<RunSummary>('vmsec/run', { uri }).then((s) => s, (e) => e);
  await until('the first run to start', () => running.some((r) => r.uri === uri));
  const stop = c.request<{ stopped: number }>('workspace/executeCommand', { command: Commands.stop, arguments: [{ uri }] });
  void stop;
  const s = await first;
  assert.deepEqual((s as RunSummary).scenarios, [{ name: 'burst under tampering', passed: false, cancelled: true }]);
  // Replacing a run: start one, then start the same scenario of the small file twice.
  const a = c.request<RunSummary>('vmsec/run', { uri: small.uri, scenario: 'small' });
  const b = c.request<RunSummary>('vmsec/run', { uri: small.uri, scenario: 'small' });
  const [ra, rb] = await Promise.all([a, b]);
  assert.deepEqual(ra.scenarios, [{ name: 'small', passed: false, cancelled: true }]);
  assert.deepEqual(rb.scenarios, [{ name: 'small', passed: true }]);
});

test('an untrusted workspace cannot run scenarios; the lens says so', async () => {
  await c.conn.sendNotification('vmsec/setTrusted', { trusted: false });
  await assert.rejects(c.request('vmsec/run', { uri: small.uri }), /running scenarios is disabled in an untrusted workspace/);
  await assert.rejects(c.request('workspace/executeCommand', { command: Commands.runFile, arguments: [{ uri: small.uri }] }), /disabled in an untrusted workspace/);
  const ls = await lenses(small.uri);
  assert.deepEqual(ls.map((l) => l.command!.title), ['⚠ running scenarios is disabled in an untrusted workspace']);
  await c.conn.sendNotification('vmsec/setTrusted', { trusted: true });
  assert.equal((await lenses(small.uri))[0].command!.title.startsWith('▶'), true);
});

test('initializationOptions.trusted false refuses runs from the start', async () => {
  const d = tempDir('lsp-untrusted-');
  const p = join(d, 's.vmsec');
  writeFileSync(p, SMALL);
  const u = new TestClient();
  try {
    await u.initialize(d, { trusted: false });
    const uri = u.open(p, SMALL);
    await assert.rejects(u.request('vmsec/run', { uri }), /running scenarios is disabled in an untrusted workspace/);
  } finally { await u.close(); }
});

const hoverText = async (client: TestClient, uri: string, line: number): Promise<string> => {
  const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character: 4 } });
  return (h?.contents as { value?: string } | undefined)?.value ?? '';
};

test('the hover of a result line says what changed since the previous run; the title line lists every change', async () => {
  // "small" has run and passed. Now its rule no longer matches: the same expectation fails.
  const edited = SMALL.replace('fileEq(0, "/etc/shadow")', 'fileEq(0, "/etc/passwd")');
  c.change(small.uri, edited);
  const summary = await c.request<RunSummary>('vmsec/run', { uri: small.uri, scenario: 'small' });
  assert.deepEqual(summary.scenarios, [{ name: 'small', passed: false }]);
  const expectLine = lineOf(edited, 'expect guard denies == 1');
  const onExpect = await hoverText(c, small.uri, expectLine);
  assert.match(onExpect, /\*\*Last run\*\*/);
  assert.ok(onExpect.includes(`**Since the previous run**\n\n- expect line ${expectLine + 1}: passed → failed`), onExpect);
  assert.ok(!onExpect.includes('scenario "small" passed → failed'), 'the scenario\'s verdict is on its title line only');
  const onTitle = await hoverText(c, small.uri, lineOf(edited, 'scenario "small" {'));
  assert.ok(onTitle.includes('- scenario "small" passed → failed'), onTitle);
  assert.ok(onTitle.includes(`- expect line ${expectLine + 1}: passed → failed`), onTitle);
  // A result that did not change has details but no changes.
  const onAttest = await hoverText(c, small.uri, lineOf(edited, 'expect attestation of beta passes'));
  assert.match(onAttest, /Last run/);
  assert.doesNotMatch(onAttest, /Since the previous run/);
  // An edit under the expectation drops its change with its result.
  c.change(small.uri, edited.replace('expect guard denies == 1', 'expect guard denies == 1 '));
  await c.waitDiagnostics(small.uri, (d) => !d.some((x) => x.source === 'vmsec run' && x.range.start.line === expectLine));
  assert.doesNotMatch(await hoverText(c, small.uri, expectLine), /Since the previous run/);
  c.change(small.uri, SMALL);
});

test('vmsec/run with a seed runs with that seed; each result carries its seed', async () => {
  for (const seed of [7, 12345]) {
    const n = results.length;
    const s = await c.request<RunSummary>('vmsec/run', { uri: small.uri, scenario: 'small', seed });
    assert.equal(s.scenarios[0].cancelled, undefined);
    const r = await until(`the result of seed ${seed}`, () => results.slice(n).find((x) => x.scenario.name === 'small'));
    assert.equal(r.scenario.seed, seed);
  }
});

describeWorkspace();
function describeWorkspace(): void {
  const ws = tempDir('lsp-run-ws-');
  const B = 'host h { }\nvm v on h { memory 16 MiB process s { memory 4 MiB } }\nscenario "other file" {\n  at 0 ms syscall v s open("/tmp/x")\n  expect v is running\n}\n';
  // 64 MiB with half of it in use: an 8 MiB checkpoint.
  const CKPT = 'host h { }\nvm v on h { memory 64 MiB workingset 50%\n  process s { memory 4 MiB } }\ncheckpoint big of v { to "out/big.ckpt" }\nscenario "too big" {\n  at 0 ms checkpoint big\n}\n';
  let w: TestClient;
  const wsResults: RunResultNotification[] = [];
  const files = { a: join(ws, 'a.vmsec'), b: join(ws, 'sub', 'b.vmsec'), ckpt: join(ws, 'ckpt', 'c.vmsec') };
  // Closed even when a test fails, or the server would keep the test process alive.
  after(async () => { await w?.close(); });

  test('vmsec.runWorkspace runs every file with scenarios in the workspace folder (open or not)', async () => {
    mkdirSync(join(ws, 'sub'));
    mkdirSync(join(ws, 'ckpt'));
    writeFileSync(files.a, SMALL);
    writeFileSync(files.b, B);
    writeFileSync(files.ckpt, CKPT);
    w = new TestClient();
    w.conn.onNotification('vmsec/runResult', (p: RunResultNotification) => wsResults.push(p));
    await w.initialize(ws, { maxCheckpointSize: '1MiB' });
    const aUri = w.open(files.a, SMALL);
    await w.waitDiagnostics(aUri, (d) => d.length === 0);
    const out = await w.request<RunSummary[]>('workspace/executeCommand', { command: Commands.runWorkspace, arguments: [] });
    const uri = (p: string) => pathToFileURL(p).toString();
    assert.deepEqual(out.map((s) => s.uri).sort(), [uri(files.a), uri(files.ckpt), uri(files.b)].sort());
    assert.deepEqual(out.find((s) => s.uri === uri(files.b))!.scenarios, [{ name: 'other file', passed: true }]);
    assert.deepEqual(out.find((s) => s.uri === uri(files.a))!.scenarios, [{ name: 'small', passed: true }, { name: 'small failing', passed: false }]);
    const seen = (u: string) => wsResults.filter((r) => r.uri === u).map((r) => r.scenario.name).sort();
    await until('results of every file', () => seen(uri(files.a)).length === 2 && seen(uri(files.b)).length === 1);
    assert.deepEqual(seen(uri(files.a)), ['small', 'small failing']);
    assert.deepEqual(seen(uri(files.b)), ['other file']);
  });

  test('maxCheckpointSize from initializationOptions: a bigger checkpoint is a run diagnostic naming the limit; no file is written', async () => {
    const uri = w.open(files.ckpt, CKPT);
    const s = await w.request<RunSummary>('vmsec/run', { uri });
    assert.deepEqual(s.scenarios, [{ name: 'too big', passed: false }]);
    const line = lineOf(CKPT, 'at 0 ms checkpoint big');
    const ds = await w.waitDiagnostics(uri, (d) => d.some((x) => x.source === 'vmsec run'));
    const run = ds.filter((d) => d.source === 'vmsec run');
    assert.equal(run.length, 1, JSON.stringify(run));
    assert.equal(run[0].range.start.line, line);
    assert.match(run[0].message, /checkpoint big would write 8\.0 MiB; the limit is 1 MiB \(raise it with the vmsec\.maxCheckpointSize setting\)/);
    assert.equal(existsSync(join(ws, 'ckpt', 'out', 'big.ckpt')), false);
  });
}

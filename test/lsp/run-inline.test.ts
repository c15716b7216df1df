// What a run leaves beside the lines, read over the protocol as any client
// reads it: the code lens counts what the CLI's summary counts (expectations
// passed), the fork's inline text says pages and disk blocks apart as
// `expect F pages verified` counts them, and a syscall that set off an
// escalation shows the escalation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeLens, InlayHint } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { RunSession } from './client';
import { Commands, Methods, type RunResultNotification, type RunSummary } from '../../server/src/protocol';
import type { ScenarioResult } from '../../server/src/sim/results';

const TEXT = `boot good { pcr 0 "fw-1.0" }
host a { tpm ecdsa-p256 boot good }
host b { tpm ecdsa-p256 boot good }
link a <-> b { bandwidth 10 Gbps }
vm app on a {
  memory 32 MiB
  disk 64 MiB
  process web { memory 4 MiB }
}
fork f of app { children 2 on b attest hosts against good integrity per-page }
monitor m for app {
  rule k on open when fileEq(0, "/etc/shadow") then deny(13)
  escalate 1 violations within 1 s then pause
}
scenario "inline" {
  at 0 ms fork f
  at 1 ms syscall f[1] web read()
  at 500 ms syscall app web open("/etc/shadow")
  expect f pages verified > 0
  expect m denies == 1
  expect app is paused
  expect m denies == 5
}
scenario "quiet" {
  at 0 ms syscall app web open("/tmp/x")
  expect m denies == 0
}
`;

const lineOf = (needle: string) => { const i = TEXT.split('\n').findIndex((l) => l.includes(needle)); assert.ok(i >= 0, needle); return i; };

const s = new RunSession();
const results: RunResultNotification[] = [];
before(async () => {
  s.c.conn.onNotification(Methods.runResult, (p: RunResultNotification) => results.push(p));
  await s.open(tempDir('lsp-run-inline-'), 'inline.vmsec', TEXT);
  const summary = await s.c.request<RunSummary>('workspace/executeCommand', { command: Commands.runFile, arguments: [{ uri: s.file.uri }] });
  assert.deepEqual(summary.scenarios, [{ name: 'inline', passed: false }, { name: 'quiet', passed: true }]);
});
after(async () => { await s.c.close(); });

const lensTitles = async () => (await s.c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: s.file.uri } }))
  .map((l) => [l.range.start.line, l.command!.title] as const);
const hintsOn = async (line: number) => (await s.c.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri: s.file.uri }, range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } } }))
  .filter((h) => h.position.line === line).map((h) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')));

test('the lens after a run counts the expectations that passed, as the CLI summary does, and the errors', async () => {
  const titles = await lensTitles();
  const verdict = (line: number) => titles.filter(([l, t]) => l === line && !t.startsWith('▶')).map(([, t]) => t);
  const [failed] = verdict(lineOf('scenario "inline"'));
  // 3 of 4 passed (`FAILED: 3/4 expectations, 1 error` in the CLI), not "failed 1/4".
  assert.match(failed, /^✗ 3\/4 expectations passed · 1 error · \d+(\.\d)? m?s$/, failed);
  const [passed] = verdict(lineOf('scenario "quiet"'));
  assert.match(passed, /^✓ 1\/1 expectations passed · \d+(\.\d)? m?s$/, passed);
});

test('an edit under an expectation drops its inline result but not the count of the run the lens reports', async () => {
  const edited = TEXT.replace('expect m denies == 5', 'expect m denies == 6');
  s.c.change(s.file.uri, edited);
  await s.c.waitDiagnostics(s.file.uri, (d) => !d.some((x) => x.source === 'vmsec run' && x.range.start.line === lineOf('expect m denies == 5')));
  assert.deepEqual(await hintsOn(lineOf('expect m denies == 5')), []);
  const titles = (await lensTitles()).filter(([l]) => l === lineOf('scenario "inline"')).map(([, t]) => t);
  assert.ok(titles.some((t) => t.startsWith('✗ 3/4 expectations passed · 1 error · ')), JSON.stringify(titles));
  s.c.change(s.file.uri, TEXT);
});

test('the fork line says pages and disk blocks verified apart, adding up to `expect f pages verified`', async () => {
  const raw = results.find((r) => r.scenario.name === 'inline')!.scenario.raw as ScenarioResult;
  const pages = raw.transfers.reduce((n, t) => n + t.pages.verified, 0);
  const blocks = raw.transfers.reduce((n, t) => n + t.blocks.verified, 0);
  assert.ok(blocks > 0 && raw.transfers.every((t) => t.descriptor.verified > 0));
  assert.equal(pages + blocks, Number(raw.expectations[0].actual));
  const [fork] = await hintsOn(lineOf('at 0 ms fork f'));
  assert.ok(fork.startsWith('✓ 2/2 children ready '), fork);
  assert.ok(fork.includes(` · ${pages.toLocaleString('en-US')} pages + ${blocks.toLocaleString('en-US')} disk blocks verified · 0 rejected · `), fork);
});

test('a syscall that set off an escalation shows what fired, the action and what it did to the VM', async () => {
  const hints = await hintsOn(lineOf('open("/etc/shadow")'));
  assert.equal(hints.length, 1, JSON.stringify(hints));
  assert.match(hints[0], /^deny\(13\) by rule k after [\d.]+ µs · m escalated: 1 violation within 1000 ms → pause: app paused$/);
});

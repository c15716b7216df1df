// Sweeps through the language server over stdio, as any LSP client runs
// them: vmsec.sweep answers exactly what `vmsec sweep --format json` prints
// (points × metrics, pass rates; for an ablation what each defence carries),
// on a run worker with progress and cancellation; a wrong varied path is an
// error with the CLI's words, located in the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { tempDir } from '../tmp';
import { RunSession, TestClient, until } from './client';
import { Commands, Methods, type SweepProblem, type SweepResult } from '../../server/src/protocol';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = readFileSync(join(ROOT, 'test', 'fixtures', 'batch', 'small-fork.vmsec'), 'utf8');
const dir = tempDir('lsp-sweep-');
const lineOf = (text: string, needle: string) => { const i = text.indexOf(needle); assert.ok(i >= 0, needle); return text.slice(0, i).split('\n').length - 1; };

let session: RunSession;
let c: TestClient;
let file: { path: string; uri: string };

/** `vmsec sweep small-fork.vmsec ARGS --format json` run in the workspace folder, as its object. */
function cli(args: string[]): { status: number | null; json: Record<string, unknown> | undefined; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'vmsec.js'), 'sweep', 'small-fork.vmsec', ...args, '--format', 'json'], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, json: r.stdout ? JSON.parse(r.stdout) as Record<string, unknown> : undefined, stderr: r.stderr };
}

before(async () => {
  session = new RunSession();
  c = session.c;
  await session.open(dir, 'small-fork.vmsec', FIXTURE);
  file = session.file;
});
after(async () => { await c.close(); });

const sweep = (args: Record<string, unknown>) => c.request<SweepResult>('workspace/executeCommand', { command: Commands.sweep, arguments: [args] });

test('the server advertises vmsec.sweep and the sweep capability', () => {
  assert.ok(session.commands.includes('vmsec.sweep'));
  assert.equal(session.caps.sweep, true);
});

test('vmsec.sweep answers what `vmsec sweep --format json` prints, with progress', async () => {
  const before = session.progress.length;
  const r = await sweep({ uri: file.uri, vary: ['f.children=1,2,3'], metrics: ['ready_ms', 'pages_rejected'], seeds: '1..4' });
  assert.equal(r.uri, file.uri);
  assert.equal(r.view.kind, 'sweep');
  if (r.view.kind !== 'sweep') return;
  assert.deepEqual(r.view.points.map((p) => p.id), ['f.children=1', 'f.children=2', 'f.children=3']);
  assert.deepEqual(r.view.axes, [{ path: 'f.children', values: ['1', '2', '3'] }]);
  assert.equal(r.runs, 12);
  assert.equal(r.passed, r.view.points.reduce((n, p) => n + p.cells[0].passed, 0));
  const ready = r.view.points.map((p) => p.cells[0].metrics.ready_ms);
  assert.ok(ready.every((x) => typeof x === 'number' && x > 0), JSON.stringify(ready));

  const out = cli(['--vary', 'f.children=1,2,3', '--metric', 'ready_ms', '--metric', 'pages_rejected', '--seeds', '1..4']);
  assert.ok(out.json, out.stderr);
  const { vmsec_sweep: marker, ...cliView } = out.json!;
  assert.equal(marker, 1);
  assert.deepEqual(r.view, cliView, 'the same table, medians and pass rates as the CLI');
  assert.equal(out.status, r.passed === r.runs ? 0 : 1);

  const mine = session.progress.slice(before);
  assert.equal(mine[0].value.kind, 'begin');
  assert.equal(mine.at(-1)!.value.kind, 'end');
  assert.ok(mine.some((p) => p.value.kind === 'report' && p.value.message === '12/12 runs · ' + (r.runs - r.passed) + ' failed'), JSON.stringify(mine));
});

test('a wrong path is an error with the CLI\'s words and the suggestion, located in the file', async () => {
  const out = cli(['--vary', 'f.childs=1,2']);
  assert.equal(out.status, 2);
  const cliText = out.stderr.trim().replace(/^vmsec: /, '');
  assert.equal(cliText, "small-fork.vmsec:19:6: --vary f.childs=1,2: no property 'childs' on fork f (did you mean children?)");
  const err = await sweep({ uri: file.uri, vary: ['f.childs=1,2'] }).then(() => undefined, (e: { message: string; code: number; data?: { problems: SweepProblem[] } }) => e);
  assert.ok(err, 'the sweep is refused');
  assert.equal(err.code, -32602);
  assert.equal(err.message, cliText);
  const [p] = err.data!.problems;
  assert.equal(p.message, "--vary f.childs=1,2: no property 'childs' on fork f (did you mean children?)");
  assert.equal(p.uri, file.uri);
  assert.deepEqual(p.range!.start, { line: lineOf(FIXTURE, 'fork f of app'), character: 5 });
  // A value the language refuses gets the language's own message.
  await assert.rejects(sweep({ uri: file.uri, vary: ['f.children=0'] }), /--vary f\.children=0: VMS003 /);
});

test('bad requests are refused with the CLI\'s messages', async () => {
  await assert.rejects(sweep({ uri: file.uri }), /sweep needs --vary PATH=V1,V2,\.\.\. or --ablate/);
  await assert.rejects(sweep({ uri: file.uri, vary: ['f.children'] }), /--vary f\.children: write PATH=V1,V2,\.\.\./);
  await assert.rejects(sweep({ uri: file.uri, vary: ['f.children=1,2'], metrics: ['ready'] }), /unknown metric 'ready' \(did you mean ready_ms\?\)/);
  await assert.rejects(sweep({ uri: file.uri, vary: ['f.children=1'], ablate: true }), /--ablate and --vary do not go together/);
  await assert.rejects(sweep({ uri: file.uri, vary: 'f.children=1' }), /vary must be a list/);
  await assert.rejects(sweep({ uri: file.uri, vary: ['f.children=1,2'], seeds: '3..1' }), /--seeds 3\.\.1: /);
  await assert.rejects(sweep({ uri: file.uri, vary: ['f.children=1,2'], scenario: 'nope' }), /no scenario "nope"/);
  await c.conn.sendNotification(Methods.setTrusted, { trusted: false });
  await assert.rejects(sweep({ uri: file.uri, ablate: true }), /running scenarios is disabled in an untrusted workspace/);
  await c.conn.sendNotification(Methods.setTrusted, { trusted: true });
});

test('an ablation answers which expectations each defence carries, as the CLI does', async () => {
  const r = await sweep({ uri: file.uri, ablate: true, seeds: '1..2' });
  assert.equal(r.view.kind, 'ablation');
  if (r.view.kind !== 'ablation') return;
  const integrity = r.view.defences.find((d) => d.label === 'without integrity on f');
  assert.ok(integrity, JSON.stringify(r.view.defences.map((d) => d.label)));
  assert.equal(integrity.line, lineOf(FIXTURE, 'integrity per-page') + 1);
  assert.deepEqual(integrity.carries.map((x) => [x.line, x.text, x.seeds]), [
    [lineOf(FIXTURE, 'expect no tampered page accepted') + 1, 'expect no tampered page accepted', [1, 2]],
    [lineOf(FIXTURE, 'expect f pages rejected > 0') + 1, 'expect f pages rejected > 0', [1, 2]],
  ]);
  const out = cli(['--ablate', '--seeds', '1..2']);
  assert.ok(out.json, out.stderr);
  const { vmsec_sweep: _m, ...cliView } = out.json!;
  assert.deepEqual(r.view, cliView);
});

test('cancelling vmsec/sweep stops the worker and answers RequestCancelled', async () => {
  const cts = new CancellationTokenSource();
  const before = session.progress.length;
  const pending = c.conn.sendRequest<SweepResult>(Methods.sweep, { uri: file.uri, vary: ['f.children=1,2,3,4'], seeds: '1..3000' }, cts.token);
  await until('a progress report', () => session.progress.slice(before).some((p) => p.value.kind === 'report'));
  await until('the sweep to be running', () => session.running.some((r) => r.scenario === 'sweep'));
  cts.cancel();
  await assert.rejects(pending, (e: { code?: number }) => e.code === -32800);
  await until('nothing running', () => session.running.length === 0);
});

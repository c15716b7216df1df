// Neovim 0.7 (Debian's) with only its built-in LSP client: the "▶ Run" code
// lens's command, sent through workspace/executeCommand, runs the scenario
// and the failed expectation shows as a diagnostic on its line. Other
// editors get runs from the server alone, without the VS Code extension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../tmp';
import { skipOrFail } from '../skips';

const HERE = join(import.meta.dirname, '..', 'nvim');
const SERVER = resolve(import.meta.dirname, '..', '..', 'dist', 'server.js');

interface Seen {
  nvim: string; steps: string[]; error?: string;
  diagnostics?: { line: number; message: string; source: string | null }[];
  lenses?: { line: number; title: string; command: string | null; arguments: unknown }[];
  command_error?: string | null;
  run_diagnostics?: { line: number; col: number; message: string; source: string; severity: number }[];
}

test('Neovim 0.7: the Run lens through workspace/executeCommand shows the failed expectation', async (t) => {
  const nvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  if (nvim.error || nvim.status !== 0) { skipOrFail(t, 'Neovim client (test/lsp/nvim.test.ts)', 'nvim is not installed', ['neovim']); return; }
  assert.ok(existsSync(SERVER), `${SERVER} is missing: run node esbuild.mjs first`);

  const dir = tempDir('nvim-');
  const file = join(dir, 'small.vmsec');
  copyFileSync(join(HERE, 'small.vmsec'), file);
  const text = readFileSync(file, 'utf8');
  const lineOf = (needle: string) => { const i = text.indexOf(needle); assert.ok(i >= 0, needle); return text.slice(0, i).split('\n').length - 1; };
  const out = join(dir, 'seen.json');

  // Neovim's own files (log, shada, swap) stay in the temporary folder.
  const env = { ...process.env, VMSEC_NVIM_SERVER: SERVER, VMSEC_NVIM_FILE: file, VMSEC_NVIM_SCENARIO: 'small failing', VMSEC_NVIM_OUT: out,
    XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), XDG_STATE_HOME: join(dir, 'state'), XDG_CACHE_HOME: join(dir, 'cache') };
  const run = await promisify(execFile)('nvim', ['--headless', '-n', '-i', 'NONE', '-u', join(HERE, 'init.lua')], { env, cwd: dir, timeout: 120_000 })
    .then(() => undefined, (e: Error & { stderr?: string }) => e);
  assert.ok(existsSync(out), `Neovim wrote nothing: ${run?.message ?? ''} ${run?.stderr ?? ''}`);
  const seen = JSON.parse(readFileSync(out, 'utf8')) as Seen;
  assert.equal(seen.error, undefined, `the Neovim script failed after steps [${seen.steps.join(', ')}]: ${seen.error}`);
  assert.equal(run, undefined, 'nvim exits 0');
  assert.match(seen.nvim, /^0\.\d+\.\d+$/);

  // The file itself is clean: its first diagnostics are empty.
  assert.deepEqual(seen.diagnostics, []);

  // Lenses: "▶ Run" above each scenario and "▶ Run all" above the first, with the server's commands.
  const first = lineOf('scenario "small" {');
  const second = lineOf('scenario "small failing"');
  const uri = `file://${file}`;
  const lenses = (seen.lenses ?? []).filter((l) => l.title.startsWith('▶')).map((l) => [l.line, l.title, l.command, l.arguments]);
  assert.deepEqual(lenses.sort(), [
    [first, '▶ Run', 'vmsec.runScenario', [{ uri, scenario: 'small' }]],
    [first, '▶ Run all', 'vmsec.runFile', [{ uri }]],
    [second, '▶ Run', 'vmsec.runScenario', [{ uri, scenario: 'small failing' }]],
  ].sort());
  assert.equal(seen.command_error, null, 'executeCommand succeeds');

  // The failed expectation, on its own line, with expected and actual.
  const failed = lineOf('expect guard denies == 3');
  assert.deepEqual(seen.run_diagnostics?.map((d) => [d.line, d.source, d.severity]), [[failed, 'vmsec run', 1]]);
  assert.match(seen.run_diagnostics![0].message, /guard denies == 3 — actual 0 \(scenario "small failing"\)/);
});

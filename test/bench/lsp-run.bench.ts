// `npm run bench` (scenario runs in the language server): the flagship
// sample from the vmsec/run request to its results published, against the
// CLI's `vmsec run` of the same file in the same bench; and didChange →
// diagnostics p95 on a 10k-line file while a long scenario runs, against the
// p95 with no run. Targets: both ratios ≤ 1.2.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../tmp';
import { TestClient } from '../lsp/client';
import { generate } from './generate';
import { median, percentile } from './timing';

const ROUNDS = 2;
const EDITS = 30;

async function main(): Promise<void> {
  const server = resolve('dist/server.js');
  const cli = resolve('dist/vmsec.js');
  const dir = tempDir('lsp-run-bench-');
  const flagship = join(dir, 'trusted-fork.vmsec');
  copyFileSync(resolve('samples/trusted-fork.vmsec'), flagship);

  const c = new TestClient(server);
  let running: { uri: string; scenario: string }[] = [];
  c.conn.onNotification('vmsec/runState', (p: { running: typeof running }) => { running = p.running; });
  await c.initialize(dir);
  const text = readFileSync(flagship, 'utf8');
  const uri = c.open(flagship, text);
  await c.waitDiagnostics(uri, () => true, 60_000);

  // Alternate CLI and server runs so that load on the machine hits both alike.
  const cliMs: number[] = [];
  const lspMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'run', flagship, '--format', 'json', '--root', dir], { encoding: 'utf8', maxBuffer: 1 << 28 });
    cliMs.push(performance.now() - t0);
    if (r.status !== 0 && r.status !== 1) throw new Error(`vmsec run failed: ${r.stderr}`);
    t0 = performance.now();
    // The response comes after the result notification and the diagnostics are published.
    await c.request('vmsec/run', { uri });
    lspMs.push(performance.now() - t0);
  }

  // didChange → diagnostics on a 10k-line file, idle and while the flagship runs.
  const big = join(dir, 'big.vmsec');
  let current = generate(10_000);
  writeFileSync(big, current);
  const bigUri = c.open(big, current);
  await c.waitDiagnostics(bigUri, (_, p) => p.version === 1, 60_000);
  const edits = async (n: number, during?: () => boolean): Promise<number[]> => {
    const out: number[] = [];
    while (out.length < n) {
      current = `${current}// edit ${out.length}\n`;
      const t0 = performance.now();
      const v = c.change(bigUri, current);
      await c.waitDiagnostics(bigUri, (_, p) => p.version === v, 60_000);
      const ms = performance.now() - t0;
      // Only edits that started and ended while the run was going count.
      if (!during || during()) out.push(ms);
      else return out;
    }
    return out;
  };
  const idle = await edits(EDITS);
  const busy: number[] = [];
  let runs = 0;
  while (busy.length < EDITS && runs < 5) {
    runs++;
    const pending = c.request('vmsec/run', { uri });
    const deadline = Date.now() + 60_000;
    while (!running.some((r) => r.uri === uri) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    busy.push(...await edits(EDITS - busy.length, () => running.some((r) => r.uri === uri)));
    await c.request('workspace/executeCommand', { command: 'vmsec.stopRuns', arguments: [] });
    await pending.catch(() => undefined);
  }
  await c.close();

  const f = (x: number) => x.toFixed(1);
  console.log('scenario runs in the language server');
  console.log('| measure | server | baseline | ratio | target |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| flagship sample, request → results published (median of ${ROUNDS}) | ${f(median(lspMs))} ms | CLI \`vmsec run\` ${f(median(cliMs))} ms | ${(median(lspMs) / median(cliMs)).toFixed(2)} × | ≤ 1.2 × |`);
  console.log(`| didChange → diagnostics p95, 10k lines, while a scenario runs (${busy.length} edits) | ${f(percentile(busy, 95))} ms | no run ${f(percentile(idle, 95))} ms | ${(percentile(busy, 95) / percentile(idle, 95)).toFixed(2)} × | ≤ 1.2 × |`);
}

main().catch((e) => { console.error(e); process.exit(1); });

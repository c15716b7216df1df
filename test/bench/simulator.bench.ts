// `npm run bench` (simulator): raw SHA-256 page rate on this machine, the
// simulator's verified pages per second with per-page and batched integrity,
// a fork of a 4 GiB VM to 32 children, and fleets of growing size.
import { createHash, hash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../tmp';
import * as nodePath from 'node:path';
import { Workspace } from '../../server/src/model/workspace';
import { runFileSet } from '../../server/src/sim/run';
import type { ScenarioResult } from '../../server/src/sim/results';
import { hashStats } from '../../server/src/sim/page-hasher';

function runText(text: string): { s: ScenarioResult; wallMs: number; peakRss: number } {
  const path = nodePath.resolve('/bench/main.vmsec');
  const ws = new Workspace({ read: (p) => (p === path ? { ok: true as const, text } : { ok: false as const, error: 'not found' }) });
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  const t0 = performance.now();
  const out = runFileSet(ws.fileSet(path)!, { workspaceRoot: '/bench', checkpointDir: tempDir('bench-') });
  const wallMs = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (out.kind !== 'ran') throw new Error(JSON.stringify(out).slice(0, 500));
  const s = out.result.scenarios[0];
  if (s.errors.length) throw new Error(JSON.stringify(s.errors));
  return { s, wallMs, peakRss: peak };
}

/** The raw SHA-256 rate of a 4 KiB page on one core: the faster of node's two ways to hash. */
function shaRate(): number {
  const page = randomBytes(4096);
  const rate = (fn: () => void) => {
    for (let i = 0; i < 20000; i++) fn();
    const n = 200_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    return n / ((performance.now() - t0) / 1000);
  };
  return Math.max(rate(() => createHash('sha256').update(page).digest()), rate(() => hash('sha256', page, 'buffer')));
}

/**
 * Eager children of a 512 MiB VM: every page is signed, sent, received and
 * verified. With several children on one multicast network, each page
 * crosses once and every child verifies it (the answer for identical bytes
 * is reused, as the simulator does for any identical copy).
 */
function transfer(integrity: string, children = 1): { pagesPerS: number; wallMs: number; workers: number } {
  const hosts = Array.from({ length: children }, (_, i) => `c${i}`);
  const before = { ...hashStats };
  const { s, wallMs } = runText(`boot b { pcr 0 "fw" }
host a { tpm ecdsa-p256 boot b } ${hosts.map((h) => `host ${h} { tpm ecdsa-p256 boot b }`).join(' ')}
network n { hosts a, ${hosts.join(', ')} bandwidth 100 Gbps }
vm v on a { memory 512 MiB vtpm }
fork f of v { children ${children} on ${hosts.join(', ')} memory eager multicast attest hosts against b integrity ${integrity} }
scenario "t" { at 0 ms fork f expect f pages verified > 0 }`);
  const verified = s.transfers.reduce((n, t) => n + t.pages.verified, 0);
  if (verified !== 131072 * children) throw new Error(`expected every page verified, got ${verified}`);
  return { pagesPerS: verified / (wallMs / 1000), wallMs, workers: workerShare(before) };
}

/** The median run of a few, after one to warm up (JIT, worker threads). */
function median<T extends { wallMs: number }>(runs: number, fn: () => T): T {
  fn();
  const out = Array.from({ length: runs }, fn).sort((a, b) => a.wallMs - b.wallMs);
  return out[Math.floor(runs / 2)];
}

function bigFork(): { wallMs: number; readyMs: number; peakRss: number } {
  const hosts = Array.from({ length: 32 }, (_, i) => `h${i}`);
  const { s, wallMs, peakRss } = runText(`boot b { pcr 0 "fw" pcr 8 "kvm" }
host src { memory 256 GiB tpm ecdsa-p256 boot b }
${hosts.map((h) => `host ${h} { tpm ecdsa-p256 boot b }`).join('\n')}
network n { hosts src, ${hosts.join(', ')} bandwidth 10 Gbps }
vm v on src { vcpus 4 memory 4 GiB vtpm workingset 5% }
fork f of v { children 32 on ${hosts.join(', ')} multicast attest hosts against b integrity batched 1024 encrypt }
scenario "t" { at 0 ms fork f }`);
  return { wallMs, readyMs: s.transfers.reduce((m, t) => Math.max(m, t.ready_ms ?? 0), 0), peakRss };
}

/** The share of page chunks that worker threads hashed since `before`. */
function workerShare(before: typeof hashStats): number {
  const chunks = hashStats.chunks - before.chunks;
  return chunks ? (hashStats.byWorkers - before.byWorkers) / chunks : 0;
}

function fleet(hosts: number, vms: number, forks: number): { wallMs: number; peakRss: number; children: number; workers: number } {
  const lines: string[] = ['boot b { pcr 0 "fw" pcr 8 "kvm" }'];
  const perRack = 50;
  for (let h = 0; h < hosts; h++) lines.push(`host h${h} { cpus 32 memory 256 GiB tpm ecdsa-p256 boot b }`);
  for (let r = 0; r < hosts / perRack; r++) lines.push(`network rack${r} { hosts ${Array.from({ length: perRack }, (_, i) => `h${r * perRack + i}`).join(', ')} bandwidth 10 Gbps }`);
  for (let v = 0; v < vms; v++) lines.push(`vm v${v} on h${v % hosts} { memory 64 MiB workingset 5% process app { memory 16 MiB } }`);
  const step = Math.floor(vms / forks);
  for (let f = 0; f < forks; f++) {
    const parent = f * step;
    const home = parent % hosts;
    const rack = Math.floor(home / perRack);
    const targets = [1, 2].map((k) => `h${rack * perRack + ((home % perRack) + k) % perRack}`);
    lines.push(`fork f${f} of v${parent} { children 2 on ${targets.join(', ')} multicast attest hosts against b integrity batched 256 }`);
  }
  lines.push(`scenario "fleet" { ${Array.from({ length: forks }, (_, f) => `at ${f} ms fork f${f}`).join(' ')} }`);
  const before = { ...hashStats };
  const { s, wallMs, peakRss } = runText(lines.join('\n'));
  return { wallMs, peakRss, children: s.transfers.filter((t) => t.ready_ms !== null).length, workers: workerShare(before) };
}

const mb = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

// Each fleet runs in a fresh process so its peak memory is its own.
if (process.argv[2] === '--fleet') {
  const [h, v, f] = process.argv.slice(3).map(Number);
  const r = fleet(h, v, f);
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}
const cores = availableParallelism();
const sha = shaRate();
console.log('simulator benchmark');
console.log(`raw SHA-256 of a 4 KiB page: ${Math.round(sha).toLocaleString('en-US')} pages/s on one core (${cores} cores here)`);
const perPage = transfer('per-page');
const batched = median(3, () => transfer('batched 1024'));
const shared = median(3, () => transfer('batched 1024', 4));
console.log('| integrity | receivers | verified pages/s | wall ms | pages hashed by workers | ÷ (raw SHA-256 × cores) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, n, r] of [['per-page', 1, perPage], ['batched 1024', 1, batched], ['batched 1024', 4, shared]] as const) {
  console.log(`| ${name} | ${n} | ${Math.round(r.pagesPerS).toLocaleString('en-US')} | ${Math.round(r.wallMs)} | ${Math.round(r.workers * 100)}% | ${(r.pagesPerS / (sha * cores)).toFixed(2)} |`);
}
console.log(`batched ÷ per-page (one receiver): ${(batched.pagesPerS / perPage.pagesPerS).toFixed(1)}× (target ≥ 20×)`);
console.log(`batched ÷ (SHA × cores): one receiver ${(batched.pagesPerS / (sha * cores)).toFixed(2)}, four receivers ${(shared.pagesPerS / (sha * cores)).toFixed(2)} (target ≥ 0.8)`);
const big = bigFork();
console.log(`fork of a 4 GiB VM to 32 children (lazy, multicast, batched 1024, encrypted): ${Math.round(big.wallMs)} ms wall, children ready within ${big.readyMs.toFixed(1)} ms simulated, peak RSS ${mb(big.peakRss)}`);
console.log('| fleet | wall ms | peak RSS | children ready | pages hashed by workers |');
console.log('|---|---:|---:|---:|---:|');
for (const [h, v, f] of [[250, 2500, 25], [500, 5000, 50], [1000, 10000, 100]] as const) {
  const child = spawnSync(process.execPath, [process.argv[1], '--fleet', String(h), String(v), String(f)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(child.stdout) as ReturnType<typeof fleet>;
  console.log(`| ${h} hosts, ${v} VMs, ${f} forks | ${Math.round(r.wallMs)} | ${mb(r.peakRss)} | ${r.children} | ${Math.round(r.workers * 100)}% |`);
}
console.log('targets: fleet of 1,000 hosts / 10,000 VMs / 100 forks ≤ 10 s and ≤ 1 GiB, growing linearly');

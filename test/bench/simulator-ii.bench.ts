// `npm run bench` (Simulator II): (a) events/s through a monitor with 1,000
// rules in concurrent mode, against a bare loop over the same events and the
// plain in-order scan the language describes; (b) checkpoint write MB/s
// against a raw fs.writeSync of the same bytes (wall time: the chunks are made
// and hashed on the hash workers too); (c) strace replay of a
// generated 1M-line log. Every figure is a ratio to a baseline measured in
// this run, on this machine; nothing here asserts on time.
import { closeSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import * as nodePath from 'node:path';
import type * as A from '../../grammar/src/ast';
import { Workspace } from '../../server/src/model/workspace';
import { resolveFileSet } from '../../server/src/model/resolve';
import type { SemanticModel } from '../../server/src/model/semantic';
import { World } from '../../server/src/sim/world';
import { DEFAULT_COSTS } from '../../server/src/sim/costs';
import { Monitors, type SyscallEvent } from '../../server/src/sim/monitor';
import { RuleIndex, scanRules } from '../../server/src/sim/monitor-rules';
import { writeCheckpoint } from '../../server/src/sim/checkpoint';
import { memoryLayout, PAGE, PageSource } from '../../server/src/sim/pages';
import { fillPage } from '../../server/src/sim/page-bytes';
import { chunkStats } from '../../server/src/sim/checkpoint-chunks';
import { hashWorkersReady, stopHashWorkers } from '../../server/src/sim/page-hasher';
import { createHash } from 'node:crypto';
import { readStraceLines, StraceParser } from '../../server/src/sim/strace';
import { replayTrace } from '../../server/src/sim/trace-replay';
import type { ScenarioResult } from '../../server/src/sim/results';
import { tempDir } from '../tmp';
import { median } from './timing';

const NOSPAN = { start: 0, end: 0 };
const str = (value: string): A.Arg => ({ value, span: NOSPAN });
const num = (value: number): A.Arg => ({ text: String(value), number: value, unit: '', kind: 'number', value, span: NOSPAN });
const addr = (ip: number): A.Arg => ({ text: [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.'), ip, span: NOSPAN });

function model(text: string): SemanticModel {
  const path = nodePath.resolve('/bench/main.vmsec');
  const ws = new Workspace({ read: (p) => (p === path ? { ok: true as const, text } : { ok: false as const, error: 'not found' }) });
  return resolveFileSet(ws.fileSet(path)!).model;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** This process's CPU time in ms: the machine may be shared, and wall time would count others' work. */
function cpuMs(): number { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }

/** The median CPU time of `runs` calls after one warm-up call. */
function time(fn: () => void, runs = 5): number {
  fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = cpuMs(); fn(); xs.push(cpuMs() - t0); }
  return median(xs);
}

// ---- (a) a 1,000-rule concurrent monitor ------------------------------------

/** 1,000 rules over five calls with every condition kind, as a real policy might have. */
function monitorSource(): string {
  const rules: string[] = [];
  for (let i = 0; i < 400; i++) rules.push(`rule eq${i} on open, openat when fileEq(0, "/srv/app/data/file-${i}.db") then deny(13)`);
  for (let i = 0; i < 200; i++) rules.push(`rule pre${i} on openat when filePrefix(0, "/home/user${i}/") and not process(backup) then deny(1)`);
  for (let i = 0; i < 150; i++) rules.push(`rule net${i} on connect, sendto when ip(10.${i}.0.0/16) and port(${1000 + i}) then deny(111)`);
  for (let i = 0; i < 100; i++) rules.push(`rule exe${i} on execve when fileEq(0, "/usr/bin/tool${i}") or process(p${i}) then killProc`);
  for (let i = 0; i < 150; i++) rules.push(`rule rd${i} on read, write when process(w${i}) then allow`);
  return `host h { } vm v on h { process app { } }
monitor m for v { mode concurrent buffer 1048576 block default allow
  ${rules.join('\n  ')}
}`;
}

function monitorEvents(count: number): SyscallEvent[] {
  const out: SyscallEvent[] = [];
  let x = 12345;
  const rnd = (n: number) => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return (x >>> 8) % n; };
  for (let i = 0; i < count; i++) {
    const k = rnd(10);
    // Most calls match nothing (the default), as in a real workload; some hit rules early or late.
    const e = k < 3 ? { call: 'openat', args: [str(rnd(2) ? `/srv/app/data/file-${rnd(800)}.db` : `/home/user${rnd(400)}/notes`)], process: 'app' }
      : k < 5 ? { call: 'read', args: [num(3), str('...'), num(4096)], process: rnd(2) ? 'app' : `w${rnd(300)}` }
        : k < 7 ? { call: 'connect', args: [addr(((10 << 24) | (rnd(300) << 16) | 5) >>> 0), num(1000 + rnd(300))], process: 'app' }
          : k < 8 ? { call: 'execve', args: [str(`/usr/bin/tool${rnd(200)}`)], process: 'app' }
            : k < 9 ? { call: 'open', args: [str(`/srv/app/data/file-${rnd(800)}.db`)], process: 'app' }
              : { call: 'close', args: [num(3)], process: 'app' };
    out.push({ vm: undefined as never, line: 1, ...e });
  }
  return out;
}

function monitorBench(): void {
  const m = model(monitorSource());
  const rules = m.monitors.get('m')!.rules;
  const events = monitorEvents(1_000_000);
  const rounds = 5;
  // Bare loop: touch each event's call and first argument, as any consumer must.
  let sink = 0;
  const bare = () => { for (const e of events) sink += e.call.length + e.args.length; };
  const index = new RuleIndex(rules);
  let matched = 0;
  const indexed = () => { for (const e of events) if (index.match(e)) matched++; };
  const scanSome = events.slice(0, 50_000);
  const scan = () => { for (const e of scanSome) if (scanRules(rules, e)) matched++; };
  // The whole decision path: Monitors.decide (result records, delays, the analyzer's
  // buffer) and the engine applying each decision, 100k events at a time.
  const full = () => {
    const result = { monitor: [], errors: [], moves: [] } as unknown as ScenarioResult;
    const world = new World(m, 1, DEFAULT_COSTS, result, Infinity);
    const monitors = new Monitors(world, m.monitors.values());
    const vm = world.vms.get('v')!;
    const done = () => {};
    for (let at = 0; at < events.length; at += 100_000) {
      for (let i = at; i < at + 100_000; i++) { const e = events[i]; e.vm = vm; monitors.decide(e, done); }
      world.engine.run();
      result.monitor.length = 0;
    }
  };
  const bareMs = time(bare, rounds);
  const indexMs = time(indexed, rounds);
  const scanMs = time(scan, 3) * (events.length / scanSome.length);
  const fullMs = time(full, 3);
  const rate = (ms: number) => events.length / (ms / 1000);
  console.log('(a) 1,000 rules, concurrent mode, 1,000,000 events (open/openat/read/connect/execve/close mix)');
  console.log('| path | events/s | ÷ bare loop |');
  console.log('|---|---:|---:|');
  console.log(`| bare loop over the events | ${fmt(rate(bareMs))} | 1 |`);
  console.log(`| compiled + indexed rules (RuleIndex.match) | ${fmt(rate(indexMs))} | ${(bareMs / indexMs).toFixed(3)} |`);
  console.log(`| full decision path (Monitors.decide + engine) | ${fmt(rate(fullMs))} | ${(bareMs / fullMs).toFixed(3)} |`);
  console.log(`| plain in-order scan, interpreted (the reference meaning) | ${fmt(rate(scanMs))} | ${(bareMs / scanMs).toFixed(4)} |`);
  console.log(`indexed ÷ plain scan: ${(scanMs / indexMs).toFixed(0)}×; target ≥ 1,000,000 events/s on one core (full path: ${rate(fullMs) >= 1e6 ? 'met' : 'not met'})`);
  if (sink < 0 || matched < 0) console.log('');
}

// ---- (b) checkpoint writes ----------------------------------------------------

/** This thread's CPU time in ms (Linux, 10 ms ticks), or undefined elsewhere: what the writing thread itself spends. */
function threadCpuMs(): number | undefined {
  try { const f = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; } catch { return undefined; }
}

/** The median wall time of `runs` calls after one warm-up call (the checkpoint's work is spread over threads), and this thread's mean CPU time per call. */
function wall(fn: () => void, runs = 5): number & { thread?: number } {
  fn();
  const xs: number[] = [];
  const c0 = threadCpuMs();
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); fn(); xs.push(performance.now() - t0); }
  const c1 = threadCpuMs();
  return Object.assign(new Number(median(xs)) as unknown as number, c0 === undefined || c1 === undefined ? {} : { thread: (c1 - c0) / runs });
}

function checkpointSetup() {
  const m = model(`host h { } vm v on h { memory 512 MiB disk 256 MiB process app { memory 256 MiB file "/srv/data" } process db { memory 128 MiB confidential } }`);
  const vm = m.vms.get('v')!;
  const dir = tempDir('bench-ckpt-');
  const file = nodePath.join(dir, 'v.ckpt');
  const ckpt = () => writeCheckpoint(file, vm, 'c', 1, 0, new Set(['db']), true, { root: dir, maxBytes: 2 ** 31 });
  return { vm, dir, file, ckpt };
}

/** Child mode: the checkpoint on the main thread alone (no hash workers), wall ms on stdout. */
function checkpointAlone(): void {
  const { ckpt, file } = checkpointSetup();
  const ms = wall(ckpt);
  process.stdout.write(JSON.stringify({ ms: +ms, thread: ms.thread, sha: createHash('sha256').update(readFileSync(file)).digest('hex') }));
}

async function checkpointBench(): Promise<void> {
  const { vm, dir, file, ckpt } = checkpointSetup();
  const workers = await hashWorkersReady();
  const before = { ...chunkStats };
  ckpt();
  const share = (chunkStats.byWorkers - before.byWorkers) / Math.max(1, chunkStats.chunks - before.chunks);
  const bytes = readFileSync(file);
  const raw = (sync: boolean) => () => {
    const f = nodePath.join(dir, 'raw.bin');
    const fd = openSync(f, 'w');
    // The same bytes in the same 1 MiB writes the checkpoint makes.
    for (let off = 0; off < bytes.length; off += 1 << 20) writeSync(fd, bytes, off, Math.min(1 << 20, bytes.length - off));
    if (sync) fsyncSync(fd);
    closeSync(fd);
    unlinkSync(f);
  };
  // The parts of the checkpoint's work, for the bound: SHA-256 of every 1 MiB chunk, and making the pages.
  const shaMs = time(() => { for (let off = 0; off < bytes.length; off += 1 << 20) createHash('sha256').update(bytes.subarray(off, off + (1 << 20))).digest(); });
  const spec = new PageSource(1, 'v', 'mem', memoryLayout(vm), Math.floor(vm.memory / PAGE)).spec;
  const scratch = Buffer.allocUnsafe(1 << 20);
  const pages = Math.floor(bytes.length / PAGE);
  const fillMs = time(() => { for (let i = 0; i < pages; i++) fillPage(spec, i % 65536, 0, scratch, (i & 255) * PAGE); });
  const cpu0 = cpuMs();
  const ckMs = wall(ckpt);
  const rawThread = wall(raw(false)).thread;
  const ckCpuMs = (cpuMs() - cpu0) / 6;
  const rawMs = wall(raw(false));
  const rawSyncMs = wall(raw(true));
  // The same checkpoint on the main thread alone, in a child without workers: the file must be the same.
  const child = spawnSync(process.execPath, [process.argv[1], 'checkpoint-alone'], { env: { ...process.env, VMSEC_HASH_WORKERS: '0' }, encoding: 'utf8', maxBuffer: 1 << 20 });
  let alone: { ms: number; thread?: number; sha: string } | undefined;
  try { alone = JSON.parse(child.stdout); } catch { console.log(`(main thread alone: the child failed: ${child.stderr.slice(0, 300)})`); }
  const sha = createHash('sha256').update(bytes).digest('hex');
  const mbs = (ms: number) => bytes.length / 2 ** 20 / (ms / 1000);
  console.log(`(b) checkpoint of a 512 MiB VM with disk (${(bytes.length / 2 ** 20).toFixed(0)} MiB file, ${statSync(file).size === bytes.length ? 'size checked' : 'SIZE MISMATCH'}); wall time; ${workers} hash worker(s) ready, ${(share * 100).toFixed(0)}% of the chunks made on them; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log('| write | MiB/s | checkpoint ÷ this |');
  console.log('|---|---:|---:|');
  console.log(`| writeCheckpoint (pages made, SHA-256 per MiB, guarded atomic write, fsync) | ${fmt(mbs(ckMs))} | 1 |`);
  if (alone) console.log(`| writeCheckpoint on the main thread alone (VMSEC_HASH_WORKERS=0; ${alone.sha === sha ? 'same file' : 'A DIFFERENT FILE'}) | ${fmt(mbs(alone.ms))} | ${(alone.ms / ckMs).toFixed(2)} |`);
  console.log(`| raw fs.writeSync of the same bytes | ${fmt(mbs(rawMs))} | ${(rawMs / ckMs).toFixed(2)} |`);
  console.log(`| raw fs.writeSync + fsync | ${fmt(mbs(rawSyncMs))} | ${(rawSyncMs / ckMs).toFixed(2)} |`);
  console.log(`| SHA-256 of the same bytes in 1 MiB chunks (no write, one core, CPU time) | ${fmt(mbs(shaMs))} | ${(shaMs / ckMs).toFixed(2)} |`);
  console.log(`| making the same number of pages (fillPage, no write, one core, CPU time) | ${fmt(mbs(fillMs))} | ${(fillMs / ckMs).toFixed(2)} |`);
  const cores = availableParallelism();
  console.log(`checkpoint ÷ raw writeSync: ${(rawMs / ckMs).toFixed(2)} (target ≥ 0.5); ÷ raw writeSync + fsync (the checkpoint fsyncs too): ${(rawSyncMs / ckMs).toFixed(2)}${alone ? `; main thread alone ${(rawMs / alone.ms).toFixed(2)}` : ''}; CPU time of all threads ${fmt(ckCpuMs)} ms per checkpoint (wall ${fmt(ckMs)} ms)`);
  if (ckMs.thread !== undefined && rawThread !== undefined) {
    console.log(`CPU time of the writing thread per checkpoint: ${fmt(ckMs.thread)} ms with the workers${alone?.thread !== undefined ? `, ${fmt(alone.thread)} ms alone` : ''}; raw writeSync ${fmt(rawThread)} ms: raw ÷ checkpoint ${(rawThread / Math.max(1, ckMs.thread)).toFixed(2)}${alone?.thread ? ` (alone ${(rawThread / alone.thread).toFixed(2)})` : ''}`);
  }
  console.log(`bound on ${cores} core(s): one core ${(rawMs / (rawMs + shaMs + fillMs)).toFixed(2)}; all ${cores} ${Math.min(1, rawMs / Math.max(rawMs, (rawMs + shaMs + fillMs) / cores)).toFixed(2)} (write + SHA-256 + pages spread evenly, cores otherwise idle)`);
}

// ---- (c) strace replay ----------------------------------------------------------

function straceLog(lines: number): string {
  const out: string[] = [];
  let us = 0;
  const t = () => {
    us += 7;
    const s = Math.floor(us / 1e6);
    return `10:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${String(us % 1e6).padStart(6, '0')}`;
  };
  out.push(`4200  ${t()} execve("/usr/bin/app", ["app", "--serve"], 0x7ffd /* 20 vars */) = 0`);
  for (let i = 1; out.length < lines; i++) {
    const pid = 4200 + (i % 4);
    switch (i % 10) {
      case 0: case 1: out.push(`${pid}  ${t()} openat(AT_FDCWD, "/srv/app/data/file-${i % 900}.db", O_RDONLY|O_CLOEXEC) = 3`); break;
      case 2: case 3: out.push(`${pid}  ${t()} read(3, "\\177ELF\\2\\1\\1\\0\\0\\0\\0\\0\\0\\0\\0\\0\\3\\0>\\0\\1\\0\\0\\0"..., 832) = 832`); break;
      case 4: out.push(`${pid}  ${t()} connect(5, {sa_family=AF_INET, sin_port=htons(${1000 + (i % 300)}), sin_addr=inet_addr("10.${i % 300}.0.5")}, 16) = -1 EINPROGRESS (Operation now in progress)`); break;
      case 5: out.push(`${pid}  ${t()} write(1, "GET / HTTP/1.1\\r\\n", 16) = 16`); break;
      case 6: out.push(`${pid}  ${t()} close(3) = 0`); break;
      case 7: out.push(`${pid}  ${t()} mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2c1a2b3000`); break;
      case 8: out.push(`${pid}  ${t()} openat(AT_FDCWD, "/home/user${i % 400}/notes" <unfinished ...>`); break;
      default: out.push(`${4200 + ((i - 1) % 4)}  ${t()} <... openat resumed>, O_RDONLY) = -1 ENOENT (No such file or directory)`);
    }
  }
  return out.join('\n') + '\n';
}

function straceBench(): void {
  const dir = tempDir('bench-strace-');
  const log = nodePath.join(dir, 'app.strace');
  writeFileSync(log, straceLog(1_000_000));
  const size = statSync(log).size;
  const m = model(monitorSource());
  let n = 0;
  const readMs = time(() => { n = 0; for (const l of readStraceLines(log)) if (l) n++; }, 3);
  let events = 0;
  const parseMs = time(() => { const p = new StraceParser(() => {}); for (const l of readStraceLines(log)) p.push(l); p.finish(); events = p.counts.events; }, 3);
  let decided = 0;
  const replayMs = time(() => {
    const result = { monitor: [], errors: [], moves: [] } as unknown as ScenarioResult;
    const world = new World(m, 1, DEFAULT_COSTS, result, Infinity);
    const monitors = new Monitors(world, m.monitors.values());
    const report = replayTrace(world, monitors, 'v', readStraceLines(log), { path: log, line: 1 });
    world.engine.run();
    decided = report.decided;
  }, 3);
  const raw = readFileSync(log);
  const rawMs = time(() => { let lines = 0; for (let i = raw.indexOf(10); i !== -1; i = raw.indexOf(10, i + 1)) lines++; n = lines; }, 3);
  console.log(`(c) strace replay: a generated 1,000,000-line log (${(size / 2 ** 20).toFixed(0)} MiB; ${fmt(events)} supported events, ${fmt(decided)} decided by the 1,000-rule monitor)`);
  console.log('| stage | lines/s | events/s | ÷ counting newlines |');
  console.log('|---|---:|---:|---:|');
  console.log(`| counting newlines in the file in memory (baseline) | ${fmt(1e6 / (rawMs / 1000))} | | 1 |`);
  console.log(`| reading lines (readStraceLines) | ${fmt(1e6 / (readMs / 1000))} | | ${(rawMs / readMs).toFixed(3)} |`);
  console.log(`| reading + parsing (StraceParser) | ${fmt(1e6 / (parseMs / 1000))} | ${fmt(events / (parseMs / 1000))} | ${(rawMs / parseMs).toFixed(3)} |`);
  console.log(`| full replay (parse, schedule, decide, apply) | ${fmt(1e6 / (replayMs / 1000))} | ${fmt(decided / (replayMs / 1000))} | ${(rawMs / replayMs).toFixed(3)} |`);
  if (n < 0) console.log('');
}

const only = process.argv[2];
void (async () => {
  if (only === 'checkpoint-alone') { checkpointAlone(); return; }
  console.log(`Simulator II benchmark (node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores; one core used, but the checkpoint's hash workers)`);
  if (!only || only === 'monitor') monitorBench();
  if (!only || only === 'checkpoint') await checkpointBench();
  if (!only || only === 'strace') straceBench();
  await stopHashWorkers();
})();

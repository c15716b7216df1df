// Scenario runs on small inline topologies: what a user reads in the results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { run } from '../helpers';
import { KERNEL_BYTES, MARKER_PREFIX } from '../../server/src/sim/pages';
import type { PageCounts, TransferResult } from '../../server/src/sim/results';
import { CHECKPOINT_MAGIC, readCheckpoint } from '../../server/src/sim/checkpoint';
import { CHUNK, CHUNK_OVERHEAD } from '../../server/src/sim/migration';

const topo = (fork: string, attacker = '', vm = 'memory 64 MiB workingset 50%') => `
boot good { pcr 0 "fw" pcr 8 "xen" }
boot bad  { pcr 0 "fw" pcr 8 "xen" "evil.ko" }
host src { tpm ecdsa-p256 boot good }
host dst { tpm ecdsa-p256 boot good }
host evil { tpm rsa-2048 boot bad }
network net { hosts src, dst, evil }
vm app on src { ${vm} vtpm process db { memory 4 MiB confidential } process web { memory 8 MiB } }
fork f of app { ${fork} }
${attacker}
`;

const sum = (ts: TransferResult[], k: keyof PageCounts) => ts.reduce((n, t) => n + t.pages[k], 0);

test('with per-page integrity, tampered pages are rejected, re-fetched and never accepted', () => {
  const [s] = run(topo('children 2 on dst attest hosts against good integrity per-page', 'attacker e { tamper net 5% }') +
    'scenario "s" { seed 3 at 0 ms fork f expect f pages rejected > 0 expect no tampered page accepted expect f ready within 1 s }');
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  assert.ok(s.attacks.tampered > 0);
  assert.equal(s.transfers.every((t) => t.corrupted_accepted === 0), true);
  assert.ok(sum(s.transfers, 'verified') >= 2 * Math.round(16384 * 0.5) - 10, 'the working set arrived');
});

test('pushed pages (descriptor, eager memory) that are dropped are asked for again, and all lost is a located failure', () => {
  // 3% of messages lost on a fork that pushes everything: every child still gets every page.
  const [s] = run(topo('children 2 on dst memory eager integrity per-page', 'attacker e { drop net 3% }', 'memory 16 MiB') + 'scenario "s" { at 0 ms fork f expect f ready within 5 s }');
  assert.equal(s.passed, true, JSON.stringify([s.expectations, s.errors]));
  assert.ok(s.transfers.every((t) => t.dropped > 0 && t.state !== 'failed'), JSON.stringify(s.transfers));
  // Everything lost: the child fails after its retries, and the fork step says so (it used to wait silently).
  const [all] = run(topo('on dst integrity per-page', 'attacker e { drop net 100% }') + 'scenario "s" { at 0 ms fork f }');
  assert.equal(all.transfers[0].state, 'failed');
  assert.match(all.transfers[0].failed ?? '', /^page \d+ lost \d+ times$/);
  assert.match(all.errors[0]?.message ?? '', /^fork f: 0\/1 children ready; f\[1\] failed \(page \d+ lost \d+ times\)$/);
});

test('attestation over a slow WAN link with no attacker passes; when every message is lost it times out', () => {
  // A 45 ms link: the exchange takes about two round trips, longer than the 110 ms a fixed timeout allowed.
  const wan = (attacker: string) => `boot good { pcr 0 "fw" }
host a { tpm ecdsa-p256 boot good } host b { tpm ecdsa-p256 boot good }
link a <-> b { bandwidth 100 Mbps latency 45 ms }
vm web on a { memory 16 MiB vtpm }
fork f of web { on b attest hosts against good }
${attacker}
scenario "s" { at 0 ms fork f expect attestation of b passes }`;
  const [slow] = run(wan(''));
  assert.deepEqual(slow.attestations.map((a) => [a.verifier, a.target, a.passed, a.attempts]), [['a', 'b', true, 1], ['b', 'a', true, 1]]);
  const [lost] = run(wan('attacker e { drop a <-> b 100% }'));
  assert.deepEqual(lost.attestations.map((a) => [a.passed, a.attempts, a.failures[0]?.id]), [[false, 3, 'timeout'], [false, 3, 'timeout']]);
});

test('batched integrity catches tampering the same way, with far fewer signatures', () => {
  const [s] = run(topo('children 2 on dst attest hosts against good integrity batched 256', 'attacker e { tamper net 5% }') +
    'scenario "s" { seed 3 at 0 ms fork f expect no tampered page accepted expect f pages rejected > 0 }');
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  assert.ok(s.stats.signatures < 200, `${s.stats.signatures} signatures`);
});

test('with integrity none, tampered pages are accepted and counted as corrupted', () => {
  const [s] = run(topo('children 2 on dst attest hosts against good', 'attacker e { tamper net 5% }') +
    'scenario "s" { seed 3 at 0 ms fork f expect no tampered page accepted }');
  assert.equal(s.passed, false);
  assert.ok(s.transfers.reduce((n, t) => n + t.corrupted_accepted, 0) > 0);
  assert.match(String(s.expectations[0].actual), /tampered pages accepted/);
});

test('replayed pages are caught by verification bound to index and round, and corrupt without it', () => {
  const [on] = run(topo('on dst attest hosts against good integrity per-page', 'attacker e { replay net 5% }') + 'scenario "s" { at 0 ms fork f expect no tampered page accepted expect f pages rejected > 0 }');
  assert.equal(on.passed, true, JSON.stringify(on.expectations));
  assert.ok(on.attacks.replayed > 0);
  const [off] = run(topo('on dst attest hosts against good', 'attacker e { replay net 5% }') + 'scenario "s" { at 0 ms fork f expect no tampered page accepted }');
  assert.equal(off.passed, false);
});

test('dropped messages are asked for again until they arrive', () => {
  const [s] = run(topo('on dst attest hosts against good integrity per-page', 'attacker e { drop net 3% }') + 'scenario "s" { at 0 ms fork f expect f ready within 2 s }');
  assert.equal(s.passed, true, JSON.stringify([s.expectations, s.errors]));
  assert.ok(s.attacks.dropped > 0);
  assert.ok(s.transfers[0].dropped > 0);
  assert.equal(s.transfers[0].pages.verified, s.transfers[0].pages.sent - s.transfers[0].pages.rejected);
});

test('a tap sees confidential memory in clear, and nothing once the fork encrypts', () => {
  const clear = run(topo('on dst attest hosts against good integrity per-page', 'attacker e { tap net }', 'memory 64 MiB workingset 100%') + 'scenario "s" { at 0 ms fork f expect e sees confidential data }')[0];
  assert.equal(clear.passed, true, JSON.stringify(clear.expectations));
  assert.equal(clear.taps[0].confidential_seen, true);
  const enc = run(topo('on dst attest hosts against good integrity per-page encrypt', 'attacker e { tap net }', 'memory 64 MiB workingset 100%') + 'scenario "s" { at 0 ms fork f expect e never sees confidential data }')[0];
  assert.equal(enc.passed, true, JSON.stringify(enc.expectations));
  assert.ok(enc.taps[0].messages > 1000);
});

test('a host whose PCR 8 matches no accepted chain gets no children; naming one is a step error', () => {
  const [s] = run(topo('children 4 on dst, evil attest hosts against good attest vtpm integrity per-page') + `scenario "s" {
    at 0 ms fork f
    at 1 s syscall f[2] web open("/x")
    expect attestation of dst passes
    expect attestation of evil fails at pcr 8
    expect f[1] is running
    expect f[2] is running
  }`);
  const evil = s.attestations.find((a) => a.target === 'evil')!;
  assert.equal(evil.passed, false);
  assert.equal(evil.failures[0].id, 'invalid_pcr_8');
  assert.equal(evil.failures[0].pcr, 8);
  assert.match(evil.failures[0].expected!, /^[0-9a-f]{64}$/);
  assert.notEqual(evil.failures[0].expected, evil.failures[0].actual);
  assert.deepEqual(s.transfers.map((t) => [t.child, t.created]), [['f[1]', true], ['f[2]', false], ['f[3]', true], ['f[4]', false]]);
  assert.deepEqual(s.expectations.map((e) => e.passed), [true, true, true, false]);
  assert.equal(s.errors.length, 1);
  assert.match(s.errors[0].message, /f\[2\] was not created/);
  assert.ok(s.attestations.some((a) => a.kind === 'vtpm' && a.target === 'f[1]' && a.passed));
});

test('children are numbered from 1 with addresses subnet + vmid + 1, round-robin over hosts', () => {
  const [s] = run(topo('children 3 on dst, src', '', 'memory 64 MiB subnet 10.9.0.0/24') + 'scenario "s" { at 0 fork f }');
  assert.equal(s.steps[0].step, 'fork f', 'the step is described by what follows its time');
  assert.deepEqual(s.transfers.map((t) => [t.child, t.host, t.ip]), [['f[1]', 'dst', '10.9.0.2'], ['f[2]', 'src', '10.9.0.3'], ['f[3]', 'dst', '10.9.0.4']]);
});

test('lazy children are ready long before eager ones; multicast sends each page once per network', () => {
  const base = (opts: string) => run(topo(`children 3 on dst ${opts} attest hosts against good integrity batched 64`, '', 'memory 256 MiB workingset 10%') + 'scenario "s" { at 0 ms fork f }')[0];
  const lazy = base('memory lazy');
  const eager = base('memory eager');
  const mc = base('memory lazy multicast');
  const ready = (s: typeof lazy) => Math.max(...s.transfers.map((t) => t.ready_ms ?? Infinity));
  assert.ok(ready(lazy) < 1000, `lazy ${ready(lazy)}`);
  assert.ok(ready(eager) > 3 * ready(lazy), `eager ${ready(eager)} vs lazy ${ready(lazy)}`);
  assert.equal(eager.transfers[0].pages.verified, 65536, 'eager copies every page');
  assert.ok(mc.stats.bytes_sent < lazy.stats.bytes_sent / 2, `multicast ${mc.stats.bytes_sent} vs unicast ${lazy.stats.bytes_sent}`);
  assert.equal(sum(mc.transfers, 'fetched') < sum(lazy.transfers, 'fetched'), true);
});

test('the same file and seed give the same results, wall-clock aside', () => {
  const text = topo('children 2 on dst multicast attest hosts against good integrity per-page', 'attacker e { tamper net 2% replay net 1% drop net 1% }') + 'scenario "s" { seed 11 at 0 ms fork f expect no tampered page accepted }';
  const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'wall_ms' ? 0 : v)));
  assert.deepEqual(strip(run(text)), strip(run(text)));
  const other = strip(run(text.replace('seed 11', 'seed 12')));
  assert.notDeepEqual(other[0].attacks, strip(run(text))[0].attacks);
});

test('a fork touching more than 64 GiB is refused with a clear error, not an OOM', () => {
  const [s] = run(`host a { memory 1 TiB } host b { memory 1 TiB } link a <-> b { } vm big on a { memory 512 GiB workingset 20% } fork f of big { on b }
scenario "s" { at 0 ms fork f }`);
  assert.equal(s.passed, false);
  assert.match(s.errors[0].message, /more than 64 GiB .* too large to simulate/);
  assert.equal(s.errors[0].line, 2);
});

test('a checkpoint writes a real file in which excluded processes are sanitised', () => {
  const [s] = run(`host h { } vm v on h { memory 64 MiB disk 128 MiB
    process secret { memory 8 MiB confidential file "/s" } process peer { memory 8 MiB } process other { memory 4 MiB file "/o" }
    ipc secret -> peer shm }
  checkpoint c of v { exclude secret ipc follow to "c.ckpt" }
  checkpoint leaky of v { to "leaky.ckpt" }
  scenario "s" { at 0 ms checkpoint c at 1 ms checkpoint leaky expect c excludes secret, peer }`);
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  const [c, leaky] = s.checkpoints;
  assert.deepEqual(c.excluded, ['peer', 'secret']);
  assert.equal(c.sanitized_pages, 4096);
  const file = readFileSync(c.file);
  assert.equal(file.subarray(0, CHECKPOINT_MAGIC.length).equals(CHECKPOINT_MAGIC), true, 'a vmsec checkpoint');
  assert.equal(file.length, c.bytes);
  const manifest = readCheckpoint(c.file);
  assert.deepEqual([manifest.checkpoint, manifest.excluded, manifest.sanitized.pages], ['c', ['peer', 'secret'], 4096]);
  assert.equal(file.includes(Buffer.from(MARKER_PREFIX)), false, 'no confidential bytes in clear');
  assert.equal(readFileSync(leaky.file).includes(Buffer.from(MARKER_PREFIX)), true, 'without exclude, the marker is there');
  assert.ok(existsSync(leaky.file));
});

test('restore brings a VM back over the network once its file has arrived; sanitised processes come back lost', () => {
  const [s] = run(`host h { } host g { } link h <-> g { bandwidth 100 Mbps } vm v on h { memory 32 MiB process a { memory 4 MiB } process b { memory 4 MiB confidential } }
  checkpoint c of v { exclude b }
  attacker t { tap h <-> g }
  scenario "s" { at 0 ms checkpoint c at 10 ms restore c as v2 on g at 20 ms syscall v2 a open("/x")
    at 2 s syscall v2 a open("/x") at 2 s syscall v2 b open("/x")
    expect v2 is running expect t never sees confidential data }`);
  assert.deepEqual(s.expectations.map((e) => e.passed), [true, true]);
  const [ck] = s.checkpoints;
  const [mv] = s.moves;
  // The whole file crossed the tapped link, in 1 MiB chunks, each with its header and digest.
  assert.deepEqual([mv.kind, mv.vm, mv.from, mv.to, mv.bytes, mv.chunks, mv.sent, mv.dropped, mv.rejected], ['restore', 'v2', 'h', 'g', ck.bytes, Math.ceil(ck.bytes / CHUNK), Math.ceil(ck.bytes / CHUNK), 0, 0]);
  assert.deepEqual([s.taps[0].messages, s.taps[0].bytes], [mv.chunks, ck.bytes + mv.chunks * CHUNK_OVERHEAD]);
  // About 8 MiB at 100 Mbps: ready some 700 ms after the restore; a call before then is refused and says when.
  const restore = s.steps.find((x) => x.step.startsWith('restore'))!;
  assert.equal(restore.ok, true, restore.outcome);
  const readyMs = 10 + mv.ready_ms!;
  assert.ok(readyMs > 600 && readyMs < 2000, `ready at ${readyMs} ms`);
  const early = s.steps.find((x) => x.at_ms === 20)!;
  assert.equal(early.ok, false);
  assert.match(early.outcome, /^v2 is not ready: it is being restored over h<->g and will be ready at about \d+\.\d ms$/);
  assert.equal(Number(/about ([\d.]+) ms/.exec(early.outcome)![1]), Math.round(readyMs * 10) / 10, 'the ready time it names is the real one');
  const late = s.steps.filter((x) => x.at_ms === 2000);
  assert.deepEqual(late.map((x) => x.ok), [true, false]);
  assert.match(late[1].outcome, /process b of v2 is gone/);
});

test('monitors: first matching rule decides, in-VM verdicts are immediate, escalation acts on the VM', () => {
  const [s] = run(`host h { } host h2 { } link h <-> h2 { } vm v on h { process p { } process q { } }
  monitor m for v { mode concurrent default allow
    rule a on open when fileEq(0, "/etc/shadow") then deny(13)
    rule b on connect when ip(10.0.0.0/8) and not port(443) then killProc
    escalate 2 violations within 1 s then pause }
  scenario "s" { at 0 ms syscall v p open("/etc/shadow") at 1 ms syscall v q open("/tmp") at 2 ms syscall v q connect(10.1.2.3, 80)
    at 3 ms syscall v p read() expect m denies == 1 expect m kills == 1 expect m allows == 1 expect v is paused }`);
  assert.deepEqual(s.expectations.map((e) => e.passed), [true, true, true, true], JSON.stringify(s.expectations));
  assert.deepEqual(s.monitor.map((x) => [x.rule, x.action, x.delay_us]), [['a', 'deny(13)', 2], ['default', 'allow', 2], ['b', 'killProc', 50], ['escalate', 'pause', 0]]);
  assert.match(s.errors[0].message, /is paused/);
});

test('SCOW: writes need a valid certificate; rotation renews it; a stolen one expires', () => {
  const [s] = run(`host h { } vm a on h { virtualization os-level } vm b on h { virtualization os-level }
  authority ca { key ecdsa-p256 } certificate ca-a for a by ca valid 1 min
  share "/lib" between a, b require certificate
  attacker x { steal ca-a }
  scenario "s" { at 1 s write a "/lib" at 2 s write b "/lib" at 30 s present ca-a for "/lib" at 2 min present ca-a for "/lib"
    at 2 min write a "/lib" at 3 min rotate ca-a at 3 min write a "/lib"
    expect write a "/lib" allowed expect write b "/lib" denied }`);
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  const outcomes = s.steps.map((x) => x.outcome);
  assert.match(outcomes[2], /presents ca-a .* accepted/);
  assert.match(outcomes[3], /rejected \(expired/);
  assert.match(outcomes[4], /denied \(expired/);
  assert.match(outcomes[6], /allowed/);
});

test('isolate keeps a child inside the parent subnet', () => {
  const [s] = run(topo('on dst isolate', '', 'memory 32 MiB subnet 10.4.0.0/16') + `scenario "s" {
    at 0 ms fork f at 1 s syscall f[1] web connect(10.4.9.9, 80) at 2 s syscall f[1] web connect(203.0.113.9, 443) }`);
  assert.match(s.steps[1].outcome, /no monitor, allowed/);
  assert.match(s.steps[2].outcome, /blocked by isolate .* ENETUNREACH/);
});

test('a write on the source disk is propagated, signed, to the children that hold the block', () => {
  const [s] = run(`boot b { pcr 0 "fw" } host a { tpm ecdsa-p256 boot b } host c { tpm ecdsa-p256 boot b } link a <-> c { }
vm v on a { memory 16 MiB disk 128 MiB vtpm workingset 10% process p { memory 4 MiB file "/srv/data" } }
fork f of v { children 2 on c disk eager attest hosts against b integrity per-page }
scenario "s" { at 0 ms fork f at 5 s write v "/srv/data/log" at 6 s write v "/nowhere" }`);
  assert.match(s.steps[1].outcome, /block \d+ sent again to 2 f children holding it/);
  assert.deepEqual(s.transfers.map((t) => t.writes_propagated), [1, 1]);
  assert.equal(s.steps[2].ok, false);
});

test('the cost table can be overridden: a slower TPM quote delays readiness', () => {
  const text = topo('on dst attest hosts against good') + 'scenario "s" { at 0 ms fork f }';
  const normal = run(text)[0].transfers[0].ready_ms!;
  const ws = run(text, {}, { tpmQuote: 500_000 })[0].transfers[0].ready_ms!;
  assert.ok(ws > normal + 400, `${ws} vs ${normal}`);
});

test('a live migration crosses the network in the clear: a tap sees the confidential pages; the wire size is the same untapped', () => {
  const scenario = 'scenario "s" { at 0 ms migrate app to dst expect app is migrated }';
  const [tapped] = run(topo('on dst', 'attacker e { tap net }') + scenario);
  assert.equal(tapped.passed, true, JSON.stringify(tapped));
  assert.equal(tapped.taps[0].confidential_seen, true);
  // The pages holding data (processes 12 MiB, then the kernel) cross; free pages are zero and travel as the page map.
  const data = 12 * 2 ** 20 + KERNEL_BYTES;
  const [mv] = tapped.moves;
  assert.deepEqual([mv.bytes, mv.chunks, mv.sent], [data, data / CHUNK, data / CHUNK]);
  assert.equal(tapped.taps[0].bytes, data + (data / CHUNK) * CHUNK_OVERHEAD, 'every data page crossed, each chunk with its header and digest');
  const [quiet] = run(topo('on dst') + scenario);
  assert.equal(quiet.passed, true);
  assert.equal(quiet.stats.bytes_sent, tapped.stats.bytes_sent);
});

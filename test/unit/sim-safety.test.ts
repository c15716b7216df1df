// The simulator is safe on whatever `check` accepts (and on what only the
// model holds): images travel through the network's attackers and fail as
// step errors, a VM is used only once it has arrived, and runaway steps end
// as located step errors while the run goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { memoryWorkspace, ROOT, run } from '../helpers';
import { tempDir } from '../tmp';
import { runFileSet, type RunFileOptions } from '../../server/src/sim/run';
import { resolveFileSet } from '../../server/src/model/resolve';
import { runScenario } from '../../server/src/sim/scenario';
import { Engine, EventBudgetExceeded } from '../../server/src/sim/engine';
import { Network, type Message } from '../../server/src/sim/network';
import { MAX_TIMEOUTS } from '../../server/src/sim/retry';
import type * as A from '../../grammar/src/ast';
import type { ScenarioResult } from '../../server/src/sim/results';

/** Runs a checked file with run options of the test's choosing. */
function runWith(main: string, options: RunFileOptions, path = 'main.vmsec'): ScenarioResult[] {
  const ws = memoryWorkspace({ [path]: main });
  const set = ws.fileSet(nodePath.resolve(ROOT, path))!;
  const out = runFileSet(set, { workspaceRoot: ROOT, ...options });
  if (out.kind !== 'ran') throw new Error(`not run: ${JSON.stringify(out)}`);
  return out.result.scenarios;
}

/** Runs without the validator: the simulator's own guards on what only the model holds. */
function runUnchecked(main: string): ScenarioResult {
  const ws = memoryWorkspace({ 'main.vmsec': main });
  const set = ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!;
  const resolved = resolveFileSet(set);
  const scenario = set.root.doc.decls.find((d): d is A.ScenarioDecl => d.kind === 'scenario')!;
  return runScenario(scenario, set, resolved, {
    checkpointDir: tempDir('ck-'),
    lineOf: (span) => set.root.lines.position(span.start).line + 1,
    textOf: (span) => set.root.text.slice(span.start, span.end).replace(/\s+/g, ' ').trim(),
  });
}

const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'wall_ms' ? 0 : v)));

const step = (s: ScenarioResult, prefix: string) => {
  const found = s.steps.filter((x) => x.step.startsWith(prefix));
  assert.equal(found.length, 1, `one step ${prefix}: ${JSON.stringify(s.steps)}`);
  return found[0];
};

const restoreOver = (attack: string, extra = '') => `host h { } host g { } link h <-> g { bandwidth 1 Gbps }
vm v on h { memory 16 MiB process a { memory 4 MiB } }
checkpoint c of v { }
attacker x { ${attack} }
scenario "s" { seed 5 at 0 ms checkpoint c at 10 ms restore c as v2 on g ${extra} expect v2 is running }`;

test('a restore over a link that drops every message fails after bounded resends, and the VM does not exist', () => {
  const [s] = run(restoreOver('drop h <-> g 100%', 'at 10 s syscall v2 a open("/x")'));
  const r = step(s, 'restore');
  assert.equal(r.ok, false);
  assert.match(r.outcome, new RegExp(`^restore c as v2 on g failed: chunk 1 of \\d+ lost ${MAX_TIMEOUTS + 1} times on h<->g$`));
  assert.deepEqual(s.errors.find((e) => e.message === r.outcome)?.line, 5, 'located on the step');
  assert.equal(s.moves[0].ready_ms, null);
  assert.equal(s.moves[0].failed, `chunk 1 of ${s.moves[0].chunks} lost ${MAX_TIMEOUTS + 1} times on h<->g`);
  const call = step(s, 'syscall');
  assert.equal(call.ok, false);
  assert.match(call.outcome, new RegExp(`^v2 was not restored \\(chunk 1 of \\d+ lost ${MAX_TIMEOUTS + 1} times on h<->g\\)$`));
  assert.equal(s.expectations[0].passed, false);
});

test('a restore over a tampering link rejects every altered chunk by its SHA-256, re-sends it, and arrives intact', () => {
  const [s] = run(restoreOver('tamper h <-> g 30%'));
  const r = step(s, 'restore');
  assert.equal(r.ok, true, r.outcome);
  const [mv] = s.moves;
  assert.ok(mv.rejected > 0, 'some chunks were tampered with');
  assert.equal(mv.rejected, s.attacks.tampered, 'every tampered chunk was caught');
  assert.equal(mv.sent, mv.chunks + mv.rejected, 'each rejected chunk was sent once more');
  assert.match(r.outcome, new RegExp(`\\(re-sent ${mv.rejected} rejected by SHA-256\\)`));
  assert.equal(s.expectations[0].passed, true);
});

test('a restore over a link that tampers with everything fails after bounded resends', () => {
  const [s] = run(restoreOver('tamper h <-> g 100%'));
  const r = step(s, 'restore');
  assert.equal(r.ok, false);
  assert.match(r.outcome, /failed: chunk 1 of \d+ rejected 4 times on h<->g \(its SHA-256 did not match: tampered or replayed on the way\)$/);
});

test('a replayed chunk is rejected: the digest binds each chunk to its place in the image', () => {
  const [s] = run(restoreOver('replay h <-> g 30%'));
  const r = step(s, 'restore');
  assert.equal(r.ok, true, r.outcome);
  assert.ok(s.attacks.replayed > 0);
  assert.equal(s.moves[0].rejected, s.attacks.replayed);
});

test('migrate to a host no link reaches is refused, and the VM stays and runs where it was', () => {
  const [s] = run(`host h { } host g { } vm v on h { process p { } }
scenario "s" { at 0 ms migrate v to g at 1 ms syscall v p open("/x") expect v is running }`);
  const m = step(s, 'migrate');
  assert.equal(m.ok, false);
  assert.equal(m.outcome, 'migrate v to g: no link or network joins h and g; v stays on h');
  assert.equal(step(s, 'syscall').ok, true);
  assert.equal(s.expectations[0].passed, true);
  assert.deepEqual(s.moves, []);
});

test('migrate over a link that drops everything fails; the VM stays on its host and runs again', () => {
  const [s] = run(`host h { } host g { } link h <-> g { } vm v on h { memory 8 MiB process p { memory 1 MiB } }
attacker x { drop h <-> g 100% }
scenario "s" { at 0 ms migrate v to g at 10 s syscall v p open("/x") expect v is running }`);
  const m = step(s, 'migrate');
  assert.equal(m.ok, false);
  assert.match(m.outcome, new RegExp(`^migrate v to g failed: chunk 1 of \\d+ lost ${MAX_TIMEOUTS + 1} times on h<->g; v stays on h$`));
  assert.equal(step(s, 'syscall').ok, true);
  assert.equal(s.expectations[0].passed, true);
});

test('a VM being migrated cannot be used until it has arrived; the error names the ready time', () => {
  const [s] = run(`host h { } host g { } link h <-> g { bandwidth 10 Mbps } vm v on h { memory 64 MiB process p { memory 8 MiB } }
scenario "s" { at 0 ms migrate v to g at 100 ms syscall v p open("/x") at 60 s syscall v p open("/x") expect v is migrated }`);
  const [m] = s.moves;
  const readyMs = Math.round(m.ready_ms! * 10) / 10;
  assert.ok(readyMs > 1000, `about 12 MiB at 10 Mbps takes seconds, not ${readyMs} ms`);
  const calls = s.steps.filter((x) => x.step.startsWith('syscall'));
  assert.equal(calls[0].ok, false);
  assert.equal(calls[0].outcome, `v is not ready: it is being migrated over h<->g and will be ready at about ${readyMs.toFixed(1)} ms`);
  assert.equal(calls[1].ok, true);
  assert.match(step(s, 'migrate').outcome, new RegExp(`^v migrated from h to g over h<->g, ready at ${readyMs.toFixed(1)} ms`));
  assert.equal(s.expectations[0].passed, true);
});

test('the ready time a migration announces is its real one also when each message carries several 1 MiB chunks', () => {
  // 100 GiB over a link nothing reads goes in at most 65,536 messages of 2 MiB; each 1 MiB still has its header.
  const [s] = run(`host h { memory 256 GiB } host g { memory 256 GiB } link h <-> g { bandwidth 10 Gbps }
vm v on h { memory 128 GiB process p { memory 100 GiB } }
scenario "s" { at 0 ms migrate v to g at 1 ms syscall v p open("/x") }`);
  const readyMs = (Math.round(s.moves[0].ready_ms! * 10) / 10).toFixed(1);
  assert.equal(step(s, 'syscall').outcome, `v is not ready: it is being migrated over h<->g and will be ready at about ${readyMs} ms`);
});

test('a terminated VM cannot be migrated, nor restored over', () => {
  const [s] = run(`host h { } host g { } link h <-> g { } vm v on h { memory 8 MiB process p { } }
checkpoint c of v { }
monitor m for v { rule r on open then terminate }
scenario "s" { at 0 ms checkpoint c at 1 ms syscall v p open("/x") at 1 s migrate v to g
  at 2 s restore c as v2 on g at 5 s syscall v2 p open("/x") at 6 s restore c as v2 on g }`);
  assert.equal(step(s, 'migrate').outcome, 'v is terminated at 1.05 ms by rule r of monitor m; it cannot be migrated');
  const restores = s.steps.filter((x) => x.step.startsWith('restore'));
  assert.equal(restores[0].ok, true, 'restored, with the monitor of v');
  assert.deepEqual(s.monitor.map((x) => [x.vm, x.action]), [['v', 'terminate'], ['v2', 'terminate']]);
  assert.deepEqual([restores[1].ok, restores[1].outcome], [false, 'v2 is terminated; a restore cannot replace it']);
});

test('a checkpoint file written over by another checkpoint is not restored as if it were the first', () => {
  const [s] = run(`host h { } host g { } link h <-> g { } vm v on h { memory 8 MiB } vm w on h { memory 8 MiB }
checkpoint c of v { to "same.ckpt" } checkpoint d of w { to "same.ckpt" }
scenario "s" { at 0 ms checkpoint c at 1 ms checkpoint d at 2 ms restore c as v2 on g }`);
  const r = step(s, 'restore');
  assert.equal(r.ok, false);
  assert.match(r.outcome, /^restore c: .*same\.ckpt now holds checkpoint d of w, written over it$/);
});

test('with a checkpoint folder, a checkpoint path that leaves it is a located step error and nothing is written outside', () => {
  const outer = tempDir('outer-');
  const dir = nodePath.join(outer, 'a', 'b');
  // Inside the workspace beside its file (check accepts it), outside the checkpoint folder.
  const [s] = runWith(`host h { } vm v on h { memory 8 MiB }
checkpoint c of v { to "../../escape.ckpt" }
checkpoint ok of v { to "inside/ok.ckpt" }
scenario "s" { at 0 ms checkpoint c at 1 ms checkpoint ok }`, { checkpointDir: dir }, 'x/y/main.vmsec');
  const c = step(s, 'checkpoint c');
  assert.equal(c.ok, false);
  assert.equal(c.line, 4);
  assert.match(c.outcome, /^checkpoint c: .*escape\.ckpt is outside .*; vmsec writes only inside it$/);
  assert.equal(existsSync(nodePath.join(outer, 'escape.ckpt')), false);
  assert.deepEqual(readdirSync(outer), ['a']);
  assert.equal(step(s, 'checkpoint ok').ok, true, step(s, 'checkpoint ok').outcome);
  assert.equal(existsSync(nodePath.join(dir, 'inside', 'ok.ckpt')), true);
});

test('the checkpoint size limit of the run is checked before writing, as a step error', () => {
  const dir = tempDir('ck-');
  const [s] = runWith(`host h { } vm v on h { memory 64 MiB process p { memory 32 MiB } }
checkpoint c of v { }
scenario "s" { at 0 ms checkpoint c }`, { checkpointDir: dir, maxCheckpointBytes: 1024 * 1024 });
  const c = step(s, 'checkpoint');
  assert.equal(c.ok, false);
  assert.match(c.outcome, /^checkpoint c would write .* the limit is 1 MiB/);
  assert.deepEqual(readdirSync(dir), []);
});

test('a step over its event budget is stopped with a located error, and the next steps still run', () => {
  const [s] = runWith(`boot b { pcr 0 "fw" } host h { tpm ecdsa-p256 boot b } host g { tpm ecdsa-p256 boot b } link h <-> g { }
vm v on h { memory 64 MiB workingset 50% process p { memory 8 MiB } }
fork f of v { children 2 on g memory eager integrity per-page }
scenario "s" { at 0 ms fork f at 10 s syscall v p open("/x") }`, { checkpointDir: tempDir('ck-'), maxEventsPerStep: 300 });
  const f = step(s, 'fork');
  assert.equal(f.ok, false);
  assert.equal(f.line, 4);
  assert.equal(f.outcome, 'step stopped: it caused more than 300 simulated events (the simulator\'s limit per step); lower children, memory or the working set');
  assert.equal(step(s, 'syscall').ok, true);
});

test('images sent over links an attacker reads are bounded per run: the move past the limit is refused, the VM stays', () => {
  // Each migration of v sends its 8 MiB (process and kernel pages) over a tapped link; the limit lets two through.
  const [s] = runWith(`host h { } host g { } link h <-> g { bandwidth 100 Gbps }
vm v on h { memory 8 MiB process p { memory 4 MiB } }
attacker eve { tap h<->g }
scenario "s" { at 0 ms migrate v to g at 1 s migrate v to h at 2 s migrate v to g at 3 s syscall v p open("/x") }`, { checkpointDir: tempDir('ck-'), maxObservedImageBytes: 16 * 1024 * 1024 });
  const moves = s.steps.filter((x) => x.step.startsWith('migrate'));
  assert.deepEqual(moves.map((x) => x.ok), [true, true, false]);
  assert.match(moves[2].outcome, /^migrate v to g: .* MiB would cross h<->g, which an attacker reads; .* MiB of images have crossed read links in this run, and the simulator's limit is 16 MiB of such image bytes per run; v stays on h$/);
  assert.equal(s.moves.length, 2);
  assert.equal(step(s, 'syscall').ok, true);
});

test('a replayed trace over the event budget is stopped with a hint about the trace, not about forks', () => {
  const log = nodePath.join(tempDir('trace-'), 'v.strace');
  writeFileSync(log, Array.from({ length: 400 }, (_, i) => `1 10:00:00.${String(i * 10).padStart(6, '0')} open("/etc/f", O_RDONLY) = 3`).join('\n') + '\n');
  const [s] = runWith(`host h { } vm v on h { process p { } }
monitor m for v { rule r on open when filePrefix(0, "/etc/") then deny(13) }
scenario "s" { }`, { checkpointDir: tempDir('ck-'), maxEventsPerStep: 300, traces: [{ vm: 'v', path: log }] });
  const t = step(s, 'trace v=');
  assert.equal(t.ok, false);
  assert.equal(t.outcome, 'step stopped: it caused more than 300 simulated events (the simulator\'s limit per step); replay a shorter trace (every call counts, and so does what its decisions set off, such as migrations)');
});

test('a fork whose page maps would not fit in memory is refused before anything is allocated', () => {
  // Only the model holds this (check reports it): the simulator guards on its own.
  const s = runUnchecked(`host a { } host b { } link a <-> b { } vm big on a { memory 16 GiB workingset 0% }
fork f of big { children 100000 on b }
scenario "s" { at 0 ms fork f }`);
  const f = step(s, 'fork');
  assert.equal(f.ok, false);
  assert.equal(f.line, 3);
  assert.equal(f.outcome, 'fork f: 100000 children of 16 GiB need 391.0 GiB of page maps; the simulator\'s limit is 1 GiB — lower children or memory');
});

test('many vcpus and the largest step time run to the end', () => {
  const [s] = run(`boot b { pcr 0 "fw" } host h { tpm ecdsa-p256 boot b } host g { tpm ecdsa-p256 boot b } link h <-> g { }
vm v on h { memory 16 MiB vcpus 4096 workingset 10% vtpm process p { memory 4 MiB } }
fork f of v { on g attest hosts against b attest vtpm }
authority ca { key ecdsa-p256 } certificate cv for v by ca valid 1 h
scenario "s" { at 8760 h fork f at 8760 h rotate cv expect f ready within 1 s }`);
  assert.equal(step(s, 'fork').ok, true, step(s, 'fork').outcome);
  assert.equal(step(s, 'rotate').ok, true);
  assert.equal(s.expectations[0].passed, true, JSON.stringify(s.expectations));
  assert.ok(s.attestations.every((a) => a.passed));
});

test('a step time beyond the documented range is a step error, not a float or clock overflow (model only)', () => {
  const s = runUnchecked(`host h { } vm v on h { process p { } }
scenario "s" { at 100000000000000000000000 h syscall v p open("/x") at 1 s syscall v p open("/x") }`);
  const [late, early] = [s.steps.find((x) => x.line === 2 && !x.ok)!, s.steps.find((x) => x.ok)!];
  assert.equal(late.outcome, 'a step at 1.00e+23 h is beyond the simulator\'s range (between 0 s and 8760 h (1 year)); not run');
  assert.equal(early.step, 'syscall v p open("/x")');
  assert.equal(s.stats.sim_ms, 1000);
});

test('an event that throws becomes its own context\'s error; other contexts run on', () => {
  const e = new Engine(100);
  const seen: string[] = [];
  const errors: [unknown, string][] = [];
  e.within('bad', () => e.at(5, () => { e.after(1, () => seen.push('never')); throw new Error('boom'); }));
  e.within('good', () => e.at(10, () => seen.push('good')));
  e.within('loop', () => { const again = () => e.after(1, again); e.at(0, again); });
  e.run(Infinity, (ctx, err) => errors.push([ctx.label, err instanceof EventBudgetExceeded ? `budget ${err.limit}` : (err as Error).message]));
  assert.deepEqual(seen, ['good']);
  assert.deepEqual(errors, [['bad', 'boom'], ['loop', 'budget 100']]);
});

test('the same seed gives the same results for transfers under attack, wall-clock aside', () => {
  const text = restoreOver('tamper h <-> g 20% drop h <-> g 10% replay h <-> g 5%', 'at 1 ms migrate v to g at 5 ms syscall v2 a open("/x")');
  // One checkpoint folder for every run, so the file names in the outcomes agree.
  const dir = tempDir('ck-');
  const once = (t: string) => strip(runWith(t, { checkpointDir: dir }));
  const a = once(text);
  assert.deepEqual(a, once(text));
  assert.equal(a[0].moves.length, 2);
  assert.ok(a[0].moves.every((m: { dropped: number; rejected: number }) => m.dropped + m.rejected > 0), 'the attacks acted on both transfers');
  assert.notDeepEqual(once(text.replace('seed 5', 'seed 6'))[0].moves, a[0].moves);
});

test('two taps of one attacker that reach the same link read it once (one record, counts not doubled)', () => {
  const topo = `host a { } host b { } network n { hosts a, b } vm v on a { memory 32 MiB process p { memory 4 MiB } }
checkpoint c of v { }`;
  const scenario = `scenario "s" { at 0 ms checkpoint c at 1 ms restore c as v2 on b }`;
  const [one] = run(`${topo}\nattacker e { tap n }\n${scenario}`);
  const [two] = run(`${topo}\nattacker e { tap n tap a <-> b }\n${scenario}`);
  assert.equal(one.taps.length, 1);
  assert.ok(one.taps[0].messages > 0);
  assert.deepEqual(two.taps, one.taps);
});

test('a replayed body keeps the frame its header names: a longer earlier body is cut to the frame', () => {
  const ws = memoryWorkspace({ 'main.vmsec': 'host a { } host b { } link a <-> b { } attacker eve { replay a<->b 100% }\n' });
  const { model } = resolveFileSet(ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!);
  const engine = new Engine();
  const net = new Network(engine, model, 1);
  const [a, b] = [model.hosts.get('a')!, model.hosts.get('b')!];
  const link = net.route(a, b)!;
  const got: Message[] = [];
  // A 64-page body crosses first (nothing to replay yet), then a one-page answer of the same kind.
  net.send(a, link, 1, { kind: 'data-mem', bytes: 64 * 4096, payload: Buffer.alloc(64 * 4096, 7), meta: null }, (m) => got.push(m));
  net.send(a, link, 1, { kind: 'data-mem', bytes: 4096, payload: Buffer.alloc(4096, 9), meta: null }, (m) => got.push(m));
  engine.run();
  assert.equal(got.length, 2);
  assert.equal(got[1].replayed, true);
  assert.equal(got[1].payload!.length, 4096);
  assert.equal(got[1].payload![0], 7, 'the earlier body, cut');
});

// The compiled, indexed monitor engine (sim/monitor-rules.ts) decides exactly
// as LANGUAGE.md's rule order does: the first rule whose calls and condition
// match, else the default. Checked on hand-picked tricky cases, against a
// plain scan in declaration order on generated rule sets, and end to end
// through `vmsec run` semantics (default action, escalation, the cost table).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import type * as A from '../../grammar/src/ast';
import { RuleIndex, scanRules, conditionHolds, type MonitorEvent } from '../../server/src/sim/monitor-rules';
import type { ConditionModel, RuleModel } from '../../server/src/model/semantic-monitors';
import { resolveFileSet } from '../../server/src/model/resolve';
import { parseCosts } from '../../server/src/cli/costs-file';
import { memoryWorkspace, ROOT, run } from '../helpers';

const NOSPAN = { start: 0, end: 0 };
const s = (value: string): A.Arg => ({ value, span: NOSPAN });
const n = (value: number): A.Arg => ({ text: String(value), number: value, unit: '', kind: 'number', value, span: NOSPAN });
const ip = (text: string): A.Arg => {
  const o = text.split('.').map(Number);
  return { text, ip: ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3], span: NOSPAN };
};
const ev = (call: string, args: A.Arg[], process = 'p'): MonitorEvent => ({ call, args, process });

/** The rules of monitor `m` in a small file, through the semantic model. */
function rulesOf(body: string): RuleModel[] {
  const ws = memoryWorkspace({ 'main.vmsec': `host h { } vm v on h { process p { } process q { } }\nmonitor m for v {\n${body}\n}\n` });
  const { model } = resolveFileSet(ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!);
  const m = model.monitors.get('m');
  assert.ok(m, 'the monitor is in the semantic model');
  return m.rules;
}

const name = (r: RuleModel | undefined) => r?.name ?? 'default';

test('the semantic model fills in monitor defaults and keeps rules in order', () => {
  const ws = memoryWorkspace({ 'main.vmsec': `host h { } host h2 { } vm v on h { }
monitor a for v { rule r on open, openat when fileEq(0, "/x") then deny(13), killProc }
monitor b for v { mode serial buffer 8 block default deny(1) escalate 3 violations within 2 s then migrate to h2 }` });
  const { model } = resolveFileSet(ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!);
  const a = model.monitors.get('a')!;
  assert.deepEqual({ mode: a.mode, buffer: a.buffer, policy: a.policy, default: a.default, declared: a.defaultDeclared, escalate: a.escalate },
    { mode: 'concurrent', buffer: 1024, policy: 'drop', default: { kind: 'allow' }, declared: false, escalate: undefined });
  assert.deepEqual(a.rules.map((r) => [r.name, r.calls, r.when, r.actions]),
    [['r', ['open', 'openat'], { kind: 'fileEq', index: 0, value: '/x' }, [{ kind: 'deny', code: 13 }, { kind: 'killProc' }]]]);
  const b = model.monitors.get('b')!;
  assert.deepEqual({ mode: b.mode, buffer: b.buffer, policy: b.policy, default: b.default, escalate: b.escalate, vms: b.vms },
    { mode: 'serial', buffer: 8, policy: 'block', default: { kind: 'deny', code: 1 }, escalate: { count: 3, windowUs: 2_000_000, windowText: '2 s', action: { kind: 'migrate', to: 'h2' } }, vms: ['v'] });
});

test('first match wins across the index: an earlier scanned rule beats a later keyed one, and the reverse', () => {
  const rules = rulesOf(`
  rule wide   on open when filePrefix(0, "/etc/") then deny(1)
  rule exact  on open when fileEq(0, "/etc/shadow") then deny(13)
  rule exact2 on openat when fileEq(0, "/etc/shadow") then deny(13)
  rule wide2  on openat when filePrefix(0, "/etc/") then deny(1)`);
  const ix = new RuleIndex(rules);
  assert.equal(name(ix.match(ev('open', [s('/etc/shadow')]))), 'wide');
  assert.equal(name(ix.match(ev('openat', [s('/etc/shadow')]))), 'exact2');
  assert.equal(name(ix.match(ev('openat', [s('/etc/passwd')]))), 'wide2');
  assert.equal(name(ix.match(ev('openat', [s('/home/x')]))), 'default');
});

test('a rule for several calls is found under each; a rule for another call is never chosen', () => {
  const rules = rulesOf(`
  rule files on open, openat, execve when process(q) then killProc
  rule net   on connect when port(443) then allow
  rule any   on open then deny(2)`);
  const ix = new RuleIndex(rules);
  assert.equal(name(ix.match(ev('execve', [s('/bin/sh')], 'q'))), 'files');
  assert.equal(name(ix.match(ev('openat', [s('/x')], 'q'))), 'files');
  assert.equal(name(ix.match(ev('open', [s('/x')], 'p'))), 'any');
  assert.equal(name(ix.match(ev('openat', [s('/x')], 'p'))), 'default');
  assert.equal(name(ix.match(ev('read', [n(3)], 'q'))), 'default');
  assert.equal(name(ix.match(ev('connect', [ip('1.2.3.4'), n(443)]))), 'net');
});

test('ip and port test only connect/sendto: on other calls they are false, so `not ip(…)` is true', () => {
  const rules = rulesOf(`
  rule nip on open when not ip(10.0.0.0/8) then deny(1)
  rule via on sendto when ip(10.0.0.0/8) and not port(53) then killProc
  rule dns on sendto when ip(10.0.0.0/8) then allow`);
  const ix = new RuleIndex(rules);
  assert.equal(name(ix.match(ev('open', [s('/x'), ip('10.1.1.1')]))), 'nip');
  assert.equal(name(ix.match(ev('sendto', [ip('10.9.9.9'), n(80)]))), 'via');
  assert.equal(name(ix.match(ev('sendto', [ip('10.9.9.9'), n(53)]))), 'dns');
  assert.equal(name(ix.match(ev('sendto', [ip('11.0.0.1'), n(80)]))), 'default');
});

test('or-keyed rules are found under each value; `and` needs its key; strings never equal numbers', () => {
  const rules = rulesOf(`
  rule two  on open when fileEq(0, "/a") or fileEq(0, "/b") then deny(1)
  rule both on open when fileEq(1, "/c") and process(q) then deny(2)
  rule num  on read when fileEq(0, "3") then deny(3)
  rule pre  on open when filePrefix(0, "/b") or filePrefix(0, "/long/") then deny(4)`);
  const ix = new RuleIndex(rules);
  assert.equal(name(ix.match(ev('open', [s('/b')]))), 'two');
  assert.equal(name(ix.match(ev('open', [s('/a')]))), 'two');
  assert.equal(name(ix.match(ev('open', [s('/x'), s('/c')], 'q'))), 'both');
  assert.equal(name(ix.match(ev('open', [s('/x'), s('/c')], 'p'))), 'default');
  assert.equal(name(ix.match(ev('read', [n(3)]))), 'default');
  assert.equal(name(ix.match(ev('read', [s('3')]))), 'num');
  assert.equal(name(ix.match(ev('open', [s('/bin')]))), 'pre');
  assert.equal(name(ix.match(ev('open', [s('/long/x')]))), 'pre');
  assert.equal(name(ix.match(ev('open', [s('/lon')]))), 'default');
});

/** A deterministic generator (xorshift), so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

test('on generated rule sets the index decides every event as the plain scan in order does', () => {
  const CALLS = ['open', 'openat', 'connect', 'sendto', 'read', 'execve'];
  const PATHS = ['/a', '/a/b', '/ab', '/etc/shadow', '/etc/', '/e', ''];
  const PROCS = ['p', 'q', 'r'];
  const ADDRS = ['10.0.0.1', '10.1.2.3', '192.168.1.1', '203.0.113.7'];
  const BLOCKS: [string, number][] = [['10.0.0.0', 8], ['10.1.0.0', 16], ['203.0.113.7', 32], ['0.0.0.0', 0]];
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const atom = (): ConditionModel => {
      switch (Math.floor(r() * 5)) {
        case 0: return { kind: 'fileEq', index: Math.floor(r() * 2), value: pick(PATHS) };
        case 1: return { kind: 'filePrefix', index: Math.floor(r() * 2), value: pick(PATHS) };
        case 2: { const [a, p] = pick(BLOCKS); const o = a.split('.').map(Number); return { kind: 'ip', ip: (((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]) >>> 0, prefix: p, text: `${a}/${p}` }; }
        case 3: return { kind: 'port', port: pick([53, 80, 443]) };
        default: return { kind: 'process', name: pick(PROCS) };
      }
    };
    const cond = (depth: number): ConditionModel => {
      const k = r();
      if (depth > 2 || k < 0.45) return atom();
      if (k < 0.6) return { kind: 'not', operand: cond(depth + 1) };
      const operands = Array.from({ length: 2 + Math.floor(r() * 2) }, () => cond(depth + 1));
      return { kind: k < 0.8 ? 'and' : 'or', operands };
    };
    const rules = Array.from({ length: 5 + Math.floor(r() * 60) }, (_, i) => ({
      name: `r${i}`,
      calls: Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick(CALLS)),
      when: r() < 0.1 ? undefined : cond(0),
    }));
    const ix = new RuleIndex(rules);
    for (let k = 0; k < 300; k++) {
      const call = pick(CALLS);
      const args: A.Arg[] = call === 'connect' || call === 'sendto' ? [ip(pick(ADDRS)), n(pick([53, 80, 443]))] : [s(pick(PATHS)), r() < 0.5 ? s(pick(PATHS)) : n(3)];
      const e = ev(call, args, pick(PROCS));
      assert.equal(ix.match(e)?.name, scanRules(rules, e)?.name, `seed ${seed}, event ${JSON.stringify({ call, args: args.map((a) => ('ip' in a ? a.text : a.value)), p: e.process })}`);
    }
    // The interpreter and the rule list agree with themselves too (a sanity check on the generator).
    assert.ok(rules.every((x) => !x.when || typeof conditionHolds(x.when, ev('open', [])) === 'boolean'));
  }
});

test('through a run: the default decides unmatched calls, escalation pauses the VM, costs come from the table', () => {
  const src = `host h { } vm v on h { process p { } }
monitor m for v { mode concurrent default deny(1)
  rule ok on open when fileEq(0, "/ok") then allow
  rule bad on open when filePrefix(0, "/secret") then killProc
  escalate 2 violations within 1 s then pause }
scenario "s" { at 0 ms syscall v p open("/ok") at 1 ms syscall v p read(3) at 2 ms syscall v p open("/secret/k") }`;
  const [a] = run(src);
  assert.deepEqual(a.monitor.map((x) => [x.rule, x.action, x.delay_us]), [['ok', 'allow', 2], ['default', 'deny(1)', 2], ['bad', 'killProc', 50], ['escalate', 'pause', 0]]);
  assert.match(a.monitor[3].effect ?? '', /v paused/);
  const [b] = run(src, {}, { monitorInVm: 7, monitorHandoff: 100, monitorAnalyze: 400 });
  assert.deepEqual(b.monitor.map((x) => x.delay_us), [7, 7, 500, 0]);
});

test('--costs accepts the monitor costs with the usual range', () => {
  assert.deepEqual({ ...parseCosts('{"monitorInVm": 5, "monitorHandoff": 0, "monitorAnalyze": 12.5}', 'c.json') }, { monitorInVm: 5, monitorHandoff: 0, monitorAnalyze: 12.5 });
  assert.throws(() => parseCosts('{"monitorAnalyze": -1}', 'c.json'), /'monitorAnalyze' is -1; it must be a number at least 0 and at most 3600000000 \(microseconds\)/);
});

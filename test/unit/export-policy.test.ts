// `vmsec export-policy`: a monitor as a Tetragon TracingPolicy or Falco rules.
// The YAML is parsed back with js-yaml and its structure checked; golden
// files pin the text for every condition and action kind (regenerate with
// UPDATE_GOLDEN=1); what does not translate must appear as notes, in the
// YAML and on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { createRequire } from 'node:module';
import { tempDir } from '../tmp';
import { captured, type Ran } from '../capture';
import { runExportPolicy } from '../../server/src/cli/export-policy';
import { UsageError } from '../../server/src/cli/args';

// js-yaml is already in node_modules (a dependency of the tooling) and has no types here.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

const GOLDEN = nodePath.join(import.meta.dirname, '..', 'fixtures', 'policy');
const SAMPLE = nodePath.join(import.meta.dirname, '..', '..', 'samples', 'monitoring.vmsec');

const KINDS = `host h1 { cpus 4 memory 8 GiB tpm ecdsa-p256 }
host h2 { cpus 4 memory 8 GiB tpm ecdsa-p256 }
link h1 <-> h2 { bandwidth 10 Gbps latency 50 us }
vm app on h1 {
  vcpus 1
  memory 1 GiB
  process nginx { memory 64 MiB }
  process sshd  { memory 16 MiB }
}
monitor kinds for app {
  mode serial
  default deny(1)
  rule f-eq     on open when fileEq(0, "/etc/shadow") then deny(13)
  rule f-prefix on openat when filePrefix(0, "/root/") then killProc
  rule by-ip    on connect when ip(203.0.113.7) then deny(111)
  rule by-net   on connect when ip(198.51.100.0/24) then killProc
  rule by-port  on connect when port(23) then pause
  rule by-proc  on execve when process(sshd) then policyChange(other)
  rule combo    on open, execve when (fileEq(0, "/a") or filePrefix(0, "/b/")) and not process(nginx) then allow
  rule no-path  on read when fileEq(1, "/x") then deny(1)
  escalate 2 violations within 5 s then migrate to h2
}
monitor other for app {
  default allow
}
`;

/** Runs the subcommand in-process, capturing what it prints. */
const run = (args: string[]): Ran => captured(() => runExportPolicy(args));

function kindsFile(): string {
  const file = nodePath.join(tempDir('policy-'), 'kinds.vmsec');
  writeFileSync(file, KINDS);
  return file;
}

function golden(name: string, text: string): void {
  const path = nodePath.join(GOLDEN, `${name}.golden.yaml`);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, text);
  assert.ok(existsSync(path), `${path} is missing (UPDATE_GOLDEN=1 to create it)`);
  assert.equal(text, readFileSync(path, 'utf8'), `${name} differs from ${path} (UPDATE_GOLDEN=1 to accept)`);
}

const TETRAGON_OPS = new Set(['Equal', 'NotEqual', 'Prefix', 'NotPrefix', 'DAddr', 'NotDAddr', 'DPort', 'NotDPort']);
const BINARY_OPS = new Set(['Postfix', 'NotPostfix']);
const ACTIONS = new Set(['Override', 'Sigkill', 'Post']);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => { assert.ok(v && typeof v === 'object' && !Array.isArray(v), `expected a mapping, got ${JSON.stringify(v)}`); return v as Obj; };
const arr = (v: unknown): unknown[] => { assert.ok(Array.isArray(v), `expected a list, got ${JSON.stringify(v)}`); return v; };

/** The TracingPolicy's structure; returns its selectors by hook. */
function checkTetragon(text: string): Map<string, Obj[]> {
  const doc = obj(yaml.load(text));
  assert.equal(doc.apiVersion, 'cilium.io/v1alpha1');
  assert.equal(doc.kind, 'TracingPolicy');
  assert.match(String(obj(doc.metadata).name), /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  const hooks = new Map<string, Obj[]>();
  for (const k of arr(obj(doc.spec).kprobes).map(obj)) {
    assert.equal(typeof k.call, 'string');
    assert.equal(typeof k.syscall, 'boolean');
    const argIdx = new Set((k.args === undefined ? [] : arr(k.args)).map((a) => obj(a).index));
    const sels = arr(k.selectors).map(obj);
    assert.ok(sels.length >= 1 && sels.length <= 5, `${k.call}: ${sels.length} selectors`);
    for (const s of sels) {
      for (const m of (s.matchArgs === undefined ? [] : arr(s.matchArgs)).map(obj)) {
        assert.ok(argIdx.has(m.index), `${k.call}: matchArgs index ${m.index} is not a declared arg`);
        assert.ok(TETRAGON_OPS.has(String(m.operator)), `operator ${m.operator}`);
        assert.ok(arr(m.values).every((v) => typeof v === 'string'));
      }
      for (const m of (s.matchBinaries === undefined ? [] : arr(s.matchBinaries)).map(obj)) assert.ok(BINARY_OPS.has(String(m.operator)));
      const acts = arr(s.matchActions).map(obj);
      assert.ok(acts.length >= 1);
      for (const a of acts) {
        assert.ok(ACTIONS.has(String(a.action)), `action ${a.action}`);
        if (a.action === 'Override') assert.ok(Number.isInteger(a.argError) && (a.argError as number) < 0);
      }
    }
    hooks.set(String(k.call), sels);
  }
  return hooks;
}

/** The Falco rules' structure; returns them by name. */
function checkFalco(text: string): Map<string, Obj> {
  const rules = new Map<string, Obj>();
  for (const r of arr(yaml.load(text)).map(obj)) {
    for (const key of ['rule', 'desc', 'condition', 'output']) assert.equal(typeof r[key], 'string', `${key} of ${JSON.stringify(r)}`);
    assert.ok(['CRITICAL', 'WARNING', 'NOTICE', 'INFORMATIONAL'].includes(String(r.priority)));
    assert.match(String(r.condition), /^\(?evt\.type (=|in) /);
    rules.set(String(r.rule), r);
  }
  return rules;
}

test('tetragon: every condition and action kind, parsed back and pinned', () => {
  const r = run([kindsFile(), 'kinds', '--format', 'tetragon']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('# vmsec export-policy\n'));
  const hooks = checkTetragon(r.stdout);
  assert.deepEqual([...hooks.keys()], ['security_file_open', 'tcp_connect', 'sys_execve']);
  const open = hooks.get('security_file_open')!;
  // fileEq → Equal + Override -13; filePrefix → Prefix + Sigkill
  assert.deepEqual(open[0], { matchArgs: [{ index: 0, operator: 'Equal', values: ['/etc/shadow'] }], matchActions: [{ action: 'Override', argError: -13 }] });
  assert.deepEqual(open[1], { matchArgs: [{ index: 0, operator: 'Prefix', values: ['/root/'] }], matchActions: [{ action: 'Sigkill' }] });
  // (A or B) and not process(nginx): two selectors, each with the negated binary
  assert.deepEqual(open[2], { matchArgs: [{ index: 0, operator: 'Equal', values: ['/a'] }], matchBinaries: [{ operator: 'NotPostfix', values: ['/nginx'] }], matchActions: [{ action: 'Post' }] });
  assert.deepEqual(open[3].matchArgs, [{ index: 0, operator: 'Prefix', values: ['/b/'] }]);
  const connect = hooks.get('tcp_connect')!;
  assert.deepEqual(connect.map((s) => s.matchArgs), [
    [{ index: 0, operator: 'DAddr', values: ['203.0.113.7/32'] }],
    [{ index: 0, operator: 'DAddr', values: ['198.51.100.0/24'] }],
    [{ index: 0, operator: 'DPort', values: ['23'] }],
  ]);
  // deny on tcp_connect cannot be an Override: reported (Post), and a note says so
  assert.deepEqual(connect[0].matchActions, [{ action: 'Post' }]);
  assert.deepEqual(hooks.get('sys_execve')![0].matchBinaries, [{ operator: 'Postfix', values: ['/sshd'] }]);
  assert.ok(!hooks.has('sys_read'), 'a rule whose condition cannot be expressed is left out, never widened');
  golden('kinds.tetragon', r.stdout);
});

test('falco: every condition and action kind, parsed back and pinned', () => {
  const r = run([kindsFile(), 'kinds', '--format', 'falco']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('# vmsec export-policy\n'));
  const rules = checkFalco(r.stdout);
  const c = (name: string) => rules.get(`vmsec kinds ${name}`)!;
  assert.equal(c('f-eq').condition, 'evt.type = open and evt.dir = < and fd.name = "/etc/shadow"');
  assert.equal(c('f-eq').priority, 'WARNING');
  assert.equal(c('f-prefix').condition, 'evt.type = openat and evt.dir = < and fd.name startswith "/root/"');
  assert.equal(c('f-prefix').priority, 'CRITICAL');
  assert.equal(c('by-ip').condition, 'evt.type = connect and evt.dir = < and fd.sip = 203.0.113.7');
  assert.equal(c('by-net').condition, 'evt.type = connect and evt.dir = < and fd.snet = "198.51.100.0/24"');
  assert.equal(c('by-port').condition, 'evt.type = connect and evt.dir = < and fd.sport = 23');
  assert.equal(c('by-port').priority, 'NOTICE');
  assert.equal(c('by-proc').condition, 'evt.type = execve and evt.dir = < and proc.name = "sshd"');
  assert.equal(c('combo').condition,
    '(evt.type = open and evt.dir = < and ((fd.name = "/a" or fd.name startswith "/b/") and not proc.name = "nginx"))'
    + ' or (evt.type = execve and evt.dir = < and ((proc.exepath = "/a" or proc.exepath startswith "/b/") and not proc.name = "nginx"))');
  assert.equal(c('combo').priority, 'INFORMATIONAL');
  assert.ok(!rules.has('vmsec kinds no-path'));
  golden('kinds.falco', r.stdout);
});

test('what does not translate is a note per rule, in the YAML and on stderr', () => {
  const file = kindsFile();
  for (const format of ['tetragon', 'falco']) {
    const r = run([file, 'kinds', '--format', format]);
    const expected = [
      ['monitor kinds', 'default deny(1) is not exported'],
      ['monitor kinds', 'escalate 2 violations within 5 s then migrate to h2 is not exported'],
      ['rule by-port', 'pause is not exported'],
      ['rule by-proc', 'policyChange(other) is not exported'],
      // Tetragon also counts f-prefix (on openat): it shares combo's security_file_open hook.
      ['rule combo', `vmsec tries rules in order and the first match decides: an event that also matches earlier rules ${format === 'tetragon' ? 'f-eq, f-prefix, by-proc' : 'f-eq, by-proc'} is decided there`],
      ['rule no-path', 'fileEq(1, …) has no'],
    ];
    for (const [who, text] of expected) {
      const rule = who.startsWith('rule ') ? `, ${who}` : '';
      assert.ok(r.stderr.includes(`vmsec: note: monitor kinds${rule}: ${text}`), `${format} stderr lacks ${who}: ${text}\n${r.stderr}`);
      assert.ok(r.stdout.includes(`#   ${who === 'monitor kinds' ? 'monitor' : who}: ${text}`), `${format} YAML lacks ${who}: ${text}`);
    }
  }
  const t = run([file, 'kinds', '--format', 'tetragon']);
  assert.ok(t.stderr.includes('rule by-ip: deny(111) on connect: tcp_connect cannot be made to fail'));
  const f = run([file, 'kinds', '--format', 'falco']);
  assert.ok(f.stderr.includes('rule f-prefix: Falco alerts but does not enforce killProc'));
});

test('the guard monitor of samples/monitoring.vmsec, both formats (docs/policies.md shows them)', () => {
  for (const format of ['tetragon', 'falco'] as const) {
    const r = run([SAMPLE, 'guard', '--format', format]);
    assert.equal(r.code, 0, r.stderr);
    if (format === 'tetragon') checkTetragon(r.stdout); else checkFalco(r.stdout);
    golden(`guard.${format}`, r.stdout);
    const docs = readFileSync(nodePath.join(import.meta.dirname, '..', '..', 'docs', 'policies.md'), 'utf8');
    assert.ok(docs.includes(r.stdout.trimEnd()), `docs/policies.md does not show the current ${format} output`);
  }
});

test('refusals: a file with errors, an unknown monitor, usage errors', () => {
  const dir = tempDir('policy-');
  const bad = nodePath.join(dir, 'bad.vmsec');
  writeFileSync(bad, 'monitor m for nowhere { default allow }\n');
  const r = run([bad, 'm', '--format', 'falco']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /bad\.vmsec:1:\d+: error VMS\d+/);
  assert.match(r.stderr, /vmsec: .*bad\.vmsec has errors; fix them before exporting/);

  const u = run([kindsFile(), 'nope', '--format', 'falco']);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /vmsec: no monitor "nope" in .*kinds\.vmsec; it has: kinds, other\n/);

  const missing = run([nodePath.join(dir, 'missing.vmsec'), 'm', '--format', 'falco']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /vmsec: cannot read .*missing\.vmsec/);

  assert.throws(() => run([kindsFile(), 'kinds']), (e: unknown) => e instanceof UsageError && /needs --format/.test(e.message));
  assert.throws(() => run([kindsFile(), 'kinds', '--format', 'cilium']), (e: unknown) => e instanceof UsageError && /unknown format 'cilium'/.test(e.message));
  assert.throws(() => run([kindsFile(), '--format', 'falco']), (e: unknown) => e instanceof UsageError && /needs a FILE and a MONITOR/.test(e.message));
  assert.throws(() => run([kindsFile(), 'kinds', '--format', 'falco', '--bogus']), (e: unknown) => e instanceof UsageError && /unknown option --bogus/.test(e.message));
  const h = run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^usage: vmsec export-policy FILE MONITOR --format tetragon\|falco \[--out FILE\]/);
});

test('--out writes the file, replaces its own output, and never a foreign file', () => {
  const dir = tempDir('policy-out-');
  const file = kindsFile();
  const target = nodePath.join(dir, 'sub', 'kinds.yaml');
  const first = run([file, 'kinds', '--format', 'tetragon', '--out', target]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '');
  assert.match(first.stderr, /vmsec: tetragon policy written to .*kinds\.yaml\n$/);
  assert.ok(readFileSync(target, 'utf8').startsWith('# vmsec export-policy\n'));

  const again = run([file, 'kinds', '--format', 'falco', '--out', target]);
  assert.equal(again.code, 0, again.stderr);
  checkFalco(readFileSync(target, 'utf8'));

  const foreign = nodePath.join(dir, 'mine.yaml');
  writeFileSync(foreign, 'my: own\n');
  const refused = run([file, 'kinds', '--format', 'falco', '--out', foreign]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /vmsec: .*mine\.yaml/);
  assert.equal(readFileSync(foreign, 'utf8'), 'my: own\n');

  const folder = run([file, 'kinds', '--format', 'falco', '--out', dir]);
  assert.equal(folder.code, 2);
});

const WIDE = `host h1 { cpus 4 memory 8 GiB }
vm web on h1 { process nginx { memory 16 MiB } process a-very-long-daemon-name { memory 16 MiB } }
monitor pm for web {
  rule a on open when fileEq(0, "/x") then deny(13)
  rule b on openat when not (fileEq(0, "/a") or filePrefix(0, "/b/")) and process(nginx) then killProc
  rule c on connect, sendto when not (ip(10.0.0.0/8) and port(443)) then deny(1)
  rule e on openat, connect when fileEq(0, "/y") or port(22) then deny(2)
  rule g on openat when not port(22) then killProc
  rule h on open when port(22) then deny(3)
  rule n on read when process(a-very-long-daemon-name) then killProc
}
`;

function wideFile(): string {
  const file = nodePath.join(tempDir('policy-'), 'wide.vmsec');
  writeFileSync(file, WIDE);
  return file;
}

/** The notes of one rule, from stderr, each also a comment in the YAML. */
function notesOf(r: Ran, rule: string): string[] {
  const prefix = `vmsec: note: monitor pm, rule ${rule}: `;
  const out = r.stderr.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
  for (const n of out) assert.ok(r.stdout.includes(`#   rule ${rule}: ${n}\n`), `YAML lacks the note of rule ${rule}: ${n}`);
  return out;
}

test('tetragon: a hook that fires for more calls than the rule names is noted as wider, per rule', () => {
  const r = run([wideFile(), 'pm', '--format', 'tetragon']);
  assert.equal(r.code, 0, r.stderr);
  checkTetragon(r.stdout);
  // security_file_open cannot tell open from openat (nor openat2, creat, an exec's binary)
  assert.ok(notesOf(r, 'a').includes('security_file_open also fires for openat, openat2, creat, open_by_handle_at, uselib and the binary of execve and execveat: the policy is wider than rule a'), r.stderr);
  assert.ok(notesOf(r, 'b').includes('security_file_open also fires for open, openat2, creat, open_by_handle_at, uselib and the binary of execve and execveat: the policy is wider than rule b'), r.stderr);
  // tcp_connect also sees TCP Fast Open sends and the kernel's own connects, and no UDP connect
  assert.ok(notesOf(r, 'c').includes('tcp_connect also fires for sendto and sendmsg with MSG_FASTOPEN and for the kernel\'s own TCP connects: the policy is wider than rule c, and it never sees a UDP or Unix-socket connect'), r.stderr);
  // a plain sys_CALL hook is exact: no such note
  assert.ok(!r.stderr.includes('wider than rule n'));
});

test('tetragon: rule order is compared by the hook rules share, not only by shared calls', () => {
  const r = run([wideFile(), 'pm', '--format', 'tetragon']);
  assert.ok(notesOf(r, 'b').includes('vmsec tries rules in order and the first match decides: an event that also matches earlier rule a is decided there; the export does not keep that order, so such an event may get this rule\'s actions too (rule a names other calls, but shares the hook security_file_open, which cannot tell them apart)'), r.stderr);
  // Falco tells open from openat: no order note for b there
  const f = run([wideFile(), 'pm', '--format', 'falco']);
  assert.ok(!notesOf(f, 'b').some((n) => n.startsWith('vmsec tries rules in order')), f.stderr);
});

test('an or-branch that can never hold on a call (ip/port off connect and sendto) is dropped for that call only', () => {
  const t = run([wideFile(), 'pm', '--format', 'tetragon']);
  const open = checkTetragon(t.stdout).get('security_file_open')!;
  // rule e on openat: port(22) is false there, so the rule is fileEq(0, "/y")
  assert.ok(open.some((s) => JSON.stringify(s) === JSON.stringify({ matchArgs: [{ index: 0, operator: 'Equal', values: ['/y'] }], matchActions: [{ action: 'Override', argError: -2 }] })), t.stdout);
  // rule g on openat: not port(22) always holds there: every open is killed
  assert.ok(open.some((s) => JSON.stringify(s) === JSON.stringify({ matchActions: [{ action: 'Sigkill' }] })), t.stdout);
  // on connect fileEq can hold in vmsec but has no field: still left out, never widened
  assert.ok(notesOf(t, 'e').includes('fileEq(0, …) has no path argument on tcp_connect; the rule is not exported for connect'), t.stderr);
  assert.ok(!notesOf(t, 'e').some((n) => n.includes('not exported for openat')), t.stderr);
  // a deny that is not exported on tcp_connect gets no "reported, not denied" note
  assert.ok(!notesOf(t, 'e').some((n) => n.includes('cannot be made to fail')), t.stderr);
  // rule h can never match: nothing exported, and a note says why
  assert.ok(notesOf(t, 'h').includes('port(…) never holds on open (vmsec tests ip and port only on connect and sendto), so the rule never matches open; nothing is exported for it'), t.stderr);

  const f = run([wideFile(), 'pm', '--format', 'falco']);
  const rules = checkFalco(f.stdout);
  assert.equal(rules.get('vmsec pm e')!.condition, 'evt.type = openat and evt.dir = < and fd.name = "/y"');
  assert.equal(rules.get('vmsec pm g')!.condition, 'evt.type = openat and evt.dir = <');
  assert.ok(!rules.has('vmsec pm h'));
  assert.ok(notesOf(f, 'e').includes('fileEq(0, …) has no Falco field on connect; the rule is not exported for connect'), f.stderr);
  assert.ok(notesOf(f, 'h').includes('port(…) never holds on open (vmsec tests ip and port only on connect and sendto), so the rule never matches open; nothing is exported for it'), f.stderr);
});

test('falco: process(NAME) longer than 15 characters matches the truncated comm, with a note', () => {
  const f = run([wideFile(), 'pm', '--format', 'falco']);
  const rules = checkFalco(f.stdout);
  assert.equal(rules.get('vmsec pm n')!.condition, 'evt.type = read and evt.dir = < and proc.name = "a-very-long-dae"');
  assert.ok(notesOf(f, 'n').includes('Falco\'s proc.name is the kernel\'s command name, cut to 15 characters: process(a-very-long-daemon-name) is matched as proc.name = "a-very-long-dae", which every process whose name starts with those 15 characters also matches'), f.stderr);
  assert.ok(!notesOf(f, 'b').some((n) => n.includes('proc.name')), 'a short name gets no note');
});

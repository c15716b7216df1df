// strace logs in: the parser (a hand-written log with every kind of line, and
// a real log captured from a program run under strace during the test), and
// the replay through a VM's monitor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { StraceParser, readStraceLines, splitArgs, straceLogProblem, MAX_LINE_BYTES, type TraceEvent } from '../../server/src/sim/strace';
import { replayTrace, traceReportText, type TraceReport } from '../../server/src/sim/trace-replay';
import { Monitors } from '../../server/src/sim/monitor';
import { World } from '../../server/src/sim/world';
import { DEFAULT_COSTS } from '../../server/src/sim/costs';
import { resolveFileSet } from '../../server/src/model/resolve';
import type * as A from '../../grammar/src/ast';
import type { ScenarioResult } from '../../server/src/sim/results';
import { memoryWorkspace, ROOT } from '../helpers';
import { tempDir } from '../tmp';
import { skipOrFail } from '../skips';

const FIXTURE = nodePath.join(import.meta.dirname, '..', 'fixtures', 'strace', 'hand.log');

function parse(path: string): { events: TraceEvent[]; parser: StraceParser } {
  const events: TraceEvent[] = [];
  const parser = new StraceParser((e) => events.push(e));
  for (const l of readStraceLines(path)) parser.push(l);
  parser.finish();
  return { events, parser };
}

const argText = (a: A.Arg) => ('ip' in a ? a.text : 'kind' in a ? a.value : JSON.stringify(a.value));

test('a hand-written log: calls, arguments, resumed calls, signals, exits and bad lines', () => {
  const { events, parser } = parse(FIXTURE);
  assert.deepEqual(events.map((e) => `${e.pid} ${e.comm} ${e.atUs} ${e.call}(${e.args.map(argText).join(', ')})`), [
    '100 nginx 0 execve("/usr/sbin/nginx")',
    '100 nginx 250 open("/etc/shadow", "O_RDONLY")',
    '100 nginx 500 openat("/etc/ssl/private/key.pem", "O_RDONLY|O_CLOEXEC")',
    '100 nginx 1000 read(3, "line1\\n\\"quoted\\"\\tAA\\\\", 4096)',
    // Joined with its resumed line; the time is the resumed line's (when the call finished).
    '101 nginx 3000 connect(203.0.113.9, 443)',
    '101 x 3500 execve("/tmp/x")',
    // A string holding `) = ` does not end the arguments.
    '100 nginx 5000 write(1, "a, b) = 3", 9)',
  ]);
  assert.equal(events[4].result, '-1 EINPROGRESS (Operation now in progress)');
  assert.equal(events[4].line, 8);
  const c = parser.counts;
  assert.deepEqual({ lines: c.lines, events: c.events, unparsable: c.unparsable, signals: c.signals, exits: c.exits, unfinished: c.unfinished },
    { lines: 18, events: 7, unparsable: 1, signals: 2, exits: 2, unfinished: 0 });
  assert.deepEqual(Object.fromEntries(c.unsupported), { clone: 1, wait4: 1, brk: 1, exit_group: 1 });
});

test('an overlong line, a truncated file and an unfinished call are counted, not fatal', () => {
  const dir = tempDir('strace-');
  const log = nodePath.join(dir, 'bad.log');
  writeFileSync(log, [
    `1 10:00:00.000000 open("${'a'.repeat(MAX_LINE_BYTES + 10)}", O_RDONLY) = 3`,
    '1 10:00:00.000100 open("/etc/passwd", O_RDONLY) = 3',
    '1 10:00:00.000200 read(3, <unfinished ...>',
    '1 10:00:00.000300 open("/etc/gro',
  ].join('\n'));
  const { events, parser } = parse(log);
  assert.deepEqual(events.map((e) => e.args[0] && argText(e.args[0])), ['"/etc/passwd"']);
  assert.equal(events[0].atUs, 0, 'times are relative to the first line that has one (the overlong line is not read)');
  assert.equal(parser.counts.unparsable, 2);
  assert.equal(parser.counts.unfinished, 1);
});

const SOURCE = `
host h { cpus 4 memory 8 GiB }
vm web on h {
  memory 1 GiB
  process nginx { memory 64 MiB }
  process cat { memory 16 MiB }
}
monitor guard for web {
  mode concurrent
  rule etc on open, openat when filePrefix(0, "/etc/") then deny(13)
  rule cat-read on read when process(cat) then allow
  rule out on connect when ip(203.0.113.0/24) and port(443) then deny(111)
  default allow
}
`;

function replay(log: string, firstN?: number, source = SOURCE): { report: TraceReport; result: ScenarioResult } {
  const ws = memoryWorkspace({ 'main.vmsec': source });
  const set = ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!;
  const { model } = resolveFileSet(set);
  assert.ok(model.vms.get('web'), 'the test source declares vm web');
  const result = { monitor: [], errors: [] } as unknown as ScenarioResult;
  const world = new World(model, 1, DEFAULT_COSTS, result);
  const monitors = new Monitors(world, model.monitors.values());
  const report = replayTrace(world, monitors, 'web', readStraceLines(log), { path: log, line: 1, startUs: 1000, firstN });
  world.engine.run();
  return { report, result };
}

test('replaying the hand-written log through the monitor', () => {
  const { report, result } = replay(FIXTURE, 3);
  assert.deepEqual(report.hits, { 'guard/default': 4, 'guard/etc': 2, 'guard/out': 1 });
  assert.equal(report.decided, 7);
  assert.deepEqual(report.first.map((d) => `${d.line} ${d.at_ms} ${d.process} ${d.call} ${d.rule} ${d.action}`), [
    '1 1 nginx execve default allow',
    '2 1.25 nginx open etc deny(13)',
    '3 1.5 nginx openat etc deny(13)',
  ]);
  // The monitor's own results carry the decisions (what `vmsec run` shows).
  assert.equal(result.monitor.filter((m) => m.action === 'deny(111)').length, 1);
  assert.deepEqual(report.unsupported, { brk: 1, clone: 1, exit_group: 1, wait4: 1 });
  const text = traceReportText(report).join('\n');
  assert.match(text, /unsupported calls: 4 \(brk 1, clone 1, exit_group 1, wait4 1\); unparsable lines: 1/);
  assert.match(text, /line 2 at 1\.250 ms: open by web\/nginx \(pid 100\): guard rule etc → deny\(13\)/);
});

test('a missing log is a report error, not a crash', () => {
  const { report } = replay(nodePath.join(tempDir('strace-'), 'nope.log'));
  assert.match(report.error ?? '', /ENOENT.*nope\.log/);
  assert.equal(report.decided, 0);
});

test('a real strace log of `cat /etc/hostname; ls /tmp` is parsed and its /etc/ opens denied', (t) => {
  const dir = tempDir('strace-');
  const log = nodePath.join(dir, 'real.log');
  const r = spawnSync('strace', ['-f', '-tt', '-o', log, 'sh', '-c', 'cat /etc/hostname; ls /tmp > /dev/null'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') { skipOrFail(t, 'strace', 'strace is not installed', ['strace']); return; }
  assert.equal(r.status, 0, `strace failed (ptrace not permitted?): ${r.stderr}`);
  const { events, parser } = parse(log);
  assert.equal(parser.counts.unparsable, 0);
  assert.equal(parser.counts.unfinished, 0);
  assert.ok(parser.counts.exits >= 3, 'sh, cat and ls exit');
  const hostname = events.find((e) => e.call.startsWith('open') && e.args[0] && argText(e.args[0]) === '"/etc/hostname"');
  assert.ok(hostname, 'the open of /etc/hostname is an event');
  assert.equal(hostname.comm, 'cat');
  assert.ok(events.some((e) => e.call === 'execve' && ['"/usr/bin/ls"', '"/bin/ls"'].includes(String(argText(e.args[0])))));

  const { report, result } = replay(log);
  const denied = result.monitor.filter((m) => m.rule === 'etc');
  assert.ok(denied.length >= 1);
  assert.ok(denied.every((m) => m.action === 'deny(13)'));
  // cat is a declared process of web: its calls are its own; sh and ls fall back to the first process.
  assert.ok(result.monitor.some((m) => m.process === 'cat' && m.call === 'read' && m.rule === 'cat-read'));
  assert.ok(result.monitor.some((m) => m.process === 'nginx' && m.call === 'execve'));
  assert.equal(report.hits['guard/etc'], denied.length);
  assert.equal(report.decided, events.length);
  assert.ok((report.unsupported.exit_group ?? 0) >= 3);
});

test('odd escapes are read, not fatal: \\x without hex digits, octal, and characters outside the BMP', () => {
  const dir = tempDir('strace-');
  const log = nodePath.join(dir, 'odd.log');
  writeFileSync(log, [
    '1 10:00:00.000000 open("/a\\xZZ", O_RDONLY) = 3',
    '1 10:00:00.000100 open("/b\\x41\\1012\\7", O_RDONLY) = 3',
    '1 10:00:00.000200 open("/c/😀", O_RDONLY) = 3',
    '1 10:00:00.000300 open("/d\\t😀"..., O_RDONLY) = 3',
  ].join('\n') + '\n');
  const { events, parser } = parse(log);
  assert.equal(parser.counts.unparsable, 0);
  assert.deepEqual(events.map((e) => (e.args[0] as A.Str).value), ['/axZZ', '/bAA2\u0007', '/c/😀', '/d\t😀']);
});

test('comments in arguments are cut from an opening to the next closing, as strace writes them; long runs of openings stay linear', () => {
  // The meaning the parser had with a lazy regex, kept here as the reference on short inputs.
  const reference = (a: string) => a.replace(/\/\*.*?\*\//g, '').trim();
  fc.assert(fc.property(fc.array(fc.constantFrom('/*', '*/', '*', '/', ' ', 'x', '0'), { maxLength: 24 }), (parts) => {
    const arg = parts.join('');
    const got = splitArgs(`3, ${arg}`);
    assert.deepEqual(got, ['3', reference(arg)]);
  }), { numRuns: 2000 });
  // 20,000 unclosed openings in one argument: the regex took about 0.3 s per such line.
  const many = '"/* "'.repeat(2) + ' /*'.repeat(20_000);
  assert.deepEqual(splitArgs(`${many}, 1`), [many.trim(), '1']);
});

test('an unfinished call with a long run of spaces before the tag is kept and joined with its resumed line', () => {
  const events: TraceEvent[] = [];
  const parser = new StraceParser((e) => events.push(e));
  parser.push(`7 10:00:00.000000 open("/etc/a",${' '.repeat(60_000)}<unfinished ...>`);
  parser.push('7 10:00:00.000100 <... open resumed> O_RDONLY) = 3');
  parser.finish();
  assert.deepEqual(events.map((e) => `${e.call}(${e.args.map(argText).join(', ')}) = ${e.result}`), ['open("/etc/a", "O_RDONLY") = 3']);
});

/** A log file in a fresh folder. */
function logFile(lines: string[], name = 'x.log'): string {
  const log = nodePath.join(tempDir('strace-'), name);
  writeFileSync(log, lines.join('\n') + '\n');
  return log;
}
const show = (e: TraceEvent) => `${e.pid} ${e.comm} ${e.atUs} ${e.call}(${e.args.map(argText).join(', ')}) = ${e.result}`;

const NET_SOURCE = `
host h { cpus 4 memory 8 GiB }
vm web on h { memory 1 GiB process sh { memory 16 MiB } process cat { memory 16 MiB } }
monitor guard for web {
  rule net on connect, sendto when ip(198.51.100.0/24) and port(443) then deny(1)
  rule p3 on connect, sendto when port(3) then deny(3)
  rule ip0 on connect, sendto when ip(0.0.0.0/0) then deny(5)
  rule nontls on connect, sendto when not port(443) then deny(4)
  rule catrule on read when process(cat) then deny(7)
  default allow
}
`;

test('connect and sendto: only an IP destination has a port and an address; the socket fd is never the port', () => {
  const log = logFile([
    '100 10:00:00.000000 connect(3, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("198.51.100.7")}, 16) = 0',
    '100 10:00:00.000100 connect(3, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0',
    '100 10:00:00.000200 sendto(3, "abc", 3, 0, NULL, 0) = 3',
    '100 10:00:00.000300 connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    '100 10:00:00.000400 connect(5, {sa_family=AF_INET6, sin6_port=htons(3), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:198.51.100.9", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    // The data of a sendto is not its destination, even when it reads like one.
    '100 10:00:00.000500 sendto(3, "{sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr(\\"198.51.100.7\\")}", 80, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 80',
    '100 10:00:00.000600 sendto(3, "q", 1, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("203.0.113.1")}, 16) = 1',
    '100 10:00:00.000700 connect(4, {sa_family=AF_UNIX, sun_path=@"abs\\n"}, 12) = 0',
  ]);
  const { events } = parse(log);
  assert.deepEqual(events.map((e) => `${e.call}(${e.args.map(argText).join(', ')})`), [
    'connect(198.51.100.7, 443)',
    'connect("/run/x")',
    'sendto()',
    'connect("::1", 443)',
    'connect(198.51.100.9, 3)',
    'sendto()',
    'sendto(203.0.113.1, 53)',
    'connect("@abs\\n")',
  ]);
  const { report } = replay(log, 20, NET_SOURCE);
  assert.deepEqual(report.first.map((d) => `${d.line} ${d.rule}`), [
    '1 net', '2 nontls', '3 nontls', '4 default', '5 p3', '6 nontls', '7 ip0', '8 nontls',
  ]);
});

test('under -f a child keeps the name of its own execve when the parent\'s clone resumes after it', () => {
  const log = logFile([
    '100 23:59:59.999000 execve("/bin/sh", ["sh"], 0x0 /* 1 vars */) = 0',
    '100 23:59:59.999100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>',
    '101 23:59:59.999200 execve("/bin/cat", ["cat"], 0x0 /* 1 vars */) = 0',
    '100 23:59:59.999300 <... clone resumed>, child_tidptr=0x7f) = 101',
    '101 00:00:00.000400 read(3, "x", 1) = 1',
    '100 00:00:00.000500 vfork() = 102',
    '102 00:00:00.000600 read(0, "y", 1) = 1',
    '101 00:00:00.000700 +++ exited with 0 +++',
    // Pid 101 reused by a new child of sh: the dead cat's name is not inherited.
    '100 00:00:00.000800 clone(child_stack=NULL, flags=SIGCHLD) = 101',
    '101 00:00:00.000900 read(0, "z", 1) = 1',
  ]);
  const { events } = parse(log);
  assert.deepEqual(events.filter((e) => e.call === 'read').map((e) => `${e.pid} ${e.comm} ${e.atUs}`), ['101 cat 1400', '102 sh 1600', '101 sh 1900']);
  const { report } = replay(log, 20, NET_SOURCE);
  assert.deepEqual(report.first.filter((d) => d.call === 'read').map((d) => `${d.pid} ${d.process} ${d.rule}`), ['101 cat catrule', '102 sh default', '101 sh default']);
});

test('-ttt times and the [pid N] prefix of strace -f without -o are read', () => {
  const { events, parser } = parse(logFile([
    '1796183292.892617 execve("/usr/bin/sh", ["sh"], 0x7fff /* 39 vars */) = 0',
    '[pid  4242] 1796183292.893617 openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3',
    '[pid 4243<cat>] 1796183293.000000 read(3, "h", 1) = 1',
    '4244 1796183293.5 open("/etc/a", O_RDONLY) = 3',
    // One log has one clock: a -tt line in an -ttt log is not read.
    '4244 10:00:00.000000 open("/etc/b", O_RDONLY) = 3',
  ]));
  assert.deepEqual(events.map(show), [
    '0 sh 0 execve("/usr/bin/sh") = 0',
    '4242 undefined 1000 openat("/etc/hostname", "O_RDONLY") = 3',
    '4243 cat 107383 read(3, "h", 1) = 1',
    '4244 undefined 607383 open("/etc/a", "O_RDONLY") = 3',
  ]);
  assert.equal(parser.counts.unparsable, 1);
});

test('a log of which no line can be read is refused, saying why and how to record one; a few bad lines are only counted', () => {
  const relative = logFile(['21623      0.000000 execve("/usr/bin/cat", ["cat"], 0x7ff /* 39 vars */) = 0', '21623      0.002659 brk(NULL) = 0x55bb']);
  const untimed = logFile(['', '21637 execve("/usr/bin/cat", ["cat"], 0x7ff /* 39 vars */) = 0']);
  const other = logFile(['hello', 'world']);
  const empty = logFile([]);
  const hint = /record the log with `strace -f -tt -o LOG COMMAND`/;
  assert.match(straceLogProblem(relative) ?? '', /^none of its 2 lines can be read \(line 1 has times relative to the previous call, as `strace -r` writes them\); /);
  assert.match(straceLogProblem(untimed) ?? '', /^none of its 2 lines can be read \(line 2 has no time: strace ran without -tt\); /);
  assert.match(straceLogProblem(other) ?? '', /^none of its 2 lines can be read \(line 1 is not a strace line\); /);
  assert.match(straceLogProblem(empty) ?? '', /^the log is empty; /);
  for (const log of [relative, untimed, other, empty]) assert.match(straceLogProblem(log)!, hint);
  // The replay refuses the same logs (a run error naming the log), not a silent pass.
  const { report } = replay(relative, 20, NET_SOURCE);
  assert.match(report.error ?? '', /line 1 has times relative/);
  assert.match(traceReportText(report).join('\n'), /error: none of its 2 lines can be read/);
  // One readable line is enough: the rest are counted as now.
  const mostly = logFile(['garbage', '1 10:00:00.000000 open("/etc/a", O_RDONLY) = 3', 'more garbage']);
  assert.equal(straceLogProblem(mostly), undefined);
  const ok = replay(mostly, 20, NET_SOURCE).report;
  assert.equal(ok.error, undefined);
  assert.equal(ok.unparsable, 2);
  assert.equal(straceLogProblem(FIXTURE), undefined);
});

test('a call cut short by its process\'s death (`<unfinished ...>) = ?`) is an event with the arguments strace printed', () => {
  const { events, parser } = parse(logFile([
    '7 10:00:00.000000 read(3,  <unfinished ...>',
    '8 10:00:00.000050 exit_group(0) = ?',
    '7 10:00:00.000100 <... read resumed> <unfinished ...>) = ?',
    '7 10:00:00.000150 openat(AT_FDCWD, "/etc/a", O_RDONLY <unfinished ...>) = ?',
    '7 10:00:00.000200 +++ killed by SIGKILL +++',
  ]));
  assert.deepEqual(events.map(show), ['7 undefined 100 read(3) = ?', '7 undefined 150 openat("/etc/a", "O_RDONLY") = ?']);
  assert.equal(parser.counts.unparsable, 0);
  assert.equal(parser.counts.unfinished, 0);
});

test('real strace logs in -ttt and in strace -f\'s own output (no -o, [pid N] prefixes) are read', (t) => {
  const dir = tempDir('strace-');
  const ttt = nodePath.join(dir, 'ttt.log');
  const r = spawnSync('strace', ['-f', '-ttt', '-o', ttt, 'sh', '-c', 'cat /etc/hostname > /dev/null & wait'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') { skipOrFail(t, 'strace', 'strace is not installed', ['strace']); return; }
  assert.equal(r.status, 0, `strace failed (ptrace not permitted?): ${r.stderr}`);
  const a = parse(ttt);
  assert.equal(a.parser.counts.unparsable, 0);
  const open = a.events.find((e) => e.call.startsWith('open') && e.args[0] && argText(e.args[0]) === '"/etc/hostname"');
  assert.equal(open?.comm, 'cat');
  assert.ok(open.atUs > 0 && open.atUs < 60e6, `a time since the first line: ${open.atUs}`);
  // Without -o, strace writes to stderr: `[pid N] ` prefixes, and its own notes in between.
  const s = spawnSync('strace', ['-f', '-tt', 'sh', '-c', 'cat /etc/hostname > /dev/null & wait'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(s.status, 0, s.stderr);
  const stderrLog = nodePath.join(dir, 'stderr.log');
  writeFileSync(stderrLog, s.stderr);
  const b = parse(stderrLog);
  assert.ok(b.events.some((e) => e.call.startsWith('open') && e.pid > 0 && e.comm === 'cat' && argText(e.args[0]) === '"/etc/hostname"'), 'cat\'s open, with its pid from the prefix');
  assert.ok(b.parser.counts.unparsable <= 4, `only strace's notes and what they split are unread: ${b.parser.counts.unparsable}`);
});

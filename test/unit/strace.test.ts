// strace logs in: the parser (a hand-written log with every kind of line, and
// a real log captured from a program run under strace during the test), and
// the replay through a VM's monitor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { StraceParser, readStraceLines, splitArgs, MAX_LINE_BYTES, type TraceEvent } from '../../server/src/sim/strace';
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

function replay(log: string, firstN?: number): { report: TraceReport; result: ScenarioResult } {
  const ws = memoryWorkspace({ 'main.vmsec': SOURCE });
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

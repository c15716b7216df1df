// Issue 11's real traces in and real policies out, as a user runs them: the
// bundled CLI with a strace log captured here, and export-policy's outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';
import { skipOrFail } from '../skips';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');
const vmsec = (args: string[], cwd: string) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const MONITORED = `host h { }
vm v on h { process cat { } process sh { } }
monitor m for v { rule etc on open, openat when filePrefix(0, "/etc/") then deny(13) }
scenario "traced" { expect m denies > 0 }
`;

test('run --trace VM=LOG replays a real strace log into the VM\'s monitors', (t) => {
  if (spawnSync('strace', ['-V']).status !== 0) { skipOrFail(t, 'strace replay (test/cli/trace-and-policy.test.ts)', 'strace is not installed', ['strace']); return; }
  const dir = tempDir('trace-');
  writeFileSync(join(dir, 't.vmsec'), MONITORED);
  const cap = spawnSync('strace', ['-f', '-tt', '-o', join(dir, 'cat.log'), 'sh', '-c', 'cat /etc/hostname > /dev/null'], { encoding: 'utf8' });
  assert.equal(cap.status, 0, cap.stderr);
  const r = vmsec(['run', 't.vmsec', '--trace', 'v=cat.log', '--format', 'json'], dir);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out).scenarios[0];
  assert.equal(s.passed, true);
  assert.equal(s.traces.length, 1);
  assert.ok(s.traces[0].hits['m/etc'] >= 1, JSON.stringify(s.traces[0].hits));
  assert.ok(s.monitor.some((d: { rule: string; action: string; call: string; process: string }) => d.rule === 'etc' && d.action === 'deny(13)' && d.process === 'cat'));
  // The text report names the rule hits.
  assert.match(vmsec(['run', 't.vmsec', '--trace', 'v=cat.log'], dir).out, /m\/etc/);
});

test('run --trace: a missing log or a malformed option is an input or usage error (exit 2)', () => {
  const dir = tempDir('trace-');
  writeFileSync(join(dir, 't.vmsec'), MONITORED);
  const missing = vmsec(['run', 't.vmsec', '--trace', 'v=nope.log'], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--trace v=nope\.log: nope\.log does not exist/);
  const bad = vmsec(['run', 't.vmsec', '--trace', 'v'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--trace v: write VM=LOG/);
  // A log in a format vmsec does not read (here without -tt times) is refused, not replayed as zero events.
  writeFileSync(join(dir, 'untimed.log'), '1 execve("/bin/x", ["x"], 0x0 /* 0 vars */) = 0\n');
  const untimed = vmsec(['run', 't.vmsec', '--trace', 'v=untimed.log'], dir);
  assert.equal(untimed.code, 2, untimed.out + untimed.err);
  assert.match(untimed.err, /--trace v=untimed\.log: none of its 1 line can be read \(line 1 has no time: strace ran without -tt\); record the log with `strace -f -tt -o LOG COMMAND`/);
});

test('export-policy writes Tetragon and Falco YAML for a monitor; unknown monitors and foreign files are refused', () => {
  const samples = join(import.meta.dirname, '..', '..', 'samples');
  const tet = vmsec(['export-policy', join(samples, 'monitoring.vmsec'), 'guard', '--format', 'tetragon'], samples);
  assert.equal(tet.code, 0, tet.err);
  assert.match(tet.out, /^# vmsec export-policy\n/);
  assert.match(tet.out, /kind: TracingPolicy/);
  assert.match(tet.err, /vmsec: note: monitor guard/);
  const unknown = vmsec(['export-policy', join(samples, 'monitoring.vmsec'), 'nope', '--format', 'falco'], samples);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /no monitor "nope" .*it has: guard, lockdown, vault/);
  const dir = tempDir('policy-');
  writeFileSync(join(dir, 'precious.yaml'), 'mine\n');
  const refused = vmsec(['export-policy', join(samples, 'monitoring.vmsec'), 'guard', '--format', 'falco', '--out', join(dir, 'precious.yaml')], dir);
  assert.equal(refused.code, 2);
  assert.equal(readFileSync(join(dir, 'precious.yaml'), 'utf8'), 'mine\n');
});

// `vmsec sweep` as a user runs it: a grid of declared values with medians
// that follow the varied value, ablation naming what each defence carries,
// located errors for wrong paths and values, exit codes, formats and --out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');

function vmsec(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Eager memory over a slow link: every child waits for all its pages, one child after another.
const FORK = `host h1 { tpm ecdsa-p256 }
host h2 { tpm ecdsa-p256 }
link h1 <-> h2 { bandwidth 100 Mbps latency 1 ms }
vm web on h1 { memory 8 MiB vtpm process app { memory 2 MiB } }
fork f of web {
  children 1
  on h2
  memory eager
}
scenario "fork" {
  at 0 ms fork f
  expect f ready within 3 s
}
`;
// Lazy memory with an attacker: integrity is what rejects the tampered pages.
const TAMPERED = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'batch', 'tampered-fork.vmsec'), 'utf8');

function dirWith(files: Record<string, string>): string {
  const dir = tempDir('sweep-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('a sweep prints one row per value; ready_ms grows with the number of children; a failing point exits 1', () => {
  const dir = dirWith({ 'fork.vmsec': FORK });
  const r = vmsec(['sweep', 'fork.vmsec', '--vary', 'f.children=1,2,8', '--metric', 'ready_ms', '--format', 'json'], dir);
  assert.equal(r.code, 1, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.axes, [{ path: 'f.children', values: ['1', '2', '8'] }]);
  const ready = j.points.map((p: { cells: { metrics: { ready_ms: number } }[] }) => p.cells[0].metrics.ready_ms);
  assert.ok(ready[0] < ready[1] && ready[1] < ready[2], JSON.stringify(ready));
  // 8 MiB over 100 Mbps is about 0.7 s per child: eight children miss the 3 s deadline.
  assert.deepEqual(j.points.map((p: { cells: { passed: number; runs: number }[] }) => `${p.cells[0].passed}/${p.cells[0].runs}`), ['1/1', '1/1', '0/1']);
  assert.deepEqual(j.points[2].cells[0].failing.map((f: { line: number; text: string }) => [f.line, f.text]), [[12, 'expect f ready within 3 s']]);

  const t = vmsec(['sweep', 'fork.vmsec', '--vary', 'f.children=1,2,8', '--metric', 'ready_ms'], dir);
  assert.equal(t.code, 1);
  const lines = t.out.split('\n');
  assert.match(lines[0], /^vmsec sweep of fork\.vmsec: f\.children \(3\), 3 points, seeds as declared, 3 runs$/);
  assert.match(t.out, /\n {2}f\.children {2}ready_ms +passed\n/);
  const rows = lines.filter((l) => /^ {2}[128] /.test(l)).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map((x) => [x[0], Number(x[1]), x[2]]), [['1', ready[0], '1/1'], ['2', ready[1], '1/1'], ['8', ready[2], '0/1']]);
  assert.match(t.out, /line 12: expect f ready within 3 s failed at f\.children=8/);
});

test('two axes, seeds and --jobs 2 give the same result as --jobs 1; a passing sweep exits 0', () => {
  const dir = dirWith({ 'fork.vmsec': FORK });
  const args = ['sweep', 'fork.vmsec', '--vary', 'f.children=1,2', '--vary', 'link.h2-h1.bandwidth=100Mbps,1Gbps', '--metric', 'ready_ms', '--metric', 'pass_rate', '--seeds', '1..2', '--format', 'json'];
  const one = vmsec(args, dir);
  const two = vmsec([...args, '--jobs', '2'], dir);
  assert.equal(one.code, 0, one.err);
  assert.equal(two.code, 0, two.err);
  assert.equal(two.out, one.out);
  const j = JSON.parse(one.out);
  assert.deepEqual(j.points.map((p: { id: string }) => p.id), [
    'f.children=1,link.h2-h1.bandwidth=100Mbps', 'f.children=1,link.h2-h1.bandwidth=1Gbps',
    'f.children=2,link.h2-h1.bandwidth=100Mbps', 'f.children=2,link.h2-h1.bandwidth=1Gbps',
  ]);
  for (const p of j.points) assert.equal(p.cells[0].runs, 2);
  // A faster link makes the children ready sooner.
  assert.ok(j.points[1].cells[0].metrics.ready_ms < j.points[0].cells[0].metrics.ready_ms);
  assert.equal(j.points[0].cells[0].metrics.pass_rate, 1);
});

test('--samples picks the same points every time, in grid order', () => {
  const dir = dirWith({ 'fork.vmsec': FORK });
  const args = ['sweep', 'fork.vmsec', '--vary', 'f.children=1,2,3', '--vary', 'web.vcpus=1,2', '--samples', '2', '--format', 'json'];
  const a = vmsec(args, dir);
  assert.equal(a.code, 0, a.err);
  const j = JSON.parse(a.out);
  assert.equal(j.points.length, 2);
  assert.equal(j.gridSize, 6);
  assert.equal(vmsec(args, dir).out, a.out);
});

test('a wrong path, an out-of-range value and an unknown metric exit 2 with a located message and a suggestion', () => {
  const dir = dirWith({ 'fork.vmsec': FORK });
  const wrong = vmsec(['sweep', 'fork.vmsec', '--vary', 'f.childs=8', '--metric', 'ready_ms'], dir);
  assert.equal(wrong.code, 2);
  assert.equal(wrong.err, "vmsec: fork.vmsec:5:6: --vary f.childs=8: no property 'childs' on fork f (did you mean children?)\n");
  assert.equal(wrong.out, '');

  const range = vmsec(['sweep', 'fork.vmsec', '--vary', 'f.children=2,0'], dir);
  assert.equal(range.code, 2);
  assert.match(range.err, /^vmsec: fork\.vmsec:6:12: --vary f\.children=0: VMS003 .+\n$/);

  const metric = vmsec(['sweep', 'fork.vmsec', '--vary', 'f.children=2', '--metric', 'ready'], dir);
  assert.equal(metric.code, 2);
  assert.match(metric.err, /^vmsec: unknown metric 'ready' \(did you mean ready_ms\?\); metrics are ready_ms, .*pass_rate\nusage: vmsec sweep FILE/);

  const none = vmsec(['sweep', 'fork.vmsec'], dir);
  assert.equal(none.code, 2);
  assert.match(none.err, /sweep needs --vary PATH=V1,V2,\.\.\. or --ablate/);
  const both = vmsec(['sweep', 'fork.vmsec', '--ablate', '--vary', 'f.children=2'], dir);
  assert.equal(both.code, 2);
});

const SMALL_FORK = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'batch', 'small-fork.vmsec'), 'utf8');

test('a value that fits only with another axis runs: the point that does not fit fails with its located reason, the others run', () => {
  // small-fork's host b has 8 cpus: 16 one-vcpu children fit only with b.cpus=16.
  const dir = dirWith({ 'sf.vmsec': SMALL_FORK });
  const args = ['sweep', 'sf.vmsec', '--vary', 'f.children=2,16', '--vary', 'b.cpus=8,16', '--metric', 'ready_ms'];
  const j = vmsec([...args, '--format', 'json'], dir);
  assert.equal(j.code, 1, j.err);
  assert.equal(j.err, '');
  const points = JSON.parse(j.out).points as { id: string; cells: { passed: number; runs: number; metrics: { ready_ms: number | null }; errors: { line: number; message: string }[] }[] }[];
  assert.deepEqual(points.map((p) => [p.id, `${p.cells[0].passed}/${p.cells[0].runs}`]), [
    ['f.children=2,b.cpus=8', '1/1'], ['f.children=2,b.cpus=16', '1/1'], ['f.children=16,b.cpus=8', '0/1'], ['f.children=16,b.cpus=16', '1/1'],
  ]);
  const bad = points[2].cells[0];
  assert.equal(bad.metrics.ready_ms, null);
  assert.deepEqual(bad.errors.map((e) => e.line), [21]);
  assert.match(bad.errors[0].message, /VMS014 16 children of 1 vcpu on host 'b' need 16 cpus, but it has 8/);
  assert.ok(points[3].cells[0].metrics.ready_ms! > 0);
  assert.deepEqual(points.filter((_, i) => i !== 2).map((p) => p.cells[0].errors), [[], [], []]);

  // One axis: the value that does not fit is one failed row, not a refused sweep.
  const one = vmsec(['sweep', 'sf.vmsec', '--vary', 'f.children=2,16', '--metric', 'ready_ms'], dir);
  assert.equal(one.code, 1, one.err);
  assert.match(one.out, /\n {2}2 +[\d.]+ +1\/1\n {2}16 +— +0\/1\n/);
  assert.match(one.out, /\n {2}line 21: .*VMS014 16 children .* at f\.children=16\n/);

  // Shards of it merge to what the whole sweep prints.
  const parts = ['1/2', '2/2'].map((sh, i) => {
    const part = join(dir, `p${i}.part`);
    const r = vmsec([...args, '--shard', sh, '--out', part], dir);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    return part;
  });
  const merged = vmsec(['merge', ...parts], dir);
  const whole = vmsec(args, dir);
  assert.equal(merged.out, whole.out);
  assert.equal(merged.code, 1);
});

test('what is wrong with a value itself still refuses the sweep, before what the combination would say', () => {
  const dir = dirWith({ 'sf.vmsec': SMALL_FORK });
  const many = vmsec(['sweep', 'sf.vmsec', '--vary', 'f.children=16 encrypt'], dir);
  assert.equal(many.code, 2);
  assert.equal(many.err, "vmsec: sf.vmsec:20:12: --vary f.children=16 encrypt: '16 encrypt' is not a single value of children\n");
  const name = vmsec(['sweep', 'sf.vmsec', '--vary', 'f.on=b+c', '--vary', 'f.children=2,16'], dir);
  assert.equal(name.code, 2);
  assert.match(name.err, /^vmsec: sf\.vmsec:21:9: --vary f\.on=b\+c: VMS001 host 'c' is not declared.*\n$/);
  const flood = vmsec(['sweep', 'sf.vmsec', '--vary', 'eve.flood=5%'], dir);
  assert.equal(flood.code, 2);
  assert.equal(flood.err, "vmsec: sf.vmsec:27:10: --vary eve.flood=5%: no property 'flood' on attacker eve; it has tenant, tamper, drop, replay\n");
});

test('--ablate says which expectations each defence carries', () => {
  const dir = dirWith({ 'tampered.vmsec': TAMPERED });
  const r = vmsec(['sweep', 'tampered.vmsec', '--ablate'], dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, [
    'vmsec sweep --ablate of tampered.vmsec: 1 defence, seeds as declared',
    'as written: 1 of 1 scenario pass in every seed',
    '',
    'without integrity on f (line 5), 2 expectations fail:',
    '  line 10 expect no tampered page accepted ("fork under tampering", seed 1)',
    '  line 11 expect f pages rejected > 0 ("fork under tampering", seed 1)',
    '',
  ].join('\n'));
  const j = JSON.parse(vmsec(['sweep', 'tampered.vmsec', '--ablate', '--format', 'json'], dir).out);
  assert.deepEqual(j.defences.map((d: { id: string; line: number; carries: { line: number }[] }) => [d.id, d.line, d.carries.map((c) => c.line)]), [['ablate:integrity@f', 5, [10, 11]]]);
});

test('--format html --out writes a page with a table and a chart, replaces only its own output', () => {
  const dir = dirWith({ 'fork.vmsec': FORK, 'notes.html': '<p>mine</p>\n' });
  const args = ['sweep', 'fork.vmsec', '--vary', 'f.children=1,2', '--metric', 'ready_ms', '--format', 'html'];
  const r = vmsec([...args, '--out', 'sweep.html'], dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '');
  assert.match(r.err, /results|report/);
  const html = readFileSync(join(dir, 'sweep.html'), 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html><!-- vmsec sweep -->'));
  assert.match(html, /<th class="l">f\.children<\/th><th>ready_ms<\/th>/);
  assert.match(html, /<figcaption>ready_ms against f\.children<\/figcaption><svg/);
  assert.doesNotMatch(html, /<script/);
  // Again, as JSON, over its own earlier output: allowed.
  assert.equal(vmsec([...args.slice(0, -2), '--format', 'json', '--out', 'sweep.html'], dir).code, 0);
  // A file vmsec did not write is never replaced.
  const refused = vmsec([...args, '--out', 'notes.html'], dir);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /^vmsec: --out notes\.html: /);
  assert.equal(readFileSync(join(dir, 'notes.html'), 'utf8'), '<p>mine</p>\n');
});

test('ablation names the file of a defence declared in an imported file; one seed is "1 run"', () => {
  const [setup, scenario] = [TAMPERED.slice(0, TAMPERED.indexOf('scenario')), TAMPERED.slice(TAMPERED.indexOf('scenario'))];
  const dir = dirWith({ 'lib.vmsec': setup, 'main.vmsec': `import "lib.vmsec"\n${scenario}` });
  const r = vmsec(['sweep', 'main.vmsec', '--ablate'], dir);
  assert.equal(r.code, 0, r.err);
  // `integrity per-page` is on line 5 of lib.vmsec; line 5 of main.vmsec is an expectation.
  assert.match(r.out, /^without integrity on f \(lib\.vmsec:5\), 2 expectations fail:\n  line 5 expect no tampered page accepted/m);
  const one = vmsec(['run', 'main.vmsec', '--seeds', '4'], dir);
  assert.match(one.out, /^1 run \(seeds 4\): 1 passed, 0 failed$/m);
});

test('--metric pass_rate is a column of the text table (and of the HTML table), as a percentage', () => {
  const dir = dirWith({ 'sf.vmsec': SMALL_FORK });
  const args = ['sweep', 'sf.vmsec', '--vary', 'f.children=1,2', '--metric', 'pass_rate', '--metric', 'ready_ms', '--seeds', '1..3'];
  const t = vmsec(args, dir);
  assert.equal(t.code, 1, t.err);
  const j = JSON.parse(vmsec([...args, '--format', 'json'], dir).out);
  const rates = j.points.map((p: { cells: { metrics: { pass_rate: number } }[] }) => p.cells[0].metrics.pass_rate);
  assert.match(t.out, /\n {2}f\.children {2}pass_rate {2}ready_ms +passed\n/);
  const rows = t.out.split('\n').filter((l) => /^ {2}[12] /.test(l)).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map((r) => r[1]), rates.map((x: number) => `${(x * 100).toFixed(1)}%`));
  assert.deepEqual(rows.map((r) => r[3]), j.points.map((p: { cells: { passed: number; runs: number }[] }) => `${p.cells[0].passed}/${p.cells[0].runs}`));
  // Only pass_rate: a column, and no "medians" (a share is not a median).
  const only = vmsec(['sweep', 'sf.vmsec', '--vary', 'f.children=1,2', '--metric', 'pass_rate', '--seeds', '1..3'], dir);
  assert.match(only.out, /\nscenario "fork under tampering"\n {2}f\.children {2}pass_rate {2}passed\n/);
  const html = vmsec([...args, '--format', 'html'], dir).out;
  assert.match(html, /<th class="l">f\.children<\/th><th>pass_rate<\/th><th>ready_ms<\/th><th>passed<\/th>/);
  assert.ok(html.includes(`<td>${rows[0][1]}</td>`));
});

test('values equal once read (1 and 01, 1Gbps and 1000Mbps) are refused as one value given twice, naming both', () => {
  const dir = dirWith({ 'fork.vmsec': FORK });
  const num = vmsec(['sweep', 'fork.vmsec', '--vary', 'f.children=1,01'], dir);
  assert.equal(num.code, 2);
  assert.match(num.err, /^vmsec: --vary f\.children=1,01: 01 is the same value as 1; give each value once\nusage: vmsec sweep/);
  const rate = vmsec(['sweep', 'fork.vmsec', '--vary', 'link.h1-h2.bandwidth=1Gbps,100Mbps,1000 Mbps'], dir);
  assert.equal(rate.code, 2);
  assert.match(rate.err, /^vmsec: --vary link\.h1-h2\.bandwidth=1Gbps,100Mbps,1000 Mbps: 1000 Mbps is the same value as 1Gbps; give each value once\n/);
  assert.match(vmsec(['sweep', 'fork.vmsec', '--vary', 'f.children=2,2'], dir).err, /the value 2 is given twice/);
  // Sizes compare by bytes, whatever the unit.
  const size = vmsec(['sweep', 'fork.vmsec', '--vary', 'f.children=1,2', '--vary', 'web.memory=8MiB,8192KiB'], dir);
  assert.equal(size.code, 2);
  assert.match(size.err, /8192KiB is the same value as 8MiB/);
});

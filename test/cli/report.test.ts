// `vmsec run FILE --report report.html`: one self-contained HTML file with the
// results and the view script, written only where vmsec may write, and never
// over a file that is not a vmsec report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';

const DIST = join(import.meta.dirname, '..', '..', 'dist');
const CLI = join(DIST, 'vmsec.js');
const SMALL = join(import.meta.dirname, '..', 'fixtures', 'report', 'small.vmsec');

function vmsec(args: string[], cli = CLI) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function dataOf(html: string): { scenarios: { name: string; timeline: { kind: string }[] }[]; raw: { name: string; expectations: unknown[] }[] } {
  const m = /<script type="application\/json" id="vmsec-data">([^]*?)<\/script>/.exec(html);
  assert.ok(m, 'no data block');
  return JSON.parse(m[1]);
}

test('--report writes one HTML file with the results, the timeline and the view script inlined', () => {
  const dir = tempDir('report-');
  const target = join(dir, 'out', 'report.html');
  const r = vmsec(['run', SMALL, '--checkpoint-dir', join(dir, 'ck'), '--report', target]);
  // The fixture has one failing expectation on purpose.
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /report written to .*report\.html/);
  const html = readFileSync(target, 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>\n<!-- vmsec report -->\n'));
  const data = dataOf(html);
  assert.equal(data.scenarios[0].name, 'small </script> run');
  assert.equal(data.raw[0].expectations.length, 5);
  const kinds = new Set(data.scenarios[0].timeline.map((t) => t.kind));
  for (const k of ['fork-phase', 'attestation', 'page-rate', 'monitor', 'checkpoint']) assert.ok(kinds.has(k), `no ${k} in the timeline`);
  const script = readFileSync(join(DIST, 'report-view.js'), 'utf8');
  // The bundle (Chart.js included) is inlined, not loaded from anywhere.
  assert.ok(html.includes(script.slice(0, 200).replace(/<\/(script)/gi, '<\\/$1')));
  assert.doesNotMatch(html, /<script[^>]+src=/);
  assert.ok(html.includes('<span class="fail">✗</span> h3 invalid_pcr_4: expected 1abf…, got 322e…'));
  // The JSON output is unchanged by --report.
  const json = vmsec(['run', SMALL, '--checkpoint-dir', join(dir, 'ck'), '--format', 'json', '--report', target]);
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.out).scenarios[0].name, 'small </script> run');
  assert.equal(json.err, '');
});

test('--report replaces an earlier report but never a file vmsec did not write', () => {
  const dir = tempDir('report-');
  const target = join(dir, 'notes.html');
  writeFileSync(target, '<html>my notes</html>\n');
  const r = vmsec(['run', SMALL, '--checkpoint-dir', join(dir, 'ck'), '--report', target]);
  assert.equal(r.code, 2);
  assert.match(r.err, /vmsec: --report .*notes\.html: .*not written by vmsec/);
  assert.equal(r.out, '', 'nothing ran');
  assert.equal(readFileSync(target, 'utf8'), '<html>my notes</html>\n');

  const ours = join(dir, 'report.html');
  assert.equal(vmsec(['run', SMALL, '--checkpoint-dir', join(dir, 'ck'), '--report', ours]).code, 1);
  const first = readFileSync(ours, 'utf8');
  assert.equal(vmsec(['run', SMALL, '--checkpoint-dir', join(dir, 'ck'), '--report', ours]).code, 1);
  assert.ok(readFileSync(ours, 'utf8').startsWith('<!DOCTYPE html>\n<!-- vmsec report -->\n'));
  assert.ok(first.length > 0);

  const folder = vmsec(['run', SMALL, '--checkpoint-dir', join(dir, 'ck'), '--report', dir]);
  assert.equal(folder.code, 2);
});

test('--report without the view script beside the CLI is a clear error, before anything runs', () => {
  const dir = tempDir('report-cli-');
  copyFileSync(CLI, join(dir, 'vmsec.js'));
  // The run command's own bundle (and its code cache) comes along; the view script does not.
  for (const f of ['cli-run.js', 'cli-run.js.cache']) if (existsSync(join(DIST, f))) copyFileSync(join(DIST, f), join(dir, f));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  const target = join(dir, 'r.html');
  const r = vmsec(['run', SMALL, '--checkpoint-dir', join(dir, 'ck'), '--report', target], join(dir, 'vmsec.js'));
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /vmsec: the report's view script .*report-view\.js is missing/);
  assert.equal(existsSync(target), false);
});

test('run --help documents --report', () => {
  const r = vmsec(['run', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /--report FILE\s+also write the results view/);
});

// The bundled CLI as a user runs it: output lines, formats and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { tempDir } from '../tmp';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');
const SAMPLES = join(import.meta.dirname, '..', '..', 'samples');

function vmsec(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function workdir(files: Record<string, string>): string {
  const dir = tempDir('cli-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const BROKEN = 'host a { cpus 2 }\nvm web on bb { memory 3 s }\nhost c { }\nlink a <-> c { }\nfork f of web { on c }\n';

test('check prints file:line:col: severity CODE message and exits 1 on errors', () => {
  const dir = workdir({ 'bad.vmsec': BROKEN });
  const r = vmsec(['check', 'bad.vmsec'], dir);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.ok(lines.includes("bad.vmsec:2:11: error VMS001 host 'bb' is not declared; declare it with `host bb …`"), r.out);
  assert.ok(lines.some((l) => l.startsWith('bad.vmsec:2:23: error VMS003 vm memory needs a size')), r.out);
  assert.match(r.err, /1 file checked: 2 errors/);
});

test('warnings alone exit 0', () => {
  const dir = workdir({ 'warn.vmsec': 'host a { } host b { } link a <-> b { } vm v on a { } fork f of v { on b }\n' });
  const r = vmsec(['check', '.'], dir);
  assert.equal(r.code, 0);
  assert.match(r.out, /^warn\.vmsec:1:71: warning VMS011 /m);
});

test('--format json has the documented shape with 1-based positions', () => {
  const dir = workdir({ 'bad.vmsec': BROKEN });
  const r = vmsec(['check', 'bad.vmsec', '--format', 'json'], dir);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  const d = j.diagnostics.find((x: { code: string }) => x.code === 'VMS001');
  assert.deepEqual({ file: d.file, line: d.line, col: d.col, severity: d.severity }, { file: 'bad.vmsec', line: 2, col: 11, severity: 'error' });
  assert.equal(typeof d.message, 'string');
});

test('--format sarif is SARIF 2.1.0 with rules and located results', () => {
  const dir = workdir({ 'bad.vmsec': BROKEN });
  const r = vmsec(['check', 'bad.vmsec', '--format=sarif'], dir);
  const s = JSON.parse(r.out);
  assert.equal(s.version, '2.1.0');
  const run = s.runs[0];
  assert.equal(run.tool.driver.name, 'vmsec');
  assert.ok(run.tool.driver.rules.some((x: { id: string }) => x.id === 'VMS050'));
  const res = run.results.find((x: { ruleId: string }) => x.ruleId === 'VMS001');
  assert.equal(res.level, 'error');
  assert.equal(run.tool.driver.rules[res.ruleIndex].id, 'VMS001');
  assert.deepEqual(res.locations[0].physicalLocation.artifactLocation, { uri: 'bad.vmsec', uriBaseId: '%SRCROOT%' });
  assert.deepEqual(res.locations[0].physicalLocation.region, { startLine: 2, startColumn: 11, endLine: 2, endColumn: 13 });
});

test('folders are searched and imported files are checked too', () => {
  const dir = workdir({ 'a/main.vmsec': 'import "../lib/hosts.vmsec"\nvm v on h { }', 'lib/hosts.vmsec': 'host h { cpus 0 }' });
  const r = vmsec(['check', 'a'], dir);
  assert.equal(r.code, 1);
  assert.match(r.out, /lib\/hosts\.vmsec:1:15: error VMS003 cpus must be between 1 and /);
});

test('all samples check with no errors', () => {
  const r = vmsec(['check', SAMPLES]);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out, '');
});

test('misuse exits 2 with usage', () => {
  assert.equal(vmsec(['check']).code, 2);
  assert.equal(vmsec(['check', 'nope.vmsec']).code, 2);
  assert.equal(vmsec(['check', SAMPLES, '--format', 'xml']).code, 2);
  const r = vmsec(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.err, /usage:/);
});

test('a folder with no .vmsec file is exit 2 with the same message as run, in every format', () => {
  const dir = workdir({ 'empty/notes.txt': 'not vmsec\n', 'ok.vmsec': 'host a { }\n' });
  for (const format of ['text', 'json', 'sarif']) {
    const r = vmsec(['check', 'empty/', '--format', format], dir);
    assert.equal(r.code, 2, `${format}: ${r.err}`);
    assert.equal(r.err, 'vmsec: no .vmsec files in empty/\n', format);
    assert.equal(r.out, '', format);
  }
  const run = vmsec(['run', 'empty/'], dir);
  assert.equal(run.code, 2);
  assert.equal(run.err, 'vmsec: no .vmsec files in empty/\n');
  // An empty folder beside a file is no problem: the file is checked.
  const mixed = vmsec(['check', 'empty', 'ok.vmsec'], dir);
  assert.equal(mixed.code, 0, mixed.err);
  assert.match(mixed.err, /^1 file checked: 0 errors, 0 warnings$/m);
});

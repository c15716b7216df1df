// `vmsec run --export-certs DIR`: the PEM files a run writes, checked with
// Debian's `openssl verify -attime` (valid inside the window, refused after it
// and against another authority's CA), and the export folder's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipOrFail } from '../skips';
import { tempDir } from '../tmp';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');
const OPENSSL = '/usr/bin/openssl';

function vmsec(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const FILE = `host h { } vm a on h { virtualization os-level tenant acme } vm b on h { virtualization os-level }
authority ca { key ecdsa-p256 } authority other { key rsa-2048 }
certificate ca-a for a by ca valid 2 s
certificate ot-b for b by other valid 1 h
share "/lib" between a, b require certificate
scenario "rotate / share" {
  at 1 s write a "/lib"
  at 3 s rotate ca-a
  at 3500 ms write a "/lib"
  expect write a "/lib" allowed
}
`;

function exported(t: { skip(msg?: string): void }): { dir: string; unix0: number } | undefined {
  if (spawnSync(OPENSSL, ['version']).status !== 0) {
    skipOrFail(t, 'openssl interop (test/cli/export-certs.test.ts)', 'openssl is not installed', ['openssl']);
    return undefined;
  }
  const work = tempDir('certs-');
  writeFileSync(join(work, 'scow.vmsec'), FILE);
  const out = join(work, 'out');
  const r = vmsec(['run', join(work, 'scow.vmsec'), '--export-certs', out]);
  assert.equal(r.code, 0, r.out + r.err);
  // The scenario's folder: its title made a safe file name.
  const folders = readdirSync(out).filter((f) => f !== '.vmsec-export');
  assert.equal(folders.length, 1);
  assert.match(folders[0], /^rotate-share-[0-9a-f]{8}$/);
  const dir = join(out, folders[0]);
  const index = JSON.parse(readFileSync(join(dir, 'certificates.json'), 'utf8'));
  return { dir, unix0: Date.parse(index.epoch) / 1000 };
}

/** `openssl verify -attime` of one certificate against one CA file: exit status and output. */
function verify(dir: string, ca: string, cert: string, unix: number, strict = false) {
  const r = spawnSync(OPENSSL, ['verify', ...(strict ? ['-x509_strict'] : []), '-attime', String(unix), '-CAfile', join(dir, ca), join(dir, cert)], { encoding: 'utf8' });
  return { code: r.status, text: r.stdout + r.stderr };
}

test('--export-certs writes each CA and every issue as PEM, with an index of what each is', (t) => {
  const e = exported(t);
  if (!e) return;
  assert.deepEqual(readdirSync(e.dir).sort(), ['ca-a.1.pem', 'ca-a.2.pem', 'ca-ca.pem', 'ca-other.pem', 'certificates.json', 'ot-b.1.pem']);
  assert.match(readFileSync(join(e.dir, 'ca-a.1.pem'), 'utf8'), /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/);
  const index = JSON.parse(readFileSync(join(e.dir, 'certificates.json'), 'utf8'));
  assert.equal(index.epoch, '2026-01-01T00:00:00.000Z');
  const rotated = index.certificates.find((c: { file: string }) => c.file === 'ca-a.2.pem');
  assert.deepEqual([rotated.issued_us, rotated.valid_us, rotated.not_before, rotated.not_after], [3_000_000, 2_000_000, '2026-01-01T00:00:03.000Z', '2026-01-01T00:00:05.000Z']);
  const text = spawnSync(OPENSSL, ['x509', '-noout', '-subject', '-issuer', '-ext', 'basicConstraints,keyUsage', '-in', join(e.dir, 'ca-ca.pem')], { encoding: 'utf8' }).stdout;
  assert.match(text, /subject=CN ?= ?ca\nissuer=CN ?= ?ca\n/);
  assert.match(text, /CA:TRUE/);
  assert.match(text, /Certificate Sign/);
  assert.match(spawnSync(OPENSSL, ['x509', '-noout', '-subject', '-in', join(e.dir, 'ca-a.1.pem')], { encoding: 'utf8' }).stdout, /subject=O ?= ?acme, CN ?= ?a/);
});

test('openssl verify -attime: valid inside the window, refused before and after it and against another authority', (t) => {
  const e = exported(t);
  if (!e) return;
  const at = (s: number) => e.unix0 + s;
  // Issue 1 of ca-a: issued at 0, valid 2 s.
  assert.deepEqual(verify(e.dir, 'ca-ca.pem', 'ca-a.1.pem', at(1), true), { code: 0, text: `${join(e.dir, 'ca-a.1.pem')}: OK\n` });
  const after = verify(e.dir, 'ca-ca.pem', 'ca-a.1.pem', at(2));
  assert.notEqual(after.code, 0);
  assert.match(after.text, /certificate has expired/);
  const other = verify(e.dir, 'ca-other.pem', 'ca-a.1.pem', at(1));
  assert.notEqual(other.code, 0);
  assert.match(other.text, /unable to get local issuer certificate/);
  // Issue 2, re-issued at 3 s: valid 3 s to 5 s only.
  assert.equal(verify(e.dir, 'ca-ca.pem', 'ca-a.2.pem', at(4), true).code, 0);
  assert.match(verify(e.dir, 'ca-ca.pem', 'ca-a.2.pem', at(2)).text, /certificate is not yet valid/);
  assert.match(verify(e.dir, 'ca-ca.pem', 'ca-a.2.pem', at(5)).text, /certificate has expired/);
  // The RSA authority's certificate verifies with its own CA only.
  assert.equal(verify(e.dir, 'ca-other.pem', 'ot-b.1.pem', at(100), true).code, 0);
  assert.match(verify(e.dir, 'ca-ca.pem', 'ot-b.1.pem', at(100)).text, /unable to get local issuer certificate/);
});

test('--export-certs refuses a folder holding files vmsec did not write, before running', () => {
  const work = tempDir('certs-');
  writeFileSync(join(work, 'scow.vmsec'), FILE);
  const out = join(work, 'mine');
  mkdirSync(out);
  writeFileSync(join(out, 'notes.txt'), 'keep me');
  const r = vmsec(['run', join(work, 'scow.vmsec'), '--export-certs', out]);
  assert.equal(r.code, 2, r.out + r.err);
  assert.match(r.err, /holds files vmsec did not write/);
  assert.equal(r.out, '');
  assert.deepEqual(readdirSync(out), ['notes.txt']);
});

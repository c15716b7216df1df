// SCOW certificates as real X.509 (issue 11, "Real certificates"): what node's
// own X509Certificate reads from them, and the simulator's verdicts on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { X509Certificate } from 'node:crypto';
import { memoryWorkspace, ROOT, run } from '../helpers';
import { resolveFileSet } from '../../server/src/model/resolve';
import { CertificateAuthority, certificatesOf } from '../../server/src/sim/certificates';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, KeyUsage, id_ce_keyUsage } from '@peculiar/asn1-x509';
import { X509_EPOCH_MS, unixSecondsAt, x509Window } from '../../server/src/sim/x509-time';

function authorityFor(text: string, seed = 1) {
  const set = memoryWorkspace({ 'main.vmsec': text }).fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!;
  const world = { seed, model: resolveFileSet(set).model };
  return { cas: new CertificateAuthority(world), world };
}

const TWO = `host h { } vm a on h { virtualization os-level tenant acme } vm b on h { virtualization os-level }
authority ca { key ecdsa-p256 } authority other { key ecdsa-p256 }
certificate ca-a for a by ca valid 1500 ms certificate ot-a for a by other valid 1 h
share "/lib" between a, b require certificate`;

/** The key usage bits of a certificate, as names. */
const usage = (der: Buffer) => {
  const ext = AsnConvert.parse(der, Certificate).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_keyUsage);
  return ext ? AsnConvert.parse(ext.extnValue, KeyUsage).toJSON() : [];
};
/** Simulated ms as a calendar time, and node's validFrom/validTo text as one. */
const at = (ms: number) => X509_EPOCH_MS + ms;
const time = (s: string) => new Date(s).getTime();

test('a certificate is X.509 v3: the VM in the subject, the authority as issuer, signed by the authority\'s key only', () => {
  const { cas, world } = authorityFor(TWO);
  assert.equal(certificatesOf(world), cas);
  const x = new X509Certificate(cas.certs.get('ca-a')!.der);
  assert.equal(x.subject, 'O=acme\nCN=a');
  assert.equal(x.issuer, 'CN=ca');
  assert.equal(x.ca, false);
  assert.equal(x.serialNumber, cas.certs.get('ca-a')!.serial);
  assert.equal(x.publicKey.asymmetricKeyType, 'ec');
  // Issued at 0 for 1.5 s: the window widened to whole seconds.
  assert.deepEqual([time(x.validFrom), time(x.validTo)], [at(0), at(2000)]);
  const ca = new X509Certificate(cas.authorities.find((a) => a.authority === 'ca')!.der);
  const other = new X509Certificate(cas.authorities.find((a) => a.authority === 'other')!.der);
  assert.deepEqual([ca.subject, ca.issuer, ca.ca], ['CN=ca', 'CN=ca', true]);
  assert.deepEqual([usage(ca.raw).sort(), usage(x.raw)], [['crlSign', 'keyCertSign'], ['digitalSignature']]);
  assert.equal(ca.verify(ca.publicKey), true, 'the CA certificate is self-signed');
  assert.equal(x.verify(ca.publicKey), true);
  assert.equal(x.verify(other.publicKey), false);
  assert.equal(x.checkIssued(ca), true);
  assert.equal(x.checkIssued(other), false);
  // The other certificate of a is signed by the other authority.
  assert.equal(new X509Certificate(cas.certs.get('ot-a')!.der).verify(other.publicKey), true);
});

test('an rsa-2048 authority signs with sha256WithRSAEncryption and its CA key is RSA', () => {
  const { cas } = authorityFor(`host h { } vm a on h { } authority r { key rsa-2048 } certificate c for a by r valid 1 h`);
  const ca = new X509Certificate(cas.authorities[0].der);
  assert.equal(ca.publicKey.asymmetricKeyType, 'rsa');
  const x = new X509Certificate(cas.certs.get('c')!.der);
  assert.equal(x.verify(ca.publicKey), true);
  assert.equal(x.publicKey.asymmetricKeyType, 'ec', 'the VM\'s own key stays P-256');
  assert.deepEqual(cas.check(cas.certs.get('c'), 'a', 5_000_000), { ok: true, why: 'valid until 3600000 ms' });
});

test('rotate issues a new certificate with a new serial and a window from now; the old issue is kept', () => {
  const { cas } = authorityFor(TWO);
  const first = cas.certs.get('ca-a')!;
  const second = cas.rotate('ca-a', 4_500_000)!;
  assert.notEqual(second.serial, first.serial);
  assert.deepEqual([first.issue, second.issue], [1, 2]);
  const x = new X509Certificate(second.der);
  assert.equal(x.serialNumber, second.serial);
  assert.equal(time(x.validFrom), at(4000));
  assert.equal(time(x.validTo), at(6000));
  assert.deepEqual(cas.issued.map((c) => `${c.name}#${c.issue}`), ['ca-a#1', 'ot-a#1', 'ca-a#2']);
  assert.equal(cas.rotate('nope', 0), undefined);
});

test('certificates follow the seed: same seed, same serials and signed part; another seed, other serials', () => {
  const tbs = (der: Buffer) => Buffer.from(AsnConvert.serialize(AsnConvert.parse(der, Certificate).tbsCertificate)).toString('hex');
  const a = authorityFor(TWO, 7).cas.certs.get('ca-a')!;
  const b = authorityFor(TWO, 7).cas.certs.get('ca-a')!;
  const c = authorityFor(TWO, 8).cas.certs.get('ca-a')!;
  assert.equal(a.serial, b.serial);
  assert.equal(tbs(a.der), tbs(b.der));
  assert.notEqual(a.serial, c.serial);
});

test('the exact window is checked in µs; the X.509 dates are it widened to whole seconds', () => {
  const { cas } = authorityFor(TWO);
  const c = cas.certs.get('ca-a')!;
  assert.deepEqual(cas.check(c, 'a', 1_499_999), { ok: true, why: 'valid until 1500 ms' });
  assert.deepEqual(cas.check(c, 'a', 1_500_000), { ok: false, why: 'expired at 1500 ms' });
  assert.deepEqual(cas.check(c, 'b', 0), { ok: false, why: 'issued to another vm' });
  assert.deepEqual(cas.check(undefined, 'a', 0), { ok: false, why: 'no certificate' });
  const late = cas.rotate('ca-a', 10_000_000)!;
  assert.deepEqual(cas.check(late, 'a', 9_999_999), { ok: false, why: 'not yet valid' });
  // Rounding: down at the start, up at the end; never an empty window.
  const w = (issuedUs: number, validUs: number) => Object.values(x509Window(issuedUs, validUs)).map((d) => (d.getTime() - X509_EPOCH_MS) / 1000);
  assert.deepEqual(w(0, 1_000_000), [0, 1]);
  assert.deepEqual(w(500_000, 400_000), [0, 1]);
  assert.deepEqual(w(1_500_000, 1), [1, 2]);
  assert.deepEqual(w(2_000_000, 1_000_001), [2, 4]);
  // Past X.509's last date the dates saturate instead of throwing.
  assert.deepEqual(x509Window(1e20, 1).notAfter.toISOString(), '9999-12-31T23:59:59.000Z');
  assert.equal(unixSecondsAt(1_999_999), X509_EPOCH_MS / 1000 + 1);
});

test('tampered bytes or a certificate from another authority are refused as a bad signature', () => {
  const { cas } = authorityFor(TWO);
  const c = cas.certs.get('ca-a')!;
  const forged = { ...c, der: Buffer.from(c.der), authority: 'other' };
  assert.deepEqual(cas.check(forged, 'a', 0), { ok: false, why: 'bad signature' });
  const broken = { ...c, der: Buffer.from('not der') };
  assert.deepEqual(cas.check(broken, 'a', 0), { ok: false, why: 'not a certificate' });
});

test('a stolen copy stays as stolen: refused after it expires although the holder rotated', () => {
  const { cas } = authorityFor(`${TWO}\nattacker x { steal ca-a }`);
  const stolen = cas.stolenCopy('ca-a')!;
  cas.rotate('ca-a', 4_500_000);
  assert.deepEqual(cas.check(stolen, 'a', 5_000_000), { ok: false, why: 'expired at 1500 ms' });
  assert.equal(time(new X509Certificate(stolen.der).validTo), at(2000));
  assert.deepEqual(cas.checkAny(cas.heldBy('a'), 'a', 5_000_000), { ok: true, why: 'ca-a valid until 6000 ms' });
});

test('a VM with several certificates may write with any valid one; when none is, each says why', () => {
  const { cas } = authorityFor(TWO);
  assert.deepEqual(cas.heldBy('a').map((c) => c.name), ['ca-a', 'ot-a']);
  assert.deepEqual(cas.checkAny(cas.heldBy('a'), 'a', 2_000_000), { ok: true, why: 'ot-a valid until 3600000 ms' });
  assert.deepEqual(cas.checkAny(cas.heldBy('a'), 'a', 3_600_000_000), { ok: false, why: 'ca-a expired at 1500 ms; ot-a expired at 3600000 ms' });
  assert.deepEqual(cas.checkAny(cas.heldBy('b'), 'b', 0), { ok: false, why: 'no certificate' });
});

test('the semantic model resolves authorities, certificates and shares, with the key default', () => {
  const set = memoryWorkspace({ 'main.vmsec': `host h { } vm a on h { } vm b on h { }
authority plain { } authority r { key rsa-2048 }
certificate c for a by plain valid 2 s certificate lost for a by nobody valid 1 s certificate none for ghost by r valid 1 s
share "/x" between a, b require certificate share "/y" between b, a` }).fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!;
  const m = resolveFileSet(set).model.certificates;
  assert.deepEqual([...m.authorities.values()].map((a) => [a.name, a.key]), [['plain', 'ecdsa-p256'], ['r', 'rsa-2048']]);
  assert.deepEqual([...m.certificates.values()].map((c) => [c.name, c.subject, c.authority.name, c.validUs]), [['c', 'a', 'plain', 2_000_000]]);
  assert.deepEqual(m.shares.map((s) => [s.file, s.vms, s.requireCertificate]), [['/x', ['a', 'b'], true], ['/y', ['b', 'a'], false]]);
  assert.deepEqual(m.bySubject.get('a')?.map((c) => c.name), ['c']);
  assert.equal(m.sharesByFile.get('/y')?.length, 1);
});

test('in a run, a write after the only certificate expired is denied and says when it expired', () => {
  const [s] = run(`${TWO.replace(' certificate ot-a for a by other valid 1 h', '')}
scenario "s" { at 1 s write a "/lib" at 2 s write a "/lib" expect write a "/lib" denied }`);
  assert.deepEqual(s.steps.map((x) => x.outcome), ['write by a to "/lib": allowed (valid until 1500 ms)', 'write by a to "/lib": denied (expired at 1500 ms)']);
});

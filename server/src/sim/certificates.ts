// SCOW certificates (LANGUAGE.md §3 "Certificates and sharing"), as real
// X.509 v3: SCOW's E(PR_auth, [T || ID || PU]) is the authority's signature
// over the time of issue (notBefore), the VM's identity (subject CN = the VM,
// O = its tenant) and its public key. Each authority has a self-signed CA
// certificate; `rotate` issues a new certificate with a new serial.
//
// A write to a shared file that requires a certificate is allowed only while
// the writer's certificate verifies against its authority's key, names the
// writer, and T <= now < T + valid. T and valid are kept exactly (µs) in the
// simulator's record; the certificate's own dates are that window widened to
// whole seconds (x509-time.ts). An attacker steals a certificate at the start
// of the run: it keeps the copy as it was then, and a later `rotate` renews
// only the holder's. A VM holding several certificates may write if any one
// of them is valid.
import { X509Certificate } from 'node:crypto';
import type { CertificateModel, CertificatesModel } from '../model/semantic-certificates';
import type { SemanticModel } from '../model/semantic';
import { keyFor, type KeyPair } from './keys';
import { derive } from './rng';
import { buildCertificate, serialFrom, type DistinguishedName } from './x509';
import { X509_EPOCH_MS, X509_MAX_MS, x509Window } from './x509-time';

export interface Certificate {
  name: string; subject: string; authority: string;
  /** The exact window, in µs of simulated time: valid for issuedUs <= now < issuedUs + validUs. */
  issuedUs: number; validUs: number;
  /** 1 for the issue at time 0, then one more per `rotate`. */
  issue: number;
  /** The serial number, upper-case hex as node's X509Certificate prints it. */
  serial: string;
  /** The X.509 certificate (DER). */
  der: Buffer;
}

/** An authority's self-signed CA certificate. */
export interface AuthorityCertificate { authority: string; serial: string; der: Buffer }

/** What the authority needs of a world: its seed and its semantic model. */
export interface CertificateWorld { seed: number; model: SemanticModel }

/** The CertificateAuthority of each world, so exports can reach it after the run. */
const byWorld = new WeakMap<CertificateWorld, CertificateAuthority>();

/** The certificates a world issued (undefined when it made no CertificateAuthority). */
export function certificatesOf(world: CertificateWorld): CertificateAuthority | undefined {
  return byWorld.get(world);
}

const caName = (authority: string): DistinguishedName => ({ cn: authority });

export class CertificateAuthority {
  private readonly keys = new Map<string, KeyPair>();
  /** The current issue of each certificate. */
  readonly certs = new Map<string, Certificate>();
  /** Every issue, rotations included, in the order issued. */
  readonly issued: Certificate[] = [];
  readonly authorities: AuthorityCertificate[] = [];
  /** The copies attackers stole, as issued at the start (rotation does not reach them). */
  private readonly stolen = new Map<string, Certificate>();
  /** Whether a certificate's bytes verify and name its subject: its bytes never change, so once each. */
  private readonly verified = new WeakMap<Certificate, { ok: boolean; why: string }>();
  private readonly model: CertificatesModel;
  private readonly seed: number;

  constructor(world: CertificateWorld) {
    this.seed = world.seed;
    this.model = world.model.certificates;
    byWorld.set(world, this);
    for (const a of this.model.authorities.values()) {
      const key = keyFor(this.seed, `ca:${a.name}`, a.key);
      this.keys.set(a.name, key);
      const serial = serialFrom(derive(this.seed, 'x509-serial', 'ca', a.name));
      const der = buildCertificate({
        serial, issuer: caName(a.name), issuerKey: key, subject: caName(a.name), subjectPublicDer: key.publicDer,
        // A CA for every simulated time: from the epoch to X.509's "no expiration".
        notBefore: new Date(X509_EPOCH_MS), notAfter: new Date(X509_MAX_MS), ca: true,
      });
      this.authorities.push({ authority: a.name, serial: serial.toString('hex').toUpperCase(), der });
    }
    for (const c of this.model.certificates.values()) {
      const cert = this.issue(c, 0, 1);
      this.certs.set(c.name, cert);
      this.stolen.set(c.name, cert);
    }
  }

  /** The copy an attacker holds: the certificate as it was when stolen (at 0). */
  stolenCopy(name: string): Certificate | undefined {
    return this.stolen.get(name);
  }

  private issue(c: CertificateModel, atUs: number, issue: number): Certificate {
    const serial = serialFrom(derive(this.seed, 'x509-serial', c.authority.name, c.name, issue));
    const der = buildCertificate({
      serial, issuer: caName(c.authority.name), issuerKey: this.keys.get(c.authority.name)!,
      subject: { cn: c.subject, o: c.subjectTenant },
      subjectPublicDer: keyFor(this.seed, `vm:${c.subject}`, 'ecdsa-p256').publicDer,
      ...x509Window(atUs, c.validUs), ca: false,
    });
    const cert: Certificate = {
      name: c.name, subject: c.subject, authority: c.authority.name, issuedUs: atUs, validUs: c.validUs,
      issue, serial: serial.toString('hex').toUpperCase(), der,
    };
    this.issued.push(cert);
    return cert;
  }

  rotate(name: string, nowUs: number): Certificate | undefined {
    const c = this.certs.get(name);
    const decl = this.model.certificates.get(name);
    if (!c || !decl) return undefined;
    const fresh = this.issue(decl, nowUs, c.issue + 1);
    this.certs.set(name, fresh);
    return fresh;
  }

  /** Checks a certificate (as held or as stolen) for a subject at a time. */
  check(c: Certificate | undefined, subject: string, nowUs: number): { ok: boolean; why: string } {
    if (!c) return { ok: false, why: 'no certificate' };
    const bytes = this.verifyBytes(c);
    if (!bytes.ok) return bytes;
    if (c.subject !== subject) return { ok: false, why: 'issued to another vm' };
    const end = c.issuedUs + c.validUs;
    if (nowUs < c.issuedUs) return { ok: false, why: 'not yet valid' };
    if (nowUs >= end) return { ok: false, why: `expired at ${(end / 1000).toFixed(0)} ms` };
    return { ok: true, why: `valid until ${(end / 1000).toFixed(0)} ms` };
  }

  /** The X.509 checks: the authority's key verifies the signature, and the subject's CN is the holder. */
  private verifyBytes(c: Certificate): { ok: boolean; why: string } {
    let v = this.verified.get(c);
    if (!v) {
      const key = this.keys.get(c.authority);
      let x: X509Certificate | undefined;
      try { x = new X509Certificate(c.der); } catch { x = undefined; }
      if (!x) v = { ok: false, why: 'not a certificate' };
      else if (!key || !x.verify(key.publicKey)) v = { ok: false, why: 'bad signature' };
      else if (commonName(x.subject) !== c.subject) v = { ok: false, why: 'issued to another vm' };
      else v = { ok: true, why: 'verified' };
      this.verified.set(c, v);
    }
    return v;
  }

  /** Every certificate a VM holds (the current issue of each). */
  heldBy(vm: string): Certificate[] {
    return (this.model.bySubject.get(vm) ?? []).flatMap((m) => {
      const c = this.certs.get(m.name);
      return c ? [c] : [];
    });
  }

  /** A writer's verdict: any one valid certificate is enough; else why each failed. */
  checkAny(held: Certificate[], subject: string, nowUs: number): { ok: boolean; why: string } {
    if (held.length === 0) return { ok: false, why: 'no certificate' };
    const verdicts = held.map((c) => ({ c, v: this.check(c, subject, nowUs) }));
    const good = verdicts.find((x) => x.v.ok);
    if (good) return held.length > 1 ? { ok: true, why: `${good.c.name} ${good.v.why}` } : good.v;
    return held.length > 1 ? { ok: false, why: verdicts.map((x) => `${x.c.name} ${x.v.why}`).join('; ') } : verdicts[0].v;
  }
}

/** The CN of a subject as node prints it ("O=acme\nCN=web"). */
function commonName(subject: string): string | undefined {
  for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}


// SCOW certificates: E(PR_auth, [T || ID || PU]) — an authority's signature
// over the time of issue, the VM's identity and its public key. A write to a
// shared file that requires a certificate is allowed only while the writer's
// certificate verifies and T <= now < T + valid. `rotate` re-issues at now.
// An attacker steals a certificate at the start of the run: it keeps the copy
// as it was then, and a later `rotate` renews only the holder's. A VM holding
// several certificates may write if any one of them is valid.
import type * as A from '../../../grammar/src/ast';
import { KeyAlg, KeyPair, keyFor, sign, verify } from './keys';
import { toU64 } from './quote';

export interface Certificate { name: string; subject: string; authority: string; issuedUs: number; validUs: number; body: Buffer; signature: Buffer }

export class CertificateAuthority {
  private readonly keys = new Map<string, KeyPair>();
  readonly certs = new Map<string, Certificate>();
  /** The copies attackers stole, as issued at the start (rotation does not reach them). */
  private readonly stolen = new Map<string, Certificate>();

  constructor(private readonly seed: number, authorities: A.AuthorityDecl[], certificates: A.CertificateDecl[]) {
    for (const a of authorities) {
      const alg = (a.props[0]?.value.text ?? 'ecdsa-p256') as KeyAlg;
      this.keys.set(a.name.text, keyFor(seed, `ca:${a.name.text}`, alg === 'rsa-2048' ? 'rsa-2048' : 'ecdsa-p256'));
    }
    for (const c of certificates) {
      if (!this.keys.has(c.authority.text)) continue;
      const cert = this.issue(c.name.text, c.subject.text, c.authority.text, 0, c.valid.value);
      this.certs.set(c.name.text, cert);
      this.stolen.set(c.name.text, cert);
    }
  }

  /** The copy an attacker holds: the certificate as it was when stolen (at 0). */
  stolenCopy(name: string): Certificate | undefined {
    return this.stolen.get(name);
  }

  private issue(name: string, subject: string, authority: string, atUs: number, validUs: number): Certificate {
    const t = Buffer.alloc(8);
    // T as a UINT64: a time past 2^64 us saturates instead of throwing.
    t.writeBigUInt64BE(toU64(atUs));
    const pu = keyFor(this.seed, `vm:${subject}`, 'ecdsa-p256').publicDer;
    const body = Buffer.concat([t, Buffer.from(`\0${subject}\0`, 'utf8'), pu]);
    return { name, subject, authority, issuedUs: atUs, validUs, body, signature: sign(this.keys.get(authority)!, body) };
  }

  rotate(name: string, nowUs: number): Certificate | undefined {
    const c = this.certs.get(name);
    if (!c) return undefined;
    const fresh = this.issue(c.name, c.subject, c.authority, nowUs, c.validUs);
    this.certs.set(name, fresh);
    return fresh;
  }

  /** Checks a certificate (as held or as stolen) for a subject at a time. */
  check(c: Certificate | undefined, subject: string, nowUs: number): { ok: boolean; why: string } {
    if (!c) return { ok: false, why: 'no certificate' };
    const key = this.keys.get(c.authority);
    if (!key || !verify(key.publicKey, c.body, c.signature)) return { ok: false, why: 'bad signature' };
    // T as signed; past 2^64 us it saturated, and the exact time is the one issued.
    const signed = c.body.readBigUInt64BE(0);
    const t = signed === toU64(c.issuedUs) ? c.issuedUs : Number(signed);
    if (c.body.subarray(8).toString('utf8').split('\0')[1] !== subject) return { ok: false, why: 'issued to another vm' };
    if (nowUs < t) return { ok: false, why: 'not yet valid' };
    if (nowUs >= t + c.validUs) return { ok: false, why: `expired at ${((t + c.validUs) / 1000).toFixed(0)} ms` };
    return { ok: true, why: `valid until ${((t + c.validUs) / 1000).toFixed(0)} ms` };
  }

  /** Every certificate a VM holds (the current issue of each). */
  heldBy(vm: string): Certificate[] {
    return [...this.certs.values()].filter((c) => c.subject === vm);
  }

  /** A writer's verdict: any one valid certificate is enough; else why the first one failed. */
  checkAny(held: Certificate[], subject: string, nowUs: number): { ok: boolean; why: string } {
    if (held.length === 0) return { ok: false, why: 'no certificate' };
    const verdicts = held.map((c) => ({ c, v: this.check(c, subject, nowUs) }));
    const good = verdicts.find((x) => x.v.ok);
    if (good) return held.length > 1 ? { ok: true, why: `${good.c.name} ${good.v.why}` } : good.v;
    return held.length > 1 ? { ok: false, why: verdicts.map((x) => `${x.c.name} ${x.v.why}`).join('; ') } : verdicts[0].v;
  }
}

// SCOW certificates: E(PR_auth, [T || ID || PU]) — an authority's signature
// over the time of issue, the VM's identity and its public key. A write to a
// shared file that requires a certificate is allowed only while the writer's
// certificate verifies and T <= now < T + valid. `rotate` re-issues at now.
import type * as A from '../../../grammar/src/ast';
import { KeyAlg, KeyPair, keyFor, sign, verify } from './keys';
import { toU64 } from './quote';

export interface Certificate { name: string; subject: string; authority: string; issuedUs: number; validUs: number; body: Buffer; signature: Buffer }

export class CertificateAuthority {
  private readonly keys = new Map<string, KeyPair>();
  readonly certs = new Map<string, Certificate>();

  constructor(private readonly seed: number, authorities: A.AuthorityDecl[], certificates: A.CertificateDecl[]) {
    for (const a of authorities) {
      const alg = (a.props[0]?.value.text ?? 'ecdsa-p256') as KeyAlg;
      this.keys.set(a.name.text, keyFor(seed, `ca:${a.name.text}`, alg === 'rsa-2048' ? 'rsa-2048' : 'ecdsa-p256'));
    }
    for (const c of certificates) {
      if (!this.keys.has(c.authority.text)) continue;
      this.certs.set(c.name.text, this.issue(c.name.text, c.subject.text, c.authority.text, 0, c.valid.value));
    }
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

  heldBy(vm: string): Certificate | undefined {
    for (const c of this.certs.values()) if (c.subject === vm) return c;
    return undefined;
  }
}

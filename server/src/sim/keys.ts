// Attestation keys. ECDSA P-256 keys are derived from the seed and the key's
// owner, so quotes verify the same way on every run; RSA-2048 keys cannot be
// derived cheaply and are generated once per owner and process (verdicts do
// not depend on the key's bytes, only on whether signatures verify).
import { createECDH, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { derive } from './rng';
import { recent } from './recent';

export type KeyAlg = 'ecdsa-p256' | 'rsa-2048';

export interface KeyPair { alg: KeyAlg; privateKey: KeyObject; publicKey: KeyObject; publicPem: string; publicDer: Buffer }

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
/** EC keys of the last few seeds, by owner (a batch run goes through seeds in order). */
const ecKeys = new Map<number, Map<string, KeyPair>>();
const rsaKeys = new Map<string, KeyPair>();

const b64url = (b: Buffer) => b.toString('base64url');

function p256FromSeed(seed: number, owner: string): KeyPair {
  let d = BigInt('0x' + derive(seed, 'ak', owner).toString('hex')) % P256_ORDER;
  if (d === 0n) d = 1n;
  const dBuf = Buffer.from(d.toString(16).padStart(64, '0'), 'hex');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(dBuf);
  const pub = ecdh.getPublicKey();
  const privateKey = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64url(dBuf), x: b64url(pub.subarray(1, 33)), y: b64url(pub.subarray(33, 65)) }, format: 'jwk' });
  return pack('ecdsa-p256', privateKey, createPublicKey(privateKey));
}

function pack(alg: KeyAlg, privateKey: KeyObject, publicKey: KeyObject): KeyPair {
  return {
    alg, privateKey, publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicDer: publicKey.export({ type: 'spki', format: 'der' }) as Buffer,
  };
}

export function keyFor(seed: number, owner: string, alg: KeyAlg): KeyPair {
  if (alg === 'ecdsa-p256') return recent(recent(ecKeys, seed, 4, () => new Map<string, KeyPair>()), owner, Infinity, () => p256FromSeed(seed, owner));
  return recent(rsaKeys, owner, Infinity, () => { const p = generateKeyPairSync('rsa', { modulusLength: 2048 }); return pack('rsa-2048', p.privateKey, p.publicKey); });
}

/**
 * Bytes a signature takes on the wire. ECDSA signatures are randomised and
 * their DER length varies (70-72 bytes); sizes on the wire use this fixed
 * slot so simulated timing never depends on the random k.
 */
export function signatureSlot(alg: KeyAlg): number { return alg === 'rsa-2048' ? 256 : 72; }

/** Signs SHA-256 of the message: DER ECDSA or PKCS#1 v1.5 RSA. */
export function sign(key: KeyPair, message: Buffer): Buffer { return cryptoSign('sha256', message, key.privateKey); }

export function verify(publicKey: KeyObject, message: Buffer, signature: Buffer): boolean {
  try { return cryptoVerify('sha256', message, publicKey, signature); } catch { return false; }
}

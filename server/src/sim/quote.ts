// TPM 2.0 quotes as real TPMS_ATTEST bytes (TPM 2.0 Part 2, 10.12.12):
// magic, type, qualifiedSigner, extraData (the nonce), clockInfo,
// firmwareVersion, then TPMS_QUOTE_INFO (pcrSelect, pcrDigest). The signature
// is over SHA-256 of these bytes, so tpm2_checkquote can verify them.
import { sha256 } from './pcr';

export const TPM_GENERATED_VALUE = 0xff544347;
export const TPM_ST_ATTEST_QUOTE = 0x8018;
export const TPM_ALG_SHA256 = 0x000b;

export interface QuoteFields {
  signerName: Buffer;   // TPM2B_NAME body: nameAlg || digest
  nonce: Buffer;
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
  firmwareVersion: bigint;
  pcrs: number[];       // selected indexes, ascending
  pcrDigest: Buffer;
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * A time or count as a TPM's UINT64, for any number: whole, and clamped to
 * [0, 2^64 - 1] (a clock that far out saturates; NaN is 0). Never throws.
 */
export function toU64(n: number): bigint {
  if (!(n > 0)) return 0n;
  if (!Number.isFinite(n)) return U64_MAX;
  const v = BigInt(Math.floor(n));
  return v > U64_MAX ? U64_MAX : v;
}

function selectionBitmap(pcrs: number[]): Buffer {
  const bm = Buffer.alloc(3);
  for (const i of pcrs) bm[i >> 3] |= 1 << (i & 7);
  return bm;
}

export function encodeAttest(q: QuoteFields): Buffer {
  const parts: Buffer[] = [];
  const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); parts.push(b); };
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); parts.push(b); };
  const u64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt.asUintN(64, v)); parts.push(b); };
  const tpm2b = (v: Buffer) => { u16(v.length); parts.push(v); };
  u32(TPM_GENERATED_VALUE);
  u16(TPM_ST_ATTEST_QUOTE);
  tpm2b(q.signerName);
  tpm2b(q.nonce);
  u64(q.clock); u32(q.resetCount); u32(q.restartCount); parts.push(Buffer.from([q.safe ? 1 : 0]));
  u64(q.firmwareVersion);
  u32(1); u16(TPM_ALG_SHA256); parts.push(Buffer.from([3])); parts.push(selectionBitmap(q.pcrs));
  tpm2b(q.pcrDigest);
  return Buffer.concat(parts);
}

/** Parses TPMS_ATTEST; throws on malformed bytes (the verifier reports that as bad_signature's sibling, malformed). */
export function decodeAttest(b: Buffer): QuoteFields & { magic: number; type: number } {
  let o = 0;
  const need = (n: number) => { if (o + n > b.length) throw new Error('truncated TPMS_ATTEST'); };
  const u8 = () => { need(1); return b[o++]; };
  const u16 = () => { need(2); const v = b.readUInt16BE(o); o += 2; return v; };
  const u32 = () => { need(4); const v = b.readUInt32BE(o); o += 4; return v; };
  const u64 = () => { need(8); const v = b.readBigUInt64BE(o); o += 8; return v; };
  const tpm2b = () => { const n = u16(); need(n); const v = b.subarray(o, o + n); o += n; return Buffer.from(v); };
  const magic = u32(); const type = u16();
  const signerName = tpm2b(); const nonce = tpm2b();
  const clock = u64(); const resetCount = u32(); const restartCount = u32(); const safe = u8() === 1;
  const firmwareVersion = u64();
  const count = u32();
  const pcrs: number[] = [];
  for (let s = 0; s < count; s++) {
    u16();
    const size = u8();
    need(size);
    for (let i = 0; i < size * 8; i++) if (b[o + (i >> 3)] & (1 << (i & 7))) pcrs.push(i);
    o += size;
  }
  const pcrDigest = tpm2b();
  return { magic, type, signerName, nonce, clock, resetCount, restartCount, safe, firmwareVersion, pcrs, pcrDigest };
}

/** pcrDigest: SHA-256 over the selected PCR values in ascending index order. */
export function pcrDigest(values: Buffer[]): Buffer { return sha256(...values); }

/** TPM2B_NAME body for a key: nameAlg (SHA-256) || SHA-256(public key). */
export function keyName(publicDer: Buffer): Buffer {
  const alg = Buffer.alloc(2);
  alg.writeUInt16BE(TPM_ALG_SHA256);
  return Buffer.concat([alg, sha256(publicDer)]);
}

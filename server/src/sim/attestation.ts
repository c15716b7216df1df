// The verifier (Keylime's order): signature, then nonce, then the pcrDigest
// against the PCR values sent, then each PCR against the values an accepted
// boot chain produces. The first failing step names the cause.
import type { KeyObject } from 'node:crypto';
import { verify } from './keys';
import { decodeAttest, pcrDigest, TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE } from './quote';
import type { Quote } from './tpm';

export interface Failure { id: string; pcr?: number; expected?: string; actual?: string }

export interface Policy {
  /** Acceptable PCR values, one map (index → value) per accepted boot chain. */
  chains: { name: string; pcrs: Map<number, Buffer> }[];
}

export function verifyQuote(q: Quote, akPublic: KeyObject, nonce: Buffer, policy: Policy): Failure[] {
  if (!verify(akPublic, q.attest, q.signature)) return [{ id: 'bad_signature' }];
  let fields;
  try { fields = decodeAttest(q.attest); } catch { return [{ id: 'bad_signature' }]; }
  if (fields.magic !== TPM_GENERATED_VALUE || fields.type !== TPM_ST_ATTEST_QUOTE) return [{ id: 'bad_signature' }];
  if (!fields.nonce.equals(nonce)) return [{ id: 'nonce_mismatch', expected: nonce.toString('hex'), actual: fields.nonce.toString('hex') }];
  const sameSelection = fields.pcrs.length === q.pcrs.length && fields.pcrs.every((p, i) => p === q.pcrs[i]) && q.values.length === q.pcrs.length;
  if (!sameSelection || !pcrDigest(q.values).equals(fields.pcrDigest)) return [{ id: 'pcr_digest_mismatch' }];
  // The host passes if one accepted chain matches every selected PCR; otherwise
  // report the mismatches against the closest chain.
  let best: Failure[] | undefined;
  for (const chain of policy.chains) {
    const failures: Failure[] = [];
    q.pcrs.forEach((idx, i) => {
      const want = chain.pcrs.get(idx);
      if (want && !want.equals(q.values[i])) failures.push({ id: `invalid_pcr_${idx}`, pcr: idx, expected: want.toString('hex'), actual: q.values[i].toString('hex') });
    });
    if (failures.length === 0) return [];
    if (!best || failures.length < best.length) best = failures;
  }
  return best ?? [];
}

// The verifier (Keylime's order): signature, then nonce, then the pcrDigest
// against the PCR values sent, then each PCR against the values an accepted
// boot chain produces. The first failing step names the cause.
import type { KeyObject } from 'node:crypto';
import { verify } from './keys';
import { decodeAttest, pcrDigest, TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE } from './quote';
import type { Quote } from './tpm';

/** The contract's JSON names all four keys for every failure: null where a cause has no PCR or values. */
export interface Failure { id: string; pcr: number | null; expected: string | null; actual: string | null }

export function failure(id: string, more: Partial<Omit<Failure, 'id'>> = {}): Failure {
  return { id, pcr: more.pcr ?? null, expected: more.expected ?? null, actual: more.actual ?? null };
}

export interface Policy {
  /** Acceptable PCR values, one map (index → value) per accepted boot chain. */
  chains: { name: string; pcrs: Map<number, Buffer> }[];
}

export function verifyQuote(q: Quote, akPublic: KeyObject, nonce: Buffer, policy: Policy): Failure[] {
  if (!verify(akPublic, q.attest, q.signature)) return [failure('bad_signature')];
  let fields;
  try { fields = decodeAttest(q.attest); } catch { return [failure('bad_signature')]; }
  if (fields.magic !== TPM_GENERATED_VALUE || fields.type !== TPM_ST_ATTEST_QUOTE) return [failure('bad_signature')];
  if (!fields.nonce.equals(nonce)) return [failure('nonce_mismatch', { expected: nonce.toString('hex'), actual: fields.nonce.toString('hex') })];
  const sameSelection = fields.pcrs.length === q.pcrs.length && fields.pcrs.every((p, i) => p === q.pcrs[i]) && q.values.length === q.pcrs.length;
  if (!sameSelection || !pcrDigest(q.values).equals(fields.pcrDigest)) return [failure('pcr_digest_mismatch')];
  // The host passes if one accepted chain matches every selected PCR; otherwise
  // report the mismatches against the closest chain.
  let best: Failure[] | undefined;
  for (const chain of policy.chains) {
    const failures: Failure[] = [];
    q.pcrs.forEach((idx, i) => {
      const want = chain.pcrs.get(idx);
      if (want && !want.equals(q.values[i])) failures.push(failure(`invalid_pcr_${idx}`, { pcr: idx, expected: want.toString('hex'), actual: q.values[i].toString('hex') }));
    });
    if (failures.length === 0) return [];
    if (!best || failures.length < best.length) best = failures;
  }
  return best ?? [];
}

// TPM 2.0 PCR bank (SHA-256): initial values of the PC Client profile and the
// extend rule PCR := SHA-256(PCR || digest).
import { createHash, hash } from 'node:crypto';
import type { BootModel } from '../model/semantic';

export const PCR_COUNT = 24;

export function initialPcrs(): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < PCR_COUNT; i++) out.push(Buffer.alloc(32, i >= 17 && i <= 22 ? 0xff : 0));
  return out;
}

export function sha256(...parts: Buffer[]): Buffer {
  // One-shot hashing is much cheaper than a Hash object for a single page.
  if (parts.length === 1) return hash('sha256', parts[0], 'buffer') as unknown as Buffer;
  if (parts.length === 2 && parts[0].length + parts[1].length <= 128) return hash('sha256', Buffer.concat([parts[0], parts[1]]), 'buffer') as unknown as Buffer;
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function extend(pcr: Buffer, digest: Buffer): Buffer { return sha256(pcr, digest); }

/** The digest a boot chain measurement extends: SHA-256 of the text, or the digest as given. */
export function measurement(m: { text: string } | { digest: string }): Buffer {
  return 'digest' in m ? Buffer.from(m.digest, 'hex') : sha256(Buffer.from(m.text, 'utf8'));
}

/** The PCR values a TPM holds after booting this chain (no chain: the initial values). */
export function bootPcrs(chain: BootModel | undefined): Buffer[] {
  const pcrs = initialPcrs();
  for (const entry of chain?.pcrs ?? []) {
    if (!(entry.index >= 0 && entry.index < PCR_COUNT)) continue;
    for (const m of entry.measurements) pcrs[entry.index] = extend(pcrs[entry.index], measurement(m));
  }
  return pcrs;
}

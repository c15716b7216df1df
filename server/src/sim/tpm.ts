// A TPM or vTPM: a PCR bank and an attestation key that signs quotes.
import { bootPcrs } from './pcr';
import { encodeAttest, keyName, pcrDigest, toU64 } from './quote';
import { KeyAlg, KeyPair, keyFor, sign } from './keys';
import { derive } from './rng';

export interface Quote {
  attest: Buffer;      // TPMS_ATTEST bytes
  signature: Buffer;   // over SHA-256(attest)
  pcrs: number[];      // selected indexes, ascending
  values: Buffer[];    // the PCR values sent beside the quote
}

export class Tpm {
  readonly pcrs: Buffer[];
  readonly ak: KeyPair;
  private readonly firmware: bigint;

  constructor(readonly owner: string, alg: KeyAlg, pcrs: Buffer[], seed: number) {
    this.pcrs = pcrs.map((p) => Buffer.from(p));
    this.ak = keyFor(seed, owner, alg);
    this.firmware = derive(seed, 'firmware', owner).readBigUInt64BE(0);
  }

  static forHost(owner: string, alg: KeyAlg, chain: Parameters<typeof bootPcrs>[0], seed: number): Tpm {
    return new Tpm(owner, alg, bootPcrs(chain), seed);
  }

  quote(nonce: Buffer, selection: number[], clockMs: number): Quote {
    const pcrs = [...new Set(selection)].sort((a, b) => a - b);
    const values = pcrs.map((i) => this.pcrs[i]);
    const attest = encodeAttest({
      signerName: keyName(this.ak.publicDer), nonce, clock: toU64(clockMs), resetCount: 0, restartCount: 0,
      safe: true, firmwareVersion: this.firmware, pcrs, pcrDigest: pcrDigest(values),
    });
    return { attest, signature: sign(this.ak, attest), pcrs, values: values.map((v) => Buffer.from(v)) };
  }
}

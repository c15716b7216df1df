// Simulated costs (microseconds unless said otherwise). They drive simulated
// time only; the cryptography itself really runs. Figures from measurements
// on the project machine and the SnowFlock and trusted-cloning papers
// (ENGINEERING.md); overridable per run for what-if studies.

export interface Costs {
  /** SHA-256 of one 4 KiB page. */
  sha256Page: number;
  ecdsaSign: number; ecdsaVerify: number;
  rsaSign: number; rsaVerify: number;
  /** AES-GCM of one 4 KiB page, either direction. */
  aesPage: number;
  /** A hardware TPM producing a quote. */
  tpmQuote: number;
  /** A vTPM producing a quote, and creating one for a child. */
  vtpmQuote: number; vtpmCreate: number;
  /** Building the fork descriptor (page tables), per GiB of VM memory. */
  descriptorPerGiB: number;
  /** Descriptor size as a fraction of VM memory (SnowFlock: ~1 MB per GB). */
  descriptorFraction: number;
  /** Resuming a child once it has all it needs. */
  resume: number;
  /** Handling a page fault in the child before the request leaves. */
  faultHandling: number;
  /** How long a receiver waits for a page before asking again. */
  requestTimeout: number;
  /** Monitors: the in-VM recorder deciding a deny/allow rule (concurrent mode). */
  monitorInVm: number;
  /** Monitors: handing an event to the out-of-VM analyzer, and analysing it there. */
  monitorHandoff: number; monitorAnalyze: number;
}

export const DEFAULT_COSTS: Costs = {
  sha256Page: 3.6,
  ecdsaSign: 23, ecdsaVerify: 61,
  rsaSign: 270, rsaVerify: 12,
  aesPage: 2.5,
  tpmQuote: 30_000,
  vtpmQuote: 2_000, vtpmCreate: 10_000,
  descriptorPerGiB: 200_000,
  descriptorFraction: 1 / 1000,
  resume: 20_000,
  faultHandling: 5,
  requestTimeout: 50_000,
  monitorInVm: 2, monitorHandoff: 20, monitorAnalyze: 30,
};

export function signCost(c: Costs, alg: 'ecdsa-p256' | 'rsa-2048'): number { return alg === 'rsa-2048' ? c.rsaSign : c.ecdsaSign; }
export function verifyCost(c: Costs, alg: 'ecdsa-p256' | 'rsa-2048'): number { return alg === 'rsa-2048' ? c.rsaVerify : c.ecdsaVerify; }

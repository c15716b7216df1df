// Which PCRs a fork's `attest hosts against …` policy checks — one rule for
// the simulator's quote selection and the validator's VMS017 and hover. Like
// Keylime's, a policy checks only the PCRs its accepted chains name; a policy
// whose chains name none still checks PCR 0 (a quote selects at least one).
import type { BootModel } from './semantic';

/** TPM 2.0 PCRs 0-23 (the SHA-256 bank). */
export const PCR_COUNT = 24;

/** The PCR indexes a boot chain extends, ascending, each once. */
export function chainPcrs(chain: BootModel): number[] {
  // Memoised per chain (many forks and hosts share one); callers get their own copy.
  let pcrs = chainMemo.get(chain);
  if (!pcrs) {
    pcrs = [...new Set(chain.pcrs.map((p) => p.index).filter((i) => i >= 0 && i < PCR_COUNT))].sort((a, b) => a - b);
    chainMemo.set(chain, pcrs);
  }
  return pcrs.slice();
}
const chainMemo = new WeakMap<BootModel, number[]>();

/** The PCRs a policy accepting these chains checks (PCR 0 when they name none). */
export function coveredPcrs(chains: readonly BootModel[]): number[] {
  const named = [...new Set(chains.flatMap(chainPcrs))].sort((a, b) => a - b);
  return named.length ? named : [0];
}

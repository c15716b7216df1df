// Which kind of declaration a reference must name, by where it is written
// (LANGUAGE.md §2). One table for the reference walk (model/references.ts,
// hence VMS001/VMS016, definition, rename) and for completion, which offers
// only names of these kinds.
import type { SymbolKind } from './symbols';

/**
 * A name that stands for a running VM: declared, or restored in the scenario
 * (forks need `[i]`). Not an attacker's VM: it only stands on its host for
 * co-residency, and the simulator runs no steps in it.
 */
const VM_LIKE: SymbolKind[] = ['vm', 'restored-vm'];

export const EXPECTED_KINDS = {
  /** `host … { boot B }` */
  hostBoot: ['boot'],
  /** `vm V on H`, `link H <-> H`, `network … { hosts H }`, `fork … { on H }`, `migrate [to H]`, `attacker … { vm V on H }`, steps and expectations naming a host. */
  host: ['host'],
  /** `fork F of V`, `monitor M for V`, `checkpoint C of V`, `certificate … for V`, `share … between V, V`. */
  vm: ['vm'],
  /** `attest hosts against B, …` */
  acceptedChain: ['boot'],
  /** `policyChange(M)`, `expect M denies …`. */
  monitor: ['monitor'],
  /** `certificate … by A`. */
  authority: ['authority'],
  /** `steal C`, `rotate C`, `present C for …`. */
  certificate: ['certificate'],
  /** `tap N` (a target without `<->`). */
  network: ['network'],
  /** `at … fork F`, `expect F ready …`, `F pages …`, and `F[i]`. */
  fork: ['fork'],
  /** `at … checkpoint C`, `restore C as …`, `expect C excludes …`. */
  checkpoint: ['checkpoint'],
  /** `expect A sees …`. */
  attacker: ['attacker'],
  /** A process of a VM: `ipc`, `exclude`, `process(P)`, `syscall V P …`. */
  process: ['process'],
  /** `syscall V …`, `write V …`, `migrate V …`, `expect V is …`, `expect write V …` (without `[i]`). */
  vmRef: VM_LIKE,
} as const satisfies Record<string, readonly SymbolKind[]>;

export type ReferencePlace = keyof typeof EXPECTED_KINDS;

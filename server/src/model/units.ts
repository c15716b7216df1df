// Units, one table (grammar/src/literals.ts UNITS: spelling → kind and factor)
// read by the parser, by the sizes people type outside the language
// (`--max-checkpoint-size`, the editor setting: model/size-text.ts), by
// completion, and by the size texts of messages below.
import { UNITS } from '../../../grammar/src/literals';
import type { QuantityKind } from '../../../grammar/src/ast';

/** The unit spellings of a kind, in the table's order (`size`: B, KiB, MiB, …). */
export function unitsOf(kind: QuantityKind): string[] {
  return Object.keys(UNITS).filter((u) => UNITS[u].kind === kind);
}

/** Binary size steps for messages, each 1024 times the one before. */
const SIZE_STEPS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/**
 * A size for messages, the one formatter every message uses: whole bytes
 * below 1 KiB ("1 byte", "300 bytes"), else the largest binary unit, exact
 * when whole ("16 MiB") and to one decimal when rounded ("2.0 GiB" is a bit
 * more than 2 GiB). Sizes in language syntax (exact, `B`) are
 * grammar/src/literals.ts formatBytes.
 */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < SIZE_STEPS.length - 1) { v /= 1024; u++; }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${SIZE_STEPS[u]}`;
}

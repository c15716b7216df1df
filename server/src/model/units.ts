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
const SIZE_STEPS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** A size for messages, rounded to one decimal (390.6 GiB). */
export function formatSize(n: number): string {
  let u = 0;
  while (n >= 1024 && u < SIZE_STEPS.length - 1) { n /= 1024; u++; }
  return `${Number.isInteger(n) ? n : n.toFixed(1).replace(/\.0$/, '')} ${SIZE_STEPS[u]}`;
}

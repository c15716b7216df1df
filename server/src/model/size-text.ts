// Sizes written by people outside the language: `--max-checkpoint-size 2GiB`
// on the command line and the editor's `vmsec.maxCheckpointSize` setting.
// One parser for both, so the CLI and the server accept the same texts; its
// units are the language's size units (grammar/src/literals.ts UNITS), in any case.
import { UNITS } from '../../../grammar/src/literals';
import { unitsOf } from './units';

/** Size unit factors by lower-case spelling; a bare number is bytes. */
const SIZE_UNITS: Record<string, number> = Object.fromEntries([['', 1], ...unitsOf('size').map((u) => [u.toLowerCase(), UNITS[u].factor])]);

/** The largest checkpoint limit either may set: 1 TiB. */
export const MAX_CHECKPOINT_LIMIT = 1024 ** 4;

/** "2GiB", "500MB", "1048576" → bytes; undefined if it is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  if (!Object.hasOwn(SIZE_UNITS, unit)) return undefined;
  const n = Math.floor(Number(m[1]) * SIZE_UNITS[unit]);
  return Number.isFinite(n) ? n : undefined;
}

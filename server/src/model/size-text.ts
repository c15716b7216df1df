// Sizes written by people outside the language: `--max-checkpoint-size 2GiB`
// on the command line and the editor's `vmsec.maxCheckpointSize` setting.
// One parser for both, so the CLI and the server accept the same texts.

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

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

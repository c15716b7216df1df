// `vmsec.maxCheckpointSize` ("500MB", "1GiB"): the same units as the CLI's
// --max-checkpoint-size (cli/ is a sibling layer, so the parser is not shared).
const UNITS: Record<string, number> = {
  '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};
const MAX = 1024 ** 4;

/** Bytes, or why the text is not a size (a message for the server log). */
export function parseCheckpointSize(text: unknown): { ok: true; bytes: number } | { ok: false; error: string } {
  if (typeof text === 'number' && Number.isInteger(text) && text >= 1 && text <= MAX) return { ok: true, bytes: text };
  const m = typeof text === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text) : null;
  const unit = m && Object.hasOwn(UNITS, m[2].toLowerCase()) ? UNITS[m[2].toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isFinite(n) || n < 1 || n > MAX) return { ok: false, error: `vmsec.maxCheckpointSize ${JSON.stringify(text)}: not a size between 1 byte and 1 TiB; write e.g. 500MB or 2GiB` };
  return { ok: true, bytes: n };
}

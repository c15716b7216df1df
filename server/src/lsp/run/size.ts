// `vmsec.maxCheckpointSize` ("500MB", "1GiB"): the same texts and bounds as
// the CLI's --max-checkpoint-size (model/size-text.ts parses both).
import { MAX_CHECKPOINT_LIMIT, parseSize } from '../../model/size-text';

/** Bytes, or why the text is not a size (a message for the server log). */
export function parseCheckpointSize(text: unknown): { ok: true; bytes: number } | { ok: false; error: string } {
  const n = typeof text === 'number' ? (Number.isInteger(text) ? text : NaN) : typeof text === 'string' ? parseSize(text) ?? NaN : NaN;
  if (!Number.isFinite(n) || n < 1 || n > MAX_CHECKPOINT_LIMIT) return { ok: false, error: `vmsec.maxCheckpointSize ${JSON.stringify(text)}: not a size between 1 byte and 1 TiB; write e.g. 500MB or 2GiB` };
  return { ok: true, bytes: n };
}

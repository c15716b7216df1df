// `vmsec ckpt FILE`: read a checkpoint file back, verify it (schema and
// digests: damage is reported, never accepted), and scan its records for the
// confidential marker (which processes' memory is in clear). Every text that
// comes from the file is printed with control characters escaped.
import * as fs from 'node:fs';
import { verifyCheckpoint, CheckpointError, DEFAULT_MAX_CHECKPOINT_BYTES, type CheckpointManifest } from '../sim/checkpoint';
import { MARKER_PREFIX } from '../sim/pages';
import { escapeControl } from '../model/escape-text';
import { ioReason } from '../model/guarded-write';
import { formatSize } from '../model/units';

export interface CheckpointReport { manifest: CheckpointManifest; confidential_in_clear: string[] }

/**
 * A file over the limit is refused before one byte of it is read: verifying
 * reads and hashes every byte (a sparse 4 GiB file took 31 s, silently). The
 * limit is the one `run` writes checkpoints under, so whatever a run wrote
 * reads back with the same flag. Only a regular file is measured; anything
 * else (missing, a FIFO) is left to verifyCheckpoint's own messages.
 */
function sizeProblem(file: string, maxBytes: number): string | undefined {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch { return undefined; }
  if (!st.isFile() || st.size <= maxBytes) return undefined;
  // Rounded sizes can read alike (12.0 MiB over 12 MiB): then the bytes say it.
  const shown = (n: number) => formatSize(n).replace('.0 ', ' ');
  const [size, limit] = shown(st.size) === shown(maxBytes) ? [`${st.size} bytes`, `${maxBytes} bytes`] : [formatSize(st.size), formatSize(maxBytes)];
  return `${escapeControl(file)} is ${size}; the limit is ${limit} (raise it with --max-checkpoint-size)`;
}

/** Verifies the file and scans it; throws CheckpointError (a user-facing message) for a missing, foreign, damaged or too large file. */
export function inspectCheckpoint(file: string, maxBytes = DEFAULT_MAX_CHECKPOINT_BYTES): CheckpointReport {
  const tooLarge = sizeProblem(file, maxBytes);
  if (tooLarge) throw new CheckpointError(tooLarge);
  const found = new Set<string>();
  const marker = Buffer.from(MARKER_PREFIX, 'latin1');
  let carry = Buffer.alloc(0);
  const manifest = verifyCheckpoint(file, (chunk) => {
    // Keep a tail so a marker split across chunks is still found.
    const buf = Buffer.concat([carry, chunk]);
    for (let at = buf.indexOf(marker); at >= 0; at = buf.indexOf(marker, at + 1)) {
      const vmEnd = buf.indexOf(0x3a, at + marker.length);
      const end = vmEnd < 0 ? -1 : buf.indexOf(0x3a, vmEnd + 1);
      // A marker is cut at a page's end; names longer than that are not reported whole.
      if (end > 0 && end - at < 4096) found.add(buf.subarray(at + marker.length, end).toString('latin1'));
    }
    carry = buf.subarray(Math.max(0, buf.length - 4096));
  });
  return { manifest, confidential_in_clear: [...found].sort() };
}

/** For the CLI: a report, or the error to print (exit 2: the input is missing, foreign, damaged or over maxBytes). */
export function checkpointReport(file: string, maxBytes = DEFAULT_MAX_CHECKPOINT_BYTES): { ok: true; report: CheckpointReport } | { ok: false; error: string } {
  try { return { ok: true, report: inspectCheckpoint(file, maxBytes) }; } catch (e) {
    if (e instanceof CheckpointError) return { ok: false, error: e.message };
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: `cannot read ${file}: ${code ? ioReason(code) : (e as Error).message}` };
  }
}

export function formatCheckpoint(r: CheckpointReport): string {
  const m = r.manifest;
  const t = escapeControl;
  return [
    `${m.format}: checkpoint ${t(m.checkpoint)} of vm ${t(m.vm)}, taken at ${m.taken_at_ms} ms (seed ${m.seed})`,
    `  memory: ${m.memory_pages} pages, ${m.sanitized.pages} sanitised, ${m.zero.pages} zero (not stored); disk: ${m.disk_included ? `${m.disk_blocks} blocks, ${m.sanitized.blocks} sanitised, ${m.zero.blocks} unwritten (not stored)` : 'not included'}`,
    `  excluded: ${m.excluded.map(t).join(', ') || 'none'}; ${m.records} records stored`,
    `  confidential data in clear: ${r.confidential_in_clear.map((x) => t(x.replace(':', '/'))).join(', ') || 'none'}`,
  ].join('\n');
}

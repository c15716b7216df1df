// `vmsec ckpt FILE`: read a checkpoint file back, check it is whole, and scan
// it for the confidential marker (which processes' memory is in clear).
import { readCheckpoint, fileChunks, CheckpointManifest } from '../sim/checkpoint';
import { MARKER_PREFIX } from '../sim/pages';

export interface CheckpointReport { manifest: CheckpointManifest; confidential_in_clear: string[] }

export function inspectCheckpoint(file: string): CheckpointReport {
  const manifest = readCheckpoint(file);
  const found = new Set<string>();
  const marker = Buffer.from(MARKER_PREFIX, 'latin1');
  let carry = Buffer.alloc(0);
  for (const chunk of fileChunks(file)) {
    // Keep a tail so a marker split across chunks is still found.
    const buf = Buffer.concat([carry, chunk]);
    for (let at = buf.indexOf(marker); at >= 0; at = buf.indexOf(marker, at + 1)) {
      const end = buf.indexOf(0x3a, buf.indexOf(0x3a, at + marker.length) + 1);
      if (end > 0) found.add(buf.subarray(at + marker.length, end).toString('latin1'));
    }
    carry = buf.subarray(Math.max(0, buf.length - 256));
  }
  return { manifest, confidential_in_clear: [...found].sort() };
}

export function formatCheckpoint(r: CheckpointReport): string {
  const m = r.manifest;
  return [
    `${m.format}: checkpoint ${m.checkpoint} of vm ${m.vm}, taken at ${m.taken_at_ms} ms (seed ${m.seed})`,
    `  memory: ${m.memory_pages} pages, ${m.sanitized.pages} sanitised; disk: ${m.disk_included ? `${m.disk_blocks} blocks, ${m.sanitized.blocks} sanitised` : 'not included'}`,
    `  excluded: ${m.excluded.join(', ') || 'none'}; ${m.records} records`,
    `  confidential data in clear: ${r.confidential_in_clear.map((x) => x.replace(':', '/')).join(', ') || 'none'}`,
  ].join('\n');
}

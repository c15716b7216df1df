// Temporary folders for tests, all under one root per process that is
// removed when the process exits: scenario runs write checkpoint files of
// hundreds of megabytes, which must not pile up on the machine.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let root: string | undefined;

export function tempDir(prefix = 'vmsec-'): string {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), `vmsec-test-${process.pid}-`));
    const dir = root;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, prefix));
}

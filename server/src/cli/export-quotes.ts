// `--export-quotes DIR`: every quote of a run in the files tpm2-tools reads:
//   quote.msg   TPMS_ATTEST bytes      quote.sig  the signature (DER for ECDSA)
//   pcrs.bin    selected PCR values, ascending, concatenated
//   ak.pub.pem  the attestation key    nonce.hex  the verifier's nonce
//   pcrlist     the selection, e.g. sha256:0,4,8
//   verdict.json what vmsec's verifier decided
// Check one with: tpm2_checkquote -u ak.pub.pem -m quote.msg -s quote.sig
//   -g sha256 -q $(cat nonce.hex) -f pcrs.bin -l $(cat pcrlist)
//
// Ownership: vmsec writes only into an export folder it owns, one that holds
// the marker file `.vmsec-export`. A missing folder is created (one segment
// at a time) and marked; an existing empty folder is marked; an existing
// folder with other files and no marker is refused, so a mistyped path never
// mixes quotes into (or overwrites) someone's files. Folder names come from
// scenario titles and names through safeSegment, and every file goes through
// writeGuarded confined to the export folder.
import { lstatSync, mkdirSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { safeSegment, writeGuarded, WriteRefused } from '../model/guarded-write';
import { escapeControl as show } from '../model/escape-text';
import type { World } from '../sim/world';

export const EXPORT_MARKER = '.vmsec-export';
const MARKER_MAGIC = Buffer.from('vmsec-export\n', 'latin1');

function statOrUndefined(p: string, follow = true): Stats | undefined {
  try { return follow ? statSync(p) : lstatSync(p); } catch { return undefined; }
}

/** Creates the missing folders of `dir` one segment at a time (a recursive mkdir can loop on /proc). */
function createFolder(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!statOrUndefined(at, false)) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  const base = statOrUndefined(at);
  if (!base?.isDirectory()) throw new WriteRefused(`cannot create the export folder ${show(dir)}: ${show(at)} is not a folder`);
  for (const d of missing.reverse()) {
    try { mkdirSync(d); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new WriteRefused(`cannot create the export folder ${show(dir)}: ${code ?? (e as Error).message} at ${show(d)}`);
    }
  }
}

/**
 * Makes sure vmsec owns the export folder `dir` (see the header) and returns
 * its real path. Throws WriteRefused (a user-facing message) otherwise.
 */
export function prepareExportFolder(dir: string): string {
  const abs = resolve(dir);
  let st = statOrUndefined(abs);
  if (!st && statOrUndefined(abs, false)) throw new WriteRefused(`the export folder ${show(abs)} is a symbolic link to something that does not exist`);
  if (!st) { createFolder(abs); st = statOrUndefined(abs); }
  if (!st?.isDirectory()) throw new WriteRefused(`the export folder ${show(abs)} exists and is not a folder`);
  const real = realpathSync(abs);
  const marker = join(real, EXPORT_MARKER);
  const m = statOrUndefined(marker, false);
  if (m) {
    if (!m.isFile()) throw new WriteRefused(`${show(marker)} is not a regular file; vmsec does not export into ${show(abs)}`);
    return real;
  }
  let entries: string[];
  try { entries = readdirSync(real); } catch (e) { throw new WriteRefused(`cannot read the export folder ${show(abs)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  if (entries.length > 0) {
    throw new WriteRefused(`the export folder ${show(abs)} holds files vmsec did not write (it has no ${EXPORT_MARKER} marker); choose a new or empty folder`);
  }
  writeGuarded(marker, { root: real, ownMagic: MARKER_MAGIC }, (sink) => {
    sink.write(Buffer.concat([MARKER_MAGIC, Buffer.from('This folder holds files exported by vmsec (TPM quotes, certificates); vmsec replaces files only in folders with this marker.\n')]));
  });
  return real;
}

export function exportQuotes(dir: string, scenario: string, world: World): number {
  const root = prepareExportFolder(dir);
  const put = (folder: string, name: string, data: Uint8Array | string) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    writeGuarded(join(folder, name), { root, owned: true }, (sink) => sink.write(bytes));
  };
  const scenarioDir = join(root, safeSegment(scenario));
  world.quotes.forEach((q, i) => {
    const d = join(scenarioDir, `${String(i + 1).padStart(3, '0')}-${safeSegment(q.verifier)}-to-${safeSegment(q.target)}-attempt${q.attempt}`);
    if (basename(d).length > 255) throw new WriteRefused(`the quote folder name for ${show(q.verifier)} → ${show(q.target)} is too long`);
    put(d, 'quote.msg', q.quote.attest);
    put(d, 'quote.sig', q.quote.signature);
    put(d, 'pcrs.bin', Buffer.concat(q.quote.values));
    put(d, 'ak.pub.pem', q.akPem);
    put(d, 'nonce.hex', q.nonce.toString('hex'));
    put(d, 'pcrlist', `sha256:${q.quote.pcrs.join(',')}`);
    put(d, 'verdict.json', JSON.stringify({ verifier: q.verifier, target: q.target, kind: q.kind, attempt: q.attempt, passed: q.passed }, null, 2));
  });
  return world.quotes.length;
}

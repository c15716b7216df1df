// `--export-certs DIR`: every certificate of a run as PEM, per scenario:
//   DIR/<scenario>/ca-<authority>.pem     each authority's self-signed CA certificate
//   DIR/<scenario>/<certificate>.<n>.pem  issue n of a certificate (1 at time 0, then one per rotate)
//   DIR/<scenario>/certificates.json      what each file is: subject, serial, exact window, Unix times
// Check one with: openssl verify -attime UNIX -CAfile ca-A.pem C.1.pem
// (names are identifiers, without dots, so the two patterns never meet.)
//
// The folder rules are the quote export's (export-quotes.ts): vmsec writes
// only into a folder holding its marker file, never over files it did not
// write, each file through writeGuarded confined to the folder; names come
// from scenario titles and certificate names through safeSegment.
import { join } from 'node:path';
import { safeSegment, writeGuarded } from '../model/guarded-write';
import { certificatesOf } from '../sim/certificates';
import { toPem } from '../sim/x509';
import { X509_EPOCH_MS, x509Window } from '../sim/x509-time';
import type { World } from '../sim/world';
import { prepareExportFolder } from './export-quotes';

/** Writes a scenario's certificates; returns how many PEM files it wrote. */
export function exportCertificates(dir: string, scenario: string, world: World): number {
  if (world.model.certificates.authorities.size === 0) return 0;
  const cas = certificatesOf(world);
  // Every world with authorities makes its CertificateAuthority; never export nothing in silence.
  if (!cas) throw new Error('the simulator kept no certificates for this run to export');
  const root = prepareExportFolder(dir);
  const folder = join(root, safeSegment(scenario));
  const put = (name: string, text: string) => {
    writeGuarded(join(folder, name), { root, owned: true }, (sink) => sink.write(Buffer.from(text, 'utf8')));
  };
  const index: unknown[] = [];
  const unix = (d: Date) => Math.floor(d.getTime() / 1000);
  for (const a of cas.authorities) {
    const file = `ca-${safeSegment(a.authority)}.pem`;
    put(file, toPem(a.der));
    index.push({ file, authority: a.authority, ca: true, serial: a.serial });
  }
  for (const c of cas.issued) {
    const file = `${safeSegment(c.name)}.${c.issue}.pem`;
    put(file, toPem(c.der));
    const w = x509Window(c.issuedUs, c.validUs);
    index.push({
      file, certificate: c.name, issue: c.issue, subject: c.subject, authority: c.authority, ca_file: `ca-${safeSegment(c.authority)}.pem`,
      serial: c.serial, issued_us: c.issuedUs, valid_us: c.validUs,
      not_before: w.notBefore.toISOString(), not_after: w.notAfter.toISOString(),
      not_before_unix: unix(w.notBefore), not_after_unix: unix(w.notAfter),
    });
  }
  put('certificates.json', JSON.stringify({ epoch: new Date(X509_EPOCH_MS).toISOString(), certificates: index }, null, 2) + '\n');
  return cas.authorities.length + cas.issued.length;
}

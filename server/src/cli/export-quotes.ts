// `--export-quotes DIR`: every quote of a run in the files tpm2-tools reads:
//   quote.msg   TPMS_ATTEST bytes      quote.sig  the signature (DER for ECDSA)
//   pcrs.bin    selected PCR values, ascending, concatenated
//   ak.pub.pem  the attestation key    nonce.hex  the verifier's nonce
//   pcrlist     the selection, e.g. sha256:0,4,8
//   verdict.json what vmsec's verifier decided
// Check one with: tpm2_checkquote -u ak.pub.pem -m quote.msg -s quote.sig
//   -g sha256 -q $(cat nonce.hex) -f pcrs.bin -l $(cat pcrlist)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { World } from '../sim/world';

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-|-$/g, '') || 'x';

export function exportQuotes(dir: string, scenario: string, world: World): number {
  world.quotes.forEach((q, i) => {
    const d = join(dir, slug(scenario), `${String(i + 1).padStart(3, '0')}-${slug(q.verifier)}-to-${slug(q.target)}-attempt${q.attempt}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'quote.msg'), q.quote.attest);
    writeFileSync(join(d, 'quote.sig'), q.quote.signature);
    writeFileSync(join(d, 'pcrs.bin'), Buffer.concat(q.quote.values));
    writeFileSync(join(d, 'ak.pub.pem'), q.akPem);
    writeFileSync(join(d, 'nonce.hex'), q.nonce.toString('hex'));
    writeFileSync(join(d, 'pcrlist'), `sha256:${q.quote.pcrs.join(',')}`);
    writeFileSync(join(d, 'verdict.json'), JSON.stringify({ verifier: q.verifier, target: q.target, kind: q.kind, attempt: q.attempt, passed: q.passed }, null, 2));
  });
  return world.quotes.length;
}

// VMS017: a policy checks only the PCRs its accepted chains name, so every PCR
// an attested host measures beyond them is reported, on the chains after
// `against`. Exact diagnostics: code, severity, message, text and position.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check, memoryWorkspace, ROOT } from '../helpers';
import { resolveFileSet } from '../../server/src/model/resolve';
import { attestationCoverage } from '../../server/src/validation/attestation-coverage';
import * as nodePath from 'node:path';

const TOPO = `boot golden { pcr 0 "fw" }
boot rooted { pcr 0 "fw" pcr 8 "rootkit" }
host good { tpm ecdsa-p256 boot golden }
host bad { tpm ecdsa-p256 boot rooted }
link good <-> bad { }
`;

const vms017 = (text: string) => check(text).filter((d) => d.code === 'VMS017');

describe('VMS017 attestation coverage', () => {
  test('a target whose chain measures PCR 8 against a policy naming only PCR 0', () => {
    assert.deepEqual(vms017(`${TOPO}vm web on good { }
fork f of web { on bad attest hosts against golden integrity per-page }
`), [{
      code: 'VMS017', severity: 'warning', message: 'attestation against golden does not cover PCR 8, which host bad measures',
      text: 'golden', line: 7, col: 45,
    }]);
  });

  test('the source is attested too: a rooted source is reported', () => {
    assert.deepEqual(vms017(`${TOPO}vm web on bad { }
fork f of web { on good attest hosts against golden integrity per-page }
`).map((d) => [d.message, d.line, d.col]), [
      ['attestation against golden does not cover PCR 8, which host bad measures', 7, 46],
    ]);
  });

  test('each uncovered PCR of each host; several chains are one policy, located from the first to the last', () => {
    const found = vms017(`boot a0 { pcr 0 "fw" }
boot a4 { pcr 4 "loader" }
boot wide { pcr 0 "fw" pcr 4 "loader" pcr 8 "kit" pcr 9 "kit2" }
host s { tpm ecdsa-p256 boot a0 }
host t { tpm ecdsa-p256 boot wide }
host u { tpm ecdsa-p256 boot wide }
network n { hosts s, t, u }
vm v on s { }
fork f of v { children 2 on t, u attest hosts against a0, a4 integrity per-page }
`);
    assert.deepEqual(found.map((d) => [d.severity, d.message, d.text, d.line, d.col]), [
      ['warning', 'attestation against a0, a4 does not cover PCR 8, which host t measures', 'a0, a4', 9, 55],
      ['warning', 'attestation against a0, a4 does not cover PCR 9, which host t measures', 'a0, a4', 9, 55],
      ['warning', 'attestation against a0, a4 does not cover PCR 8, which host u measures', 'a0, a4', 9, 55],
      ['warning', 'attestation against a0, a4 does not cover PCR 9, which host u measures', 'a0, a4', 9, 55],
    ]);
  });

  test('passes when an accepted chain names the PCR', () => {
    assert.deepEqual(vms017(`${TOPO}vm web on good { }
fork f of web { on bad attest hosts against golden, rooted integrity per-page }
`), []);
  });

  test('nothing is attested when every child stays on the source host', () => {
    assert.deepEqual(vms017(`${TOPO}vm web on bad { }
fork f of web { on bad attest hosts against golden }
`), []);
  });

  test('an undeclared chain is VMS001, not a narrower policy', () => {
    const found = check(`${TOPO}vm web on good { }
fork f of web { on bad attest hosts against golden, nope integrity per-page }
`);
    assert.deepEqual(found.map((d) => d.code), ['VMS001']);
  });

  test('a host without a TPM measures nothing (VMS010 reports it instead)', () => {
    const found = check(`boot golden { pcr 0 "fw" }
boot rooted { pcr 0 "fw" pcr 8 "rootkit" }
host good { tpm ecdsa-p256 boot golden }
host bare { boot rooted }
link good <-> bare { }
vm web on good { }
fork f of web { on bare attest hosts against golden integrity per-page }
`);
    assert.deepEqual(found.map((d) => d.code), ['VMS010']);
  });

  test('the coverage the hover shows: covered PCRs and each host\'s gaps', () => {
    const ws = memoryWorkspace({ 'main.vmsec': `${TOPO}vm web on good { }\nfork f of web { on bad attest hosts against golden }\n` });
    const { model } = resolveFileSet(ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!);
    const cov = attestationCoverage(model.forks.get('f')!)!;
    assert.deepEqual(cov.covered, [0]);
    assert.deepEqual(cov.hosts.map((h) => [h.host.name, h.measured, h.uncovered]), [['good', [0], []], ['bad', [0, 8], [8]]]);
  });
});

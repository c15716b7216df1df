// One implementation of each rule that used to exist twice (issue 11, "A
// simulator you can read"): each test goes through both former users of a
// rule and checks that they agree — the validator and the simulator on
// covered PCRs and child addresses, the parser and the CLI's size texts on
// units, the validator and completion on enum values and name kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { check, run } from '../helpers';
import { tempDir } from '../tmp';
import { parseQuantity, UNITS } from '../../grammar/src/literals';
import { parseSize } from '../../server/src/model/size-text';
import { unitsOf } from '../../server/src/model/units';
import { ENUM_VALUES } from '../../server/src/model/enum-values';
import { Session } from '../../server/src/lsp/session';
import { completion } from '../../server/src/lsp/completion';

const TOPO = `boot golden { pcr 0 "fw" }
boot golden8 { pcr 0 "fw" pcr 8 "clean" }
boot unnamed { }
boot rooted { pcr 0 "fw" pcr 8 "rootkit" }
host good { tpm ecdsa-p256 boot rooted }
host bad { tpm ecdsa-p256 boot rooted }
link good <-> bad { }
vm web on good { memory 8 MiB }
`;

/** VMS017's uncovered PCRs and the fork's attestation verdicts for one policy. */
function coverage(policy: string) {
  const text = `${TOPO}fork f of web { on bad attest hosts against ${policy} integrity per-page }
scenario "s" { at 0 ms fork f }
`;
  const uncovered = check(text).filter((d) => d.code === 'VMS017').map((d) => d.message);
  const [s] = run(text);
  const verdicts = s.attestations.map((a) => `${a.verifier}->${a.target} ${a.passed ? 'passed' : a.failures.map((f) => f.id).join(',')}`);
  return { uncovered, verdicts };
}

test('covered PCRs: what VMS017 calls uncovered is what the fork\'s attestation does not check', () => {
  // PCR 8 is not named: VMS017 warns, and the rootkit passes attestation.
  assert.deepEqual(coverage('golden'), {
    uncovered: [
      'attestation against golden does not cover PCR 8, which host good measures',
      'attestation against golden does not cover PCR 8, which host bad measures',
    ],
    verdicts: ['good->bad passed', 'bad->good passed'],
  });
  // Named: no warning, and the check finds the rootkit.
  assert.deepEqual(coverage('golden8'), { uncovered: [], verdicts: ['good->bad invalid_pcr_8', 'bad->good invalid_pcr_8'] });
  // A policy naming no PCR still checks PCR 0, in both: only PCR 8 is uncovered, and PCR 0 (zero in the policy) fails.
  assert.deepEqual(coverage('unnamed'), {
    uncovered: [
      'attestation against unnamed does not cover PCR 8, which host good measures',
      'attestation against unnamed does not cover PCR 8, which host bad measures',
    ],
    verdicts: ['good->bad invalid_pcr_0', 'bad->good invalid_pcr_0'],
  });
});

test('child addresses: the children VMS003 lets into a subnet get addresses inside it in the simulator', () => {
  const fork = (n: number) => `host h { } vm v on h { memory 8 MiB subnet 10.1.0.0/29 }
fork f of v { children ${n} }
scenario "s" { at 0 ms fork f }
`;
  // A /29 has 8 addresses: children take .2 to .6, below the broadcast .7.
  assert.deepEqual(check(fork(5)).filter((d) => d.code === 'VMS003'), []);
  const [s] = run(fork(5));
  assert.deepEqual(s.transfers.map((t) => [t.child, t.ip]), [['f[1]', '10.1.0.2'], ['f[2]', '10.1.0.3'], ['f[3]', '10.1.0.4'], ['f[4]', '10.1.0.5'], ['f[5]', '10.1.0.6']]);
  assert.deepEqual(check(fork(6)).filter((d) => d.code === 'VMS003').map((d) => [d.message, d.text]),
    [["6 children do not fit in the /29 subnet of vm 'v' (room for 5); use a larger subnet", '6']]);
});

test('units: every size unit of the language means the same in a file and in --max-checkpoint-size', () => {
  const sizes = unitsOf('size');
  assert.deepEqual(sizes, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'KB', 'MB', 'GB', 'TB']);
  for (const u of sizes) {
    const inFile = parseQuantity(`3 ${u}`, { start: 0, end: 0 });
    assert.equal(inFile.kind, 'size', u);
    assert.equal(parseSize(`3${u}`), inFile.value, u);
    assert.equal(parseSize(`3 ${u.toLowerCase()}`), inFile.value, u);
  }
  // Not a size in either: a rate, a duration.
  assert.equal(parseSize('3Mbps'), undefined);
  assert.equal(parseSize('3ms'), undefined);
  assert.equal(UNITS.Mbps.kind, 'rate');
  assert.equal(parseSize('1048576'), 1048576);
});

/** Completion labels at the end of `text` (a file on disk, answered as the server does). */
function complete(text: string): string[] {
  const dir = tempDir('complete-');
  const path = nodePath.join(dir, 'main.vmsec');
  fs.writeFileSync(path, text);
  const session = new Session();
  const lines = text.split('\n');
  return completion(session, path, { line: lines.length - 1, character: lines[lines.length - 1].length }).map((i) => i.label);
}

test('enum values: completion offers exactly the words the validator accepts, and the validator names them', () => {
  // The text before the word, and what closes the file after it.
  const cases: [keyof typeof ENUM_VALUES, string, string, string][] = [
    ['keyAlgorithm', 'host h { tpm ', ' }', 'the TPM key algorithm'],
    ['virtualization', 'host h { } vm v on h { virtualization ', ' }', 'virtualization'],
    ['copyMode', 'host h { } vm v on h { } fork f of v { memory ', ' }', 'fork memory'],
    ['integrity', 'host h { } vm v on h { } fork f of v { integrity ', ' }', 'integrity'],
    ['monitorMode', 'host h { } vm v on h { } monitor m for v { mode ', ' }', 'monitor mode'],
    ['checkpointIpc', 'host h { } vm v on h { } checkpoint c of v { ipc ', ' }', 'checkpoint ipc'],
  ];
  for (const [list, before, after, what] of cases) {
    const values = ENUM_VALUES[list];
    assert.deepEqual(complete(before).sort(), [...values].sort(), list);
    for (const v of values) {
      const word = v === 'batched' ? 'batched 64' : v;
      assert.deepEqual(check(`${before}${word}${after}`).filter((d) => d.code === 'VMS003'), [], `${list} ${v}`);
    }
    const wrong = check(`${before}zzz${after}`).filter((d) => d.code === 'VMS003');
    const allowed = values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
    assert.deepEqual(wrong.map((d) => [d.message, d.text]), [[`${what} must be ${allowed}; found 'zzz'`, 'zzz']], list);
  }
});

test('expected name kinds: completion offers the names the reference check accepts there', () => {
  const decls = `boot b { } host h { boot b } vm v on h { } monitor m for v { }
authority a { key ecdsa-p256 } certificate c for v by a valid 1 h
`;
  const names = ['b', 'h', 'v', 'm', 'a', 'c'];
  const cases: [string, string][] = [
    ['vm w on ', 'host'],
    ['fork f of ', 'vm'],
    ['fork f of v { attest hosts against ', 'boot chain'],
    ['certificate d for v by ', 'authority'],
    ['attacker x { steal ', 'certificate'],
  ];
  for (const [prefix, kind] of cases) {
    const offered = complete(decls + prefix).filter((n) => names.includes(n));
    assert.equal(offered.length, 1, `${prefix}: ${offered}`);
    // The offered name passes the reference check there; every other declared name is VMS016 there.
    for (const n of names) {
      const closing = prefix.includes('{') ? ' }' : prefix.startsWith('vm') ? ' { }' : prefix.startsWith('fork') ? ' { }' : ' valid 1 h';
      const found = check(`${decls}${prefix}${n}${prefix.startsWith('attacker') ? ' }' : closing}`).filter((d) => d.code === 'VMS016' || d.code === 'VMS001');
      if (n === offered[0]) assert.deepEqual(found, [], `${prefix}${n}`);
      else assert.match(found[0]?.message ?? '', new RegExp(`but an? ${kind} is expected here`), `${prefix}${n}`);
    }
  }
});

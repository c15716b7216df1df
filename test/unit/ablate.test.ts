// `--ablate`: the defences of a file set, one variant per defence switched
// off by the smallest edit, each still valid; and on the flagship sample,
// switching off integrity makes the tamper expectation fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace, type FileSet } from '../../server/src/model/workspace';
import { diskReader } from '../../server/src/cli/files';
import { listDefences, planAblation } from '../../server/src/batch/ablate';
import { applyEdits, EditedFiles } from '../../server/src/batch/sweep-edits';
import { ItemRunner, runnerInput } from '../../server/src/batch/item-runner';
import { sweepPlan } from '../../server/src/batch/sweep-run';
import { tempDir } from '../tmp';

const SAMPLES = join(import.meta.dirname, '..', '..', 'samples');

const TEXT = `host h1 { tpm ecdsa-p256 boot std }
host h2 { tpm ecdsa-p256 boot std }
boot std { pcr 0 "fw" }
network n { hosts h1, h2 }
vm web on h1 { vtpm process a { memory 4 MiB } process b { memory 4 MiB confidential } process c { memory 4 MiB } }
fork f of web {
  on h2
  attest hosts against std
  attest vtpm
  integrity batched 64
  encrypt
}
monitor m for web {
  default deny(1)
  rule r1 on open when fileEq(0, "/etc/shadow") then deny(13)
  rule r2 on connect then killProc
  escalate 2 violations within 1 s then pause
}
checkpoint k of web { exclude a, b, c ipc follow }
`;

function setOf(text: string): FileSet {
  return new Workspace({ read: () => ({ ok: true, text }) }).fileSet('/w/a.vmsec')!;
}

test('every defence is listed, with the minimal edit that switches it off', () => {
  const set = setOf(TEXT);
  const ds = listDefences(set);
  const shown = ds.map((d) => [d.id, d.what, d.edits.map((e) => `${JSON.stringify(TEXT.slice(e.start, e.end))}→${JSON.stringify(e.text)}`).join(' ')]);
  assert.deepEqual(shown, [
    ['attest-hosts@f', 'attest hosts on f', '"attest hosts against std"→""'],
    ['attest-vtpm@f', 'attest vtpm on f', '"attest vtpm"→""'],
    ['integrity@f', 'integrity on f', '"batched 64"→"none"'],
    ['encrypt@f', 'encrypt on f', '"encrypt"→""'],
    ['default-deny@m', 'default deny on m', '"deny(1)"→"allow"'],
    ['rule.r1@m', 'rule r1 of m', '"rule r1 on open when fileEq(0, \\"/etc/shadow\\") then deny(13)"→""'],
    ['rule.r2@m', 'rule r2 of m', '"rule r2 on connect then killProc"→""'],
    ['escalate@m', 'escalate on m', '"escalate 2 violations within 1 s then pause"→""'],
    ['exclude.a@k', 'exclude a on k', '"a, "→""'],
    ['exclude.b@k', 'exclude b on k', '"b, "→""'],
    ['exclude.c@k', 'exclude c on k', '", c"→""'],
  ]);
  const a = planAblation(set);
  assert.deepEqual(a.refused, []);
  assert.deepEqual(a.variants.map((v) => v.label).slice(0, 3), ['without attest hosts on f', 'without attest vtpm on f', 'without integrity on f']);
  assert.deepEqual(a.variants.map((v) => v.id)[0], 'ablate:attest-hosts@f');
  // Line numbers stay: every edit keeps the line breaks.
  for (const v of a.variants) assert.equal(applyEdits(TEXT, v.edits).split('\n').length, TEXT.split('\n').length);
});

test('a file without defences lists none, and each sample\'s ablation variants validate', () => {
  assert.deepEqual(listDefences(setOf('host h { }\n')), []);
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.vmsec')).map((f) => join(SAMPLES, f));
  let total = 0;
  for (const path of files) {
    const set = new Workspace(diskReader).fileSet(path)!;
    const a = planAblation(set);
    assert.deepEqual(a.refused.map((r) => r.reason), [], path);
    const check = new EditedFiles(set);
    for (const v of a.variants) assert.deepEqual(check.check(v.edits).errors, [], `${path}: ${v.label}`);
    total += a.variants.length;
  }
  assert.ok(total >= 20, `only ${total} defences in the samples`);
});

test('a defence whose removal leaves an error is refused with the reason, not run', () => {
  // The valid samples have no such defence; a file with an error shows the mechanism:
  // every variant keeps the error, so every defence is refused with it.
  const broken = TEXT.replace('integrity batched 64', 'integrity batched 64 encrypt');
  const a = planAblation(setOf(broken));
  assert.ok(a.refused.length > 0);
  for (const r of a.refused) assert.match(r.reason, /^without it, line \d+: VMS002 'encrypt' is given twice/);
  assert.equal(a.variants.length + a.refused.length, listDefences(setOf(broken)).length);
});

// Lazy memory: one page per message, so each tampered page is caught or accepted on its own.
const TAMPERED = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'batch', 'tampered-fork.vmsec'), 'utf8');

test('without integrity, tampered pages are accepted: the tamper expectations fail, the others do not', () => {
  const set = setOf(TAMPERED);
  const a = planAblation(set);
  assert.deepEqual(a.variants.map((v) => v.label), ['without integrity on f']);
  // The same plan `vmsec sweep --ablate` runs: files and edits by key.
  const plan = sweepPlan(set, 'a.vmsec', [{ id: 'as-written', label: 'as written', values: {}, edits: [] }, ...a.variants], null);
  const runner = new ItemRunner(runnerInput(plan, { checkpointDir: tempDir('ablate-') }));
  const failing = (variant: number) => runner.run({ index: variant, file: 'a.vmsec', scenario: 'fork under tampering', seed: 1, variant })
    .expectations.filter((e) => !e.passed).map((e) => `${e.line} ${e.text}`);
  assert.deepEqual(failing(0), []);
  assert.deepEqual(failing(1), ['10 expect no tampered page accepted', '11 expect f pages rejected > 0']);
});

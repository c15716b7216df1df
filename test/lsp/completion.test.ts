// Completion over stdio: what is offered is what is valid at the cursor —
// processes of the VM in question only, the values a keyword needs, units by
// the property a number belongs to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompletionItem } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { TestClient } from './client';

const dir = tempDir('lsp-completion-');
let c: TestClient;

// Two VMs with processes of their own; a fork of web, a checkpoint of web, a monitor for db.
const BASE = `host alpha { tpm ecdsa-p256 }
host beta { tpm ecdsa-p256 }
network campus { hosts alpha, beta }
vm web on alpha { process wp1 { } process wp2 { } ipc wp1 -> wp2 pipe }
vm db on alpha { process dp1 { } }
fork burst of web { on alpha }
checkpoint nightly of web { }
monitor m for db { default allow }
`;

let n = 0;
/** The labels offered at `§` in BASE followed by `snippet`, once the server has analysed the text. */
async function offered(snippet: string): Promise<string[]> {
  const marked = BASE + snippet;
  const at = marked.indexOf('§');
  const text = marked.replace('§', '');
  const before = text.slice(0, at);
  const position = { line: before.split('\n').length - 1, character: at - before.lastIndexOf('\n') - 1 };
  const path = join(dir, `c${++n}.vmsec`);
  writeFileSync(path, text);
  const uri = c.open(path, text);
  await c.waitDiagnostics(uri, () => true);
  const items = await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position });
  return items.map((i) => i.label).sort();
}

before(async () => {
  c = new TestClient();
  await c.initialize(dir);
});
after(async () => { await c.close(); });

test('a process name is offered only from the VM in question', async () => {
  assert.deepEqual(await offered('monitor m2 for db { rule a on open when process(§) then deny(1) }'), ['dp1']);
  assert.deepEqual(await offered('monitor m2 for db, web { rule a on open when process(§) then deny(1) }'), ['dp1', 'wp1', 'wp2']);
  assert.deepEqual(await offered('checkpoint c2 of db { exclude § }'), ['dp1']);
  assert.deepEqual(await offered('scenario "z" { at 0 ms syscall db § }'), ['dp1']);
  // A fork's child runs its parent's processes; a restored VM those of the checkpointed VM.
  assert.deepEqual(await offered('scenario "z" { at 0 ms syscall burst[1] § }'), ['wp1', 'wp2']);
  assert.deepEqual(await offered('scenario "z" { at 0 ms restore nightly as q on beta\n  at 1 s syscall q § }'), ['wp1', 'wp2']);
});

test('ipc offers the processes of its VM, expect … excludes those of the checkpoint, pages … on the hosts', async () => {
  assert.deepEqual(await offered('vm x on alpha { process p { } process q { } ipc § }'), ['p', 'q']);
  assert.deepEqual(await offered('vm x on alpha { process p { } process q { } ipc p -> § }'), ['p', 'q']);
  assert.deepEqual(await offered('scenario "z" { expect nightly excludes § }'), ['wp1', 'wp2']);
  assert.deepEqual(await offered('scenario "z" { expect burst pages verified on § }'), ['alpha', 'beta']);
});

test('a restored VM is offered where a VM is, after its restore step', async () => {
  const names = await offered('scenario "z" { at 0 ms restore nightly as q on beta\n  at 1 s syscall § }');
  assert.deepEqual(names, ['burst', 'db', 'q', 'web']);
  assert.ok((await offered('scenario "z" { at 0 ms restore nightly as q on beta\n  expect § }')).includes('q'));
});

test('expect offers its keywords and names; after a subject, only what may follow it', async () => {
  const start = await offered('scenario "z" { expect § }');
  for (const w of ['attestation', 'no', 'write', 'web', 'burst', 'm', 'nightly']) assert.ok(start.includes(w), w);
  const afterSubject = await offered('scenario "z" { expect burst § }');
  for (const w of ['seed', 'at', 'expect']) assert.ok(!afterSubject.includes(w), w);
  assert.deepEqual(await offered('scenario "z" { expect no § }'), ['tampered']);
});

test('after a keyword that needs a value, only its values', async () => {
  assert.deepEqual(await offered('fork f2 of web { attest § }'), ['hosts', 'vtpm']);
  assert.deepEqual(await offered('monitor m2 for web { default § }'), ['allow', 'deny']);
  assert.deepEqual(await offered('monitor m2 for web { escalate 3 violations within 1 s then § }'), ['migrate', 'pause', 'terminate']);
  assert.ok((await offered('monitor m2 for web { rule r on open then § }')).includes('killProc'));
  // A flag ends its property: the next property may follow.
  assert.ok((await offered('fork f2 of web { multicast § }')).includes('children'));
});

test('units after the number of a tamper, drop or replay, past the target', async () => {
  assert.ok((await offered('attacker a2 { tamper campus 5§ }')).includes('%'));
  assert.ok((await offered('attacker a2 { drop alpha <-> beta 5§ }')).includes('%'));
  assert.ok((await offered('attacker a2 { replay campus 5 § }')).includes('%'));
  // A count has no unit.
  assert.ok(!(await offered('monitor m2 for web { buffer 10 § }')).includes('%'));
});

test('after an expectation\'s subject, only the words that fit what the name is', async () => {
  assert.deepEqual(await offered('scenario "z" { expect web § }'), ['is']);
  assert.deepEqual(await offered('scenario "z" { expect burst § }'), ['pages', 'ready']);
  assert.deepEqual(await offered('scenario "z" { expect burst[1] § }'), ['is']);
  assert.deepEqual(await offered('scenario "z" { expect m § }'), ['allows', 'denies', 'kills']);
  assert.deepEqual(await offered('scenario "z" { expect nightly § }'), ['excludes']);
  assert.deepEqual(await offered('scenario "z" { at 0 ms restore nightly as q on beta\n  expect q § }'), ['is']);
  // A name not declared (yet): every subject's words.
  for (const w of ['ready', 'is', 'denies', 'excludes', 'sees']) assert.ok((await offered('scenario "z" { expect nobody § }')).includes(w), w);
});

test('a property given once is not offered again in its block; a listed name not again in its list', async () => {
  const mon = await offered('monitor m2 for db { default allow § }');
  assert.ok(!mon.includes('default') && mon.includes('rule') && mon.includes('mode'), mon.join());
  // Also when the property comes after the cursor; repeatable ones stay.
  const before = await offered('monitor m2 for db { § mode serial rule a on open then allow }');
  assert.ok(!before.includes('mode') && before.includes('rule') && before.includes('default'), before.join());
  assert.ok(!(await offered('vm x on alpha { process p { memory 4 KiB § } }')).includes('memory'));
  assert.ok((await offered('vm x on alpha { process p { memory 4 KiB } § }')).includes('memory'));
  const fork = await offered('fork f2 of web { attest vtpm § }');
  assert.ok(fork.includes('attest') && fork.includes('children'), fork.join());
  assert.deepEqual(await offered('fork f2 of web { attest vtpm attest § }'), ['hosts']);
  assert.deepEqual(await offered('checkpoint c2 of web { exclude wp1, § }'), ['wp2']);
  assert.deepEqual(await offered('checkpoint c2 of web { exclude wp2\n exclude § }'), ['wp1']);
  assert.deepEqual(await offered('monitor m2 for db, § { }'), ['web']);
  assert.deepEqual(await offered('fork f2 of web { on alpha, § }'), ['beta']);
  const scen = await offered('scenario "z" { seed 3 at 0 ms syscall db dp1 seed()\n  § }');
  assert.ok(!scen.includes('seed') && scen.includes('at') && scen.includes('expect'), scen.join());
  assert.ok((await offered('scenario "z" { at 0 ms syscall db dp1 seed()\n  § }')).includes('seed'));
});

test('process( offers the processes of a VM typed since the last analysis', async () => {
  const path = join(dir, `c${++n}.vmsec`);
  writeFileSync(path, BASE);
  const uri = c.open(path, BASE);
  await c.waitDiagnostics(uri, () => true);
  // Typed at once (no pause for a new analysis): a VM, then a monitor for it.
  const typed = 'vm fresh on alpha { process fp1 { } process fp2 { } }\nmonitor m3 for fresh, db { rule a on open when process(';
  c.change(uri, BASE + typed + ') then deny(1) }\n');
  const position = { line: BASE.split('\n').length - 1 + 1, character: typed.split('\n')[1].length };
  const items = await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position });
  assert.deepEqual(items.map((i) => i.label).sort(), ['dp1', 'fp1', 'fp2']);
});

test('words the parser only forgives are not offered: `for` after a monitor name, `as` after a restored checkpoint', async () => {
  // `monitor m on web` and `restore nightly on beta` are read as meant with one error; completion must not teach them.
  assert.deepEqual(await offered('monitor m3 §'), ['for']);
  assert.deepEqual(await offered('scenario "z" { at 1 ms restore nightly § }'), ['as']);
});

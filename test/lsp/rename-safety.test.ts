// Rename never produces a broken file: a new name is refused when it is taken
// in any file set the edit reaches (importing files, open or not), by a VM a
// scenario restores, or when process(P) in a monitor for several VMs would
// change meaning. Find references and definition see every process that
// process(P) names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Location, TextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { applyEdits, pos, TestClient } from './client';

const dir = tempDir('lsp-rename-');
const CLI = join(import.meta.dirname ?? '', '..', '..', 'dist', 'vmsec.js');
let c: TestClient;

const FILES: Record<string, string> = {
  'imp/lib.vmsec': 'host alpha { }\n',
  'imp/a.vmsec': 'import "lib.vmsec"\nvm web on alpha { }\n',
  // Imports lib but names nothing of it: still gets lib's names.
  'imp/b.vmsec': 'import "lib.vmsec"\nhost beta { }\n',
  'imp/s.vmsec': 'import "lib.vmsec"\nvm v on alpha { process p { } }\ncheckpoint c of v { }\nscenario "back" {\n  at 1 s restore c as again on alpha\n}\n',
  // Does not import lib: its names are no concern of a rename there.
  'imp/apart.vmsec': 'host alpha { }\nvm solo on alpha { }\n',
  'res/r.vmsec': `host h { }
authority ca { key rsa-2048 }
attacker eve { vm ev on apart }
vm v on h { process p { } }
vm db on h { }
checkpoint c of v { }
host apart { }
scenario "s" {
  at 1 s restore c as r1 on h
  at 2 s restore c as r2 on h
  at 3 s syscall r1 p open("/x")
  at 4 s syscall r2 p open("/x")
}
`,
  'mon/m.vmsec': `host h { cpus 8 memory 64 GiB }
vm web on h { process mysql { } }
vm db on h { process mysql { } }
vm web2 on h { process mysql { } }
vm db2 on h { process zz { } }
monitor strict for web, db { rule r2 on execve when process(mysql) then deny(1) }
monitor loose for web2, db2 { rule r3 on execve when process(mysql) then deny(1) }
`,
};

const uri = (name: string) => pathToFileURL(join(dir, name)).toString();
const rename = (name: string, needle: string, delta: number, newName: string) =>
  c.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: uri(name) }, position: pos(FILES[name], needle, delta), newName });

/** `vmsec check` of a folder after applying an edit to a copy of it: the codes it reports. */
function checkAfter(sub: string, edit: WorkspaceEdit): string {
  const copy = join(tempDir('lsp-rename-after-'), sub);
  cpSync(join(dir, sub), copy, { recursive: true });
  for (const [u, edits] of Object.entries(edit.changes ?? {})) {
    const name = u.slice(uri(sub).length + 1);
    writeFileSync(join(copy, name), applyEdits(readFileSync(join(copy, name), 'utf8'), edits));
  }
  try { execFileSync(process.execPath, [CLI, 'check', copy], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); return 'clean'; }
  catch (e) { return (e as { stdout: string }).stdout; }
}

before(async () => {
  // Written before the server scans the folder: files that are not open are found on disk.
  for (const [name, text] of Object.entries(FILES)) { mkdirSync(join(dir, name, '..'), { recursive: true }); writeFileSync(join(dir, name), text); }
  c = new TestClient();
  await c.initialize(dir);
});
after(async () => { await c.close(); });

test('a name taken in an importing file is refused, open or not; a name taken only in an unrelated file is not', async () => {
  const lib = c.open(join(dir, 'imp/lib.vmsec'), FILES['imp/lib.vmsec']);
  await c.waitDiagnostics(lib, (d, p) => p.version !== undefined && d.length === 0);
  await assert.rejects(rename('imp/lib.vmsec', 'alpha', 1, 'web'), /^Error: 'web' is already declared as a vm \(a\.vmsec:2\)$/);
  // b.vmsec does not name alpha, but its namespace gets the new name all the same.
  await assert.rejects(rename('imp/lib.vmsec', 'alpha', 1, 'beta'), /'beta' is already declared as a host \(b\.vmsec:2\)/);
  await assert.rejects(rename('imp/lib.vmsec', 'alpha', 1, 'again'), /'again' is already the name of a VM restored in scenario "back" \(s\.vmsec:5\)/);
  c.open(join(dir, 'imp/a.vmsec'), FILES['imp/a.vmsec']);
  await assert.rejects(rename('imp/lib.vmsec', 'alpha', 1, 'web'), /'web' is already declared as a vm \(a\.vmsec:2\)/);
  const edit = await rename('imp/lib.vmsec', 'alpha', 1, 'solo');
  assert.deepEqual(Object.keys(edit.changes!).map((u) => u.split('/').pop()).sort(), ['a.vmsec', 'lib.vmsec', 's.vmsec']);
  assert.equal(checkAfter('imp', edit), 'clean');
});

test('a VM a scenario restores: its name is taken for other names, and two restored VMs never merge', async () => {
  const r = c.open(join(dir, 'res/r.vmsec'), FILES['res/r.vmsec']);
  await c.waitDiagnostics(r, (d, p) => p.version !== undefined && d.length === 0);
  await assert.rejects(rename('res/r.vmsec', 'vm db', 3, 'r1'), /'r1' is already the name of a VM restored in scenario "s" \(r\.vmsec:9\)/);
  await assert.rejects(rename('res/r.vmsec', 'host h', 5, 'r2'), /'r2' is already the name of a VM restored in scenario "s" \(r\.vmsec:10\)/);
  await assert.rejects(rename('res/r.vmsec', 'as r1', 3, 'r2'), /scenario "s" already restores a VM as 'r2' \(r\.vmsec:10\); the two would become one/);
  await assert.rejects(rename('res/r.vmsec', 'as r1', 3, 'db'), /'db' is already declared as a vm \(r\.vmsec:5\)/);
  const edit = await rename('res/r.vmsec', 'as r1', 3, 'r3');
  assert.equal(edit.changes![r].length, 2);
  assert.equal(checkAfter('res', edit), 'clean');
});

test('refusals read "an authority", "an attacker", "an attacker\'s vm"', async () => {
  await assert.rejects(rename('res/r.vmsec', 'vm db', 3, 'ca'), /'ca' is already declared as an authority \(r\.vmsec:2\)/);
  await assert.rejects(rename('res/r.vmsec', 'vm db', 3, 'eve'), /'eve' is already declared as an attacker \(r\.vmsec:3\)/);
  await assert.rejects(rename('res/r.vmsec', 'vm db', 3, 'ev'), /'ev' is already declared as an attacker's vm \(r\.vmsec:3\)/);
  await assert.rejects(rename('res/r.vmsec', 'as r1', 3, 'ev'), /'ev' is already declared as an attacker's vm/);
});

test('process(P) in a monitor for several VMs: references and definition reach every VM\'s process; a rename of one is refused', async () => {
  const name = 'mon/m.vmsec';
  const text = FILES[name];
  const m = c.open(join(dir, name), text);
  await c.waitDiagnostics(m, (d, p) => p.version !== undefined && d.length === 0);
  const line = (l: Location) => l.range.start.line + 1;
  const use = pos(text, 'process(mysql)', 8);
  for (const [needle, delta] of [['web on h { process mysql', 19], ['db on h { process mysql', 18]] as const) {
    const refs = await c.request<Location[]>('textDocument/references', { textDocument: { uri: m }, position: pos(text, needle, delta), context: { includeDeclaration: false } });
    assert.deepEqual(refs.map((l) => [line(l), l.range.start.character]), [[6, use.character]], needle);
  }
  const def = await c.request<Location[]>('textDocument/definition', { textDocument: { uri: m }, position: use });
  assert.deepEqual(def.map(line).sort(), [2, 3]);
  const fromUse = await c.request<Location[]>('textDocument/references', { textDocument: { uri: m }, position: use, context: { includeDeclaration: true } });
  assert.deepEqual(fromUse.map(line).sort(), [2, 3, 6]);
  await assert.rejects(rename(name, 'db on h { process mysql', 18, 'zz'), /process\(mysql\) \(m\.vmsec:6\) is in a monitor for several VMs and also names the process 'mysql' of vm 'web': renaming it in vm 'db' alone would change what the rule matches in 'web'/);
  await assert.rejects(rename(name, 'process(mysql)', 8, 'zz'), /renaming it in vm 'web' alone would change what the rule matches in 'db'/);
  // Only web2 has mysql: a rename keeps the rule's meaning unless the new name is one of db2's processes.
  await assert.rejects(rename(name, 'web2 on h { process mysql', 20, 'zz'), /as process\(zz\) it would also match the process 'zz' of vm 'db2'/);
  const edit = await rename(name, 'web2 on h { process mysql', 20, 'yy');
  assert.match(applyEdits(text, edit.changes![m]), /vm web2 on h \{ process yy \{ \} \}\n[^]*monitor loose for web2, db2 \{ rule r3 on execve when process\(yy\) then deny\(1\) \}/);
});

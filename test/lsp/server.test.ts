// The language server over stdio, as an editor drives it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../tmp';
import { join } from 'node:path';
import type { CodeAction, CompletionItem, Diagnostic, DocumentSymbol, Hover, Location, SemanticTokens, TextEdit, WorkspaceEdit, FoldingRange, SymbolInformation, DocumentHighlight } from 'vscode-languageserver-protocol';
import { applyEdits, pos, TestClient } from './client';

const dir = tempDir('lsp-');
let c: TestClient;

const BASE = `boot xen-stack { pcr 0 "firmware-2.1" pcr 8 "xen-4.17" }
host alpha { cpus 32 memory 128 GiB tpm ecdsa-p256 boot xen-stack }
host beta { cpus 32 memory 128 GiB tpm ecdsa-p256 boot xen-stack }
network campus { hosts alpha, beta }
vm web on alpha {
  memory 1 GiB
  vtpm
  process payments { memory 64 MiB confidential }
  process mysql { memory 128 MiB }
  ipc payments -> mysql socket
}
`;

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);
let n = 0;
const file = (text: string, name = `f${++n}.vmsec`) => { const p = join(dir, name); writeFileSync(p, text); return { path: p, uri: c.open(p, text), text }; };

before(async () => {
  c = new TestClient();
  const init = await c.initialize(dir) as { capabilities: Record<string, unknown> };
  assert.ok(init.capabilities.completionProvider);
});
after(async () => { await c.close(); });

test('diagnostics on open carry the VMS code and a link to its documentation; a fix clears them', async () => {
  const f = file(`${BASE}vm box on betta { }\n`);
  const ds = await c.waitDiagnostics(f.uri, (d) => d.length > 0);
  assert.deepEqual(codes(ds), ['VMS001']);
  assert.equal(ds[0].source, 'vmsec');
  assert.match(ds[0].message, /did you mean 'beta'/);
  assert.match(ds[0].codeDescription!.href, /language\.md#vms001$/);
  assert.deepEqual(ds[0].range.start, pos(f.text, 'betta'));
  c.change(f.uri, f.text.replace('betta', 'beta'));
  await c.waitDiagnostics(f.uri, (d) => d.length === 0);
});

test('diagnostics of an importing file are refreshed when the imported file changes', async () => {
  const lib = file('host h1 { tpm ecdsa-p256 }\n', 'lib-a.vmsec');
  const main = file('import "lib-a.vmsec"\nvm v on h1 { }\n', 'main-a.vmsec');
  await c.waitDiagnostics(main.uri, (d, p) => p.version !== undefined && d.length === 0);
  c.change(lib.uri, 'host h2 { }\n');
  const ds = await c.waitDiagnostics(main.uri, (d) => d.length > 0);
  assert.deepEqual(codes(ds), ['VMS001']);
});

test('200 rapid edits: the final diagnostics match the final text', async () => {
  const f = file(BASE);
  let last = 0;
  let text = BASE;
  for (let i = 0; i < 200; i++) {
    text = `${BASE}vm v${i} on ${i % 3 === 0 ? 'nowhere' : 'beta'} { memory ${i % 5 === 0 ? '3 s' : '1 GiB'} }\n`;
    last = c.change(f.uri, text);
  }
  // i = 199: beta, 1 GiB → clean.
  const ds = await c.waitDiagnostics(f.uri, (_, p) => p.version === last);
  assert.deepEqual(ds, []);
  const t2 = `${BASE}vm late on nowhere { }\n`;
  const v2 = c.change(f.uri, t2);
  const ds2 = await c.waitDiagnostics(f.uri, (_, p) => p.version === v2);
  assert.deepEqual(codes(ds2), ['VMS001']);
});

test('completion: only hosts after `on`, only boot chains after `against`, units after numbers, keywords in blocks', async () => {
  const text = `${BASE}vm v2 on  { memory 4  }\nfork f of web { on beta attest hosts against  }\n`;
  const f = file(text);
  const labels = async (p: { line: number; character: number }) => (await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: f.uri }, position: p })).map((i) => i.label);
  assert.deepEqual((await labels(pos(text, 'vm v2 on ', 9))).sort(), ['alpha', 'beta']);
  assert.deepEqual(await labels(pos(text, 'against ', 8)), ['xen-stack']);
  assert.ok((await labels(pos(text, 'memory 4 ', 9))).includes('GiB'));
  const inFork = await labels(pos(text, 'fork f of web { ', 16));
  for (const k of ['children', 'multicast', 'integrity', 'encrypt']) assert.ok(inFork.includes(k), k);
  assert.ok(!inFork.includes('alpha'));
});

test('hover: a host shows the PCR values of its boot chain, a vm its pages, a keyword its meaning', async () => {
  const f = file(`${BASE}fork f of web { children 2 on beta integrity per-page }\n`);
  const h = async (needle: string, delta = 0) => (await c.request<Hover>('textDocument/hover', { textDocument: { uri: f.uri }, position: pos(f.text, needle, delta) })).contents as { value: string };
  const host = await h('alpha {', 1);
  assert.match(host.value, /\*\*host\*\* `alpha` — 32 cpus, 128 GiB/);
  assert.match(host.value, /\| 0 \| `5de5155a948ed582a998be74edef84524667aa358697cf0f663fa5e9cd660bd6` \|/);
  const vm = await h('vm web', 4);
  assert.match(vm.value, /262,144 pages/);
  const fork = await h('fork f', 5);
  assert.match(fork.value, /f\[2\] on beta \(10\.0\.0\.3\)/);
  const kw = await h('integrity per-page', 2);
  assert.match(kw.value, /Sign_AK\(H\(page\)\)/);
});

test('hover: a fork plan shows which PCRs its attestation covers and what it misses', async () => {
  const f = file(`boot golden { pcr 0 "fw" pcr 4 "loader" }\nboot rooted { pcr 0 "fw" pcr 8 "rootkit" }\nhost a { tpm ecdsa-p256 boot golden }\nhost bad { tpm ecdsa-p256 boot rooted }\nlink a <-> bad { }\nvm v on a { }\nfork g of v { on bad attest hosts against golden integrity per-page }\n`);
  const h = (await c.request<Hover>('textDocument/hover', { textDocument: { uri: f.uri }, position: pos(f.text, 'fork g', 5) })).contents as { value: string };
  assert.match(h.value, /\nattestation covers PCR 0, 4; not covered: PCR 8 of host bad\n/);
});

test('definition, references and highlights, across files', async () => {
  const lib = file('host shared { }\n', 'lib-b.vmsec');
  const main = file('import "lib-b.vmsec"\nvm v1 on shared { }\nvm v2 on shared { }\n', 'main-b.vmsec');
  await c.waitDiagnostics(main.uri, (d, p) => p.version !== undefined && d.length === 0);
  const def = await c.request<Location>('textDocument/definition', { textDocument: { uri: main.uri }, position: pos(main.text, 'shared', 2) });
  assert.equal(def.uri, lib.uri);
  assert.deepEqual(def.range.start, { line: 0, character: 5 });
  const refs = await c.request<Location[]>('textDocument/references', { textDocument: { uri: lib.uri }, position: { line: 0, character: 6 }, context: { includeDeclaration: true } });
  assert.deepEqual(refs.map((r) => [r.uri === lib.uri ? 'lib' : 'main', r.range.start.line]).sort(), [['lib', 0], ['main', 1], ['main', 2]]);
  const hl = await c.request<DocumentHighlight[]>('textDocument/documentHighlight', { textDocument: { uri: main.uri }, position: pos(main.text, 'shared', 1) });
  assert.equal(hl.length, 2);
});

test('rename across files; an invalid or taken name is refused', async () => {
  const lib = file('host old-name { }\nhost other { }\n', 'lib-c.vmsec');
  const main = file('import "lib-c.vmsec"\nvm v on old-name { }\n', 'main-c.vmsec');
  await c.waitDiagnostics(main.uri, (d, p) => p.version !== undefined && d.length === 0);
  const prep = await c.request<{ placeholder: string }>('textDocument/prepareRename', { textDocument: { uri: main.uri }, position: pos(main.text, 'old-name', 1) });
  assert.equal(prep.placeholder, 'old-name');
  const edit = await c.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: main.uri }, position: pos(main.text, 'old-name', 1), newName: 'new-name' });
  assert.equal(applyEdits(lib.text, edit.changes![lib.uri]), 'host new-name { }\nhost other { }\n');
  assert.equal(applyEdits(main.text, edit.changes![main.uri]), 'import "lib-c.vmsec"\nvm v on new-name { }\n');
  await assert.rejects(c.request('textDocument/rename', { textDocument: { uri: main.uri }, position: pos(main.text, 'old-name', 1), newName: 'bad.name' }), /not a valid name/);
  await assert.rejects(c.request('textDocument/rename', { textDocument: { uri: main.uri }, position: pos(main.text, 'old-name', 1), newName: 'other' }), /already declared as a host/);
});

test('document symbols (outline) and workspace symbols', async () => {
  const f = file(`${BASE}monitor m for web { rule r1 on open then allow }\n`, 'outline.vmsec');
  const syms = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: f.uri } });
  assert.deepEqual(syms.map((s) => s.name), ['xen-stack', 'alpha', 'beta', 'campus', 'web', 'm']);
  assert.deepEqual(syms[4].children!.map((s) => s.name), ['payments', 'mysql']);
  assert.deepEqual(syms[5].children!.map((s) => s.name), ['r1']);
  const ws = await c.request<SymbolInformation[]>('workspace/symbol', { query: 'alph' });
  assert.ok(ws.some((s) => s.name === 'alpha' && s.location.uri === f.uri));
});

test('outline: an attacker holds its VMs; hover: a host marks the values it takes by default', async () => {
  const f = file('host h { }\nhost big { cpus 4 memory 8 GiB tpm ecdsa-p256 }\nattacker mallory { vm evil on h tap h <-> big }\n', 'outline-atk.vmsec');
  const syms = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: f.uri } });
  const atk = syms.find((s) => s.name === 'mallory')!;
  assert.deepEqual(atk.children?.map((s) => [s.name, s.detail, s.selectionRange.start]), [['evil', "attacker's vm", pos(f.text, 'evil')]]);
  const h = async (needle: string, delta: number) => ((await c.request<Hover>('textDocument/hover', { textDocument: { uri: f.uri }, position: pos(f.text, needle, delta) })).contents as { value: string }).value;
  assert.match(await h('host h', 5), /^\*\*host\*\* `h` — 1 cpu \(default\), 64 GiB \(default\), no TPM/);
  assert.match(await h('host big', 5), /^\*\*host\*\* `big` — 4 cpus, 8 GiB, TPM ecdsa-p256/);
});

test('semantic tokens, folding ranges and formatting', async () => {
  const text = 'host memory {\ncpus 1\n   // a note\n}\n\n\n\nvm v on memory { }\n';
  const f = file(text);
  const st = await c.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: f.uri } });
  // First token: `host` as keyword (0); second: `memory` used as a name → class (1) with the declaration modifier.
  assert.deepEqual(st.data.slice(0, 10), [0, 0, 4, 0, 0, 0, 5, 6, 1, 1]);
  const folds = await c.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri: f.uri } });
  assert.deepEqual(folds.map((r) => [r.startLine, r.endLine]), [[0, 3]]);
  const edits = await c.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: f.uri }, options: { tabSize: 2, insertSpaces: true } });
  const formatted = applyEdits(text, edits);
  assert.equal(formatted, 'host memory {\n  cpus 1\n  // a note\n}\n\nvm v on memory { }\n');
  c.change(f.uri, formatted);
  const again = await c.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: f.uri }, options: { tabSize: 2, insertSpaces: true } });
  assert.deepEqual(again, [], 'formatting is idempotent');
});

test('semantic tokens: a rule named `rule` and the VM `restore … as` declares are names, declared', async () => {
  const text = 'host h { }\nvm web on h { process p { } }\ncheckpoint nightly of web { }\nmonitor m for web { rule rule on open then deny(1) }\nscenario "s" {\n  at 1 s checkpoint nightly\n  at 2 s restore nightly as again on h\n  at 3 s syscall again p open("/x")\n}\n';
  const f = file(text);
  await c.waitDiagnostics(f.uri, (d) => d.length === 0);
  const st = await c.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: f.uri } });
  const TYPES = ['keyword', 'class', 'variable', 'function', 'type', 'interface', 'event', 'property', 'enumMember', 'number', 'string', 'comment', 'operator', 'parameter'];
  const lines = text.split('\n');
  const seen: string[] = [];
  for (let i = 0, line = 0, ch = 0; i < st.data.length; i += 5) {
    const [dl, dc, len, type, mod] = st.data.slice(i, i + 5);
    line += dl; ch = dl ? dc : ch + dc;
    seen.push(`${line + 1}:${lines[line].slice(ch, ch + len)}=${TYPES[type]}${mod & 1 ? '.declaration' : ''}`);
  }
  const pick = (re: RegExp) => seen.filter((t) => re.test(t));
  assert.deepEqual(pick(/^4:rule=/), ['4:rule=keyword', '4:rule=function.declaration']);
  assert.deepEqual(pick(/:again=/), ['7:again=variable.declaration', '8:again=variable']);
});

/** Applies the quick fix titled `title` for `code` and returns the new diagnostics' codes. */
async function quickFix(text: string, code: string, title: RegExp): Promise<{ after: string; codes: unknown[] }> {
  const f = file(text);
  const ds = await c.waitDiagnostics(f.uri, (d) => d.some((x) => x.code === code));
  const d = ds.find((x) => x.code === code)!;
  const actions = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: f.uri }, range: d.range, context: { diagnostics: [d] } });
  const a = actions.find((x) => title.test(x.title));
  assert.ok(a, `no action ${title} among ${actions.map((x) => x.title)}`);
  const after = applyEdits(text, a.edit!.changes![f.uri]);
  const v = c.change(f.uri, after);
  const next = await c.waitDiagnostics(f.uri, (_, p) => p.version === v);
  return { after, codes: codes(next) };
}

test('quick fix VMS001: did you mean, and declare the missing name', async () => {
  const r = await quickFix(`${BASE}vm box on betta { }\n`, 'VMS001', /Change to 'beta'/);
  assert.deepEqual(r.codes, []);
  const r2 = await quickFix(`${BASE}vm box on gamma { }\n`, 'VMS001', /Declare host 'gamma'/);
  assert.match(r2.after, /\nhost gamma \{ cpus 8 memory 64 GiB tpm ecdsa-p256 \}\n$/);
  assert.deepEqual(r2.codes, []);
});

test('quick fix VMS001: a declared name fills what the new declaration needs; without one, no fix', async () => {
  const vm = await quickFix(`${BASE}fork f of nothing { on beta attest hosts against xen-stack }\n`, 'VMS001', /Declare vm 'nothing'/);
  assert.match(vm.after, /\nvm nothing on alpha \{ memory 1 GiB \}\n$/);
  assert.deepEqual(vm.codes, []);
  const mon = await quickFix(`${BASE}monitor m for web { rule r on open then policyChange(other) }\n`, 'VMS001', /Declare monitor 'other'/);
  assert.match(mon.after, /\nmonitor other for web \{ default allow \}\n$/);
  assert.deepEqual(mon.codes, []);
  const cert = await quickFix(`${BASE}authority ca { key ecdsa-p256 }\nattacker e { steal cx }\n`, 'VMS001', /Declare certificate 'cx'/);
  assert.match(cert.after, /\ncertificate cx for web by ca valid 1 h\n$/);
  assert.deepEqual(cert.codes, []);
  // No authority to sign it, no host to run it: a placeholder would be an undeclared name.
  for (const text of [`${BASE}attacker e { steal cx }\n`, 'fork f of nothing { }\n']) {
    const f = file(text);
    const d = (await c.waitDiagnostics(f.uri, (x) => x.some((y) => y.code === 'VMS001'))).find((x) => x.code === 'VMS001')!;
    const actions = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: f.uri }, range: d.range, context: { diagnostics: [d] } });
    assert.deepEqual(actions.map((a) => a.title), []);
  }
});

test('quick fix VMS011 for a target without a TPM gives it one too; never attest alone into VMS010', async () => {
  const text = 'boot xs { pcr 0 "fw" }\nhost alpha { tpm ecdsa-p256 boot xs }\nhost beta { }\nlink alpha <-> beta { }\nvm web on alpha { }\nfork f of web { on beta }\n';
  const f = file(text);
  const d = (await c.waitDiagnostics(f.uri, (x) => x.some((y) => y.code === 'VMS011'))).find((x) => x.code === 'VMS011')!;
  const actions = await c.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: f.uri }, range: d.range, context: { diagnostics: [d] } });
  assert.deepEqual(actions.map((a) => a.title), ["Add 'tpm ecdsa-p256' to host 'beta' and 'attest hosts against xs'"]);
  const r = await quickFix(text, 'VMS011', /tpm ecdsa-p256/);
  assert.match(r.after, /host beta \{ tpm ecdsa-p256 \}\n[^]*fork f of web \{ on beta attest hosts against xs \}/);
  assert.deepEqual(r.codes, []);
});

test('quick fix VMS021: a mistyped system call', async () => {
  const r = await quickFix(`${BASE}monitor m for web { rule r on conect then deny(1) }\n`, 'VMS021', /Change to 'connect'/);
  assert.match(r.after, /rule r on connect then deny\(1\)/);
  assert.deepEqual(r.codes, []);
});

test('quick fixes VMS011, VMS012, VMS013: attest, integrity, encrypt', async () => {
  const base = `${BASE}attacker eve { tamper campus 2% tap campus }\nfork f of web {\n  on beta\n}\n`;
  const a = await quickFix(base, 'VMS011', /attest hosts against xen-stack/);
  assert.match(a.after, /fork f of web \{\n  on beta\n  attest hosts against xen-stack\n\}/);
  assert.ok(!a.codes.includes('VMS011'));
  const b = await quickFix(a.after, 'VMS012', /integrity per-page/);
  assert.ok(!b.codes.includes('VMS012'));
  const e = await quickFix(b.after, 'VMS013', /Add 'encrypt'/);
  assert.deepEqual(e.codes, []);
});

test('quick fixes VMS030 and VMS031: exclude the confidential process, ipc follow', async () => {
  const r = await quickFix(`${BASE}checkpoint c of web { }\n`, 'VMS030', /Exclude 'payments'/);
  assert.match(r.after, /checkpoint c of web \{ exclude payments \}/);
  assert.deepEqual(r.codes, ['VMS031']);
  const r2 = await quickFix(r.after, 'VMS031', /ipc follow/);
  assert.deepEqual(r2.codes, []);
});

test('bad input never stops the server: binary, huge nesting, then it still answers', async () => {
  const f = file(Array.from({ length: 3000 }, (_, i) => String.fromCharCode((i * 7919) % 256)).join(''));
  await c.waitDiagnostics(f.uri, (d) => d.length > 0);
  c.change(f.uri, `monitor m for v { rule r on open when ${'('.repeat(10000)} then allow }`);
  await c.waitDiagnostics(f.uri, (d) => d.some((x) => /nesting deeper/.test(x.message)));
  // The server still answers on that text: `monitor` is a keyword with its meaning.
  const h = await c.request<Hover | null>('textDocument/hover', { textDocument: { uri: f.uri }, position: { line: 0, character: 1 } });
  assert.match((h?.contents as { value: string } | undefined)?.value ?? 'no hover', /^A \*\*monitor\*\*/);
  assert.deepEqual(h!.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 7 } });
  c.change(f.uri, 'host ok { }\n');
  await c.waitDiagnostics(f.uri, (d) => d.length === 0);
});

test('with vmsec.validate = onSave, typing does not validate; saving does', async () => {
  const c2 = new TestClient();
  try {
    await c2.initialize(dir, { validate: 'onSave' });
    c2.conn.onRequest('workspace/configuration', () => [{ validate: 'onSave' }]);
    const p = join(dir, 'save.vmsec');
    const uri = c2.open(p, 'host a { }\n');
    await c2.waitDiagnostics(uri, (d) => d.length === 0);
    const v = c2.change(uri, 'vm v on nowhere { }\n');
    // A later validation of another file proves the server went on working meanwhile.
    const other = c2.open(join(dir, 'other.vmsec'), 'host b { }\n');
    await c2.waitDiagnostics(other, () => true);
    assert.notEqual(c2.diagnostics.get(uri)?.version, v);
    void c2.conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
    const ds = await c2.waitDiagnostics(uri, (d) => d.length > 0);
    assert.deepEqual(codes(ds), ['VMS001']);
  } finally { await c2.close(); }
});


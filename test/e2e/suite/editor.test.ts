// Editing a .vmsec file in a real VS Code: diagnostics, completion, hover,
// definition and a quick fix, through the commands any extension can call.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defineRunSuite } from './runs';
import { defineSeedsSuite } from './seeds';
import { defineSweepSuite } from './sweep';
import { waitFor } from './poll';


function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.file(path.join(folder.uri.fsPath, name));
}

async function openEditor(name: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(workspaceFile(name));
  return vscode.window.showTextDocument(doc);
}

const positionOf = (doc: vscode.TextDocument, needle: string, delta = 0) => doc.positionAt(doc.getText().indexOf(needle) + delta);

suite('vmsec in VS Code', () => {
  suiteSetup(async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'vmsec');
    assert.ok(ext, 'the extension under development is loaded');
    await openEditor('trusted-fork.vmsec');
    await waitFor('the extension to activate', () => (ext.isActive ? true : undefined));
  });

  test('a .vmsec file gets the vmsec language', async () => {
    const editor = await openEditor('trusted-fork.vmsec');
    assert.equal(editor.document.languageId, 'vmsec');
  });

  test('diagnostics appear with their VMS codes, and a clean file has none', async () => {
    const editor = await openEditor('broken.vmsec');
    const diags = await waitFor('diagnostics of broken.vmsec', () => {
      const d = vscode.languages.getDiagnostics(editor.document.uri);
      return d.length >= 3 ? d : undefined;
    });
    const codes = diags.map((d) => (typeof d.code === 'object' ? d.code.value : d.code)).sort();
    assert.deepEqual(codes, ['VMS001', 'VMS011', 'VMS012']);
    const missing = diags.find((d) => (typeof d.code === 'object' ? d.code.value : d.code) === 'VMS001')!;
    assert.equal(editor.document.getText(missing.range), 'betta');
    const clean = await openEditor('trusted-fork.vmsec');
    await waitFor('no diagnostics in the flagship sample', () => (vscode.languages.getDiagnostics(clean.document.uri).length === 0 ? true : undefined), 10_000);
  });

  test('completion after `on` offers the hosts', async () => {
    const editor = await openEditor('broken.vmsec');
    const at = positionOf(editor.document, 'vm cache on ', 12);
    const list = await waitFor('completion items', async () => {
      const r = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, at);
      return r && r.items.length ? r : undefined;
    });
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('alpha') && labels.includes('beta'), labels.join(','));
    assert.ok(!labels.includes('web'), 'a vm is not offered where a host is due');
  });

  test('hover on a host shows its PCR values', async () => {
    const editor = await openEditor('trusted-fork.vmsec');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, positionOf(editor.document, 'host alpha', 6));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /host\*\* `alpha`/);
    assert.match(text, /5de5155a948ed582a998be74edef84524667aa358697cf0f663fa5e9cd660bd6/);
  });

  test('go to definition jumps from a use to the declaration', async () => {
    const editor = await openEditor('trusted-fork.vmsec');
    const use = positionOf(editor.document, 'fork burst of web', 15);
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', editor.document.uri, use);
    const d = defs[0];
    const range = 'targetRange' in d ? d.targetRange : d.range;
    assert.equal(editor.document.lineAt(range.start.line).text.trim().startsWith('vm web on alpha'), true);
  });

  test('the quick fix for VMS001 replaces the misspelt host and the error goes away', async () => {
    const editor = await openEditor('broken.vmsec');
    const diag = await waitFor('VMS001', () => vscode.languages.getDiagnostics(editor.document.uri).find((d) => (typeof d.code === 'object' ? d.code.value : d.code) === 'VMS001'));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', editor.document.uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === "Change to 'beta'");
    assert.ok(fix?.edit, actions.map((a) => a.title).join(', '));
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    await waitFor('VMS001 to disappear', () => (vscode.languages.getDiagnostics(editor.document.uri).some((d) => (typeof d.code === 'object' ? d.code.value : d.code) === 'VMS001') ? undefined : true));
    assert.match(editor.document.getText(), /vm cache on beta \{/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('leaves the editor showing a diagnostic with its hover (for the screenshot)', async () => {
    const editor = await openEditor('broken.vmsec');
    await waitFor('diagnostics after revert', () => (vscode.languages.getDiagnostics(editor.document.uri).length >= 3 ? true : undefined));
    // `beta` in the fork: a warning (VMS011) and the host's facts in one hover.
    const at = positionOf(editor.document, '  on beta', 6);
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
    await vscode.commands.executeCommand('editor.action.showHover');
    // The offline launcher photographs the editor while the extension host is
    // still up (the status bar item goes with it), then answers with a file.
    const results = process.env.VMSEC_E2E_RESULTS;
    if (results) {
      fs.writeFileSync(`${results}.shoot`, '');
      await waitFor('the launcher to take the screenshot', () => (fs.existsSync(`${results}.shot`) ? true : undefined), 45_000);
    }
  });
});

// Runs need a trusted workspace: that suite comes after the untrusted one.
defineRunSuite();
// Many seeds from the editor (trusted by now).
defineSeedsSuite();
// Sweeps and ablation from the editor.
defineSweepSuite();

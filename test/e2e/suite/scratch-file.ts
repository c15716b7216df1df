// A file the many-runs suites write into the test workspace, open, and remove
// afterwards; they run after the run suite, which trusts the workspace.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VmsecApi } from '../../../client/src/extension';

export interface ScratchFile { api: VmsecApi; doc: vscode.TextDocument; file: vscode.Uri }

/** Activates vmsec, writes `text` as `name` in the workspace folder and shows it. */
export async function openScratchFile(name: string, text: string): Promise<ScratchFile> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'vmsec');
  assert.ok(ext);
  const api = (await ext.activate()) as VmsecApi;
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder);
  const file = vscode.Uri.file(path.join(folder.uri.fsPath, name));
  await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(text));
  const doc = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(doc);
  return { api, doc, file };
}

export async function closeScratchFile(file: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.workspace.fs.delete(file);
}

/** Runs need a trusted workspace; the run suite trusted it, so anything else is a failure, not a skip. */
export function assertTrusted(): void {
  assert.ok(vscode.workspace.isTrusted, 'the workspace is trusted (the run suite trusts it before this suite)');
}

// The status bar item: the server's state, and the last validation's result.
import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('vmsec.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'vmsec';
    this.item.command = 'vmsec.showOutput';
    this.item.show();
  }

  setState(state: State): void {
    const text = state === State.Running ? 'ready' : state === State.Starting ? 'starting…' : 'stopped';
    this.item.text = `$(shield) vmsec: ${text}`;
    this.item.tooltip = `vmsec language server ${text} — click for its log`;
    this.item.backgroundColor = state === State.Stopped ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  validated(s: { diagnostics: number; ms: number; file: string }): void {
    const name = s.file.split('/').pop();
    this.item.text = `$(shield) vmsec: ${s.diagnostics === 0 ? 'no problems' : `${s.diagnostics} ${s.diagnostics === 1 ? 'problem' : 'problems'}`}`;
    this.item.tooltip = `vmsec: ${name} checked in ${s.ms} ms — click for the server log`;
  }

  dispose(): void { this.item.dispose(); }
}

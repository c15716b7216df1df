// The status bar item: the server's state, the last validation's result, and
// the scenarios running right now.
import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('vmsec.status', vscode.StatusBarAlignment.Left, 10);
  private idle = { text: '', tooltip: '' };
  private runningNow: string[] = [];

  constructor() {
    this.item.name = 'vmsec';
    this.item.command = 'vmsec.showOutput';
    this.item.show();
  }

  setState(state: State): void {
    const text = state === State.Running ? 'ready' : state === State.Starting ? 'starting…' : 'stopped';
    this.idle = { text: `$(shield) vmsec: ${text}`, tooltip: `vmsec language server ${text} — click for its log` };
    this.item.backgroundColor = state === State.Stopped ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.render();
  }

  validated(s: { diagnostics: number; ms: number; file: string }): void {
    const name = s.file.split('/').pop();
    this.idle = {
      text: `$(shield) vmsec: ${s.diagnostics === 0 ? 'no problems' : `${s.diagnostics} ${s.diagnostics === 1 ? 'problem' : 'problems'}`}`,
      tooltip: `vmsec: ${name} checked in ${s.ms} ms — click for the server log`,
    };
    this.render();
  }

  /** The scenarios the server is running (vmsec/runState); empty when idle. */
  running(scenarios: string[]): void {
    this.runningNow = scenarios;
    this.render();
  }

  private render(): void {
    if (this.runningNow.length > 0) {
      const n = this.runningNow.length;
      this.item.text = `$(sync~spin) vmsec: running ${n === 1 ? `"${this.runningNow[0]}"` : `${n} scenarios`}`;
      this.item.tooltip = `vmsec is running ${this.runningNow.map((s) => `"${s}"`).join(', ')} — click for the log`;
    } else {
      this.item.text = this.idle.text;
      this.item.tooltip = this.idle.tooltip;
    }
  }

  dispose(): void { this.item.dispose(); }
}

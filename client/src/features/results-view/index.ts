// The results view: one webview panel per run, rendered by the report layer
// (the same HTML as `vmsec run --report`) in 'webview' mode: a strict CSP with
// a nonce, the script from dist/ only, theme colours. Rows and chart marks post
// 'reveal' to open their source line; 'export' saves the run as JSON.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { renderReportHtml } from '../../../../server/src/report/view-model';
import type { ItemLoc, Range0, RunResultNotification } from '../../../../server/src/protocol';
import type { HistoryFeature } from '../history';
import { reveal } from '../history';
import type { ResultsHub } from '../run/results-hub';

function isSource(uri: string, runs: RunResultNotification[]): boolean {
  if (runs.some((r) => r.uri === uri)) return true;
  const u = vscode.Uri.parse(uri);
  return (u.scheme === 'file' || u.scheme === 'untitled') && u.path.endsWith('.vmsec');
}

export type ViewMessage =
  | { type: 'reveal'; loc?: ItemLoc; uri?: string; range?: Range0 }
  | { type: 'export' };

export interface ResultsPanel { panel: vscode.WebviewPanel; runs: RunResultNotification[]; html: string; handle(msg: ViewMessage): Promise<void> }

export class ResultsView {
  /** Open panels, newest last (the in-editor tests read them). */
  readonly panels: ResultsPanel[] = [];

  constructor(private readonly context: vscode.ExtensionContext, private readonly hub: ResultsHub, private readonly history: HistoryFeature) {
    context.subscriptions.push(vscode.commands.registerCommand('vmsec.showResults', (arg?: unknown) => this.showFor(arg)));
  }

  /** Show Results: the latest run of each scenario of the file (or of every file run so far). */
  showFor(arg?: unknown): ResultsPanel | undefined {
    const uri = arg instanceof vscode.Uri ? arg.toString() : vscode.window.activeTextEditor?.document.languageId === 'vmsec' ? vscode.window.activeTextEditor.document.uri.toString() : undefined;
    const runs = uri ? this.hub.latestOf(uri) : [];
    const all = runs.length ? runs : [...this.hub.latest.values()];
    if (all.length === 0) { void vscode.window.showInformationMessage('vmsec: no results yet — run a scenario first (vmsec: Run Scenario at Cursor).'); return undefined; }
    return this.show(all);
  }

  show(runs: RunResultNotification[]): ResultsPanel {
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const title = runs.length === 1 ? `vmsec: ${runs[0].scenario.name}` : `vmsec: ${runs.length} scenarios`;
    const panel = vscode.window.createWebviewPanel('vmsec.results', title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true, localResourceRoots: [dist], retainContextWhenHidden: false,
    });
    const nonce = randomBytes(16).toString('base64');
    const scriptUri = panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'report-view.js')).toString();
    const html = renderReportHtml(runs.map((r) => r.scenario), { mode: 'webview', nonce, cspSource: panel.webview.cspSource, scriptUri, previous: this.history.previousOf(runs) });
    panel.webview.html = html;
    const entry: ResultsPanel = { panel, runs, html, handle: (msg) => this.handle(runs, msg) };
    this.panels.push(entry);
    panel.onDidDispose(() => this.panels.splice(this.panels.indexOf(entry), 1));
    panel.webview.onDidReceiveMessage((m: ViewMessage) => { void entry.handle(m).catch((e) => vscode.window.showErrorMessage(`vmsec: ${e instanceof Error ? e.message : String(e)}`)); });
    return entry;
  }

  private async handle(runs: RunResultNotification[], msg: ViewMessage): Promise<void> {
    if (msg?.type === 'reveal') {
      const loc = msg.loc ?? (msg.uri && msg.range ? { uri: msg.uri, range: msg.range } : undefined);
      // Only .vmsec sources: the page never opens arbitrary uris.
      if (loc && isSource(loc.uri, runs)) await reveal(loc);
    } else if (msg?.type === 'export') {
      const first = vscode.Uri.parse(runs[0].uri);
      const target = await vscode.window.showSaveDialog({
        title: 'Export vmsec results as JSON', filters: { JSON: ['json'] },
        defaultUri: vscode.Uri.joinPath(first, '..', `${runs[0].scenario.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.results.json`),
      });
      if (!target) return;
      const json = JSON.stringify(runs.map((r) => ({ uri: r.uri, runId: r.runId, startedAt: r.startedAt, durationMs: r.durationMs, result: r.scenario.raw })), null, 2);
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(`${json}\n`));
    }
  }
}

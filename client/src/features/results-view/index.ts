// The results view: one webview panel per run, rendered by the report layer
// (the same HTML as `vmsec run --report`) in 'webview' mode: a strict CSP with
// a nonce, the script from dist/ only, theme colours. Rows and chart marks post
// 'reveal' to open their source line; 'export' saves the run as JSON.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { renderReportHtml } from '../../../../server/src/report/view-model';
import { renderSeedsHtml } from '../../../../server/src/report/html';
import { renderAblationHtml, renderSweepHtml } from '../../../../server/src/report/sweep-html';
import { formatSweepJson } from '../../../../server/src/report/sweep-view';
import type { ItemLoc, Range0, RunResultNotification, SeedsResult, SweepResult } from '../../../../server/src/protocol';
import type { HistoryFeature } from '../history';
import { reveal } from '../history';
import type { ResultsHub } from '../run/results-hub';

function isSource(uri: string, runs: RunResultNotification[]): boolean {
  if (runs.some((r) => r.uri === uri)) return true;
  const u = vscode.Uri.parse(uri);
  return (u.scheme === 'file' || u.scheme === 'untitled') && u.path.endsWith('.vmsec');
}

export const SHOW_SEEDS_COMMAND = 'vmsec.showSeedsResults';
export const SHOW_SWEEP_COMMAND = 'vmsec.showSweepResults';

export type ViewMessage =
  | { type: 'reveal'; loc?: ItemLoc; uri?: string; range?: Range0 }
  | { type: 'export' };

export interface ResultsPanel {
  panel: vscode.WebviewPanel; runs: RunResultNotification[]; html: string; handle(msg: ViewMessage): Promise<void>;
  /** Set on a panel showing a seeds run (then `runs` is empty). */
  seeds?: SeedsResult;
  /** Set on a panel showing a sweep or an ablation (then `runs` is empty). */
  sweep?: SweepResult;
}

export class ResultsView {
  /** Open panels, newest last (the in-editor tests read them). */
  readonly panels: ResultsPanel[] = [];

  constructor(private readonly context: vscode.ExtensionContext, private readonly hub: ResultsHub, private readonly history: HistoryFeature) {
    context.subscriptions.push(
      vscode.commands.registerCommand('vmsec.showResults', (arg?: unknown) => this.showFor(arg)),
      // Internal (not in the palette): the seeds command opens its result here; no argument shows the active file's last one.
      vscode.commands.registerCommand(SHOW_SEEDS_COMMAND, (r?: SeedsResult) => {
        const uri = vscode.window.activeTextEditor?.document.uri.toString();
        const result = r && Array.isArray(r.scenarios) ? r : uri ? hub.latestSeeds.get(uri) : undefined;
        return result ? this.showSeeds(result) : undefined;
      }),
      // Internal: the sweep and ablation commands open their result here.
      vscode.commands.registerCommand(SHOW_SWEEP_COMMAND, (r?: SweepResult) => (r && r.view ? this.showSweep(r) : undefined)),
    );
  }

  /** A sweep: the table of points × metrics and a chart per metric against the varied values; an ablation: what each defence carries. The CLI's HTML page. */
  showSweep(result: SweepResult): ResultsPanel {
    const v = result.view;
    const title = v.kind === 'sweep' ? `vmsec: sweep of ${v.axes.map((a) => a.path).join(' × ')}` : `vmsec: defences of ${v.file}`;
    return this.openPanel(title, (w) => (v.kind === 'sweep' ? renderSweepHtml(v, w) : renderAblationHtml(v, w)),
      { runs: [], sweep: result, handle: (msg) => this.handleSweep(result, msg) });
  }

  private async handleSweep(result: SweepResult, msg: ViewMessage): Promise<void> {
    if (msg?.type !== 'export') return;
    const base = decodeURIComponent(result.uri.split('/').pop() ?? 'sweep').replace(/\.vmsec$/, '').replace(/[^A-Za-z0-9_.-]+/g, '-');
    const target = await vscode.window.showSaveDialog({
      title: `Export the vmsec ${result.view.kind} as JSON`, filters: { JSON: ['json'] },
      defaultUri: vscode.Uri.joinPath(vscode.Uri.parse(result.uri), '..', `${base}.${result.view.kind}.json`),
    });
    if (!target) return;
    // The same JSON as `vmsec sweep --format json`.
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(`${formatSweepJson(result.view)}\n`));
  }

  /** A seeds run's aggregate: pass rates, failing seeds, a histogram per quantity. */
  showSeeds(result: SeedsResult): ResultsPanel {
    const name = decodeURIComponent(result.uri.split('/').pop() ?? result.uri);
    const title = result.scenarios.length === 1 ? `vmsec: ${result.scenarios[0].name} × seeds ${result.seeds}` : `vmsec: ${name} × seeds ${result.seeds}`;
    return this.openPanel(title, (w) => renderSeedsHtml(result, { mode: 'webview', ...w, title }),
      { runs: [], seeds: result, handle: (msg) => this.handleSeeds(result, msg) });
  }

  private async handleSeeds(result: SeedsResult, msg: ViewMessage): Promise<void> {
    if (msg?.type === 'reveal') {
      const loc = msg.loc ?? (msg.uri && msg.range ? { uri: msg.uri, range: msg.range } : undefined);
      if (loc && (loc.uri === result.uri || isSource(loc.uri, []))) await reveal(loc);
    } else if (msg?.type === 'export') {
      const name = (result.scenarios.length === 1 ? result.scenarios[0].name : decodeURIComponent(result.uri.split('/').pop() ?? 'results')).replace(/[^A-Za-z0-9_.-]+/g, '-');
      const target = await vscode.window.showSaveDialog({
        title: 'Export vmsec seeds results as JSON', filters: { JSON: ['json'] },
        defaultUri: vscode.Uri.joinPath(vscode.Uri.parse(result.uri), '..', `${name}.seeds.json`),
      });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(`${JSON.stringify(result, null, 2)}\n`));
    }
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
    const title = runs.length === 1 ? `vmsec: ${runs[0].scenario.name}` : `vmsec: ${runs.length} scenarios`;
    return this.openPanel(title, (w) => renderReportHtml(runs.map((r) => r.scenario), { mode: 'webview', ...w, previous: this.history.previousOf(runs) }),
      { runs, handle: (msg) => this.handle(runs, msg) });
  }

  /**
   * A results panel beside the editor, rendered by `render` with the
   * webview's nonce, CSP source and script (dist/report-view.js only): listed
   * in `panels` until closed, its messages handled by `fields.handle`.
   */
  private openPanel(title: string, render: (w: { nonce: string; cspSource: string; scriptUri: string }) => string, fields: Omit<ResultsPanel, 'panel' | 'html'>): ResultsPanel {
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('vmsec.results', title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true, localResourceRoots: [dist], retainContextWhenHidden: false,
    });
    const html = render({
      nonce: randomBytes(16).toString('base64'), cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'report-view.js')).toString(),
    });
    panel.webview.html = html;
    const entry: ResultsPanel = { ...fields, panel, html };
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

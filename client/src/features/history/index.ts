// Run history commands: pin a run as the baseline, unpin it, and list the
// changes of the latest run against the pinned or previous one.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { diffViews } from '../../../../server/src/report/view-model';
import type { ItemLoc, RunResultNotification } from '../../../../server/src/protocol';
import { keyOf, type ResultsHub } from '../run/results-hub';
import { scenarioAt, scenariosOf, toRange } from '../run/scenarios';
import { RunHistory } from './store';

export const HistoryCommands = { pin: 'vmsec.pinRun', unpin: 'vmsec.unpinRun', changes: 'vmsec.showChanges' } as const;

export interface Change { scenario: string; loc?: ItemLoc; text: string }

export class HistoryFeature {
  readonly history: RunHistory;

  constructor(context: vscode.ExtensionContext, private readonly client: LanguageClient, private readonly hub: ResultsHub) {
    this.history = new RunHistory(context.workspaceState, () => vscode.workspace.getConfiguration('vmsec').get<number>('history.size', 10));
    context.subscriptions.push(
      hub.onDidRunResult((r) => { void this.history.record(keyOf(r.uri, r.scenario.name), r); }),
      vscode.commands.registerCommand(HistoryCommands.pin, async (arg?: { uri: string; scenario: string }) => {
        const key = await this.target(arg);
        if (!key) return undefined;
        const e = await this.history.pin(key);
        if (!e) void vscode.window.showInformationMessage('vmsec: this scenario has not run yet; run it, then pin the run.');
        else void vscode.window.showInformationMessage(`vmsec: pinned the run of "${e.view.name}" from ${new Date(e.startedAt).toLocaleString()} as the baseline.`);
        return e?.runId;
      }),
      vscode.commands.registerCommand(HistoryCommands.unpin, async (arg?: { uri: string; scenario: string }) => {
        const key = await this.target(arg);
        if (key) await this.history.unpin(key);
      }),
      vscode.commands.registerCommand(HistoryCommands.changes, async (arg?: { uri: string; scenario?: string }) => {
        const uri = arg?.uri ?? vscode.window.activeTextEditor?.document.uri.toString();
        if (!uri) return [];
        const changes = this.changesOf(this.hub.latestOf(uri).filter((r) => !arg?.scenario || r.scenario.name === arg.scenario));
        const items: (vscode.QuickPickItem & { change?: Change })[] = changes.length
          ? changes.map((c) => ({ label: c.text, description: c.scenario, detail: c.loc ? `line ${c.loc.range.start.line + 1}` : undefined, change: c }))
          : [{ label: 'No changes since the previous (or pinned) run' }];
        const pick = await vscode.window.showQuickPick(items, { title: 'vmsec: changes since the previous (or pinned) run' });
        if (pick?.change?.loc) await reveal(pick.change.loc);
        return changes;
      }),
    );
  }

  /** diffViews(baseline, current) for each run given, baseline = pinned or previous run. */
  changesOf(runs: RunResultNotification[]): Change[] {
    return runs.flatMap((r) => {
      const base = this.history.baseline(keyOf(r.uri, r.scenario.name), r.runId);
      return base ? diffViews(base.view, r.scenario).map((d: { loc?: ItemLoc; text: string }): Change => ({ scenario: r.scenario.name, ...d })) : [];
    });
  }

  /** The baselines of the given runs, for the results view's `previous`. */
  previousOf(runs: RunResultNotification[]) {
    return runs.flatMap((r) => this.history.baseline(keyOf(r.uri, r.scenario.name), r.runId)?.view ?? []);
  }

  private async target(arg?: { uri: string; scenario: string }): Promise<string | undefined> {
    if (arg?.uri && arg.scenario) return keyOf(arg.uri, arg.scenario);
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const s = scenarioAt(await scenariosOf(this.client, editor.document.uri), editor.selection.active);
    return s ? keyOf(editor.document.uri.toString(), s.name) : undefined;
  }
}

export async function reveal(loc: ItemLoc): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(loc.uri));
  const range = toRange(loc.range);
  const editor = await vscode.window.showTextDocument(doc, { selection: range, viewColumn: vscode.ViewColumn.One });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}

// Run history commands: pin a run as the baseline, unpin it, and list the
// changes of the latest run against the pinned or previous one. While a run
// is pinned, hovers also say what changed since it (the server's hover says
// what changed since the previous run).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { diffViews } from '../../../../server/src/report/view-model';
import type { ItemLoc, RunResultNotification } from '../../../../server/src/protocol';
import { keyOf, type ResultsHub } from '../run/results-hub';
import { scenarioAt, scenariosOf, toRange } from '../run/scenarios';
import { changesOnLine, type LineEdit } from './changes';
import { RunHistory } from './store';

export const HistoryCommands = { pin: 'vmsec.pinRun', unpin: 'vmsec.unpinRun', changes: 'vmsec.showChanges' } as const;

export interface Change { scenario: string; loc?: ItemLoc; text: string }

/** Most edits followed per run; past that its hover changes are dropped rather than followed. */
const MAX_EDITS = 500;

export class HistoryFeature {
  readonly history: RunHistory;
  /** uri#scenario → the edits made to its document since its latest run (undefined: its lines can no longer be followed). */
  private readonly edits = new Map<string, LineEdit[] | undefined>();

  constructor(context: vscode.ExtensionContext, private readonly client: LanguageClient, private readonly hub: ResultsHub) {
    this.history = new RunHistory(context.workspaceState, () => vscode.workspace.getConfiguration('vmsec').get<number>('history.size', 10));
    context.subscriptions.push(
      hub.onDidRunResult((r) => {
        const key = keyOf(r.uri, r.scenario.name);
        void this.history.record(key, r);
        // Edited while it ran: the run's lines are not the document's.
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === r.uri);
        this.edits.set(key, doc && r.version !== null && doc.version !== r.version ? undefined : []);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => this.edited(e)),
      vscode.languages.registerHoverProvider({ language: 'vmsec' }, { provideHover: (doc, pos) => this.pinnedHover(doc.uri.toString(), pos.line) }),
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

  /** "Since the pinned run" items of a line, for scenarios with a pinned run other than their latest. */
  pinnedHover(uri: string, line: number): vscode.Hover | undefined {
    const parts: string[] = [];
    for (const r of this.hub.latestOf(uri)) {
      const key = keyOf(uri, r.scenario.name);
      const pinned = this.history.pinned(key);
      const edits = this.edits.get(key);
      if (!pinned || pinned.runId === r.runId || !edits) continue;
      const items = changesOnLine(pinned.view, r.scenario, line, edits);
      if (items.length) parts.push(`**Since the pinned run** of "${r.scenario.name}" (${new Date(pinned.startedAt).toLocaleString()})\n\n${items.map((t) => `- ${t}`).join('\n')}`);
    }
    return parts.length ? new vscode.Hover(new vscode.MarkdownString(parts.join('\n\n'))) : undefined;
  }

  private edited(e: vscode.TextDocumentChangeEvent): void {
    const uri = e.document.uri.toString();
    for (const [key, log] of this.edits) {
      if (!log || !key.startsWith(`${uri}#`)) continue;
      for (const c of e.contentChanges) {
        log.push({ start: c.range.start.line, end: c.range.end.line, delta: (c.text.match(/\n/g)?.length ?? 0) - (c.range.end.line - c.range.start.line) });
      }
      if (log.length > MAX_EDITS) this.edits.set(key, undefined);
    }
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

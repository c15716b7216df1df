// ✓/✗ in the gutter of each expect line after a run, drawn like the Test
// Explorer's passed/failed icons; a mark goes away when the text under it
// changes. (Inline texts and diagnostics come from the server.)
import * as vscode from 'vscode';
import type { RunResultNotification } from '../../../../server/src/protocol';
import type { ResultsHub } from '../run/results-hub';
import { toRange } from '../run/scenarios';

interface Mark { range: vscode.Range; passed: boolean; scenario: string; hover: string }

export class GutterMarks implements vscode.Disposable {
  private readonly passed: vscode.TextEditorDecorationType;
  private readonly failed: vscode.TextEditorDecorationType;
  /** uri → marks, kept in step with edits so they can be redrawn in any editor. */
  readonly marks = new Map<string, Mark[]>();
  private readonly subs: vscode.Disposable[] = [];

  constructor(context: vscode.ExtensionContext, hub: ResultsHub) {
    const icon = (name: string) => vscode.Uri.joinPath(context.extensionUri, 'client', 'images', name);
    this.passed = vscode.window.createTextEditorDecorationType({ gutterIconPath: icon('gutter-passed.svg'), gutterIconSize: '80%' });
    this.failed = vscode.window.createTextEditorDecorationType({
      gutterIconPath: icon('gutter-failed.svg'), gutterIconSize: '80%',
      overviewRulerColor: new vscode.ThemeColor('testing.iconFailed'), overviewRulerLane: vscode.OverviewRulerLane.Left,
    });
    this.subs.push(
      hub.onDidRunResult((r) => this.add(r)),
      vscode.workspace.onDidChangeTextDocument((e) => this.edited(e)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redrawAll()),
    );
  }

  private add(r: RunResultNotification): void {
    const others = (this.marks.get(r.uri) ?? []).filter((m) => m.scenario !== r.scenario.name);
    const mine = r.scenario.expectations.map((e) => ({
      range: toRange(e.loc.range), passed: e.passed, scenario: r.scenario.name,
      hover: e.passed ? `✓ ${e.text}` : `✗ ${e.text}\n\nexpected ${e.expected}, actual ${e.actual}`,
    }));
    this.marks.set(r.uri, [...others, ...mine]);
    this.redraw(r.uri);
  }

  /** Drops the marks on changed lines and moves the ones below by the lines added or removed. */
  private edited(e: vscode.TextDocumentChangeEvent): void {
    const uri = e.document.uri.toString();
    let marks = this.marks.get(uri);
    if (!marks || e.contentChanges.length === 0) return;
    for (const c of e.contentChanges) {
      const delta = (c.text.match(/\n/g)?.length ?? 0) - (c.range.end.line - c.range.start.line);
      marks = marks.flatMap((m) => {
        if (m.range.end.line < c.range.start.line) return [m];
        if (m.range.start.line > c.range.end.line) return [{ ...m, range: new vscode.Range(m.range.start.translate(delta), m.range.end.translate(delta)) }];
        return [];
      });
    }
    this.marks.set(uri, marks);
    this.redraw(uri);
  }

  private redraw(uri: string): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri) continue;
      const marks = this.marks.get(uri) ?? [];
      const opts = (ok: boolean) => marks.filter((m) => m.passed === ok).map((m) => ({ range: new vscode.Range(m.range.start.line, 0, m.range.start.line, 0), hoverMessage: m.hover }));
      editor.setDecorations(this.passed, opts(true));
      editor.setDecorations(this.failed, opts(false));
    }
  }

  private redrawAll(): void { for (const uri of this.marks.keys()) this.redraw(uri); }

  dispose(): void {
    this.passed.dispose();
    this.failed.dispose();
    for (const s of this.subs) s.dispose();
  }
}

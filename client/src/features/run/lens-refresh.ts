// The server asks for a code lens refresh after every run and trust change
// (workspace/codeLens/refresh), but VS Code can drop it: its code lens
// controller waits a debounce (its moving average of lens request times,
// at least 250 ms) before asking, and cancels that pending request when the
// editor loses text focus — it asks again only on focus, an edit or the next
// refresh. A run that ends just before the user clicks into the Problems panel
// or the Test Explorer would leave "⟳ Running…" above a finished scenario.
// So after the run events settle, the lenses are refreshed again, past that
// debounce (a lens request is cheap: the server answers from memory).
import * as vscode from 'vscode';
import { CodeLensRequest, type LanguageClient } from 'vscode-languageclient/node';

const AGAIN_AFTER_MS = [1000, 4000];

export class LensRefresh implements vscode.Disposable {
  private timers: ReturnType<typeof setTimeout>[] = [];

  constructor(private readonly client: LanguageClient) {}

  /** Call on each run event; the refreshes follow the last one. */
  soon(): void {
    this.cancel();
    this.timers = AGAIN_AFTER_MS.map((ms) => setTimeout(() => this.refresh(), ms));
  }

  private refresh(): void {
    const feature = this.client.getFeature(CodeLensRequest.method);
    const shapes = new Set(vscode.window.visibleTextEditors
      .filter((e) => e.document.languageId === 'vmsec')
      .map((e) => feature?.getProvider(e.document))
      .filter((s) => s !== undefined));
    for (const s of shapes) s.onDidChangeCodeLensEmitter.fire();
  }

  private cancel(): void { for (const t of this.timers) clearTimeout(t); this.timers = []; }

  dispose(): void { this.cancel(); }
}

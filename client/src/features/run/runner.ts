// Sends vmsec/run requests: one cancellation source per command, a progress
// notification with Cancel once a run takes over a second, and a line in the
// output channel when a run starts and ends.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Commands, Methods, type RunParams, type RunSummary } from '../../../../server/src/protocol';

const PROGRESS_AFTER_MS = 1000;
const fileName = (uri: string) => decodeURIComponent(uri.split('/').pop() ?? uri);

export class Runner {
  private readonly pending = new Set<vscode.CancellationTokenSource>();

  constructor(private readonly client: LanguageClient, private readonly output: vscode.OutputChannel) {}

  /** Runs the targets one after the other; resolves with what the server
   *  answered (a cancelled or failed request is logged and left out). */
  async run(targets: RunParams[], title: string, external?: vscode.CancellationToken): Promise<RunSummary[]> {
    const cts = new vscode.CancellationTokenSource();
    const sub = external?.onCancellationRequested(() => cts.cancel());
    this.pending.add(cts);
    const summaries: RunSummary[] = [];
    const work = (async () => {
      for (const t of targets) {
        if (cts.token.isCancellationRequested) break;
        const what = t.scenario ? `scenario "${t.scenario}"` : 'all scenarios';
        this.log(`run ${fileName(t.uri)}: ${what}${t.seed !== undefined ? ` (seed ${t.seed})` : ''}`);
        try {
          const s = await this.client.sendRequest<RunSummary>(Methods.run, t, cts.token);
          summaries.push(s);
          if (s.scenarios.length === 0) this.log(`  ${fileName(t.uri)} has no scenario to run`);
          for (const sc of s.scenarios) if (sc.error) this.log(`  "${sc.name}": ${sc.error}`);
        } catch (e) {
          this.log(cts.token.isCancellationRequested ? `  cancelled: ${fileName(t.uri)}` : `  ${fileName(t.uri)}: ${errorText(e)}`);
          if (!cts.token.isCancellationRequested) throw e;
        }
      }
      return summaries;
    })();
    let finished = false;
    void work.then(() => { finished = true; }, () => { finished = true; });
    // Short runs finish without a notification flashing by.
    const timer = setTimeout(() => {
      if (finished) return;
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => {
        token.onCancellationRequested(() => cts.cancel());
        return work.catch(() => undefined);
      });
    }, PROGRESS_AFTER_MS);
    try {
      return await work;
    } finally {
      clearTimeout(timer);
      sub?.dispose();
      this.pending.delete(cts);
      cts.dispose();
    }
  }

  /** Cancels this window's requests and asks the server to stop every run
   *  (code-lens runs included, which the server started by itself). */
  async stop(): Promise<void> {
    for (const c of this.pending) c.cancel();
    await this.client.sendRequest('workspace/executeCommand', { command: Commands.stop, arguments: [] });
    this.log('stop requested');
  }

  log(line: string): void { this.output.appendLine(`[${new Date().toISOString()}] ${line}`); }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : typeof e === 'object' && e && 'message' in e ? String((e as { message: unknown }).message) : String(e);
}

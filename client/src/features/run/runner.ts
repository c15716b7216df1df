// Sends vmsec/run requests: one cancellation source per command, a progress
// notification with Cancel once a run takes over a second, and a line in the
// output channel when a run starts and ends.
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import { Commands, Methods, type RunParams, type RunSeedsParams, type RunSummary, type SeedsResult, type SweepParams, type SweepResult } from '../../../../server/src/protocol';

const PROGRESS_AFTER_MS = 1000;
const fileName = (uri: string) => decodeURIComponent(uri.split('/').pop() ?? uri);

export class Runner {
  private readonly pending = new Set<vscode.CancellationTokenSource>();

  /** `workspaceState` keeps the prompts' last answers (seeds-prompt.ts) for every feature that runs through here. */
  constructor(private readonly client: LanguageClient, private readonly output: vscode.OutputChannel, readonly workspaceState: vscode.Memento) {}

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

  /** Runs scenarios once per seed (vmsec/runSeeds) with a cancellable progress
   *  notification showing the server's counts; undefined when cancelled. */
  async runSeeds(params: RunSeedsParams, title: string, external?: vscode.CancellationToken): Promise<SeedsResult | undefined> {
    const cts = new vscode.CancellationTokenSource();
    const sub = external?.onCancellationRequested(() => cts.cancel());
    const what = params.scenario ? `scenario "${params.scenario}"` : 'all scenarios';
    this.log(`run ${fileName(params.uri)}: ${what} with seeds ${params.seeds}`);
    try {
      return await this.requestWithProgress<SeedsResult>(Methods.runSeeds, params, title, 'seeds', cts, (r) => {
        for (const s of r.scenarios) {
          this.log(`  "${s.name}": ${s.error ?? (s.cancelled ? 'cancelled' : `${s.passed}/${s.runs} seeds passed${s.reproduce ? `; reproduce: ${s.reproduce}` : ''}`)}`);
        }
      });
    } finally { sub?.dispose(); }
  }

  /** A sweep or an ablation (vmsec/sweep) with a cancellable progress
   *  notification showing the server's counts; undefined when cancelled.
   *  Rejects with the server's error (a wrong path: the CLI's message, with
   *  data.problems locating it). */
  async sweep(params: SweepParams, title: string): Promise<SweepResult | undefined> {
    const cts = new vscode.CancellationTokenSource();
    this.log(`${params.ablate ? 'ablation' : `sweep ${(params.vary ?? []).join(' ')}`} of ${fileName(params.uri)}${params.seeds ? ` with seeds ${params.seeds}` : ''}`);
    return this.requestWithProgress<SweepResult>(Methods.sweep, params, title, 'sweep', cts, (r) => this.log(`  ${r.passed}/${r.runs} runs passed in ${r.durationMs} ms`));
  }

  /** A request the server reports progress on ($/progress with percentages),
   *  behind a cancellable notification; undefined when cancelled. */
  private async requestWithProgress<R>(method: string, params: { uri: string }, title: string, kind: string, cts: vscode.CancellationTokenSource, logResult: (r: R) => void): Promise<R | undefined> {
    this.pending.add(cts);
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (p, token) => {
        token.onCancellationRequested(() => cts.cancel());
        const progressToken = `vmsec-${kind}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
        let last = 0;
        const listener = this.client.onProgress(WorkDoneProgress.type, progressToken, (v) => {
          if (v.kind !== 'report') return;
          const pct = v.percentage ?? last;
          p.report({ message: v.message, increment: Math.max(0, pct - last) });
          last = Math.max(last, pct);
        });
        try {
          const r = await this.client.sendRequest<R>(method, { ...params, workDoneToken: progressToken }, cts.token);
          logResult(r);
          return r;
        } finally { listener.dispose(); }
      });
    } catch (e) {
      if (cts.token.isCancellationRequested) { this.log(`  cancelled: ${fileName(params.uri)}`); return undefined; }
      this.log(`  ${fileName(params.uri)}: ${errorText(e)}`);
      throw e;
    } finally {
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

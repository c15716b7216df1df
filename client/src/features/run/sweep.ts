// "vmsec: Sweep…" and "vmsec: Which Defences Carry the Results (Ablation)":
// ask for the varied values, the seeds (optional) and the metrics, run them on the server
// (vmsec/sweep, on its run worker) and open the result in the results view.
// A wrong path shows the server's message (the CLI's) with a way to the line.
import * as vscode from 'vscode';
import { QUANTITIES } from '../../../../server/src/batch/types';
import type { SweepParams, SweepProblem, SweepResult } from '../../../../server/src/protocol';
import type { Runner } from './runner';
import { askSeeds } from './seeds-prompt';

export const SweepCommands = { sweep: 'vmsec.sweepAtEditor', ablate: 'vmsec.ablateAtEditor' } as const;

/** What the quick pick offers: the CLI's --metric names. */
const METRICS: { name: string; description: string }[] = [
  ...Object.entries(QUANTITIES).map(([name, description]) => ({ name, description })),
  { name: 'pass_rate', description: 'share of runs that passed' },
];

/** One or more PATH=V1,V2 separated by spaces (the server checks paths and values). */
export function varyProblem(text: string): string | undefined {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return 'write PATH=V1,V2,... e.g. f.children=2,4,8';
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0 || p.slice(eq + 1).split(',').some((v) => v.trim() === '')) return `${p}: write PATH=V1,V2,... e.g. f.children=2,4,8`;
  }
  return undefined;
}

/** Arguments a caller (a test, a keybinding) gives instead of answering the prompts. */
type GivenArgs = Omit<SweepParams, 'workDoneToken'>;
const isGiven = (a: unknown): a is GivenArgs => typeof a === 'object' && a !== null && !(a instanceof vscode.Uri) && typeof (a as { uri?: unknown }).uri === 'string';

export function registerSweep(context: vscode.ExtensionContext, runner: Runner, refuseUntrusted: () => boolean): void {
  let lastVary = '';
  let lastMetrics: string[] = ['ready_ms'];
  const targetUri = (arg: unknown): string | undefined =>
    arg instanceof vscode.Uri ? arg.toString() : vscode.window.activeTextEditor?.document.languageId === 'vmsec' ? vscode.window.activeTextEditor.document.uri.toString() : undefined;

  const run = async (params: GivenArgs, title: string): Promise<SweepResult | undefined> => {
    let r: SweepResult | undefined;
    try {
      r = await runner.sweep(params, title);
    } catch (e) {
      const err = e as { message?: string; data?: { problems?: SweepProblem[] } };
      const at = err.data?.problems?.find((p) => p.uri && p.range);
      const go = at ? 'Go to Line' : undefined;
      void vscode.window.showErrorMessage(`vmsec: ${err.message ?? String(e)}`, ...(go ? [go] : [])).then(async (a) => {
        if (!a || !at?.uri || !at.range) return;
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(at.uri));
        const range = new vscode.Range(at.range.start.line, at.range.start.character, at.range.end.line, at.range.end.character);
        await vscode.window.showTextDocument(doc, { selection: range });
      });
      return undefined;
    }
    if (r) await vscode.commands.executeCommand('vmsec.showSweepResults', r);
    return r;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(SweepCommands.sweep, async (arg?: unknown) => {
      if (refuseUntrusted()) return undefined;
      if (isGiven(arg)) return run({ ...arg, ablate: false }, `vmsec: sweep of ${(arg.vary ?? []).join(' ')}`);
      const uri = targetUri(arg);
      if (!uri) { void vscode.window.showInformationMessage('vmsec: open a .vmsec file to sweep'); return undefined; }
      const text = await vscode.window.showInputBox({
        title: 'vmsec: sweep which declared values?',
        prompt: 'One or more PATH=V1,V2,... separated by spaces, e.g. f.children=2,4,8 link.a-b.bandwidth=1Gbps,10Gbps',
        value: lastVary, placeHolder: 'f.children=2,4,8',
        validateInput: (v) => varyProblem(v),
      });
      if (text === undefined) return undefined;
      lastVary = text.trim();
      // Empty: each scenario runs with its own seed (the CLI without --seeds).
      const seeds = await askSeeds(runner.workspaceState, 'sweep', 'vmsec: sweep with which seeds? (optional)');
      if (seeds === undefined) return undefined;
      const picked = await vscode.window.showQuickPick(METRICS.map((m) => ({ label: m.name, description: m.description, picked: lastMetrics.includes(m.name) })), {
        title: 'vmsec: which metrics (medians over seeds) against the varied values?', canPickMany: true,
      });
      if (picked === undefined) return undefined;
      lastMetrics = picked.map((p) => p.label);
      const vary = lastVary.split(/\s+/).filter(Boolean);
      return run({ uri, vary, metrics: lastMetrics, ...(seeds ? { seeds } : {}) }, `vmsec: sweep of ${vary.join(' ')}${seeds ? ` with seeds ${seeds}` : ''}`);
    }),
    vscode.commands.registerCommand(SweepCommands.ablate, async (arg?: unknown) => {
      if (refuseUntrusted()) return undefined;
      if (isGiven(arg)) return run({ uri: arg.uri, ablate: true, seeds: arg.seeds, scenario: arg.scenario }, 'vmsec: which defences carry the results');
      const uri = targetUri(arg);
      if (!uri) { void vscode.window.showInformationMessage('vmsec: open a .vmsec file to ablate'); return undefined; }
      return run({ uri, ablate: true }, 'vmsec: which defences carry the results');
    }),
  );
}

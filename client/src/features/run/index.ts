// Run commands (palette, editor title and context menu), run on save, the
// run log and the status bar while scenarios run.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Methods, UNTRUSTED_MESSAGE, type RunResultNotification, type RunSummary } from '../../../../server/src/protocol';
import type { StatusItem } from '../../status';
import type { ResultsHub } from './results-hub';
import { LensRefresh } from './lens-refresh';
import { Runner } from './runner';
import { scenarioAt, scenariosOf } from './scenarios';
import { askSeeds } from './seeds-prompt';
import { registerSweep } from './sweep';

export const RunCommands = {
  atCursor: 'vmsec.runScenarioAtCursor',
  file: 'vmsec.runFileAtEditor',
  workspace: 'vmsec.runAllInWorkspace',
  stop: 'vmsec.stop',
  seeds: 'vmsec.runScenarioWithSeeds',
} as const;

/** Arguments the seeds command takes from a caller (a test, a keybinding) instead of asking. */
interface SeedsCommandArgs { uri: string; scenario?: string; seeds?: string }
const isSeedsArgs = (a: unknown): a is SeedsCommandArgs => typeof a === 'object' && a !== null && !(a instanceof vscode.Uri) && typeof (a as { uri?: unknown }).uri === 'string';

const fileName = (uri: string) => decodeURIComponent(uri.split('/').pop() ?? uri);

/** The log line of a finished run: file, scenario, seed, time, verdicts. */
export function runLogLine(r: RunResultNotification): string {
  const v = r.scenario;
  const failed = v.expectations.filter((e) => !e.passed);
  const verdict = v.passed ? 'PASSED' : 'FAILED';
  const counts = `${v.expectations.length - failed.length}/${v.expectations.length} expectations passed`;
  const lines = [`${fileName(r.uri)} · "${v.name}" · seed ${v.seed} · ${r.durationMs} ms · ${verdict} (${counts}${v.errors.length ? `, ${v.errors.length} step errors` : ''})`];
  for (const e of failed) lines.push(`    ✗ line ${e.loc.range.start.line + 1}: ${e.text} — expected ${e.expected}, actual ${e.actual}`);
  for (const e of v.errors) lines.push(`    ✗ line ${e.loc.range.start.line + 1}: ${e.message}`);
  return lines.join('\n');
}

export function registerRun(context: vscode.ExtensionContext, client: LanguageClient, output: vscode.OutputChannel, status: StatusItem, hub: ResultsHub): Runner {
  const runner = new Runner(client, output, context.workspaceState);
  const lenses = new LensRefresh(client);

  const refuseUntrusted = (): boolean => {
    if (vscode.workspace.isTrusted) return false;
    void vscode.window.showWarningMessage(`vmsec: ${UNTRUSTED_MESSAGE}.`, 'Manage Workspace Trust')
      .then((a) => (a ? vscode.commands.executeCommand('workbench.trust.manage') : undefined));
    return true;
  };
  const targetUri = (arg: unknown): vscode.Uri | undefined =>
    arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  const report = (summaries: RunSummary[]) => {
    const all = summaries.flatMap((s) => s.scenarios).filter((s) => !s.cancelled);
    const failed = all.filter((s) => !s.passed);
    if (failed.length === 0) return;
    void vscode.window.showWarningMessage(`vmsec: ${failed.length} of ${all.length} scenarios failed: ${failed.map((f) => f.name).join(', ')}`, 'Show Results')
      .then((a) => (a ? vscode.commands.executeCommand('vmsec.showResults') : undefined));
  };

  registerSweep(context, runner, refuseUntrusted);
  context.subscriptions.push(
    vscode.commands.registerCommand(RunCommands.atCursor, async (arg?: unknown) => {
      if (refuseUntrusted()) return undefined;
      const editor = vscode.window.activeTextEditor;
      const uri = targetUri(arg);
      if (!uri || !editor || editor.document.uri.toString() !== uri.toString()) return undefined;
      const scenario = scenarioAt(await scenariosOf(client, uri), editor.selection.active);
      if (!scenario) { void vscode.window.showInformationMessage('vmsec: no scenario at the cursor'); return undefined; }
      const s = await runner.run([{ uri: uri.toString(), scenario: scenario.name }], `vmsec: running "${scenario.name}"`);
      report(s);
      return s;
    }),
    vscode.commands.registerCommand(RunCommands.file, async (arg?: unknown) => {
      if (refuseUntrusted()) return undefined;
      const uri = targetUri(arg);
      if (!uri) return undefined;
      const s = await runner.run([{ uri: uri.toString() }], `vmsec: running ${fileName(uri.toString())}`);
      report(s);
      return s;
    }),
    vscode.commands.registerCommand(RunCommands.workspace, async () => {
      if (refuseUntrusted()) return undefined;
      const files = await vscode.workspace.findFiles('**/*.vmsec', '**/node_modules/**');
      const s = await runner.run(files.map((f) => ({ uri: f.toString() })), `vmsec: running ${files.length} files`);
      report(s);
      return s;
    }),
    vscode.commands.registerCommand(RunCommands.stop, () => runner.stop()),
    vscode.commands.registerCommand(RunCommands.seeds, async (arg?: unknown) => {
      if (refuseUntrusted()) return undefined;
      const given = isSeedsArgs(arg) ? arg : undefined;
      let uri: string;
      let scenario: string | undefined;
      if (given) { uri = given.uri; scenario = given.scenario; } else {
        const u = targetUri(arg);
        if (!u) return undefined;
        const scenarios = await scenariosOf(client, u);
        if (scenarios.length === 0) { void vscode.window.showInformationMessage('vmsec: the file has no scenario'); return undefined; }
        const editor = vscode.window.activeTextEditor;
        const atCursor = editor && editor.document.uri.toString() === u.toString() ? scenarioAt(scenarios, editor.selection.active) : undefined;
        if (atCursor) scenario = atCursor.name;
        else if (scenarios.length === 1) scenario = scenarios[0].name;
        else {
          const all = '$(run-all) All scenarios of the file';
          const pick = await vscode.window.showQuickPick([...scenarios.map((s) => s.name), all], { title: 'vmsec: run which scenario with seeds?' });
          if (pick === undefined) return undefined;
          scenario = pick === all ? undefined : pick;
        }
        uri = u.toString();
      }
      const seeds = given?.seeds?.trim() ?? await askSeeds(runner.workspaceState, 'run', `vmsec: run ${scenario ? `"${scenario}"` : 'every scenario'} once per seed`);
      if (seeds === undefined) return undefined;
      const r = await runner.runSeeds({ uri, scenario, seeds }, `vmsec: running ${scenario ? `"${scenario}"` : fileName(uri)} with seeds ${seeds}`);
      if (!r) return undefined;
      await vscode.commands.executeCommand('vmsec.showSeedsResults', r);
      const failed = r.scenarios.filter((s) => s.passed < s.runs || s.error);
      if (failed.length) {
        void vscode.window.showWarningMessage(`vmsec: ${failed.map((s) => s.error ? `"${s.name}" did not run: ${s.error}` : `"${s.name}" passed ${s.passed}/${s.runs} seeds; fails with seeds ${s.failingSeeds.slice(0, 5).join(', ')}${s.failingCount > 5 ? ' …' : ''}`).join('; ')}`);
      }
      return r;
    }),
    hub.onDidRunResult((r) => { output.appendLine(`[${new Date().toISOString()}] ${runLogLine(r)}`); lenses.soon(); }),
    hub.onDidSeedsResult(() => lenses.soon()),
    hub.onDidChangeRunState((s) => { status.running(s.running.map((r) => r.scenario)); lenses.soon(); }),
    lenses,
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.languageId !== 'vmsec' || !vscode.workspace.isTrusted) return;
      if (vscode.workspace.getConfiguration('vmsec', doc.uri).get<string>('runOnSave', 'never') !== 'onSave') return;
      void runner.run([{ uri: doc.uri.toString() }], `vmsec: running ${fileName(doc.uri.toString())}`).catch(() => undefined);
    }),
    // Trust granted while the window is open: the server may run from now on.
    vscode.workspace.onDidGrantWorkspaceTrust(() => { void client.sendNotification(Methods.setTrusted, { trusted: true }); lenses.soon(); }),
  );
  return runner;
}

// The vmsec extension: starts the language server (the same code as the CLI)
// and wires the features in client/src/features/: run commands, gutter marks,
// the Test Explorer, run history and the results view. Editing features and
// inline texts come from the server.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import type { VmsecInitializationOptions } from '../../server/src/protocol';
import { HistoryFeature } from './features/history';
import { GutterMarks } from './features/inline';
import { ResultsView } from './features/results-view';
import { registerRun } from './features/run';
import { ResultsHub } from './features/run/results-hub';
import type { Runner } from './features/run/runner';
import { ScenarioTests } from './features/testing';
import { StatusItem } from './status';

let client: LanguageClient | undefined;

function settings() {
  const c = vscode.workspace.getConfiguration('vmsec');
  return {
    validate: c.get<'onType' | 'onSave'>('validate', 'onType'),
    maxCheckpointSize: c.get<string>('maxCheckpointSize', '1GiB'),
  };
}

/** What activate() returns: the in-editor tests drive the features through it. */
export interface VmsecApi {
  client: LanguageClient; hub: ResultsHub; runner: Runner; tests: ScenarioTests;
  gutter: GutterMarks; history: HistoryFeature; results: ResultsView;
}

export async function activate(context: vscode.ExtensionContext): Promise<VmsecApi> {
  const output = vscode.window.createOutputChannel('vmsec');
  const status = new StatusItem();
  context.subscriptions.push(output, status);

  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  // A function: a restarted server is told the trust of that moment.
  const initializationOptions = (): VmsecInitializationOptions & ReturnType<typeof settings> => ({ ...settings(), trusted: vscode.workspace.isTrusted });
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'vmsec' }, { scheme: 'untitled', language: 'vmsec' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.vmsec') },
    initializationOptions,
    outputChannel: output,
  };
  // No errorHandler of our own: vscode-languageclient's default restarts a
  // server that exits (up to 4 times in 3 minutes). Every stop and restart is
  // written to the output channel, beside the server's own log of why it exited.
  client = new LanguageClient('vmsec', 'vmsec language server', serverOptions, clientOptions);
  let wasRunning = false;
  context.subscriptions.push(client.onDidChangeState((e) => {
    status.setState(e.newState);
    const now = new Date().toISOString();
    if (e.newState === State.Stopped && wasRunning) output.appendLine(`[${now}] vmsec language server stopped; it is restarted unless it stopped too often or was stopped on purpose`);
    if (e.newState === State.Running) {
      if (wasRunning) output.appendLine(`[${now}] vmsec language server restarted`);
      wasRunning = true;
    }
  }));
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('vmsec')) void client?.sendNotification('workspace/didChangeConfiguration', { settings: { vmsec: settings() } });
  }));
  context.subscriptions.push(
    vscode.commands.registerCommand('vmsec.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('vmsec.restartServer', async () => { await client?.restart(); }),
  );

  // Features. The server's own commands (vmsec.runScenario, …) are registered
  // by vscode-languageclient; the features listen to the run notifications.
  const hub = new ResultsHub();
  const runner = registerRun(context, client, output, status, hub);
  const gutter = new GutterMarks(context, hub);
  const tests = new ScenarioTests(client, runner, hub);
  const history = new HistoryFeature(context, client, hub);
  const results = new ResultsView(context, hub, history);
  context.subscriptions.push(hub, gutter, tests);

  status.setState(State.Starting);
  await client.start();
  context.subscriptions.push(
    client.onNotification('vmsec/status', (s: { diagnostics: number; ms: number; file: string }) => status.validated(s)),
    ...hub.attach(client),
  );
  void tests.refreshAll();
  return { client, hub, runner, tests, gutter, history, results };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

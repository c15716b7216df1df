// The vmsec extension: starts the language server (the same code as the CLI)
// and shows its state. Editing features come from the server; this file wires
// settings, the output channel, the status bar and commands.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import { StatusItem } from './status';

let client: LanguageClient | undefined;

function settings() {
  const c = vscode.workspace.getConfiguration('vmsec');
  return { validate: c.get<'onType' | 'onSave'>('validate', 'onType') };
}

export async function activate(context: vscode.ExtensionContext): Promise<{ client: LanguageClient }> {
  const output = vscode.window.createOutputChannel('vmsec');
  const status = new StatusItem();
  context.subscriptions.push(output, status);

  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'vmsec' }, { scheme: 'untitled', language: 'vmsec' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.vmsec') },
    initializationOptions: settings(),
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
  status.setState(State.Starting);
  await client.start();
  context.subscriptions.push(client.onNotification('vmsec/status', (s: { diagnostics: number; ms: number; file: string }) => status.validated(s)));
  return { client };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

// The vmsec language server: wiring of the protocol to one module per
// feature. Validation runs on open, on save and (unless `vmsec.validate` is
// "onSave") as the user types: edits are coalesced — a new edit re-arms a
// short timer instead of queueing another validation, and a result whose
// document has moved on is dropped, never published.
import {
  TextDocumentSyncKind, DidChangeConfigurationNotification, FileChangeType, Connection, InitializeResult,
} from 'vscode-languageserver';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import pkg from '../../../package.json';
import { Session } from './session';
import { toLspDiagnostic, uriToPath } from './convert';
import { completion } from './completion';
import { hover } from './hover';
import { definition } from './definition';
import { references } from './references';
import { prepareRename, rename } from './rename';
import { documentSymbols } from './document-symbols';
import { workspaceSymbols } from './workspace-symbols';
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from './semantic-tokens';
import { foldingRanges } from './folding';
import { formatting } from './formatting';
import { highlights } from './highlight';
import { codeActions } from './code-actions';

export interface Settings { validate: 'onType' | 'onSave' }
const DEFAULTS: Settings = { validate: 'onType' };
/** How long typing must pause before validation runs (a new edit re-arms it). */
const COALESCE_MS = 20;

export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): void {
  const session = new Session();
  let settings: Settings = DEFAULTS;
  let canPullConfig = false;
  const timers = new Map<string, NodeJS.Timeout>();

  const guard = <P, R>(name: string, fallback: R, fn: (p: P) => R) => (p: P): R => {
    // A bug in one feature must not take the server down or lose the user's text.
    try { return fn(p); } catch (e) { connection.console.error(`${name} failed: ${(e as Error).stack ?? e}`); return fallback; }
  };
  const offsetOf = (uri: string, pos: { line: number; character: number }) => {
    const f = session.file(uriToPath(uri));
    return f ? f.lines.offset(pos) : 0;
  };

  const publish = (path: string) => {
    const doc = session.open.get(path);
    if (!doc) return;
    const version = doc.version;
    const started = Date.now();
    const a = session.analyze(path);
    // The user typed on while we worked: this result is stale, drop it.
    if (session.open.get(path)?.version !== version || !a) return;
    const mine = a.diagnostics.filter((d) => d.path === path);
    connection.sendDiagnostics({ uri: doc.uri, version, diagnostics: mine.map((d) => toLspDiagnostic(a.set.root, d, (p) => session.file(p))) });
    connection.sendNotification('vmsec/status', { state: 'ready', file: doc.uri, diagnostics: mine.length, ms: Date.now() - started });
  };
  const schedule = (path: string, delay: number) => {
    clearTimeout(timers.get(path));
    timers.set(path, setTimeout(() => { timers.delete(path); guard('validation', undefined, () => publish(path))(undefined); }, delay));
  };
  const refresh = (path: string, delay: number) => {
    schedule(path, delay);
    for (const importer of session.openImporters(path)) schedule(importer, delay);
  };

  connection.onInitialize((params): InitializeResult => {
    canPullConfig = !!params.capabilities.workspace?.configuration;
    for (const f of params.workspaceFolders ?? []) session.addRoot(uriToPath(f.uri));
    if (!params.workspaceFolders?.length && params.rootUri) session.addRoot(uriToPath(params.rootUri));
    const init = params.initializationOptions as Partial<Settings> | undefined;
    if (init?.validate) settings = { ...settings, ...init };
    return {
      serverInfo: { name: 'vmsec', version: pkg.version },
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        completionProvider: { triggerCharacters: [' ', ','] },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        documentHighlightProvider: true,
        foldingRangeProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        semanticTokensProvider: { legend: { tokenTypes: TOKEN_TYPES, tokenModifiers: TOKEN_MODIFIERS }, full: true },
        experimental: { vmsec: { status: true } },
      },
    };
  });

  const loadSettings = async () => {
    if (!canPullConfig) return;
    const c = (await connection.workspace.getConfiguration('vmsec')) as Partial<Settings> | null;
    settings = { ...DEFAULTS, ...(c ?? {}) };
  };
  connection.onInitialized(async () => {
    if (canPullConfig) connection.client.register(DidChangeConfigurationNotification.type, undefined).catch(() => undefined);
    await loadSettings().catch(() => undefined);
  });
  connection.onDidChangeConfiguration(async (p) => {
    const pushed = (p.settings as { vmsec?: Partial<Settings> } | undefined)?.vmsec;
    if (pushed) settings = { ...DEFAULTS, ...pushed }; else await loadSettings().catch(() => undefined);
  });

  connection.onDidOpenTextDocument((p) => {
    const path = uriToPath(p.textDocument.uri);
    session.open.set(path, TextDocument.create(p.textDocument.uri, p.textDocument.languageId, p.textDocument.version, p.textDocument.text));
    refresh(path, 0);
  });
  connection.onDidChangeTextDocument((p) => {
    const path = uriToPath(p.textDocument.uri);
    const doc = session.open.get(path);
    if (!doc) return;
    session.open.set(path, TextDocument.update(doc, p.contentChanges, p.textDocument.version));
    if (settings.validate === 'onType') refresh(path, COALESCE_MS);
  });
  connection.onDidSaveTextDocument((p) => refresh(uriToPath(p.textDocument.uri), 0));
  connection.onDidCloseTextDocument((p) => {
    const path = uriToPath(p.textDocument.uri);
    session.open.delete(path);
    session.workspace.forget(path);
    clearTimeout(timers.get(path));
    connection.sendDiagnostics({ uri: p.textDocument.uri, diagnostics: [] });
    for (const importer of session.openImporters(path)) schedule(importer, 0);
  });
  connection.onDidChangeWatchedFiles((p) => {
    for (const c of p.changes) {
      const path = uriToPath(c.uri);
      if (session.open.has(path)) continue;
      session.fileChangedOnDisk(path, c.type === FileChangeType.Deleted);
      for (const importer of session.openImporters(path)) schedule(importer, 0);
    }
  });

  const at = <T>(name: string, fallback: T, fn: (path: string, offset: number) => T) =>
    guard(name, fallback, (p: { textDocument: { uri: string }; position: { line: number; character: number } }) => fn(uriToPath(p.textDocument.uri), offsetOf(p.textDocument.uri, p.position)));

  connection.onCompletion(at('completion', [], (path, o) => completion(session, path, o)));
  connection.onHover(at('hover', null, (path, o) => hover(session, path, o) ?? null));
  connection.onDefinition(at('definition', null, (path, o) => definition(session, path, o) ?? null));
  connection.onDocumentHighlight(at('highlight', [], (path, o) => highlights(session, path, o)));
  connection.onReferences(guard('references', [], (p) => references(session, uriToPath(p.textDocument.uri), offsetOf(p.textDocument.uri, p.position), p.context.includeDeclaration)));
  connection.onPrepareRename(at('prepareRename', null, (path, o) => prepareRename(session, path, o) ?? null));
  // Rename errors (an invalid or taken name) go back to the user as they are.
  connection.onRenameRequest((p) => rename(session, uriToPath(p.textDocument.uri), offsetOf(p.textDocument.uri, p.position), p.newName));
  connection.onDocumentSymbol(guard('documentSymbol', [], (p) => { const f = session.file(uriToPath(p.textDocument.uri)); return f ? documentSymbols(f) : []; }));
  connection.onWorkspaceSymbol(guard('workspaceSymbol', [], (p) => workspaceSymbols(session, p.query)));
  connection.onFoldingRanges(guard('folding', [], (p) => { const f = session.file(uriToPath(p.textDocument.uri)); return f ? foldingRanges(f) : []; }));
  connection.onDocumentFormatting(guard('formatting', [], (p) => { const f = session.file(uriToPath(p.textDocument.uri)); return f ? formatting(f) : []; }));
  connection.onCodeAction(guard('codeAction', [], (p) => codeActions(session, uriToPath(p.textDocument.uri), p.context.diagnostics)));
  connection.languages.semanticTokens.on(guard('semanticTokens', { data: [] }, (p) => semanticTokens(session, uriToPath(p.textDocument.uri))));

  connection.listen();
}

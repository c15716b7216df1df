// The vmsec language server: wiring of the protocol to one module per
// feature. Validation runs on open, on save and (unless `vmsec.validate` is
// "onSave") as the user types, on the analysis thread (validator.ts): edits
// are coalesced — a new edit re-arms a short timer instead of queueing
// another validation, and a result whose document has moved on is dropped,
// never published. Hover and completion answer from the last finished
// analysis (Session.snapshot), so they stay quick while a big file is checked.
import {
  TextDocumentSyncKind, DidChangeConfigurationNotification, FileChangeType, Connection, InitializeResult,
  CancellationToken, ResponseError, LSPErrorCodes, ErrorCodes,
} from 'vscode-languageserver';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import * as fs from 'node:fs';
import pkg from '../../../package.json';
import type { Position } from '../model/line-index';
import { Session } from './session';
import { Validator } from './validator';
import { uriToPath } from './convert';
import { completion } from './completion';
import { hover } from './hover';
import { definition } from './definition';
import { references } from './references';
import { prepareRename, rename } from './rename';
import { documentSymbols } from './document-symbols';
import { workspaceSymbols } from './workspace-symbols';
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from './semantic-tokens';
import { foldingRanges, MAX_FOLDING_RANGES } from './folding';
import { formatting } from './formatting';
import { highlights } from './highlight';
import { codeActions } from './code-actions';
import { RunController } from './run/controller';

export interface Settings { validate: 'onType' | 'onSave'; maxCheckpointSize?: string }
const DEFAULTS: Settings = { validate: 'onType' };
/** How long typing must pause before validation runs (a new edit re-arms it). */
const COALESCE_MS = 20;
/** How long typing must pause before this thread brings its own analysis (hover, completion) up to date. */
const IDLE_MS = 300;

/** Params of a request at a position: a document and a position, both as the protocol shapes them. */
interface AtParams { textDocument?: { uri?: unknown }; position?: unknown }
const isPosition = (p: unknown): p is Position =>
  typeof p === 'object' && p !== null && typeof (p as Position).line === 'number' && typeof (p as Position).character === 'number';
const cancelled = () => new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');

export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): void {
  const session = new Session();
  let settings: Settings = DEFAULTS;
  let canPullConfig = false;
  /** The most folding ranges the client wants (it says so at start; VS Code: 5,000). */
  let foldingLimit = MAX_FOLDING_RANGES;
  const timers = new Map<string, NodeJS.Timeout>();
  const idleTimers = new Map<string, NodeJS.Timeout>();

  // An error nobody caught: log it with its stack where the user can find it
  // (the server log, and stderr), then exit non-zero so the client restarts us.
  const fatal = (kind: string) => (e: unknown) => {
    const text = `vmsec language server: ${kind}: ${(e as Error)?.stack ?? String(e)}`;
    try { fs.writeSync(2, `${text}\n`); } catch { /* stderr gone */ }
    try { connection.console.error(text); } catch { /* connection gone */ }
    setTimeout(() => process.exit(1), 200).unref();
    process.exitCode = 1;
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));

  // One publishDiagnostics per document carries validation's diagnostics and the last runs' (failed expectations, step errors).
  const validated = new Map<string, { version: number; diagnostics: import('vscode-languageserver').Diagnostic[] }>();
  const publish = (path: string) => {
    const doc = session.open.get(path);
    const uri = doc?.uri ?? session.uriOf(path);
    const v = validated.get(path);
    const diagnostics = [...(v?.diagnostics ?? []), ...runs.diagnostics(uri)];
    connection.sendDiagnostics({ uri, version: doc && v && v.version === doc.version ? v.version : undefined, diagnostics });
  };
  const runs = new RunController(connection, session, publish);
  const validator = new Validator(session, {
    result: (r) => {
      const doc = session.open.get(r.path);
      // The user typed on while we worked: this result is stale, drop it.
      if (!doc || doc.version !== r.version) return;
      validated.set(r.path, { version: r.version, diagnostics: r.diagnostics });
      publish(r.path);
      connection.sendNotification('vmsec/status', { state: 'ready', file: doc.uri, diagnostics: r.diagnostics.length, ms: r.ms });
      connection.console.log(`validated ${doc.uri} (version ${r.version}) in ${r.ms} ms: ${r.diagnostics.length} diagnostics`);
    },
    log: (m) => connection.console.log(m),
    error: (m) => connection.console.error(m),
  });

  const guard = <P, R>(name: string, fallback: R, fn: (p: P) => R) => (p: P, token?: CancellationToken): R | ResponseError<void> => {
    // A request the client gave up on while it waited in the queue is not worked on.
    if (token?.isCancellationRequested) return cancelled();
    // A bug in one feature must not take the server down or lose the user's text.
    try { return fn(p); } catch (e) {
      if (e instanceof ResponseError) throw e;
      connection.console.error(`${name} failed: ${(e as Error).stack ?? e}`);
      return fallback;
    }
  };
  /** A request at a position: its file's path and the position, or the fallback when either is missing or names nothing we answer for. */
  const at = <T>(name: string, fallback: T, fn: (path: string, pos: Position, p: AtParams) => T) =>
    guard(name, fallback, (p: AtParams | null) => {
      const path = session.pathOf(p?.textDocument?.uri);
      return path !== undefined && isPosition(p?.position) ? fn(path, p.position, p) : fallback;
    });
  /** The offset of a (clamped) position in the current text of a file. */
  const offsetOf = (path: string, pos: Position): number | undefined => session.file(path)?.lines.offset(pos);
  const docPath = (p: { textDocument?: { uri?: unknown } } | null) => session.pathOf(p?.textDocument?.uri);

  const refreshOwnAnalysis = (path: string, delay: number) => {
    clearTimeout(idleTimers.get(path));
    idleTimers.set(path, setTimeout(() => {
      idleTimers.delete(path);
      if (session.open.has(path) && session.isStale(path)) guard('analysis', undefined, () => session.analyze(path))(undefined);
    }, delay));
  };
  const schedule = (path: string, delay: number) => {
    clearTimeout(timers.get(path));
    timers.set(path, setTimeout(() => { timers.delete(path); validator.request(path); }, delay));
  };
  const refresh = (path: string, delay: number) => {
    schedule(path, delay);
    refreshOwnAnalysis(path, delay === 0 ? 0 : IDLE_MS);
    for (const importer of session.openImporters(path)) { schedule(importer, delay); refreshOwnAnalysis(importer, IDLE_MS); }
  };

  connection.onInitialize((params): InitializeResult => {
    canPullConfig = !!params.capabilities.workspace?.configuration;
    foldingLimit = params.capabilities.textDocument?.foldingRange?.rangeLimit ?? foldingLimit;
    const roots = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri));
    if (!roots.length && params.rootUri) roots.push(uriToPath(params.rootUri));
    const found = roots.filter((r): r is string => !!r).map((r) => ({ root: r, ...session.addRoot(r) }));
    validator.setRoots(session.roots);
    const init = params.initializationOptions as Partial<Settings> | undefined;
    if (init?.validate) settings = { ...settings, ...init };
    runs.initialize(params);
    // Said once, at the start: which server, which folders, how many files.
    connection.console.info(`vmsec language server ${pkg.version} (node ${process.version}, pid ${process.pid}) started; `
      + (found.length ? found.map((f) => `${f.root}: ${f.files} .vmsec files${f.truncated ? ' (scan stopped at its limit)' : ''}`).join('; ') : 'no workspace folder'));
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
        executeCommandProvider: runs.capabilities().executeCommandProvider,
        codeLensProvider: runs.capabilities().codeLensProvider,
        inlayHintProvider: runs.capabilities().inlayHintProvider,
        experimental: { vmsec: { status: true, ...runs.capabilities().vmsec } },
      },
    };
  });

  const loadSettings = async () => {
    if (!canPullConfig) return;
    const c = (await connection.workspace.getConfiguration('vmsec')) as Partial<Settings> | null;
    settings = { ...DEFAULTS, ...(c ?? {}) };
    runs.applySettings(settings);
  };
  connection.onInitialized(async () => {
    if (canPullConfig) connection.client.register(DidChangeConfigurationNotification.type, undefined).catch(() => undefined);
    await loadSettings().catch(() => undefined);
  });
  connection.onDidChangeConfiguration(async (p) => {
    const pushed = (p?.settings as { vmsec?: Partial<Settings> } | undefined)?.vmsec;
    if (pushed) { settings = { ...DEFAULTS, ...pushed }; runs.applySettings(settings); } else await loadSettings().catch(() => undefined);
  });

  connection.onDidOpenTextDocument((p) => {
    const d = p?.textDocument;
    // A malformed open (no text) would fail later in a timer, outside any handler: ignore it here.
    if (typeof d?.uri !== 'string' || typeof d.text !== 'string') return;
    const path = uriToPath(d.uri);
    if (path === undefined) return;
    session.open.set(path, TextDocument.create(d.uri, d.languageId, d.version, d.text));
    validator.changed(path);
    runs.documentChanged(path);
    refresh(path, 0);
  });
  connection.onDidChangeTextDocument((p) => {
    const path = session.pathOf(p.textDocument.uri);
    const doc = path === undefined ? undefined : session.open.get(path);
    if (!doc || path === undefined) return;
    session.open.set(path, TextDocument.update(doc, p.contentChanges, p.textDocument.version));
    validator.changed(path);
    runs.documentChanged(path);
    if (settings.validate === 'onType') refresh(path, COALESCE_MS);
    else refreshOwnAnalysis(path, IDLE_MS);
  });
  connection.onDidSaveTextDocument((p) => { const path = session.pathOf(p.textDocument.uri); if (path !== undefined) refresh(path, 0); });
  connection.onDidCloseTextDocument((p) => {
    const path = session.pathOf(p.textDocument.uri);
    if (path === undefined) return;
    const importers = session.openImporters(path);
    session.close(path);
    validator.closed(path);
    clearTimeout(timers.get(path));
    clearTimeout(idleTimers.get(path));
    timers.delete(path);
    idleTimers.delete(path);
    validated.delete(path);
    runs.documentClosed(p.textDocument.uri);
    connection.sendDiagnostics({ uri: p.textDocument.uri, diagnostics: [] });
    for (const importer of importers) refresh(importer, 0);
  });
  connection.onDidChangeWatchedFiles((p) => {
    for (const c of p.changes) {
      const path = uriToPath(c.uri);
      if (path === undefined || session.open.has(path)) continue;
      const importers = session.openImporters(path);
      session.fileChangedOnDisk(path, c.type === FileChangeType.Deleted);
      validator.diskChanged(path, c.type === FileChangeType.Deleted);
      for (const importer of importers) refresh(importer, 0);
    }
  });

  /** Features that read every known file drop, afterwards, what no open file needs. */
  const workspaceWide = <T>(fn: () => T): T => { try { return fn(); } finally { session.prune(); } };

  connection.onCompletion(at('completion', [], (path, pos) => completion(session, path, pos)));
  connection.onHover(at('hover', null, (path, pos) => runs.withDetails(path, pos.line, hover(session, path, pos) ?? null)));
  runs.register();
  connection.onDefinition(at('definition', null, (path, pos) => { const o = offsetOf(path, pos); return o === undefined ? null : definition(session, path, o) ?? null; }));
  connection.onDocumentHighlight(at('highlight', [], (path, pos) => { const o = offsetOf(path, pos); return o === undefined ? [] : highlights(session, path, o); }));
  connection.onReferences(at('references', [], (path, pos, p) => {
    const o = offsetOf(path, pos);
    const includeDeclaration = !!(p as { context?: { includeDeclaration?: unknown } }).context?.includeDeclaration;
    return o === undefined ? [] : workspaceWide(() => references(session, path, o, includeDeclaration));
  }));
  connection.onPrepareRename(at('prepareRename', null, (path, pos) => { const o = offsetOf(path, pos); return o === undefined ? null : prepareRename(session, path, o) ?? null; }));
  // Rename errors (an invalid or taken name) go back to the user as they are.
  connection.onRenameRequest(at('rename', null, (path, pos, p) => {
    const newName = (p as { newName?: unknown }).newName;
    if (typeof newName !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'rename needs a new name');
    const o = offsetOf(path, pos);
    return o === undefined ? null : workspaceWide(() => rename(session, path, o, newName));
  }));
  connection.onDocumentSymbol(guard('documentSymbol', [], (p) => { const path = docPath(p); const f = path === undefined ? undefined : session.parsedFile(path); return f ? documentSymbols(f) : []; }));
  connection.onWorkspaceSymbol(guard('workspaceSymbol', [], (p) => (typeof p?.query === 'string' ? workspaceWide(() => workspaceSymbols(session, p.query)) : [])));
  connection.onFoldingRanges(guard('folding', [], (p) => { const path = docPath(p); const f = path === undefined ? undefined : session.parsedFile(path); return f ? foldingRanges(f, foldingLimit) : []; }));
  connection.onDocumentFormatting(guard('formatting', [], (p) => { const path = docPath(p); const f = path === undefined ? undefined : session.parsedFile(path); return f ? formatting(f) : []; }));
  connection.onCodeAction(guard('codeAction', [], (p) => {
    const path = docPath(p);
    const ds = p?.context?.diagnostics;
    return path === undefined || !Array.isArray(ds) ? [] : codeActions(session, path, ds);
  }));
  connection.languages.semanticTokens.on(guard('semanticTokens', { data: [] }, (p) => { const path = docPath(p); return path === undefined ? { data: [] } : semanticTokens(session, path); }));

  // Introspection for the protocol tests only (never registered for users).
  if (process.env.VMSEC_TEST === '1') {
    connection.onRequest('vmsec/debug/cacheSizes', async () => ({ server: session.cacheSizes(), analysis: await validator.sizes(), parseOnlyReads: session.parseOnlyReads }));
    // Holds this thread, so that requests sent meanwhile wait in the queue (the cancellation test).
    connection.onRequest('vmsec/debug/block', (p: { ms?: number }) => { const end = Date.now() + Math.min(Number(p?.ms) || 0, 5000); while (Date.now() < end) { /* hold */ } return null; });
  }
  connection.onShutdown(() => { runs.dispose(); validator.dispose(); });

  connection.listen();
}

// A minimal LSP client for protocol tests: spawns the bundled server over
// stdio and waits for notifications with a deadline, never a fixed sleep.
import { spawn, ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Methods } from '../../server/src/protocol';
import assert from 'node:assert/strict';
import type { Diagnostic, PublishDiagnosticsParams, TextEdit } from 'vscode-languageserver-protocol';

export const SERVER = join(import.meta.dirname ?? '', '..', '..', 'dist', 'server.js');

/** A client that reads diagnostics only. */
const DIAGNOSTICS_CLIENT = { workspace: { configuration: true }, textDocument: { publishDiagnostics: { relatedInformation: true } } };
/** A client that runs scenarios: progress, inlay hints and code lenses, with their refresh requests. */
export const RUN_CLIENT = {
  window: { workDoneProgress: true },
  workspace: { configuration: true, inlayHint: { refreshSupport: true }, codeLens: { refreshSupport: true } },
  textDocument: { publishDiagnostics: {}, inlayHint: {}, codeLens: {} },
};

/** A JSON-RPC response as it came over the wire. */
export interface Reply { result?: unknown; error?: { code: number; message: string } }

export class TestClient {
  readonly proc: ChildProcess;
  readonly conn: MessageConnection;
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private waiters: (() => void)[] = [];
  private versions = new Map<string, number>();
  readonly stderr: string[] = [];
  /** The server's log (window/logMessage), in order. */
  readonly log: { type: number; message: string }[] = [];

  constructor(server = SERVER, env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.proc.stderr!.on('data', (d) => this.stderr.push(String(d)));
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => { this.diagnostics.set(p.uri, p); this.wake(); });
    this.conn.onNotification('vmsec/status', () => this.wake());
    this.conn.onNotification('window/logMessage', (m: { type: number; message: string }) => { this.log.push(m); });
    this.conn.onRequest('workspace/configuration', () => [{ validate: 'onType' }]);
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.listen();
  }

  private wake(): void { const w = this.waiters; this.waiters = []; w.forEach((f) => f()); }

  async initialize(rootPath: string, init: Record<string, unknown> = {}, capabilities: object = DIAGNOSTICS_CLIENT): Promise<unknown> {
    const r = await this.conn.sendRequest('initialize', {
      processId: process.pid, rootUri: pathToFileURL(rootPath).toString(), initializationOptions: init,
      workspaceFolders: [{ uri: pathToFileURL(rootPath).toString(), name: 'ws' }],
      capabilities,
    });
    await this.conn.sendNotification('initialized', {});
    return r;
  }

  /** Opens a document; `uri` overrides the file URI of `path` (a query or fragment, another scheme). */
  open(path: string, text: string, uri = pathToFileURL(path).toString()): string {
    this.versions.set(uri, 1);
    void this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'vmsec', version: 1, text } });
    return uri;
  }

  change(uri: string, text: string): number {
    const v = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, v);
    void this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
    return v;
  }

  /** An incremental change, as editors send while typing: `text` replaces `range`. */
  edit(uri: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }, text: string): number {
    const v = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, v);
    void this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ range, text }] });
    return v;
  }

  /** Waits until the diagnostics of `uri` satisfy `ok`, or fails after `ms`. */
  async waitDiagnostics(uri: string, ok: (d: Diagnostic[], p: PublishDiagnosticsParams) => boolean, ms = 10_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const p = this.diagnostics.get(uri);
      if (p && ok(p.diagnostics, p)) return p.diagnostics;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching diagnostics for ${uri} within ${ms} ms; last: ${JSON.stringify(p?.diagnostics?.map((d) => d.code))}`);
      await new Promise<void>((res) => { const t = setTimeout(res, left); this.waiters.push(() => { clearTimeout(t); res(); }); });
    }
  }

  request<R>(method: string, params: unknown): Promise<R> { return this.conn.sendRequest(method, params) as Promise<R>; }

  /**
   * Writes `messages` to the server in one write, so that it reads them together whatever the
   * scheduling of either process, and resolves with the responses to those with an id. The
   * connection drops responses to ids it did not send; call only while nothing else is being sent.
   */
  sendTogether(messages: { id?: string; method: string; params: unknown }[]): Promise<Map<string, Reply>> {
    const ids = new Set(messages.flatMap((m) => (m.id === undefined ? [] : [m.id])));
    const got = new Map<string, Reply>();
    const frame = (m: object) => { const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...m })); return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]); };
    const out = this.proc.stdout!;
    let buf = Buffer.alloc(0);
    const answered = new Promise<typeof got>((resolve) => {
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
          const length = Number(/content-length: *(\d+)/i.exec(buf.subarray(0, end).toString('ascii'))?.[1]);
          if (buf.length < end + 4 + length) break;
          const m = JSON.parse(buf.subarray(end + 4, end + 4 + length).toString('utf8')) as Reply & { id?: string };
          buf = buf.subarray(end + 4 + length);
          if (typeof m.id === 'string' && ids.has(m.id)) got.set(m.id, m);
        }
        if (got.size === ids.size) { out.off('data', onData); resolve(got); }
      };
      out.on('data', onData);
    });
    this.proc.stdin!.write(Buffer.concat(messages.map(frame)));
    return answered;
  }

  async close(): Promise<void> {
    try { await this.conn.sendRequest('shutdown'); await this.conn.sendNotification('exit'); } catch { /* already gone */ }
    this.conn.dispose();
    this.proc.kill();
  }
}

/** Polls `get` until it gives a value (not undefined or false), or fails after `ms`. */
export async function until<T>(what: string, get: () => T | undefined | false, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface ProgressNote { token: unknown; value: { kind: string; message?: string; percentage?: number } }

/**
 * A client that runs scenarios (RUN_CLIENT) with one file written to `dir`
 * and opened: $/progress and the server's list of running scenarios
 * (vmsec/runState) are recorded, progress and refresh requests answered;
 * ready once the file validates without a problem.
 */
export class RunSession {
  readonly c = new TestClient();
  readonly progress: ProgressNote[] = [];
  running: { uri: string; scenario: string }[] = [];
  file = { path: '', uri: '' };
  /** The server's `experimental.vmsec` capabilities and its executeCommand commands. */
  caps: Record<string, boolean> = {};
  commands: string[] = [];

  constructor() {
    const { conn } = this.c;
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onNotification('$/progress', (p: ProgressNote) => this.progress.push(p));
    conn.onNotification(Methods.runState, (p: { running: RunSession['running'] }) => { this.running = p.running; });
    conn.onRequest('workspace/inlayHint/refresh', () => null);
    conn.onRequest('workspace/codeLens/refresh', () => null);
  }

  async open(dir: string, name: string, text: string): Promise<void> {
    const init = await this.c.initialize(dir, {}, RUN_CLIENT) as { capabilities: { executeCommandProvider: { commands: string[] }; experimental: { vmsec: Record<string, boolean> } } };
    this.caps = init.capabilities.experimental.vmsec;
    this.commands = init.capabilities.executeCommandProvider.commands;
    const path = join(dir, name);
    writeFileSync(path, text);
    this.file = { path, uri: this.c.open(path, text) };
    await this.c.waitDiagnostics(this.file.uri, (d) => d.length === 0);
  }
}

/**
 * Where each line of `text` starts and where its text ends (before its break). LSP counts
 * `\r\n`, `\r` and `\n` as line breaks; written apart from the server's LineIndex so
 * that tests do not check the server against itself.
 */
function lines(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  for (const m of text.matchAll(/\r\n|\r|\n/g)) { out.push({ start, end: m.index }); start = m.index + m[0].length; }
  out.push({ start, end: text.length });
  return out;
}

/** The 0-based position of `needle` (plus `delta` characters) in `text`. */
export function pos(text: string, needle: string, delta = 0) {
  const o = text.indexOf(needle) + delta;
  assert.ok(o >= delta, `'${needle}' not in text`);
  const ls = lines(text);
  let line = 0;
  while (line + 1 < ls.length && ls[line + 1].start <= o) line++;
  return { line, character: o - ls[line].start };
}

/**
 * `text` with LSP edits applied (as a client applies a WorkspaceEdit's edits for one file):
 * positions past a line's end or the last line are clamped, as the LSP specification says,
 * inserts at one position appear in the order of the array, and overlapping edits throw.
 */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const ls = lines(text);
  const off = (p: { line: number; character: number }) => {
    if (p.line >= ls.length) return text.length;
    const l = ls[Math.max(0, p.line)];
    return Math.min(l.start + Math.max(0, p.character), l.end);
  };
  const placed = edits.map((e, i) => ({ e, i, start: off(e.range.start), end: Math.max(off(e.range.start), off(e.range.end)) }));
  placed.sort((a, b) => a.start - b.start || a.i - b.i);
  let out = '';
  let at = 0;
  for (const x of placed) {
    // Overlapping edits are a server bug (the specification forbids them): say so, do not guess.
    if (x.start < at) throw new Error(`overlapping edits: ${JSON.stringify(x.e.range)} starts inside an earlier edit`);
    out += text.slice(at, x.start) + x.e.newText;
    at = x.end;
  }
  return out + text.slice(at);
}

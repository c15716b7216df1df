// Runs validations for the server: one at a time on the analysis thread, the
// latest text of each file, results handed back with the version they are of
// (the server drops a result whose document moved on). If the thread cannot
// start (running from the sources, not the bundle) validation runs in this
// thread instead; if it dies, it is started again and the texts sent anew.
//
// While the user types on, every result is already outdated when it arrives
// and a new validation would start at once: the analysis thread would never
// rest, and on a machine with few cores it takes CPU from the thread that
// answers hover and completion. So after an outdated result the next
// validation waits as long as the last one took (the thread works at most
// half the time); after a result that was still current (a single edit, a
// save) the next one starts at once.
import { Worker } from 'node:worker_threads';
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Session } from './session';
import { commonAffixes } from '../model/incremental';
import { diagnosticsOf, FromWorker, ToWorker, WORKER_ROLE } from './analysis-worker';
import { ImportedErrors } from './imported-errors';

export interface ValidationResult { path: string; version: number; diagnostics: LspDiagnostic[]; ms: number }
export interface ValidatorEvents {
  result(r: ValidationResult): void;
  log(message: string): void;
  error(message: string): void;
}

/** The bundle's own file: the analysis thread runs the same bundle (dist/server.js). */
function bundleFile(): string | undefined {
  return typeof __filename === 'string' && __filename.endsWith('.js') ? __filename : undefined;
}

export class Validator {
  private worker: Worker | undefined;
  private inline = !bundleFile();
  private inFlight: { path: string; version: number; started: number } | undefined;
  /** When the last validation ended, how long it took (wall time), and whether its document had moved on by then. */
  private last = { end: 0, ms: 0, outdated: false };
  private resume: NodeJS.Timeout | undefined;
  private readonly pending = new Set<string>();
  /** path → the version and text the thread has (an edit is sent as the changed region only). */
  private readonly synced = new Map<string, { version: number; changes: number; text: string }>();
  /** Opens and edits per path: a re-open or an edit that keeps the version number still changes the text. */
  private readonly changes = new Map<string, number>();
  private readonly roots: string[] = [];
  private sizeWaiters: ((s: unknown) => void)[] = [];
  /** Imported files' errors, for the in-thread fallback (the analysis thread keeps its own). */
  private readonly imported = new ImportedErrors();
  private lastCrash = '';

  constructor(private readonly session: Session, private readonly on: ValidatorEvents) {}

  setRoots(roots: string[]): void { this.roots.splice(0, this.roots.length, ...roots); this.post({ t: 'roots', roots }); }

  request(path: string): void { this.pending.add(path); this.pump(); }

  closed(path: string): void { this.imported.forget(path); this.pending.delete(path); this.synced.delete(path); this.changes.delete(path); this.post({ t: 'close', path }); }

  /** The open document's text changed (opened, edited): the analysis thread is sent it even if its version did not move. */
  changed(path: string): void { this.changes.set(path, (this.changes.get(path) ?? 0) + 1); }

  diskChanged(path: string, deleted: boolean): void { this.post({ t: 'disk', path, deleted }); }

  /** Cache sizes of the analysis thread (tests only). */
  sizes(): Promise<unknown> {
    if (this.inline || !this.worker) return Promise.resolve(null);
    return new Promise((res) => { this.sizeWaiters.push(res); this.post({ t: 'sizes' }); });
  }

  dispose(): void { clearTimeout(this.resume); this.resume = undefined; void this.worker?.terminate(); this.worker = undefined; }

  private post(m: ToWorker): void { if (!this.inline && this.worker) this.worker.postMessage(m); }

  private pump(): void {
    if (this.inFlight || this.resume || !this.pending.size) return;
    const rest = this.last.outdated ? this.last.end + this.last.ms - performance.now() : 0;
    if (rest > 1) {
      this.resume = setTimeout(() => { this.resume = undefined; this.pump(); }, rest);
      this.resume.unref();
      return;
    }
    const path = this.pending.values().next().value as string;
    this.pending.delete(path);
    const doc = this.session.open.get(path);
    if (!doc) { this.pump(); return; }
    this.inFlight = { path, version: doc.version, started: performance.now() };
    if (this.inline || !this.ensureWorker()) { setImmediate(() => this.runInline(path, doc.version)); return; }
    // The thread reads open documents from what it was sent: send what changed.
    for (const [p, d] of this.session.open) {
      const had = this.synced.get(p);
      const changes = this.changes.get(p) ?? 0;
      if (had?.version === d.version && had.changes === changes) continue;
      const text = d.getText();
      this.worker!.postMessage(had ? editOf(p, d.version, had.text, text) : { t: 'doc', path: p, uri: d.uri, version: d.version, text } satisfies ToWorker);
      this.synced.set(p, { version: d.version, changes, text });
    }
    this.worker!.postMessage({ t: 'analyze', path, version: doc.version } satisfies ToWorker);
  }

  private runInline(path: string, version: number): void {
    const started = performance.now();
    try {
      const diagnostics = this.session.open.get(path)?.version === version ? diagnosticsOf(this.session, path, this.imported) : undefined;
      if (diagnostics) this.on.result({ path, version, diagnostics, ms: Math.round(performance.now() - started) });
    } catch (e) {
      this.on.error(`validation of ${path} failed: ${(e as Error)?.stack ?? e}`);
    }
    this.finished();
    this.pump();
  }

  /** Notes how the validation in flight went (for the pause after an outdated one). */
  private finished(): void {
    const f = this.inFlight;
    this.inFlight = undefined;
    if (!f) return;
    const end = performance.now();
    this.last = { end, ms: end - f.started, outdated: this.session.open.get(f.path)?.version !== f.version };
  }

  private ensureWorker(): boolean {
    if (this.worker) return true;
    try {
      const w = new Worker(bundleFile()!, { workerData: { role: WORKER_ROLE } });
      w.on('message', (m: FromWorker) => this.message(m));
      w.on('error', (e) => this.died(w, `analysis thread crashed: ${e?.stack ?? e}`));
      w.on('exit', (code) => { if (code !== 0) this.died(w, `analysis thread exited with code ${code}`); });
      w.unref();
      this.worker = w;
      this.synced.clear();
      w.postMessage({ t: 'roots', roots: this.roots } satisfies ToWorker);
      return true;
    } catch (e) {
      this.on.error(`cannot start the analysis thread, validating in the server's thread: ${(e as Error)?.stack ?? e}`);
      this.inline = true;
      return false;
    }
  }

  private died(w: Worker, why: string): void {
    if (this.worker !== w) return;
    this.on.error(why);
    this.worker = undefined;
    void w.terminate();
    // Start again with the file that was being validated.
    const was = this.inFlight;
    this.inFlight = undefined;
    // …unless that very text crashed it already: no restart loop on one input.
    const id = was && `${was.path}@${was.version}`;
    if (was && id !== this.lastCrash) this.pending.add(was.path);
    this.lastCrash = id ?? '';
    this.pump();
  }

  private message(m: FromWorker): void {
    if (m.t === 'sizes') { const w = this.sizeWaiters; this.sizeWaiters = []; w.forEach((f) => f(m.sizes)); return; }
    this.finished();
    if (m.t === 'result') this.on.result(m);
    else this.on.error(`validation of ${m.path} failed: ${m.error}`);
    this.pump();
  }
}

/** The change from the text the thread has to the current one: a keystroke in a 400 KB file sends a few bytes, not the file. */
function editOf(path: string, version: number, before: string, after: string): ToWorker {
  const { prefix, suffix } = commonAffixes(before, after);
  return { t: 'edit', path, version, start: prefix, end: before.length - suffix, text: after.slice(prefix, after.length - suffix) };
}

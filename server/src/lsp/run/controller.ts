// Running scenarios from any LSP client: the commands and custom requests of
// protocol.ts, progress and cancellation, the results store, and the features
// that show results (code lens, inlay hints, run diagnostics, hover details).
// server.ts only wires this in.
import * as nodePath from 'node:path';
import {
  type Connection, type InitializeParams, type CancellationToken, type Diagnostic, type Hover, type WorkDoneProgressReporter,
  ResponseError, ErrorCodes, LSPErrorCodes,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { randomUUID } from 'node:crypto';
import type { Session } from '../session';
import { readSourceFile } from '../../model/source-reader';
import { DEFAULT_MAX_CHECKPOINT_BYTES } from '../../sim/checkpoint';
import {
  Commands, Methods, UNTRUSTED_MESSAGE,
  type RunParams, type RunSummary, type RunResultNotification, type ScenarioInfo, type VmsecCapabilities,
  type RunSeedsParams, type SeedsResult, type SeedsScenario, type SweepParams, type SweepResult,
} from '../../protocol';
import { parseSeeds, seedsText } from '../../batch/plan';
import { availableParallelism } from 'node:os';
import { Runner, type Job } from './runner';
import { RunResults } from './results-store';
import { codeLenses, inlayHints, runChanges, runDetails, runDiagnostics, scenariosOf } from './features';
import { parseCheckpointSize } from './size';
import { SeedsResults } from './seeds-store';
import { seedsDetails, seedsDiagnostics, seedsInlayHints, seedsLenses } from './seeds-features';
import { runSweepRequest } from './sweep-request';

/** The most seeds one editor run takes (the CLI takes a million, sharded across machines if need be). */
export const MAX_EDITOR_SEEDS = 100_000;

export class RunController {
  trusted = true;
  maxCheckpointBytes = DEFAULT_MAX_CHECKPOINT_BYTES;
  private initialMaxCheckpointBytes = DEFAULT_MAX_CHECKPOINT_BYTES;
  readonly results = new RunResults();
  readonly seedsResults = new SeedsResults();
  private readonly runner: Runner;
  private refreshInlay = false;
  private refreshLens = false;

  constructor(private readonly connection: Connection, private readonly session: Session, private readonly republish: (path: string) => void) {
    this.runner = new Runner({
      stateChanged: (running) => {
        void connection.sendNotification(Methods.runState, { running });
        this.refresh(false);
      },
      log: (m) => connection.console.log(m),
    });
  }

  initialize(params: InitializeParams): void {
    this.refreshInlay = !!params.capabilities.workspace?.inlayHint?.refreshSupport;
    this.refreshLens = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    const init = params.initializationOptions as { trusted?: unknown; maxCheckpointSize?: unknown } | undefined;
    if (typeof init?.trusted === 'boolean') this.trusted = init.trusted;
    this.applySettings(init);
    this.initialMaxCheckpointBytes = this.maxCheckpointBytes;
  }

  /** Settings pulled or pushed later: a client whose configuration has no
   *  maxCheckpointSize (Neovim answers workspace/configuration with null)
   *  keeps the one of its initializationOptions. */
  applySettings(s: { maxCheckpointSize?: unknown } | null | undefined): void {
    if (s?.maxCheckpointSize === undefined || s.maxCheckpointSize === null || s.maxCheckpointSize === '') { this.maxCheckpointBytes = this.initialMaxCheckpointBytes; return; }
    const r = parseCheckpointSize(s.maxCheckpointSize);
    if (r.ok) this.maxCheckpointBytes = r.bytes; else this.connection.console.error(r.error);
  }

  capabilities() {
    const vmsec: VmsecCapabilities = { run: true, scenarios: true, runResult: true, runState: true, setTrusted: true, runSeeds: true, seedsResult: true, sweep: true };
    return {
      executeCommandProvider: { commands: Object.values(Commands) },
      codeLensProvider: { resolveProvider: false },
      inlayHintProvider: true,
      vmsec,
    };
  }

  register(): void {
    const c = this.connection;
    c.onExecuteCommand(async (p, token) => {
      const arg = (p.arguments?.[0] ?? {}) as { uri?: unknown; scenario?: unknown; seeds?: unknown };
      const progress = await this.progressFor((p as { workDoneToken?: string | number }).workDoneToken);
      switch (p.command) {
        case Commands.runScenario:
          if (typeof arg.scenario !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, `${Commands.runScenario} needs [{ uri, scenario }]`);
          return this.run(String(arg.uri), [arg.scenario], undefined, token, progress);
        case Commands.runFile: return this.run(String(arg.uri), undefined, undefined, token, progress);
        case Commands.runWorkspace: return this.runWorkspace(token, progress);
        case Commands.runSeeds: return this.runSeeds(arg, token, progress);
        case Commands.sweep: return this.sweep(p.arguments?.[0] ?? {}, token, progress);
        case Commands.stop: {
          const uri = typeof arg.uri === 'string' ? this.uriOf(arg.uri) : undefined;
          const stopped = this.runner.cancel((j) => (uri === undefined || j.job.uri === uri) && (typeof arg.scenario !== 'string' || j.job.scenario === arg.scenario));
          return { stopped };
        }
        default: throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${p.command}`);
      }
    });
    c.onRequest(Methods.scenarios, (p: { uri?: unknown }) => {
      const path = this.session.pathOf(p?.uri);
      return { scenarios: path === undefined ? [] : this.scenarios(path) };
    });
    c.onRequest(Methods.run, async (p: RunParams, token: CancellationToken) => {
      const progress = await this.progressFor(p?.workDoneToken);
      const seed = typeof p?.seed === 'number' && Number.isSafeInteger(p.seed) && p.seed >= 0 ? p.seed : undefined;
      return this.run(String(p?.uri), typeof p?.scenario === 'string' ? [p.scenario] : undefined, seed, token, progress);
    });
    c.onRequest(Methods.runSeeds, async (p: RunSeedsParams, token: CancellationToken) => {
      const progress = await this.progressFor(p?.workDoneToken);
      return this.runSeeds(p ?? {}, token, progress);
    });
    c.onRequest(Methods.sweep, async (p: SweepParams, token: CancellationToken) => {
      const progress = await this.progressFor(p?.workDoneToken);
      return this.sweep(p ?? {}, token, progress);
    });
    c.onNotification(Methods.setTrusted, (p: { trusted?: unknown }) => {
      if (typeof p?.trusted !== 'boolean') return;
      this.trusted = p.trusted;
      if (!p.trusted) this.runner.cancel(() => true);
      this.refresh(false);
    });
    c.onCodeLens((p) => {
      const path = this.session.pathOf(p?.textDocument?.uri);
      if (path === undefined) return [];
      const uri = this.session.uriOf(path);
      const running = new Set(this.runner.runningJobs().filter((j) => j.uri === uri).map((j) => j.scenario));
      return [...codeLenses(this.scenarios(path), this.results.runs(uri), this.trusted, running), ...(this.trusted ? seedsLenses(this.seedsResults.runs(uri), uri) : [])];
    });
    c.languages.inlayHint.on((p) => {
      const path = this.session.pathOf(p?.textDocument?.uri);
      const doc = path === undefined ? undefined : this.session.open.get(path);
      return doc ? [...inlayHints(this.results.runs(doc.uri), doc, p.range), ...seedsInlayHints(this.seedsResults.runs(doc.uri), doc, p.range)] : [];
    });
  }

  /** The run diagnostics of a document (merged with validation's by server.ts). */
  diagnostics(uri: string): Diagnostic[] { return [...runDiagnostics(this.results.runs(uri), uri), ...seedsDiagnostics(this.seedsResults.runs(uri), uri)]; }

  /** The normal hover with the run details of the line, and what changed there since the previous run, appended. */
  withDetails(path: string, line: number, h: Hover | null): Hover | null {
    const uri = this.session.uriOf(path);
    const runs = this.results.runs(uri);
    const details = [...runDetails(runs, uri, line), ...seedsDetails(this.seedsResults.runs(uri), uri, line)];
    const changes = runChanges(runs, uri, line);
    if (!details.length && !changes.length) return h;
    const parts: string[] = [];
    if (details.length) parts.push(`**Last run**\n\n${details.join('\n\n')}`);
    if (changes.length) parts.push(`**Since the previous run**\n\n${changes.map((t) => `- ${t}`).join('\n')}`);
    const extra = parts.join('\n\n');
    if (!h) return { contents: { kind: 'markdown', value: extra } };
    const c = h.contents;
    const base = typeof c === 'string' ? c : Array.isArray(c) ? c.map((x) => (typeof x === 'string' ? x : x.value)).join('\n\n') : c.value;
    return { ...h, contents: { kind: 'markdown', value: `${base}\n\n---\n\n${extra}` } };
  }

  /** An edit: results whose lines changed go. */
  documentChanged(path: string): void {
    const doc = this.session.open.get(path);
    if (!doc) return;
    const a = this.results.has(doc.uri) && this.results.prune(doc.uri, doc);
    const b = this.seedsResults.has(doc.uri) && this.seedsResults.prune(doc.uri, doc);
    if (a || b) { this.republish(path); this.refresh(true); }
  }

  documentClosed(uri: string): void { this.results.clear(uri); this.seedsResults.clear(uri); }

  dispose(): void { this.runner.dispose(); }

  private uriOf(uri: string): string {
    const path = this.session.pathOf(uri);
    return path === undefined ? uri : this.session.uriOf(path);
  }

  private scenarios(path: string): ScenarioInfo[] {
    const f = this.session.parsedFile(path);
    return f ? scenariosOf(f, this.session.uriOf(path)) : [];
  }

  private async progressFor(token: string | number | undefined): Promise<WorkDoneProgressReporter> {
    if (token !== undefined) return this.connection.window.attachWorkDoneProgress(token);
    try { return await this.connection.window.createWorkDoneProgress(); } catch { return this.connection.window.attachWorkDoneProgress(undefined); }
  }

  private refresh(inlay: boolean): void {
    if (inlay && this.refreshInlay) this.connection.languages.inlayHint.refresh().catch(() => undefined);
    if (this.refreshLens) this.connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  }

  private async runWorkspace(token: CancellationToken, progress: WorkDoneProgressReporter): Promise<RunSummary[]> {
    if (!this.trusted) throw new ResponseError(ErrorCodes.InvalidRequest, UNTRUSTED_MESSAGE);
    const files = this.session.knownFiles().filter((p) => p.endsWith('.vmsec') && this.scenarios(p).length > 0).sort();
    const out: RunSummary[] = [];
    try {
      for (const f of files) {
        if (token.isCancellationRequested) break;
        out.push(await this.run(this.session.uriOf(f), undefined, undefined, token, progress, false));
      }
    } finally { progress.done(); }
    return out;
  }

  /** What a run of a file needs: its path and URI, the scenarios (all when `names` is undefined), the texts to run. */
  private target(rawUri: string, names: string[] | undefined) {
    if (!this.trusted) throw new ResponseError(ErrorCodes.InvalidRequest, UNTRUSTED_MESSAGE);
    const path = this.session.pathOf(rawUri);
    if (path === undefined) throw new ResponseError(ErrorCodes.InvalidParams, `not a file this server answers for: ${rawUri}`);
    // A run writes beside its file (checkpoints): an unsaved (untitled:) or relative document has no folder of its own.
    if (!nodePath.isAbsolute(path)) throw new ResponseError(ErrorCodes.InvalidParams, `${rawUri} is not a saved file; save it to run its scenarios`);
    const uri = this.session.uriOf(path);
    const all = this.scenarios(path).map((s) => s.name);
    const chosen = names ?? all;
    const missing = chosen.filter((n) => !all.includes(n));
    if (missing.length) throw new ResponseError(ErrorCodes.InvalidParams, `no scenario "${missing[0]}" in ${path}; the file has: ${all.map((n) => `"${n}"`).join(', ') || 'none'}`);
    const open = this.session.open.get(path);
    let text = open?.getText();
    if (text === undefined) {
      const r = readSourceFile(path);
      if (!r.ok) throw new ResponseError(ErrorCodes.InvalidParams, `${path} ${r.error}`);
      text = r.text;
    }
    const ranText = TextDocument.create(uri, 'vmsec', open?.version ?? 0, text);
    const texts: [string, string][] = [...this.session.open].map(([p, d]) => [p, p === path ? text! : d.getText()]);
    return { path, uri, chosen, open, ranText, texts };
  }

  /**
   * vmsec.runSeeds: each chosen scenario once per seed on the run workers (one
   * worker per scenario, the batch engine inside it), with progress and
   * cancellation like single runs. Answers the aggregate and keeps it for the
   * inlay hints, diagnostics, hovers and lenses.
   */
  private async runSeeds(arg: { uri?: unknown; scenario?: unknown; seeds?: unknown }, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<SeedsResult> {
    try {
      if (!this.trusted) throw new ResponseError(ErrorCodes.InvalidRequest, UNTRUSTED_MESSAGE);
      if (typeof arg.seeds !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, `${Commands.runSeeds} needs [{ uri, scenario?, seeds }] with seeds such as "1..100"`);
      if (arg.scenario !== undefined && typeof arg.scenario !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, `${Commands.runSeeds}: scenario must be a scenario's title`);
      const seeds = parseSeeds(arg.seeds);
      if (typeof seeds === 'string') throw new ResponseError(ErrorCodes.InvalidParams, `seeds ${arg.seeds}: ${seeds}`);
      if (seeds.length > MAX_EDITOR_SEEDS) throw new ResponseError(ErrorCodes.InvalidParams, `seeds ${arg.seeds}: ${seeds.length.toLocaleString('en-US')} seeds; the editor runs at most ${MAX_EDITOR_SEEDS.toLocaleString('en-US')} at once (use vmsec run --seeds with --jobs or --shard for more)`);
      const { path, uri, chosen, open, ranText, texts } = this.target(String(arg.uri), typeof arg.scenario === 'string' ? [arg.scenario] : undefined);
      const text = seedsText(seeds);
      const startedAt = new Date().toISOString();
      const t0 = Date.now();
      const total = chosen.length * seeds.length;
      progress.begin('vmsec: running with seeds', 0, `${chosen.length === 1 ? `"${chosen[0]}"` : `${chosen.length} scenarios`} × seeds ${text}`, true);
      let cleared = false;
      for (const n of chosen) cleared = this.results.clear(uri, n) || cleared;
      for (const n of chosen) cleared = this.seedsResults.clear(uri, n) || cleared;
      if (cleared) { this.republish(path); this.refresh(true); }
      // One scenario may use several threads; several scenarios share the runner's workers.
      const jobsEach = chosen.length === 1 ? Math.max(1, Math.min(4, availableParallelism() - 1)) : 1;
      const counts = new Map<string, { done: number; failed: number }>();
      let lastReport = 0;
      const report = () => {
        const now = Date.now();
        let done = 0; let failed = 0;
        for (const c of counts.values()) { done += c.done; failed += c.failed; }
        if (now - lastReport < 100 && done < total) return;
        lastReport = now;
        progress.report(Math.floor((done / total) * 100), `${done}/${total} runs · ${failed} failed`);
      };
      const jobs: Job[] = chosen.map((scenario) => {
        const j = this.runner.start({
          path, uri, texts, scenario, seeds, jobs: jobsEach, workspaceRoot: this.session.workspaceRootOf(path), maxCheckpointBytes: this.maxCheckpointBytes,
        });
        j.onProgress = (done, failed) => { counts.set(scenario, { done, failed }); report(); };
        return j;
      });
      const mine = new Set(jobs);
      const stop = () => this.runner.cancel((j) => mine.has(j));
      const progressToken = (progress as { token?: CancellationToken }).token;
      const subs = [token.onCancellationRequested(stop), ...(progressToken ? [progressToken.onCancellationRequested(stop)] : [])];
      const scenarios: SeedsScenario[] = [];
      try {
        await Promise.all(jobs.map(async (j) => {
          const o = await j.done;
          const info = this.scenarios(path).find((s) => s.name === j.job.scenario);
          const empty = (): SeedsScenario => ({ name: j.job.scenario, uri, range: info?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
            runs: 0, passed: 0, rate: 0, ci: [0, 1], failingSeeds: [], failingCount: 0, expectations: [], errors: [], quantities: [] });
          if (o.status === 'cancelled') { scenarios.push({ ...empty(), cancelled: true }); return; }
          if (o.status !== 'seeds') {
            const message = o.status === 'failed' ? o.message : 'the run ended without a result';
            this.connection.console.error(`seeds run of "${j.job.scenario}" in ${uri}: ${message}`);
            scenarios.push({ ...empty(), error: message });
            return;
          }
          scenarios.push(o.scenario);
          this.seedsResults.set(uri, { scenario: o.scenario, seeds: text, ranText, runId: randomUUID(), durationMs: Date.now() - t0 });
          this.connection.console.log(`ran "${j.job.scenario}" in ${uri} with seeds ${text}: ${o.scenario.passed}/${o.scenario.runs} passed`);
          const now = this.session.open.get(path);
          if (now) this.seedsResults.prune(uri, now);
          this.republish(path);
          this.refresh(true);
        }));
      } finally { for (const sub of subs) sub.dispose(); }
      scenarios.sort((a, b) => chosen.indexOf(a.name) - chosen.indexOf(b.name));
      if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'run cancelled');
      const result: SeedsResult = {
        uri, version: open?.version ?? null, seeds: text, runId: randomUUID(), startedAt, durationMs: Date.now() - t0,
        runs: scenarios.reduce((n, s) => n + s.runs, 0), passed: scenarios.reduce((n, s) => n + s.passed, 0), scenarios,
      };
      void this.connection.sendNotification(Methods.seedsResult, result);
      return result;
    } finally {
      progress.done();
    }
  }

  /** vmsec.sweep: a sweep or an ablation of one file on a run worker (sweep-request.ts). */
  private sweep(arg: unknown, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<SweepResult> {
    return runSweepRequest(arg, token, progress, {
      runner: this.runner,
      target: (uri, scenario) => this.target(uri, scenario === undefined ? undefined : [scenario]),
      workspaceRootOf: (path) => this.session.workspaceRootOf(path),
      maxCheckpointBytes: this.maxCheckpointBytes,
      log: (m) => this.connection.console.log(m),
    });
  }

  /** Runs scenarios of one file (all when `names` is undefined); settles when each has finished, failed or been cancelled. */
  private async run(rawUri: string, names: string[] | undefined, seed: number | undefined, token: CancellationToken,
    progress: WorkDoneProgressReporter, ownProgress = true): Promise<RunSummary> {
    try {
      const { path, uri, chosen, open, ranText, texts } = this.target(rawUri, names);
      const startedAt = new Date().toISOString();
      if (ownProgress) progress.begin('vmsec: running scenarios', 0, `${chosen.length} scenario${chosen.length === 1 ? '' : 's'} of ${path}`, true);
      let cleared = false;
      // A scenario shows its last run: a single run's result replaces a seeds run's and the other way round.
      for (const n of chosen) cleared = this.seedsResults.clear(uri, n) || cleared;
      for (const n of chosen) cleared = this.results.clear(uri, n) || cleared;
      if (cleared) { this.republish(path); this.refresh(true); }
      const jobs: Job[] = chosen.map((scenario) => this.runner.start({
        path, uri, texts, scenario, seed, workspaceRoot: this.session.workspaceRootOf(path), maxCheckpointBytes: this.maxCheckpointBytes,
      }));
      const mine = new Set(jobs);
      const stop = () => this.runner.cancel((j) => mine.has(j));
      // The progress's Cancel button (a token the server created) and $/cancelRequest both stop the run.
      const progressToken = (progress as { token?: CancellationToken }).token;
      const subs = [token.onCancellationRequested(stop), ...(progressToken ? [progressToken.onCancellationRequested(stop)] : [])];
      let finished = 0;
      const summary: RunSummary = { uri, scenarios: [] };
      try {
        await Promise.all(jobs.map(async (j) => {
          const t0 = Date.now();
          const o = await j.done;
          finished++;
          if (ownProgress) progress.report(Math.round((finished / jobs.length) * 100), `${finished}/${jobs.length}: ${j.job.scenario}`);
          if (o.status === 'cancelled') { summary.scenarios.push({ name: j.job.scenario, passed: false, cancelled: true }); return; }
          if (o.status !== 'ran') {
            const message = o.status === 'failed' ? o.message : 'the run ended without a result';
            summary.scenarios.push({ name: j.job.scenario, passed: false, error: message });
            this.connection.console.error(`run of "${j.job.scenario}" in ${uri}: ${message}`);
            return;
          }
          const durationMs = Date.now() - t0;
          const runId = randomUUID();
          this.results.set(uri, { view: o.view, ranText, runId, startedAt, durationMs });
          const n: RunResultNotification = { uri, version: open?.version ?? null, runId, startedAt, durationMs, scenario: o.view };
          void this.connection.sendNotification(Methods.runResult, n);
          summary.scenarios.push({ name: j.job.scenario, passed: o.view.passed });
          this.connection.console.log(`ran "${j.job.scenario}" in ${uri} (seed ${o.view.seed}): ${o.view.passed ? 'passed' : 'FAILED'} in ${durationMs} ms`);
          // The document may have been edited while it ran: keep only what still matches.
          const now = this.session.open.get(path);
          if (now) this.results.prune(uri, now);
          this.republish(path);
          this.refresh(true);
        }));
      } finally { for (const s of subs) s.dispose(); }
      summary.scenarios.sort((a, b) => chosen.indexOf(a.name) - chosen.indexOf(b.name));
      if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'run cancelled');
      return summary;
    } finally {
      if (ownProgress) progress.done();
    }
  }
}

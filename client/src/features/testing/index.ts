// The Test Explorer: file → scenario → expectation, with ranges from
// vmsec/scenarios; a Run profile sends vmsec/run; outcomes come from the
// server's vmsec/runResult notifications (so runs started from a code lens
// or a command show there too).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { UNTRUSTED_MESSAGE, type RunParams, type RunResultNotification, type ScenarioInfo, type SeedsResult } from '../../../../server/src/protocol';
import { keyOf, type ResultsHub } from '../run/results-hub';
import type { Runner } from '../run/runner';
import { scenariosOf, toRange } from '../run/scenarios';

const REFRESH_DELAY_MS = 300;

export class ScenarioTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController('vmsec', 'vmsec scenarios');
  readonly profile: vscode.TestRunProfile;
  private readonly subs: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Scenario items being run by the profile right now: their results go to that run. */
  private active: { run: vscode.TestRun; items: Map<string, vscode.TestItem> } | undefined;

  constructor(private readonly client: LanguageClient, private readonly runner: Runner, hub: ResultsHub) {
    this.profile = this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (req, token) => this.runProfile(req, token), true);
    this.controller.refreshHandler = () => this.refreshAll();
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.vmsec');
    this.subs.push(
      watcher,
      watcher.onDidCreate((u) => this.refreshSoon(u)),
      watcher.onDidChange((u) => this.refreshSoon(u)),
      watcher.onDidDelete((u) => this.controller.items.delete(u.toString())),
      vscode.workspace.onDidOpenTextDocument((d) => { if (d.languageId === 'vmsec') this.refreshSoon(d.uri); }),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.document.languageId === 'vmsec' && e.contentChanges.length) this.refreshSoon(e.document.uri); }),
      vscode.workspace.onDidSaveTextDocument((d) => { if (d.languageId === 'vmsec') this.refreshSoon(d.uri); }),
      hub.onDidRunResult((r) => this.result(r)),
      hub.onDidSeedsResult((r) => this.seedsResult(r)),
    );
  }

  async refreshAll(): Promise<void> {
    const files = await vscode.workspace.findFiles('**/*.vmsec', '**/node_modules/**');
    await Promise.all(files.map((f) => this.refresh(f)));
  }

  private refreshSoon(uri: vscode.Uri): void {
    const k = uri.toString();
    clearTimeout(this.timers.get(k));
    this.timers.set(k, setTimeout(() => { this.timers.delete(k); void this.refresh(uri); }, REFRESH_DELAY_MS));
  }

  /** Rebuilds a file's items from the server's view of it (a file without scenarios has no item). */
  async refresh(uri: vscode.Uri): Promise<void> {
    let scenarios: ScenarioInfo[];
    try { scenarios = await scenariosOf(this.client, uri); } catch { return; }
    const id = uri.toString();
    if (scenarios.length === 0) { this.controller.items.delete(id); return; }
    const file = this.controller.items.get(id) ?? this.controller.createTestItem(id, vscode.workspace.asRelativePath(uri), uri);
    file.children.replace(scenarios.map((s) => {
      const item = this.controller.createTestItem(keyOf(id, s.name), s.name, uri);
      item.range = toRange(s.range);
      item.children.replace(s.expectations.map((e, i) => {
        const x = this.controller.createTestItem(`${keyOf(id, s.name)}#${i}`, e.text, uri);
        x.range = toRange(e.range);
        return x;
      }));
      return item;
    }));
    this.controller.items.add(file);
  }

  private async runProfile(req: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const run = this.controller.createTestRun(req);
    const scenarios = new Map<string, vscode.TestItem>();
    const targets: RunParams[] = [];
    const excluded = new Set((req.exclude ?? []).map((i) => i.id));
    const roots: vscode.TestItem[] = req.include ? [...req.include] : [];
    if (!req.include) this.controller.items.forEach((i) => roots.push(i));
    for (const item of roots) {
      if (excluded.has(item.id)) continue;
      const uri = item.uri!.toString();
      // An expectation runs its scenario; a file runs its scenarios one by one (so exclusions hold).
      const scenarioItems: vscode.TestItem[] = item.parent === undefined ? [] : [item.parent.parent === undefined ? item : item.parent];
      if (item.parent === undefined) item.children.forEach((c) => { if (!excluded.has(c.id)) scenarioItems.push(c); });
      for (const s of scenarioItems) {
        if (scenarios.has(s.id)) continue;
        scenarios.set(s.id, s);
        run.enqueued(s);
        targets.push({ uri, scenario: s.label });
      }
    }
    this.active = { run, items: scenarios };
    try {
      for (const s of scenarios.values()) run.started(s);
      if (vscode.workspace.isTrusted) await this.runner.run(targets, 'vmsec: running tests', token);
      else for (const s of scenarios.values()) { this.outcome(run, s, 'errored', [new vscode.TestMessage(UNTRUSTED_MESSAGE)]); this.done.add(s.id); }
    } catch (e) {
      run.appendOutput(`${e instanceof Error ? e.message : String(e)}\r\n`);
    } finally {
      // Scenarios without a result (cancelled, refused) are marked skipped.
      for (const s of scenarios.values()) if (!this.done.has(s.id)) this.outcome(run, s, 'skipped');
      this.done.clear();
      this.active = undefined;
      run.end();
    }
  }

  private readonly done = new Set<string>();

  /** The last outcome of each item, for the in-editor tests (the Testing API
   *  does not let an extension read results back). */
  readonly outcomes = new Map<string, { state: 'passed' | 'failed' | 'errored' | 'skipped'; messages: vscode.TestMessage[] }>();

  private outcome(run: vscode.TestRun, item: vscode.TestItem, state: 'passed' | 'failed' | 'errored' | 'skipped', messages: vscode.TestMessage[] = [], ms?: number): void {
    this.outcomes.set(item.id, { state, messages });
    if (state === 'passed') run.passed(item, ms);
    else if (state === 'failed') run.failed(item, messages, ms);
    else if (state === 'errored') run.errored(item, messages, ms);
    else run.skipped(item);
  }

  /** Puts a finished run's outcome on its scenario and expectation items. */
  private result(r: RunResultNotification): void {
    const id = keyOf(r.uri, r.scenario.name);
    const own = this.active?.items.get(id);
    const item = own ?? this.controller.items.get(r.uri)?.children.get(id);
    if (!item) return;
    const run = own ? this.active!.run : this.controller.createTestRun(new vscode.TestRunRequest([item]), `vmsec: ${r.scenario.name}`, false);
    if (own) this.done.add(id);
    const v = r.scenario;
    const uri = vscode.Uri.parse(r.uri);
    const located = (m: vscode.TestMessage, range: Parameters<typeof toRange>[0]) => { m.location = new vscode.Location(uri, toRange(range)); return m; };
    const diff = (e: (typeof v.expectations)[number]) => located(vscode.TestMessage.diff(`${e.text}: expected ${e.expected}, actual ${e.actual}`, e.expected, e.actual), e.loc.range);
    item.children.forEach((x) => {
      const e = v.expectations.find((e) => e.loc.range.start.line === x.range?.start.line);
      if (!e) this.outcome(run, x, 'skipped');
      else if (e.passed) this.outcome(run, x, 'passed');
      else this.outcome(run, x, 'failed', [diff(e)]);
    });
    if (v.errors.length > 0) this.outcome(run, item, 'errored', v.errors.map((e) => located(new vscode.TestMessage(e.message), e.loc.range)), r.durationMs);
    else if (v.passed) this.outcome(run, item, 'passed', [], r.durationMs);
    else {
      const failed = v.expectations.filter((e) => !e.passed).map(diff);
      this.outcome(run, item, 'failed', failed.length ? failed : [new vscode.TestMessage('the scenario failed')], r.durationMs);
    }
    if (!own) run.end();
  }

  /** A seeds run: each scenario passed only if every seed did; a failed one names its failing seeds and how to reproduce one. */
  private seedsResult(r: SeedsResult): void {
    const uri = vscode.Uri.parse(r.uri);
    for (const s of r.scenarios) {
      if (s.cancelled || (s.runs === 0 && !s.error)) continue;
      const item = this.controller.items.get(r.uri)?.children.get(keyOf(r.uri, s.name));
      if (!item) continue;
      const run = this.controller.createTestRun(new vscode.TestRunRequest([item]), `vmsec: ${s.name} × seeds ${r.seeds}`, false);
      const located = (m: vscode.TestMessage, range: Parameters<typeof toRange>[0]) => { m.location = new vscode.Location(uri, toRange(range)); return m; };
      const few = (seeds: number[], count: number) => `${seeds.slice(0, 10).join(', ')}${count > 10 ? ` and ${count - 10} more` : ''}`;
      if (s.error) { this.outcome(run, item, 'errored', [located(new vscode.TestMessage(s.error), s.range)]); run.end(); continue; }
      item.children.forEach((x) => {
        const e = s.expectations.find((e) => e.range.start.line === x.range?.start.line);
        if (!e) this.outcome(run, x, 'skipped');
        else if (e.passed === e.runs) this.outcome(run, x, 'passed');
        else this.outcome(run, x, 'failed', [located(new vscode.TestMessage(`${e.text}: passes ${e.passed}/${e.runs} seeds; fails with seeds ${few(e.failingSeeds, e.failingCount)}${e.firstFailure ? ` (seed ${e.firstFailure.seed} saw ${e.firstFailure.actual})` : ''}`), e.range)]);
      });
      if (s.passed === s.runs) this.outcome(run, item, 'passed', [], r.durationMs);
      else {
        const text = `passes ${s.passed}/${s.runs} seeds (${r.seeds}); fails with seeds ${few(s.failingSeeds, s.failingCount)}${s.reproduce ? ` — reproduce: ${s.reproduce}` : ''}`;
        run.appendOutput(`${s.name}: ${text}\r\n`);
        this.outcome(run, item, 'failed', [located(new vscode.TestMessage(text), s.range)], r.durationMs);
      }
      run.end();
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subs) s.dispose();
    this.controller.dispose();
  }
}

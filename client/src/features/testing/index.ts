// The Test Explorer: file → scenario → expectation, with ranges from
// vmsec/scenarios; the Run profile sends vmsec/run, "Run with Seeds…" asks
// for seeds and sends vmsec/runSeeds; outcomes come from the server's
// vmsec/runResult and vmsec/seedsResult notifications (so runs started from a
// code lens or a command show there too).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { UNTRUSTED_MESSAGE, type RunParams, type RunResultNotification, type ScenarioInfo, type SeedsResult } from '../../../../server/src/protocol';
import { keyOf, type ResultsHub } from '../run/results-hub';
import { errorText, type Runner } from '../run/runner';
import { scenariosOf, toRange } from '../run/scenarios';
import { askSeeds } from '../run/seeds-prompt';
import { seedsFailureText } from './seeds-message';

type State = 'passed' | 'failed' | 'errored' | 'skipped';
/** A run the profiles are making: the results of its scenarios go to it, not to a run of their own. */
interface ActiveRun { run: vscode.TestRun; kind: 'run' | 'seeds'; items: Map<string, vscode.TestItem>; done: Set<string> }

const REFRESH_DELAY_MS = 300;

export class ScenarioTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController('vmsec', 'vmsec scenarios');
  readonly profile: vscode.TestRunProfile;
  /** "Run with Seeds…": the selected scenarios once per seed, as vmsec.runScenarioWithSeeds runs them. */
  readonly seedsProfile: vscode.TestRunProfile;
  private readonly subs: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The profiles' runs in progress. */
  private readonly active: ActiveRun[] = [];

  constructor(private readonly client: LanguageClient, private readonly runner: Runner, hub: ResultsHub) {
    this.profile = this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (req, token) => this.runProfile(req, token), true);
    this.seedsProfile = this.controller.createRunProfile('Run with Seeds…', vscode.TestRunProfileKind.Run, (req, token) => this.runSeedsProfile(req, token), false);
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

  /** The scenario items a request selects: an expectation runs its scenario; a file runs its scenarios one by one (so exclusions hold). */
  private selected(req: vscode.TestRunRequest): Map<string, vscode.TestItem> {
    const scenarios = new Map<string, vscode.TestItem>();
    const excluded = new Set((req.exclude ?? []).map((i) => i.id));
    const roots: vscode.TestItem[] = req.include ? [...req.include] : [];
    if (!req.include) this.controller.items.forEach((i) => roots.push(i));
    for (const item of roots) {
      if (excluded.has(item.id)) continue;
      const scenarioItems: vscode.TestItem[] = item.parent === undefined ? [] : [item.parent.parent === undefined ? item : item.parent];
      if (item.parent === undefined) item.children.forEach((c) => { if (!excluded.has(c.id)) scenarioItems.push(c); });
      for (const s of scenarioItems) scenarios.set(s.id, s);
    }
    return scenarios;
  }

  private async runProfile(req: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const scenarios = this.selected(req);
    const targets: RunParams[] = [...scenarios.values()].map((s) => ({ uri: s.uri!.toString(), scenario: s.label }));
    await this.inRun(req, 'run', scenarios, undefined, async () => { await this.runner.run(targets, 'vmsec: running tests', token); });
  }

  /** Asks for the seeds (dismissed: nothing runs), then runs each selected scenario once per seed; cancelling the test run cancels the request. */
  private async runSeedsProfile(req: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const scenarios = this.selected(req);
    if (scenarios.size === 0) return;
    let seeds = '';
    if (vscode.workspace.isTrusted) {
      const only = scenarios.size === 1 ? [...scenarios.values()][0].label : undefined;
      const asked = await askSeeds(this.runner.workspaceState, 'run', `vmsec: run ${only ? `"${only}"` : `${scenarios.size} scenarios`} once per seed`);
      if (asked === undefined || token.isCancellationRequested) return;
      seeds = asked;
    }
    await this.inRun(req, 'seeds', scenarios, `vmsec: seeds ${seeds}`, async (active) => {
      for (const s of scenarios.values()) {
        if (token.isCancellationRequested) break;
        try {
          const r = await this.runner.runSeeds({ uri: s.uri!.toString(), scenario: s.label, seeds }, `vmsec: running "${s.label}" with seeds ${seeds}`, token);
          // The vmsec/seedsResult notification comes first and marks it; this covers one that got lost.
          if (r) this.seedsResult(r);
        } catch (e) {
          // Refused (a seed given twice, too many seeds) or failed: said on the scenario, the others still run.
          this.outcome(active.run, s, 'errored', [new vscode.TestMessage(`seeds ${seeds}: ${errorText(e)}`)]);
          active.done.add(s.id);
        }
      }
    });
  }

  /** A test run of the profiles: its scenarios are enqueued and started, get the results that arrive while `work` runs, and end skipped without one (cancelled, refused). */
  private async inRun(req: vscode.TestRunRequest, kind: ActiveRun['kind'], scenarios: Map<string, vscode.TestItem>, name: string | undefined, work: (active: ActiveRun) => Promise<void>): Promise<void> {
    const run = this.controller.createTestRun(req, name);
    const active: ActiveRun = { run, kind, items: scenarios, done: new Set() };
    for (const s of scenarios.values()) run.enqueued(s);
    this.active.push(active);
    try {
      for (const s of scenarios.values()) run.started(s);
      if (vscode.workspace.isTrusted) await work(active);
      else for (const s of scenarios.values()) { this.outcome(run, s, 'errored', [new vscode.TestMessage(UNTRUSTED_MESSAGE)]); active.done.add(s.id); }
    } catch (e) {
      run.appendOutput(`${e instanceof Error ? e.message : String(e)}\r\n`);
    } finally {
      for (const s of scenarios.values()) if (!active.done.has(s.id)) this.outcome(run, s, 'skipped');
      this.active.splice(this.active.indexOf(active), 1);
      run.end();
    }
  }

  /** The profile run a result of this kind for this scenario goes to, if any. */
  private ownerOf(kind: ActiveRun['kind'], id: string): ActiveRun | undefined {
    return this.active.find((a) => a.kind === kind && a.items.has(id));
  }

  /** The last outcome of each item, for the in-editor tests (the Testing API
   *  does not let an extension read results back). */
  readonly outcomes = new Map<string, { state: State; messages: vscode.TestMessage[] }>();

  private outcome(run: vscode.TestRun, item: vscode.TestItem, state: State, messages: vscode.TestMessage[] = [], ms?: number): void {
    this.outcomes.set(item.id, { state, messages });
    if (state === 'passed') run.passed(item, ms);
    else if (state === 'failed') run.failed(item, messages, ms);
    else if (state === 'errored') run.errored(item, messages, ms);
    else run.skipped(item);
  }

  /** Puts a finished run's outcome on its scenario and expectation items. */
  private result(r: RunResultNotification): void {
    const id = keyOf(r.uri, r.scenario.name);
    const owner = this.ownerOf('run', id);
    const item = owner?.items.get(id) ?? this.controller.items.get(r.uri)?.children.get(id);
    if (!item) return;
    const run = owner ? owner.run : this.controller.createTestRun(new vscode.TestRunRequest([item]), `vmsec: ${r.scenario.name}`, false);
    if (owner) owner.done.add(id);
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
    if (!owner) run.end();
  }

  /** A seeds run: each scenario passed only if every seed did; a failed one says what the CLI's JUnit says (pass rate, failing seeds, how to reproduce one). */
  private seedsResult(r: SeedsResult): void {
    const uri = vscode.Uri.parse(r.uri);
    for (const s of r.scenarios) {
      if (s.cancelled || (s.runs === 0 && !s.error)) continue;
      const id = keyOf(r.uri, s.name);
      const owner = this.ownerOf('seeds', id);
      if (owner?.done.has(id)) continue;
      const item = owner?.items.get(id) ?? this.controller.items.get(r.uri)?.children.get(id);
      if (!item) continue;
      const run = owner ? owner.run : this.controller.createTestRun(new vscode.TestRunRequest([item]), `vmsec: ${s.name} × seeds ${r.seeds}`, false);
      owner?.done.add(id);
      const end = () => { if (!owner) run.end(); };
      const located = (m: vscode.TestMessage, range: Parameters<typeof toRange>[0]) => { m.location = new vscode.Location(uri, toRange(range)); return m; };
      const few = (seeds: number[], count: number) => `${seeds.slice(0, 10).join(', ')}${count > 10 ? ` and ${count - 10} more` : ''}`;
      if (s.error) { this.outcome(run, item, 'errored', [located(new vscode.TestMessage(s.error), s.range)]); end(); continue; }
      item.children.forEach((x) => {
        const e = s.expectations.find((e) => e.range.start.line === x.range?.start.line);
        if (!e) this.outcome(run, x, 'skipped');
        else if (e.passed === e.runs) this.outcome(run, x, 'passed');
        else this.outcome(run, x, 'failed', [located(new vscode.TestMessage(`${e.text}: passes ${e.passed}/${e.runs} seeds; fails with seeds ${few(e.failingSeeds, e.failingCount)}${e.firstFailure ? ` (seed ${e.firstFailure.seed} saw ${e.firstFailure.actual})` : ''}`), e.range)]);
      });
      if (s.passed === s.runs) this.outcome(run, item, 'passed', [], r.durationMs);
      else {
        const text = seedsFailureText(s);
        run.appendOutput(`${s.name} (seeds ${r.seeds}): ${text.replace(/\n/g, '\r\n  ')}\r\n`);
        this.outcome(run, item, 'failed', [located(new vscode.TestMessage(text), s.range)], r.durationMs);
      }
      end();
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subs) s.dispose();
    this.controller.dispose();
  }
}

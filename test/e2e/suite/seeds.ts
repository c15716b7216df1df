// Many seeds from VS Code: "vmsec: Run Scenario with Seeds…" asks for the
// range (the input box, stubbed here as the save dialog is elsewhere), runs
// the scenario once per seed on the server's worker, and the user sees the
// pass rates in the results view, on the expectation lines and in the Test
// Explorer; the Test Explorer's "Run with Seeds…" profile does the same from
// the tree. Runs after the run suite (the workspace is trusted by then).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { VmsecApi } from '../../../client/src/extension';
import type { SeedsResult } from '../../../server/src/protocol';
import { waitFor } from './poll';
import { closeScratchFile, openScratchFile, assertTrusted } from './scratch-file';
import { shoot, SMALL_FORK, webviewTexts } from './launcher';

const SCENARIO = 'fork under tampering';

export function defineSeedsSuite(): void {
  suite('vmsec runs a scenario with many seeds in VS Code', function () {
    this.timeout(300_000);
    let api: VmsecApi;
    let doc: vscode.TextDocument;
    let file: vscode.Uri;
    const lineOf = (needle: string) => doc.positionAt(doc.getText().indexOf(needle)).line;

    suiteSetup(async () => {
      ({ api, doc, file } = await openScratchFile('seeds.vmsec', SMALL_FORK));
    });

    suiteTeardown(() => closeScratchFile(file));

    test('Run Scenario with Seeds… asks for the seeds, runs them and shows pass rates in the results view', async function () {
      assertTrusted();
      const editor = await vscode.window.showTextDocument(doc);
      const at = new vscode.Position(lineOf('expect f pages rejected'), 4);
      editor.selection = new vscode.Selection(at, at);
      await waitFor('the scenario in the Test Explorer', () => api.tests.controller.items.get(doc.uri.toString())?.children.get(`${doc.uri.toString()}#${SCENARIO}`));
      // The input box is the user's: stubbed to answer 1..20, restored after.
      const win = vscode.window as { showInputBox: typeof vscode.window.showInputBox };
      const original = win.showInputBox;
      let asked: vscode.InputBoxOptions | undefined;
      win.showInputBox = async (o) => { asked = o; return '1..20'; };
      let r: SeedsResult | undefined;
      try {
        r = await vscode.commands.executeCommand<SeedsResult | undefined>('vmsec.runScenarioWithSeeds', doc.uri);
      } finally { win.showInputBox = original; }
      assert.equal(asked?.value, '1..100', 'the default range');
      assert.equal(await asked?.validateInput?.('1..10,42'), undefined);
      assert.match(String(await asked?.validateInput?.('one to ten')), /1\.\.100, 3,7,9 or 1\.\.10,42/);
      assert.ok(r, 'the command answers the aggregate');
      assert.deepEqual([r.seeds, r.runs, r.passed], ['1..20', 20, 17]);
      const [s] = r.scenarios;
      assert.deepEqual([s.name, s.failingSeeds], [SCENARIO, [11, 14, 17]]);
      assert.equal(s.reproduce, "vmsec run seeds.vmsec --scenario 'fork under tampering' --seed 11");

      // The results view: the aggregate, with a histogram per quantity.
      const view = api.results.panels.at(-1);
      assert.ok(view?.seeds, 'a seeds results panel opened');
      assert.equal(view.seeds.runId, r.runId);
      assert.match(view.html, /17\/20 runs passed/);
      assert.match(view.html, /expect f pages rejected &gt; 0<\/td><td>17\/20<\/td><td>85\.0%<\/td>/);
      assert.match(view.html, /aria-label="histogram of pages_rejected"/);
      assert.match(view.html, /vmsec run seeds\.vmsec --scenario &#39;fork under tampering&#39; --seed 11/);
      const texts = await webviewTexts();
      if (texts !== undefined) {
        await waitFor('the results view to show the pass rates', async () => ((await webviewTexts())?.some((t) => /17\/20 runs passed/.test(t) && /fails with seeds 11, 14, 17/.test(t)) ? true : undefined), 60_000);
        await vscode.commands.executeCommand('notifications.clearAll');
        await shoot('seeds-view');
      }

      // Inline: the expectation line says how often it passed and with which seeds it failed.
      const line = lineOf('expect f pages rejected');
      const hint = await waitFor('the seeds hint', async () => {
        const hs = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, new vscode.Range(0, 0, doc.lineCount, 0));
        const h = hs?.find((x) => x.position.line === line);
        return h ? (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')) : undefined;
      });
      assert.equal(hint, '✗ passes 17/20 (64–95%) · fails with seeds 11, 14, 17');
      const diag = await waitFor('the seeds diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.range.start.line === line));
      assert.match(diag.message, /fails with seeds 11, 14, 17; seed 11 saw 0/);

      // Test Explorer: the scenario failed, naming its failing seeds; the passing expectations passed.
      const item = api.tests.controller.items.get(doc.uri.toString())!.children.get(`${doc.uri.toString()}#${SCENARIO}`)!;
      const outcome = await waitFor('the Test Explorer outcome', () => api.tests.outcomes.get(item.id));
      assert.equal(outcome.state, 'failed');
      // The CLI's JUnit words (vmsec run --seeds 1..20 --format junit).
      assert.equal(outcome.messages[0].message.toString(), [
        '3 of 20 runs failed (pass rate 85.0%, 95% CI 64.0–94.8%); failing seeds: 11, 14, 17',
        `line ${line + 1}: expect f pages rejected > 0: failed with seeds 11, 14, 17; seed 11 saw 0`,
        "reproduce with vmsec run seeds.vmsec --scenario 'fork under tampering' --seed 11",
      ].join('\n'));
      let ready: vscode.TestItem | undefined;
      item.children.forEach((x) => { if (x.range?.start.line === lineOf('expect f ready')) ready = x; });
      assert.equal(ready && api.tests.outcomes.get(ready.id)?.state, 'passed');
    });

    test('the command also takes its target and seeds as an argument (keybindings, other extensions)', async function () {
      assertTrusted();
      const r = await vscode.commands.executeCommand<SeedsResult>('vmsec.runScenarioWithSeeds', { uri: doc.uri.toString(), scenario: SCENARIO, seeds: '1,2,3' });
      assert.deepEqual([r.seeds, r.runs, r.passed], ['1..3', 3, 3]);
      assert.match(api.results.panels.at(-1)!.html, /3\/3 runs passed/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    test('the Test Explorer\'s "Run with Seeds…" asks for the seeds (offering the last ones) and marks the scenario with the pass rate, failing seeds and reproduce command', async function () {
      assertTrusted();
      const profile = api.tests.seedsProfile;
      assert.deepEqual([profile.label, profile.kind, profile.isDefault], ['Run with Seeds…', vscode.TestRunProfileKind.Run, false]);
      const item = api.tests.controller.items.get(doc.uri.toString())!.children.get(`${doc.uri.toString()}#${SCENARIO}`)!;
      const win = vscode.window as { showInputBox: typeof vscode.window.showInputBox };
      const original = win.showInputBox;
      let asked: vscode.InputBoxOptions | undefined;
      try {
        // Dismissing the prompt runs nothing.
        const before = api.tests.outcomes.get(item.id);
        win.showInputBox = async (o) => { asked = o; return undefined; };
        await profile.runHandler(new vscode.TestRunRequest([item]), new vscode.CancellationTokenSource().token);
        assert.equal(api.tests.outcomes.get(item.id), before, 'a dismissed prompt leaves the outcome as it was');
        win.showInputBox = async (o) => { asked = o; return '5..14'; };
        await profile.runHandler(new vscode.TestRunRequest([item]), new vscode.CancellationTokenSource().token);
      } finally { win.showInputBox = original; }
      assert.equal(asked?.value, '1..20', 'the seeds last given in this workspace (by the command)');
      assert.equal(await asked?.validateInput?.('3,7,9'), undefined);
      assert.match(String(await asked?.validateInput?.('1..')), /write seeds as 1\.\.100, 3,7,9 or 1\.\.10,42/);
      const outcome = api.tests.outcomes.get(item.id);
      assert.equal(outcome?.state, 'failed');
      const line = lineOf('expect f pages rejected');
      assert.equal(outcome.messages[0].message.toString(), [
        '2 of 10 runs failed (pass rate 80.0%, 95% CI 49.0–94.3%); failing seeds: 11, 14',
        `line ${line + 1}: expect f pages rejected > 0: failed with seeds 11, 14; seed 11 saw 0`,
        "reproduce with vmsec run seeds.vmsec --scenario 'fork under tampering' --seed 11",
      ].join('\n'));
      assert.equal(outcome.messages[0].location?.range.start.line, lineOf('scenario "fork under tampering"'));
      const states = new Map<number, string | undefined>();
      item.children.forEach((x) => states.set(x.range!.start.line, api.tests.outcomes.get(x.id)?.state));
      assert.deepEqual([states.get(lineOf('expect f ready')), states.get(lineOf('expect no tampered')), states.get(line)], ['passed', 'passed', 'failed']);
      assert.equal(api.hub.latestSeeds.get(doc.uri.toString())?.seeds, '5..14', 'the run went to the server with those seeds');
      // The next prompt (the command's too) offers these seeds.
      let next: string | undefined;
      win.showInputBox = async (o) => { next = o?.value; return undefined; };
      try { await vscode.commands.executeCommand('vmsec.runScenarioWithSeeds', doc.uri); } finally { win.showInputBox = original; }
      assert.equal(next, '5..14');
    });

    test('cancelling "Run with Seeds…" in the Test Explorer cancels the runs: the scenario is skipped and no seeds result comes', async function () {
      assertTrusted();
      const item = api.tests.controller.items.get(doc.uri.toString())!.children.get(`${doc.uri.toString()}#${SCENARIO}`)!;
      const before = api.hub.latestSeeds.get(doc.uri.toString())?.runId;
      const win = vscode.window as { showInputBox: typeof vscode.window.showInputBox };
      const original = win.showInputBox;
      win.showInputBox = async () => '1..50000';
      const cts = new vscode.CancellationTokenSource();
      let done: Thenable<void> | void;
      try {
        done = api.tests.seedsProfile.runHandler(new vscode.TestRunRequest([item]), cts.token);
        await waitFor('the seeds run to start', () => (api.hub.running.some((r) => r.scenario === SCENARIO) ? true : undefined), 60_000);
      } finally { win.showInputBox = original; }
      cts.cancel();
      await done;
      assert.equal(api.tests.outcomes.get(item.id)?.state, 'skipped');
      await waitFor('the server to stop the runs', () => (api.hub.running.length === 0 ? true : undefined), 60_000);
      assert.equal(api.hub.latestSeeds.get(doc.uri.toString())?.runId, before, 'a cancelled seeds run publishes no result');
    });
  });
}

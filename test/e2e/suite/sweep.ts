// Sweeps from VS Code: "vmsec: Sweep…" asks for the varied values and the
// seeds (input boxes) and the metrics (quick pick, all stubbed here), runs the sweep on the
// server's worker and the results view shows the table and a chart per
// metric; "Which Defences Carry the Results" shows what each defence carries.
// Runs after the run suite (the workspace is trusted by then).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { VmsecApi } from '../../../client/src/extension';
import type { SweepResult } from '../../../server/src/protocol';
import { waitFor } from './poll';
import { closeScratchFile, openScratchFile, assertTrusted } from './scratch-file';
import { shoot, SMALL_FORK, webviewTexts } from './launcher';


export function defineSweepSuite(): void {
  suite('vmsec sweeps declared values in VS Code', function () {
    this.timeout(300_000);
    let api: VmsecApi;
    let doc: vscode.TextDocument;
    let file: vscode.Uri;

    suiteSetup(async () => {
      ({ api, doc, file } = await openScratchFile('sweep.vmsec', SMALL_FORK));
    });

    suiteTeardown(() => closeScratchFile(file));

    test('Sweep… asks for the values, seeds and metrics, and the results view shows the table and a chart per metric', async function () {
      assertTrusted();
      await vscode.window.showTextDocument(doc);
      // The prompts are the user's: stubbed, restored after.
      const win = vscode.window as { showInputBox: typeof vscode.window.showInputBox; showQuickPick: typeof vscode.window.showQuickPick };
      const [inputBox, quickPick] = [win.showInputBox, win.showQuickPick];
      let asked: vscode.InputBoxOptions | undefined;
      let seedsAsked: vscode.InputBoxOptions | undefined;
      let offered: string[] = [];
      const order: string[] = [];
      win.showInputBox = async (o) => {
        if (/seeds/.test(o?.title ?? '')) { seedsAsked = o; order.push('seeds'); return '1..2'; }
        asked = o; order.push('vary'); return 'f.children=1,2,3';
      };
      win.showQuickPick = (async (items: readonly vscode.QuickPickItem[]) => {
        offered = items.map((i) => i.label);
        order.push('metrics');
        return items.filter((i) => i.label === 'ready_ms' || i.label === 'pages_sent');
      }) as unknown as typeof vscode.window.showQuickPick;
      let r: SweepResult | undefined;
      try {
        r = await vscode.commands.executeCommand<SweepResult | undefined>('vmsec.sweepAtEditor', doc.uri);
      } finally { win.showInputBox = inputBox; win.showQuickPick = quickPick; }
      assert.equal(await asked?.validateInput?.('f.children=2,4 link.a-b.bandwidth=1Gbps,10Gbps'), undefined);
      assert.match(String(await asked?.validateInput?.('f.children')), /write PATH=V1,V2/);
      assert.ok(offered.includes('ready_ms') && offered.includes('pass_rate'), offered.join(','));
      // After the values, the seeds: optional, empty the first time (each scenario's own seed).
      assert.deepEqual(order, ['vary', 'seeds', 'metrics']);
      assert.equal(seedsAsked?.value, '');
      assert.equal(await seedsAsked?.validateInput?.(''), undefined);
      assert.equal(await seedsAsked?.validateInput?.('1..10,42'), undefined);
      assert.match(String(await seedsAsked?.validateInput?.('ten')), /write seeds as 1\.\.100, 3,7,9 or 1\.\.10,42, or leave it empty/);
      assert.ok(r, 'the command answers the sweep');
      assert.equal(r.runs, 6, '3 points × 2 seeds');
      assert.equal(r.view.kind, 'sweep');
      if (r.view.kind !== 'sweep') return;
      assert.deepEqual(r.view.points.map((p) => p.id), ['f.children=1', 'f.children=2', 'f.children=3']);
      assert.deepEqual(r.view.metrics, ['ready_ms', 'pages_sent']);

      const view = api.results.panels.at(-1);
      assert.ok(view?.sweep, 'a sweep panel opened');
      assert.equal(view.sweep.runId, r.runId);
      assert.match(view.html, /<th class="l">f\.children<\/th><th>ready_ms<\/th><th>pages_sent<\/th><th>passed<\/th>/);
      assert.match(view.html, /aria-label="ready_ms against f\.children"/);
      assert.match(view.html, /aria-label="pass_rate against f\.children"/);
      assert.match(view.html, /id="export"/);
      assert.match(view.html, /<p>seeds 1,2; 3 points;/); // two seeds read as a list
      const texts = await webviewTexts();
      if (texts !== undefined) {
        await waitFor('the results view to show the sweep table', async () => ((await webviewTexts())?.some((t) => /Sweep of sweep\.vmsec/.test(t) && /seeds 1,2; 3 points/.test(t) && /ready_ms against f\.children/.test(t)) ? true : undefined), 60_000);
        // The picture in docs/editor.md.
        await vscode.commands.executeCommand('notifications.clearAll');
        await shoot('sweep-view');
      }
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    test('Sweep… offers the seeds given last; an empty answer runs each scenario with its own seed', async function () {
      assertTrusted();
      await vscode.window.showTextDocument(doc);
      const win = vscode.window as { showInputBox: typeof vscode.window.showInputBox; showQuickPick: typeof vscode.window.showQuickPick };
      const [inputBox, quickPick] = [win.showInputBox, win.showQuickPick];
      let offeredSeeds: string | undefined;
      win.showInputBox = async (o) => {
        if (/seeds/.test(o?.title ?? '')) { offeredSeeds = o?.value; return ''; }
        return 'f.children=1,2';
      };
      win.showQuickPick = (async (items: readonly vscode.QuickPickItem[]) => items.filter((i) => i.label === 'ready_ms')) as unknown as typeof vscode.window.showQuickPick;
      let r: SweepResult | undefined;
      try {
        r = await vscode.commands.executeCommand<SweepResult | undefined>('vmsec.sweepAtEditor', doc.uri);
      } finally { win.showInputBox = inputBox; win.showQuickPick = quickPick; }
      assert.equal(offeredSeeds, '1..2');
      assert.ok(r && r.view.kind === 'sweep');
      assert.equal(r.runs, 2, '2 points × the scenario\'s own seed');
      assert.match(api.results.panels.at(-1)!.html, /<p>seeds as declared; 2 points;/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    test('a wrong path is refused with the suggestion; the ablation shows what each defence carries', async function () {
      assertTrusted();
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('vmsec.sweep', { uri: doc.uri.toString(), vary: ['f.childs=1,2'] })),
        /sweep\.vmsec:\d+:\d+: --vary f\.childs=1,2: no property 'childs' on fork f \(did you mean children\?\)/,
      );
      const r = await vscode.commands.executeCommand<SweepResult>('vmsec.ablateAtEditor', { uri: doc.uri.toString(), seeds: '1..2' });
      assert.ok(r && r.view.kind === 'ablation');
      if (r.view.kind !== 'ablation') return;
      const integrity = r.view.defences.find((d) => d.label === 'without integrity on f');
      assert.deepEqual(integrity?.carries.map((c) => c.text), ['expect no tampered page accepted', 'expect f pages rejected > 0']);
      const view = api.results.panels.at(-1);
      assert.ok(view?.sweep && view.sweep.runId === r.runId);
      assert.match(view.html, /Ablation of sweep\.vmsec/);
      assert.match(view.html, /without integrity on f<\/td><td>\d+<\/td><td class="fail">2<\/td>/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  });
}

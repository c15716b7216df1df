// Running scenarios in a real VS Code: refused while the workspace is
// untrusted; once trusted, the flagship sample runs from the command and from
// the code lens, and the user sees inline texts, gutter marks, Problems, the
// Test Explorer and the results view. Each state is photographed for
// docs/editor.md (the offline launcher answers `.shoot-NAME` requests).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VmsecApi } from '../../../client/src/extension';
import type { RunSummary } from '../../../server/src/protocol';
import { waitFor } from './poll';
import { readPage, shoot, type PageText } from './launcher';

const results = process.env.VMSEC_E2E_RESULTS;
const SCENARIO = 'burst under tampering';


/** Polls what the page shows until `ok` holds (undefined without the launcher).
 *  VS Code draws a code lens's new text and the inlay hints of lines scrolled
 *  into view a moment after the scroll, so a screenshot waits for them. */
async function pageShows(what: string, ok: (p: PageText) => boolean, ms = 20_000): Promise<PageText | undefined> {
  if (!results) return undefined;
  let last: PageText | undefined;
  return waitFor(what, async () => { last = await readPage(); return last && ok(last) ? last : undefined; }, ms)
    .catch((e: Error) => { throw new Error(`${e.message}; the page showed lenses ${JSON.stringify(last?.lenses)}, webviews ${JSON.stringify(last?.webviews.map((t) => t.slice(0, 200)))}`); });
}
/** The code lens lines the editor draws, as one string each (the lens parts are separate spans). */
const lensTexts = (p: PageText) => p.lenses.map((t) => t.replace(/\s+/g, ' ').trim());

function fileUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.file(path.join(folder.uri.fsPath, name));
}

const lineOf = (doc: vscode.TextDocument, needle: string) => {
  const i = doc.getText().indexOf(needle);
  assert.ok(i >= 0, `${needle} is in ${doc.fileName}`);
  return doc.positionAt(i).line;
};

async function hintsOn(doc: vscode.TextDocument): Promise<Map<number, string>> {
  const all = new vscode.Range(0, 0, doc.lineCount, 0);
  const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, all);
  const byLine = new Map<number, string>();
  for (const h of hints ?? []) {
    const text = typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
    byLine.set(h.position.line, `${byLine.get(h.position.line) ?? ''}${text}`);
  }
  return byLine;
}

export function defineRunSuite(): void {
  suite('vmsec runs scenarios in VS Code', function () {
    this.timeout(300_000);
    let api: VmsecApi;
    let doc: vscode.TextDocument;
    const key = () => `${doc.uri.toString()}#${SCENARIO}`;

    suiteSetup(async () => {
      const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'vmsec');
      assert.ok(ext);
      api = (await ext.activate()) as VmsecApi;
      doc = await vscode.workspace.openTextDocument(fileUri('trusted-fork.vmsec'));
      await vscode.window.showTextDocument(doc);
    });

    test('in an untrusted workspace runs are refused and the run commands are hidden', async function () {
      if (vscode.workspace.isTrusted) this.skip();
      const summaries = await vscode.commands.executeCommand<RunSummary[] | undefined>('vmsec.runFileAtEditor', doc.uri);
      assert.equal(summaries, undefined, 'the command does not run');
      // The server refuses on its own too (other editors, code lenses).
      await assert.rejects(api.client.sendRequest('vmsec/run', { uri: doc.uri.toString() }), /untrusted/);
      assert.equal(api.hub.latest.size, 0, 'nothing ran');
      const menus = vscode.extensions.getExtension('vmsec.vmsec')!.packageJSON.contributes.menus;
      for (const id of ['vmsec.runScenarioAtCursor', 'vmsec.runFileAtEditor', 'vmsec.runAllInWorkspace']) {
        const entry = menus.commandPalette.find((m: { command: string }) => m.command === id);
        assert.match(entry?.when ?? '', /isWorkspaceTrusted/, `${id} is hidden when untrusted`);
      }
    });

    test('trusting the workspace lets the server run', async function () {
      if (!vscode.workspace.isTrusted) {
        if (!results) this.skip();
        await vscode.commands.executeCommand('workbench.trust.manage');
        fs.writeFileSync(`${results}.trust`, '');
        await waitFor('the launcher to trust the folder', () => (fs.existsSync(`${results}.trusted`) ? true : undefined), 45_000);
        await waitFor('the workspace to be trusted', () => (vscode.workspace.isTrusted ? true : undefined));
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      }
      assert.ok(vscode.workspace.isTrusted);
      // The lens above the scenario stops saying "untrusted" and offers the runs.
      const editor = await vscode.window.showTextDocument(doc);
      const title = lineOf(doc, `scenario "${SCENARIO}"`);
      editor.revealRange(new vscode.Range(title, 0, title, 0), vscode.TextEditorRevealType.InCenter);
      await pageShows('the lens to offer "▶ Run | ▶ Run all"', (p) => lensTexts(p).includes('▶ Run | ▶ Run all'));
    });

    test('Run Scenario at Cursor runs the flagship: inline texts, gutter ✓, Test Explorer', async () => {
      const editor = await vscode.window.showTextDocument(doc);
      const at = new vscode.Position(lineOf(doc, 'expect guard denies'), 4);
      editor.selection = new vscode.Selection(at, at);
      const summaries = await vscode.commands.executeCommand<RunSummary[]>('vmsec.runScenarioAtCursor');
      assert.deepEqual(summaries.map((s) => s.scenarios.map((x) => [x.name, x.passed])), [[[SCENARIO, true]]]);
      const run = await waitFor('the run result', () => api.hub.latest.get(key()));
      assert.equal(run.scenario.passed, true);
      assert.equal(run.scenario.expectations.length, 7);

      // Inline texts: the server's inlay hints at the end of step and expect lines.
      const hints = await waitFor('inlay hints', async () => { const h = await hintsOn(doc); return h.size > 0 ? h : undefined; });
      assert.match(hints.get(lineOf(doc, 'at 0 ms    fork burst')) ?? '', /3\/6 children ready/);
      assert.match(hints.get(lineOf(doc, 'syscall burst[1]')) ?? '', /deny\(13\) by rule shadow/);
      assert.match(hints.get(lineOf(doc, 'expect guard denies == 1')) ?? '', /✓/);

      // Gutter: one ✓ per expect line.
      const marks = api.gutter.marks.get(doc.uri.toString()) ?? [];
      assert.equal(marks.length, 7);
      assert.ok(marks.every((m) => m.passed));
      assert.ok(marks.some((m) => m.range.start.line === lineOf(doc, 'expect guard denies')));

      // Test Explorer: file → scenario → 7 expectations, all passed.
      const file = await waitFor('the file in the Test Explorer', () => api.tests.controller.items.get(doc.uri.toString()));
      const scenario = file.children.get(key());
      assert.ok(scenario, 'the scenario is an item');
      assert.equal(scenario.range?.start.line, lineOf(doc, `scenario "${SCENARIO}"`));
      const expects: vscode.TestItem[] = [];
      scenario.children.forEach((x) => expects.push(x));
      assert.equal(expects.length, 7);
      assert.ok(expects.some((x) => x.label.includes('guard denies == 1')), expects.map((x) => x.label).join(', '));
      assert.equal(api.tests.outcomes.get(scenario.id)?.state, 'passed');
      assert.ok(expects.every((x) => api.tests.outcomes.get(x.id)?.state === 'passed'));

      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('workbench.action.closeSidebar');
      editor.revealRange(new vscode.Range(lineOf(doc, 'checkpoint nightly of web'), 0, lineOf(doc, 'checkpoint nightly of web'), 0), vscode.TextEditorRevealType.AtTop);
      // The lens above the scenario (the file's only one) gives the verdict, as the editor draws it:
      // the server asks VS Code to refresh lenses after every run.
      await pageShows('the lens to read "✓ 7/7 expectations passed"', (p) => lensTexts(p).some((t) => /^▶ Run \| ▶ Run all \| ✓ 7\/7 expectations passed · [\d.]+ m?s$/.test(t)));
      const page = await shoot('inline-results');
      // What the page shows (the editor renders spaces as U+00A0, which \s matches).
      if (page) {
        assert.ok(lensTexts(page).some((t) => t.includes('✓ 7/7 expectations passed')), `the lens in the screenshot: ${JSON.stringify(page.lenses)}`);
        assert.ok(!page.lenses.some((t) => /untrusted/.test(t)), 'no lens says the workspace is untrusted');
        const shown = page.editors.join('\n');
        assert.match(shown, /fork\sburst\s*\S?\s?3\/6\schildren\sready/, 'the fork line ends in its inline text');
        assert.match(shown, /deny\(13\)\sby\srule\sshadow/, 'the syscall line ends in the decision');
      }
    });

    test('the code lens runs the changed flagship: the failed expectation in Problems, gutter ✗, Test Explorer diff', async () => {
      const editor = await vscode.window.showTextDocument(doc);
      const line = lineOf(doc, 'expect guard denies == 1');
      const before = api.hub.latest.get(key())!.runId;
      const col = doc.lineAt(line).text.indexOf('== 1');
      await editor.edit((e) => e.replace(new vscode.Range(line, col, line, col + 4), '== 2'));
      await doc.save();
      // The marks on the changed line went with the edit; the others stay.
      assert.equal((api.gutter.marks.get(doc.uri.toString()) ?? []).length, 6);

      const lenses = await waitFor('code lenses', async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
        return l?.length ? l : undefined;
      });
      const lens = lenses.find((l) => /Run$/.test(l.command?.title ?? '') && l.range.start.line === lineOf(doc, `scenario "${SCENARIO}"`))
        ?? lenses.find((l) => /▶ Run\b/.test(l.command?.title ?? '') && !/all/i.test(l.command?.title ?? ''));
      assert.ok(lens?.command, lenses.map((l) => l.command?.title).join(', '));
      await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
      const run = await waitFor('the lens run result', () => { const r = api.hub.latest.get(key()); return r && r.runId !== before ? r : undefined; }, 240_000);
      assert.equal(run.scenario.passed, false);

      const diag = await waitFor('the failed expectation in Problems', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.range.start.line === line));
      assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
      assert.match(diag.message, /1/, 'the message gives the actual count');

      const failed = (api.gutter.marks.get(doc.uri.toString()) ?? []).filter((m) => !m.passed);
      assert.deepEqual(failed.map((m) => m.range.start.line), [line]);

      const scenario = api.tests.controller.items.get(doc.uri.toString())!.children.get(key())!;
      assert.equal(api.tests.outcomes.get(scenario.id)?.state, 'failed');
      let expectItem: vscode.TestItem | undefined;
      scenario.children.forEach((x) => { if (x.range?.start.line === line) expectItem = x; });
      assert.ok(expectItem, 'the edited expectation is an item');
      assert.match(expectItem.label, /guard denies == 2/, 'the tree followed the edit');
      const outcome = api.tests.outcomes.get(expectItem.id);
      assert.equal(outcome?.state, 'failed');
      const msg = outcome!.messages[0];
      assert.ok(msg.expectedOutput && msg.actualOutput, 'expected/actual diff');
      assert.match(msg.actualOutput!, /1/);
      assert.equal(msg.location?.range.start.line, line);

      // History: the previous (passing) run is the baseline for the changes.
      assert.ok(api.history.history.runs(key()).length >= 2);
      assert.ok(api.history.changesOf([run]).length > 0, 'changes since the previous run');

      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('workbench.actions.view.problems');
      editor.selection = new vscode.Selection(line, 0, line, 0);
      editor.revealRange(new vscode.Range(lineOf(doc, 'at 0 ms    fork burst'), 0, line, 0), vscode.TextEditorRevealType.InCenter);
      // Drawn once the lines are in view: the lens's verdict and the fork line's inline text.
      const failedLens = (p: PageText) => lensTexts(p).some((t) => /✗ 6\/7 expectations passed · [\d.]+ m?s$/.test(t)) && /3\/6\schildren\sready/.test(p.editors.join('\n'));
      await pageShows('the lens to read "✗ 6/7 expectations passed" and the inline texts', failedLens);
      await shoot('problems');
      await vscode.commands.executeCommand('workbench.action.closePanel');
      await vscode.commands.executeCommand('vscode.revealTestInExplorer', expectItem);
      editor.revealRange(new vscode.Range(lineOf(doc, 'checkpoint nightly of web'), 0, lineOf(doc, 'checkpoint nightly of web'), 0), vscode.TextEditorRevealType.AtTop);
      await pageShows('the lens and inline texts after the scroll', failedLens);
      await shoot('test-explorer');
    });

    test('the results view shows the run, and a row clicks through to its source', async () => {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.closeSidebar');
      await vscode.commands.executeCommand('vmsec.showResults', doc.uri);
      const view = api.results.panels.at(-1);
      assert.ok(view, 'a results panel opened');
      const html = view.html;
      assert.match(html, /Content-Security-Policy/);
      assert.match(html, /default-src (&#39;|')none(&#39;|')/);
      const dist = view.panel.webview.asWebviewUri(vscode.Uri.joinPath(vscode.extensions.getExtension('vmsec.vmsec')!.extensionUri, 'dist')).toString();
      const sources = [...html.matchAll(/\b(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
      assert.ok(sources.some((u) => u.startsWith(`${dist}/report-view.js`)), 'the script comes from dist/');
      assert.deepEqual(sources.filter((u) => !u.startsWith(`${dist}/`)), [], 'nothing loads from elsewhere');
      assert.equal(view.panel.webview.options.localResourceRoots?.map((u) => u.path).join(), vscode.Uri.joinPath(vscode.extensions.getExtension('vmsec.vmsec')!.extensionUri, 'dist').path);
      assert.ok(html.includes(SCENARIO));
      assert.ok(html.includes('guard denies == 2'));
      // The webview loads its page and script after the panel opens (slowly on a busy machine).
      const shows = (t: string) => t.includes(SCENARIO) && /guard denies == 2/.test(t);
      await pageShows('the results view to render the run', (p) => p.webviews.some(shows), 60_000);
      const page = await shoot('results-view');
      // What the page shows inside the webview (only with the offline launcher).
      if (page) assert.ok(page.webviews.some((t) => t.includes(SCENARIO) && /guard denies == 2/.test(t)), `the results view shows the run:\n${page.webviews.join('\n---\n').slice(0, 1500)}`);

      const failedExpect = view.runs[0].scenario.expectations.find((e) => !e.passed)!;
      await view.handle({ type: 'reveal', loc: failedExpect.loc });
      const editor = await waitFor('the source editor', () => (vscode.window.activeTextEditor?.document.uri.toString() === doc.uri.toString() ? vscode.window.activeTextEditor : undefined));
      assert.equal(editor.selection.start.line, lineOf(doc, 'expect guard denies == 2'));
    });

    test('Export JSON from the results view writes the run to the file chosen in the save dialog', async () => {
      const view = api.results.panels.at(-1);
      assert.ok(view, 'the results panel is still open');
      const target = fileUri('exported.results.json');
      // The save dialog is the user's choice: stubbed to answer a file of the workspace, restored after.
      const win = vscode.window as { showSaveDialog: typeof vscode.window.showSaveDialog };
      const original = win.showSaveDialog;
      let asked: vscode.SaveDialogOptions | undefined;
      win.showSaveDialog = async (o) => { asked = o; return target; };
      try {
        // The message the page's Export button posts, through the panel's own handler.
        await view.handle({ type: 'export' });
      } finally { win.showSaveDialog = original; }
      try {
        assert.deepEqual(asked?.filters, { JSON: ['json'] });
        assert.match(asked?.defaultUri?.path ?? '', /burst-under-tampering\.results\.json$/, 'the suggested name is the scenario\'s');
        const written = JSON.parse(fs.readFileSync(target.fsPath, 'utf8')) as {
          uri: string; runId: string; result: { name: string; passed: boolean; expectations: { text: string; passed: boolean; expected: string; actual: unknown }[] } }[];
        const run = api.hub.latest.get(key())!;
        assert.equal(written.length, 1);
        assert.equal(written[0].uri, doc.uri.toString());
        assert.equal(written[0].runId, run.runId, 'the run the view shows');
        assert.equal(written[0].result.name, SCENARIO);
        assert.equal(written[0].result.passed, false);
        assert.equal(written[0].result.expectations.length, 7);
        const failed = written[0].result.expectations.filter((e) => !e.passed);
        assert.equal(failed.length, 1, JSON.stringify(failed));
        assert.match(failed[0].text, /guard denies == 2/);
        assert.equal(String(failed[0].actual), '1');
      } finally {
        fs.rmSync(target.fsPath, { force: true });
      }
    });

    test('the Test Explorer picks up a new file and drops a deleted one', async () => {
      const extra = fileUri('extra.vmsec');
      const text = (await vscode.workspace.fs.readFile(doc.uri)).toString().replace('scenario "burst under tampering"', 'scenario "second look"');
      await vscode.workspace.fs.writeFile(extra, new TextEncoder().encode(text));
      const file = await waitFor('the new file in the tree', () => api.tests.controller.items.get(extra.toString()));
      assert.ok(file.children.get(`${extra.toString()}#second look`), 'its scenario is listed');
      await vscode.workspace.fs.delete(extra);
      await waitFor('the deleted file to leave the tree', () => (api.tests.controller.items.get(extra.toString()) ? undefined : true));
    });

    test('a run from the Test Explorer can be cancelled, and the server keeps answering', async () => {
      const scenario = api.tests.controller.items.get(doc.uri.toString())!.children.get(key())!;
      const before = api.hub.latest.get(key())!.runId;
      const cts = new vscode.CancellationTokenSource();
      const done = api.tests.profile.runHandler(new vscode.TestRunRequest([scenario]), cts.token);
      await waitFor('the run to start', () => (api.hub.running.some((r) => r.scenario === SCENARIO) ? true : undefined), 60_000);
      cts.cancel();
      await done;
      assert.equal(api.tests.outcomes.get(scenario.id)?.state, 'skipped');
      assert.equal(api.hub.latest.get(key())!.runId, before, 'a cancelled run publishes no result');
      await waitFor('the run state to clear', () => (api.hub.running.length === 0 ? true : undefined));
      const hover = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(lineOf(doc, 'host alpha'), 6));
      assert.ok(hover.length > 0, 'the server still answers');
      await vscode.commands.executeCommand('workbench.action.files.revert');
    });

    test('Run All in Workspace runs every .vmsec file: a result and a Test Explorer outcome for each scenario', async () => {
      const second = fileUri('second.vmsec');
      const targets = [
        { key: key(), uri: doc.uri.toString(), name: SCENARIO, passed: false }, // saved with "== 2" by the code lens test
        { key: `${second.toString()}#shadow is denied`, uri: second.toString(), name: 'shadow is denied', passed: true },
      ];
      const before = new Map(targets.map((t) => [t.key, api.hub.latest.get(t.key)?.runId]));
      const summaries = await vscode.commands.executeCommand<RunSummary[]>('vmsec.runAllInWorkspace');
      const byFile = new Map(summaries.map((s) => [s.uri, s.scenarios.map((x) => [x.name, x.passed])]));
      for (const t of targets) assert.deepEqual(byFile.get(t.uri), [[t.name, t.passed]], `${t.uri} ran: ${JSON.stringify([...byFile])}`);
      assert.deepEqual(byFile.get(fileUri('broken.vmsec').toString()), [], 'a file without scenarios is asked and runs nothing');
      for (const t of targets) {
        const run = await waitFor(`the result of "${t.name}"`, () => { const r = api.hub.latest.get(t.key); return r && r.runId !== before.get(t.key) ? r : undefined; });
        assert.equal(run.scenario.passed, t.passed);
        const item = api.tests.controller.items.get(t.uri)?.children.get(t.key);
        assert.ok(item, `"${t.name}" is in the Test Explorer`);
        assert.equal(api.tests.outcomes.get(item.id)?.state, t.passed ? 'passed' : 'failed');
      }
      await vscode.commands.executeCommand('notifications.clearAll');
    });

    test('run on save, and a pinned run: the hover says what changed since it', async () => {
      // A small file, so that this costs seconds: its rule denies the read, so "guard denies == 1" passes.
      const small = fileUri('pinned.vmsec');
      const text = ['host h { cpus 2 memory 4 GiB }', 'vm v on h { memory 16 MiB', '  process p { memory 4 MiB } }',
        'monitor guard for v {', '  default allow', '  rule shadow on open when fileEq(0, "/etc/shadow") then deny(13)', '}',
        'scenario "pin me" {', '  at 0 ms syscall v p open("/etc/shadow")', '  expect guard denies == 1', '}', ''].join('\n');
      await vscode.workspace.fs.writeFile(small, new TextEncoder().encode(text));
      const sdoc = await vscode.workspace.openTextDocument(small);
      const editor = await vscode.window.showTextDocument(sdoc);
      const skey = `${small.toString()}#pin me`;
      const config = vscode.workspace.getConfiguration('vmsec');
      try {
        // Run on save (off by default): saving the document runs its scenarios.
        await config.update('runOnSave', 'onSave', vscode.ConfigurationTarget.Workspace);
        await editor.edit((e) => e.insert(new vscode.Position(sdoc.lineCount - 1, 0), '// saved\n'));
        await sdoc.save();
        const first = await waitFor('a run after saving', () => api.hub.latest.get(skey), 60_000);
        assert.equal(first.scenario.passed, true);
        await config.update('runOnSave', undefined, vscode.ConfigurationTarget.Workspace);

        // Pin it; the rule stops matching; the next run fails.
        assert.equal(await vscode.commands.executeCommand('vmsec.pinRun', { uri: small.toString(), scenario: 'pin me' }), first.runId);
        const ruleLine = lineOf(sdoc, 'fileEq(0, "/etc/shadow")');
        const col = sdoc.lineAt(ruleLine).text.indexOf('/etc/shadow');
        await editor.edit((e) => e.replace(new vscode.Range(ruleLine, col, ruleLine, col + '/etc/shadow'.length), '/etc/passwd'));
        await vscode.commands.executeCommand('vmsec.runFileAtEditor', small);
        const second = await waitFor('the second run', () => { const r = api.hub.latest.get(skey); return r && r.runId !== first.runId ? r : undefined; }, 60_000);
        assert.equal(second.scenario.passed, false);

        const expectLine = lineOf(sdoc, 'expect guard denies == 1');
        const hoverText = async () => {
          const hs = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', small, new vscode.Position(expectLine, 4));
          return hs.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
        };
        const item = `expect line ${expectLine + 1}: passed → failed`;
        // The extension's own part, asked directly (so a failure says which side is missing).
        const own = api.history.pinnedHover(small.toString(), expectLine);
        const ownText = own?.contents.map((c) => (typeof c === 'string' ? c : c.value)).join('\n') ?? '(no hover)';
        assert.ok(ownText.includes(`- ${item}`), ownText);
        let last = '';
        const shown = await waitFor('both changes in the hover', async () => { last = await hoverText(); return /Since the pinned run/.test(last) && /Since the previous run/.test(last) ? last : undefined; })
          .catch((e: Error) => { throw new Error(`${e.message}; the hover showed:\n${last}`); });
        assert.ok(shown.includes(`**Since the pinned run** of "pin me"`), shown);
        assert.equal(shown.split(item).length - 1, 2, `once since the pinned run, once since the previous run:\n${shown}`);

        // Unpinned: only the server's "since the previous run" is left.
        await vscode.commands.executeCommand('vmsec.unpinRun', { uri: small.toString(), scenario: 'pin me' });
        assert.equal(api.history.history.pinned(skey), undefined);
        const after = await hoverText();
        assert.doesNotMatch(after, /Since the pinned run/);
        assert.match(after, /Since the previous run/);
      } finally {
        await config.update('runOnSave', undefined, vscode.ConfigurationTarget.Workspace);
        await vscode.commands.executeCommand('workbench.action.files.revert');
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
        await vscode.workspace.fs.delete(small);
      }
    });
  });
}

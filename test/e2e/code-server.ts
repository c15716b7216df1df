// Runs the in-editor tests offline: VS Code 1.100.3 (code-server) in Debian's
// Chromium, driven by playwright-core, with this repository as the extension
// under development and out/e2e/index.js as the tests (the same module
// @vscode/test-electron loads). Prints each test and a summary line, saves a
// screenshot of the editor, and exits non-zero on failure.
//
// The suite talks to this launcher through files beside the results file:
//   results.shoot        → the editor screenshot (--screenshot FILE), answered by results.shot
//   results.shoot-NAME   → a page screenshot NAME.png in --shots DIR (default test/.tmp/shots),
//                          answered by results.shot-NAME holding what the page shows:
//                          { editors: string[] (text of each visible editor, inline hints included),
//                            statusbar: string, webviews: string[] (text of each rendered webview),
//                            lenses: string[] (text of each code lens line in the visible editors) }
//   results.read-NAME    → the same text, no screenshot (cheap enough to poll): answered by results.page-NAME
//   results.trust        → click "Trust Folder" in the Workspace Trust editor (the suite
//                          opened it); answered by results.trusted. The window starts in
//                          Restricted Mode on purpose; runs need a trusted workspace.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { recordSkip } from '../skips';

const root = resolve(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const shotArg = process.argv.indexOf('--screenshot');
const screenshot = shotArg > 0 ? resolve(process.argv[shotArg + 1]) : join(root, 'test', '.tmp', 'editor.png');
const shotsArg = process.argv.indexOf('--shots');
const shots = shotsArg > 0 ? resolve(process.argv[shotsArg + 1]) : join(root, 'test', '.tmp', 'shots');

async function freePort(): Promise<number> {
  return new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); }); });
}
async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const listening = (port: number) => new Promise<boolean>((res) => {
  const s = connect(port, '127.0.0.1', () => { s.end(); res(true); });
  s.on('error', () => res(false));
});

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) { console.error('in-editor tests: chromium is missing (.ci/run installs it)'); return 1; }
    console.log('in-editor tests skipped: no Chromium here (apt-get install chromium; CI installs it)');
    recordSkip({ suite: 'in-editor tests (test/e2e)', reason: `no Chromium at ${CHROMIUM}`, packages: ['chromium', 'ripgrep', 'libkrb5-dev'] });
    return 0;
  }
  const vs = execFileSync('bash', [join(root, 'test', 'e2e', 'setup-code-server.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
  const tmp = mkdtempSync(join(tmpdir(), 'vmsec-e2e-'));
  const workspace = join(tmp, 'workspace');
  cpSync(join(root, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
  const results = join(tmp, 'results.json');
  const port = await freePort();
  const server = spawn(process.execPath, [join(vs, 'out', 'server-main.js'), '--host', '127.0.0.1', '--port', String(port),
    '--without-connection-token', '--accept-server-license-terms', '--user-data-dir', join(tmp, 'user'), '--server-data-dir', join(tmp, 'server')],
  { env: { ...process.env, VMSEC_E2E_RESULTS: results }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  server.stdout!.on('data', (d) => log.push(String(d)));
  server.stderr!.on('data', (d) => log.push(String(d)));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    await until('code-server to listen', 60_000, async () => ((await listening(port)) ? true : undefined));
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [['extensionDevelopmentPath', remote(root)], ['extensionTestsPath', remote(join(root, 'out', 'e2e', 'index.js'))]];
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    // The tests run in Restricted Mode on purpose (validation must work
    // untrusted); a trust dialog in the way of the screenshot is declined.
    const decline = page.getByRole('button', { name: "No, I don't trust the authors" });
    let statusOk = false;
    const handled = new Set<string>();
    // Text of the webviews' inner frames (the results view), once they have rendered.
    const webviewTexts = async () => {
      const out: string[] = [];
      for (const f of page.frames()) {
        if (f === page.mainFrame() || !/vscode-webview|webview/.test(f.url())) continue;
        const t = await f.locator('body').innerText({ timeout: 1000 }).catch(() => '');
        if (t.trim()) out.push(t);
      }
      return out;
    };
    const pageText = async () => ({
      editors: await page.locator('.editor-instance .monaco-editor .view-lines').allInnerTexts().catch(() => [] as string[]),
      statusbar: (await page.locator('.statusbar').innerText().catch(() => '')).replace(/\s+/g, ' '),
      webviews: await webviewTexts(),
      // Code lenses are content widgets above their line, not part of .view-lines.
      lenses: await page.locator('.editor-instance .monaco-editor .codelens-decoration').allInnerTexts().catch(() => [] as string[]),
    });
    // Answers the suite's requests until it writes its results.
    await until('the test results', 900_000, async () => {
      if (existsSync(results)) return true;
      for (const f of readdirSync(tmp)) {
        if (handled.has(f)) continue;
        if (f === 'results.json.shoot') {
          handled.add(f);
          if (await decline.isVisible().catch(() => false)) await decline.click();
          await until('the hover to show', 15_000, async () => ((await page.locator('.monaco-hover:visible').count()) > 0 ? true : undefined)).catch(() => undefined);
          const statusbar = await until('the vmsec status bar item', 15_000, async () => {
            const t = (await page.locator('.statusbar').innerText().catch(() => '')).replace(/\s+/g, ' ');
            return /vmsec: (no problems|\d+ problems?|ready)/.test(t) ? t : undefined;
          }).catch(() => undefined);
          statusOk = !!statusbar;
          console.log(`status bar: ${statusbar ?? 'no vmsec item'}`);
          mkdirSync(join(screenshot, '..'), { recursive: true });
          await page.screenshot({ path: screenshot });
          writeFileSync(`${results}.shot`, '');
        } else if (f.startsWith('results.json.shoot-')) {
          handled.add(f);
          const name = f.slice('results.json.shoot-'.length).replace(/[^A-Za-z0-9_.-]/g, '');
          if (await decline.isVisible().catch(() => false)) await decline.click();
          // A webview on the page renders after its panel opens: photograph it rendered.
          if ((await page.locator('iframe.webview').count()) > 0) {
            await until('the webview to render', 20_000, async () => ((await webviewTexts()).length > 0 ? true : undefined)).catch(() => undefined);
            // The frame paints after its DOM is ready: wait until its area is not blank
            // (a blank area compresses to a tiny PNG).
            const box = await page.locator('iframe.webview').last().boundingBox().catch(() => null);
            if (box) await until('the webview to paint', 20_000, async () => ((await page.screenshot({ clip: box })).length > 8000 ? true : undefined)).catch(() => undefined);
          }
          // The pointer rests where the last click was (Trust Folder): move it to an
          // empty part of the activity bar, so no tooltip shows in the picture.
          await page.mouse.move(24, 500);
          mkdirSync(shots, { recursive: true });
          await page.screenshot({ path: join(shots, `${name}.png`) });
          writeFileSync(`${results}.shot-${name}`, JSON.stringify(await pageText()));
        } else if (f.startsWith('results.json.read-')) {
          handled.add(f);
          const name = f.slice('results.json.read-'.length).replace(/[^A-Za-z0-9_.-]/g, '');
          writeFileSync(`${results}.page-${name}`, JSON.stringify(await pageText()));
        } else if (f === 'results.json.trust') {
          handled.add(f);
          if (await decline.isVisible().catch(() => false)) await decline.click();
          const button = page.getByRole('button', { name: 'Trust Folder', exact: true }).or(page.getByRole('button', { name: 'Trust', exact: true })).first();
          await until('the Trust Folder button', 30_000, async () => ((await button.isVisible().catch(() => false)) ? true : undefined));
          await button.click();
          writeFileSync(`${results}.trusted`, '');
        }
      }
      return undefined;
    });
    const r = JSON.parse(readFileSync(results, 'utf8')) as { failures: number; results: { title: string; state: string; error?: string }[] };
    r.results.push({ title: 'vmsec in VS Code the status bar shows the server state', state: statusOk ? 'passed' : 'failed', error: statusOk ? undefined : 'no "vmsec: …" item in the status bar' });
    for (const t of r.results) console.log(`${t.state === 'passed' ? '✔' : '✖'} ${t.title}${t.error ? `\n    ${t.error.split('\n').slice(0, 4).join('\n    ')}` : ''}`);
    const passed = r.results.filter((t) => t.state === 'passed').length;
    console.log(`screenshot: ${screenshot}`);
    console.log(`in-editor: ${passed} passed, ${r.results.length - passed} failed`);
    return passed === r.results.length && r.results.length > 1 ? 0 : 1;
  } catch (e) {
    console.error(String(e));
    console.error(log.join('').split('\n').slice(-30).join('\n'));
    return 1;
  } finally {
    await browser.close().catch(() => undefined);
    server.kill();
    if (process.env.VMSEC_E2E_DEBUG) console.log(`kept ${tmp}`); else rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = await main();

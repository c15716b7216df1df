// The @vscode/test-electron contract: a module whose run() runs the tests
// inside the extension host. Results also go to a JSON file, which the
// offline launcher (code-server in Chromium) waits for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000 });
  mocha.addFile(path.join(__dirname, 'editor.test.js'));
  const out = process.env.VMSEC_E2E_RESULTS ?? path.join(__dirname, '..', '..', 'test', '.tmp', 'e2e-results.json');
  const results: { title: string; state: string; error?: string }[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, JSON.stringify({ failures, results }, null, 2));
      if (failures > 0) reject(new Error(`${failures} editor tests failed`)); else resolve();
    });
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err) => results.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) }));
  });
}

// The same in-editor tests under @vscode/test-electron, where VS Code can be
// downloaded (not on the project machines: use `npm run test:e2e` there).
import { resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

const root = resolve(import.meta.dirname, '..', '..');
await runTests({
  extensionDevelopmentPath: root,
  extensionTestsPath: resolve(root, 'out', 'e2e', 'index.js'),
  launchArgs: [resolve(root, 'test', 'e2e', 'workspace'), '--disable-extensions'],
});

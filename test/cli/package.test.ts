// `npm run package`: an installable .vsix with the bundles, grammar, snippets and icon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../tmp';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

test('vsce packages the extension with everything it needs and nothing else', () => {
  const out = join(tempDir('vsix-'), 'vmsec.vsix');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--out', out], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const list = spawnSync('unzip', ['-Z1', out], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/page-hasher.worker.js', 'extension/dist/package.json',
    'extension/grammar/vmsec.tmLanguage.json', 'extension/grammar/language-configuration.json', 'extension/client/snippets/vmsec.json',
    'extension/client/images/icon.png', 'extension.vsixmanifest']) assert.ok(list.includes(f), `${f} missing from the vsix`);
  assert.ok(!list.some((f) => f.includes('node_modules') || f.endsWith('.ts') || f.includes('/test/')), 'no sources, tests or node_modules');
  const manifest = spawnSync('unzip', ['-p', out, 'extension/package.json'], { encoding: 'utf8' }).stdout;
  const pkg = JSON.parse(manifest);
  assert.equal(pkg.main, './dist/extension.js');
  assert.equal(pkg.contributes.languages[0].id, 'vmsec');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
});

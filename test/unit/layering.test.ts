// Imports flow one way: grammar → model → validation → sim → batch → report →
// presentation (cli, lsp, client), and the presentation layers never import
// each other. The rules live in .dependency-cruiser.cjs and are checked by
// dependency-cruiser, a kept tool, on the real sources and on a planted tree
// that breaks each rule (so the check can fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cruise } from 'dependency-cruiser';
import { tempDir } from '../tmp';

const root = join(import.meta.dirname, '..', '..');
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs'));

async function violations(baseDir: string, dirs: string[]): Promise<string[]> {
  const result = await cruise(dirs, { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true, baseDir });
  const output = result.output as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

test('imports flow grammar → model → validation → sim → batch → report → presentation, and presentation layers never import each other', async () => {
  const bad = await violations(root, ['grammar/src', 'server/src', 'client/src']);
  assert.deepEqual(bad, []);
});

test('the layering check finds upward, sideways and editor imports in a planted tree', async () => {
  const dir = tempDir('layering-');
  const put = (rel: string, text: string) => { mkdirSync(dirname(join(dir, rel)), { recursive: true }); writeFileSync(join(dir, rel), text); };
  put('server/src/sim/engine.ts', 'export const x = 1;\n');
  put('server/src/model/up.ts', "import { x } from '../sim/engine';\nexport const y = x;\n");
  put('server/src/cli/tool.ts', 'export const z = 1;\n');
  put('server/src/lsp/side.ts', "import { z } from '../cli/tool';\nexport const w = z;\n");
  put('server/src/sim/editor.ts', "import type { Position } from 'vscode-languageserver';\nexport type P = Position;\n");
  put('server/src/validation/fine.ts', "import { y } from '../model/up';\nexport const v = y;\n");
  const bad = await violations(dir, ['server/src']);
  assert.ok(bad.some((v) => v.startsWith('server/src/model-not-up: server/src/model/up.ts → server/src/sim/engine.ts')), bad.join('\n'));
  assert.ok(bad.some((v) => v.startsWith('server/src/lsp-not-sideways: server/src/lsp/side.ts → server/src/cli/tool.ts')), bad.join('\n'));
  assert.ok(bad.some((v) => v.startsWith('editor-free-core: server/src/sim/editor.ts')), bad.join('\n'));
  assert.ok(!bad.some((v) => v.includes('validation/fine.ts')), 'a downward import is allowed');
});

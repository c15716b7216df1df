// Imports flow one way: grammar → model → validation → sim → report →
// presentation (cli, lsp, client). The report layer turns run results into
// what people read (inline texts, the results view) for every presentation. A module may import its own layer or any layer below,
// never above, and the presentation layers never import each other: what two
// of them need moves down. The model and simulator never import vscode or LSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const LAYERS: [string, number][] = [
  ['grammar/src', 0], ['server/src/model', 1], ['server/src/validation', 2], ['server/src/sim', 3],
  // Many runs (seeds, sweeps, shards): drives the simulator, below what people read.
  ['server/src/batch', 3.25],
  ['server/src/report', 3.5], ['server/src/protocol.ts', 3.5],
  ['server/src/cli', 4], ['server/src/lsp', 4], ['client/src', 4],
];

function layerOf(file: string): { dir: string; rank: number } | undefined {
  const rel = relative(root, file).split('\\').join('/');
  for (const [dir, rank] of LAYERS) if (rel === dir || rel.startsWith(`${dir}/`)) return { dir, rank };
  return undefined;
}

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (dir.endsWith('.ts')) return [dir];
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) out.push(m[1] ?? m[2]);
  return out;
}

export function violations(): string[] {
  const bad: string[] = [];
  for (const [dir] of LAYERS) {
    for (const file of sources(join(root, dir))) {
      const from = layerOf(file)!;
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) {
          const to = layerOf(resolve(dirname(file), spec));
          if (!to) continue;
          const sideways = to.rank === 4 && from.rank === 4 && to.dir !== from.dir;
          if (to.rank > from.rank || sideways) bad.push(`${relative(root, file)} imports ${spec} (${from.dir} → ${to.dir})`);
        } else if (from.rank < 4 && (spec === 'vscode' || spec.startsWith('vscode-languageserver') || spec.startsWith('vscode-languageclient'))) {
          bad.push(`${relative(root, file)} imports ${spec}: the model and simulator stay editor-free`);
        }
      }
    }
  }
  return bad;
}

test('imports flow grammar → model → validation → sim → report → presentation, and presentation layers never import each other', () => {
  assert.deepEqual(violations(), []);
});

test('the layering check sees a wrong-way import (it can fail)', () => {
  // The check reads real import lines: a model file importing the simulator is found.
  const spec = imports(join(root, 'server/src/sim/run.ts'));
  assert.ok(spec.some((s) => s.includes('../model/')), 'the import scanner reads import lines');
  const to = layerOf(resolve(root, 'server/src/model', '../sim/engine'));
  assert.equal(to?.dir, 'server/src/sim');
  assert.ok(to!.rank > layerOf(join(root, 'server/src/model/x.ts'))!.rank);
});

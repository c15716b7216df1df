// Bundles each entry point to one CommonJS file in dist/. The CLI, the
// language server and the extension share the grammar/model/validation code
// by bundling, not by a runtime package.
import * as esbuild from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
// Benchmarks run bundled, like the shipped code (tsx's keepNames wrappers
// would otherwise cost a third of the parse time).
const bench = process.argv.includes('--bench');
// In-editor tests: loaded by the extension host, so vscode and mocha stay external.
const e2e = process.argv.includes('--e2e');
// The page-hashing worker is loaded by file name from beside the simulator's bundle.
const worker = (dir) => ({ in: 'server/src/sim/page-hasher.worker.ts', out: `${dir}/page-hasher.worker.js` });
const entries = e2e
  ? [{ in: 'test/e2e/suite/index.ts', out: 'out/e2e/index.js' }, { in: 'test/e2e/suite/editor.test.ts', out: 'out/e2e/editor.test.js' }]
  : bench
  ? readdirSync('test/bench').filter((f) => f.endsWith('.bench.ts'))
    .map((f) => ({ in: `test/bench/${f}`, out: `bench-out/${f.replace(/\.ts$/, '.cjs')}` })).concat(worker('bench-out'))
  : [
    { in: 'server/src/cli/main.ts', out: 'dist/vmsec.js', banner: '#!/usr/bin/env node' },
    { in: 'server/src/lsp/main.ts', out: 'dist/server.js' },
    { in: 'client/src/extension.ts', out: 'dist/extension.js' },
    worker('dist'),
    // Scenario runs inside the language server happen on this worker thread.
    { in: 'server/src/lsp/run/run-worker.ts', out: 'dist/run-worker.js' },
    // The results view's script (chart and tables), shared by the webview and `vmsec run --report`.
    { in: 'server/src/report/view/main.ts', out: 'dist/report-view.js', browser: true },
  ];

const contexts = await Promise.all(entries.map((e) => esbuild.context({
  entryPoints: [e.in],
  outfile: e.out,
  bundle: true,
  platform: e.browser ? 'browser' : 'node',
  format: e.browser ? 'iife' : 'cjs',
  target: e.browser ? 'es2020' : 'node20',
  sourcemap: true,
  external: e2e ? ['vscode', 'mocha'] : ['vscode'],
  banner: e.banner ? { js: e.banner } : undefined,
  logLevel: 'warning',
  // import.meta is only read when running from the sources (tests under tsx).
  logOverride: { 'empty-import-meta': 'silent' },
})));

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  // The sources are ESM (Chevrotain 11 ships ESM only); the bundles are CommonJS.
  if (e2e) writeFileSync('out/package.json', '{ "type": "commonjs" }\n');
  if (bench) writeFileSync('bench-out/package.json', '{ "type": "commonjs" }\n');
  if (!bench && !e2e) {
    mkdirSync('dist', { recursive: true });
    writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
    chmodSync('dist/vmsec.js', 0o755);
  }
  await Promise.all(contexts.map((c) => c.dispose()));
}

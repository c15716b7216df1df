// Bundles each entry point to one CommonJS file in dist/. The CLI, the
// language server and the extension share the grammar/model/validation code
// by bundling, not by a runtime package.
//
// The CLI is a small dispatcher (dist/vmsec.js) and one bundle per subcommand
// (dist/cli-NAME.js, one per line of server/src/cli/commands.json), each with
// a V8 code cache beside it (dist/cli-NAME.js.cache, see cli/load-bundle.ts).
import * as esbuild from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

const watch = process.argv.includes('--watch');
// Benchmarks run bundled, like the shipped code (tsx's keepNames wrappers
// would otherwise cost a third of the parse time).
const bench = process.argv.includes('--bench');
// In-editor tests: loaded by the extension host, so vscode and mocha stay external.
const e2e = process.argv.includes('--e2e');
// The page-hashing worker is loaded by file name from beside the simulator's bundle.
const worker = (dir) => ({ in: 'server/src/sim/page-hasher.worker.ts', out: `${dir}/page-hasher.worker.js` });
// One bundle per subcommand: its Command and the exit-code wrapper, nothing else.
const cliCommands = JSON.parse(readFileSync('server/src/cli/commands.json', 'utf8'));
const cliEntry = (c) => ({
  stdin: `export { ${c.export} as command } from './${c.module}';\nexport { runCommandMain } from './command-main';\n`,
  out: `dist/cli-${c.name}.js`, cli: true,
});
const entries = e2e
  ? [{ in: 'test/e2e/suite/index.ts', out: 'out/e2e/index.js' }, { in: 'test/e2e/suite/editor.test.ts', out: 'out/e2e/editor.test.js' }]
  : bench
  ? readdirSync('test/bench').filter((f) => f.endsWith('.bench.ts'))
    .map((f) => ({ in: `test/bench/${f}`, out: `bench-out/${f.replace(/\.ts$/, '.cjs')}` })).concat(worker('bench-out'))
  : [
    { in: 'server/src/cli/main.ts', out: 'dist/vmsec.js', banner: '#!/usr/bin/env node', cli: true },
    ...cliCommands.map(cliEntry),
    { in: 'server/src/lsp/main.ts', out: 'dist/server.js' },
    { in: 'client/src/extension.ts', out: 'dist/extension.js' },
    worker('dist'),
    // Scenario runs inside the language server happen on this worker thread.
    { in: 'server/src/lsp/run/run-worker.ts', out: 'dist/run-worker.js' },
    // `vmsec run --jobs N` runs work items on these worker threads (loaded from beside the CLI bundles).
    { in: 'server/src/batch/run-worker.ts', out: 'dist/batch-worker.js' },
    // The results view's script (chart and tables), shared by the webview and `vmsec run --report`.
    { in: 'server/src/report/view/main.ts', out: 'dist/report-view.js', browser: true },
  ];

// In CLI bundles these built-in modules are required on first use, not at
// start: `vmsec check` reaches guarded-write (node:crypto) only to check
// paths, and never needs worker threads. Each export becomes a getter that
// loads the real module, so behaviour is unchanged.
const LAZY_BUILTINS = /^node:(crypto|worker_threads)$/;
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: LAZY_BUILTINS }, (a) => (a.namespace === 'lazy-builtin' ? { path: a.path, external: true } : { path: a.path, namespace: 'lazy-builtin' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (a) => {
      const names = Object.keys(await import(a.path)).filter((n) => n !== 'default');
      return {
        loader: 'js',
        contents: `let real; const load = () => (real ??= require(${JSON.stringify(a.path)}));\n`
          + `for (const name of ${JSON.stringify(names)}) Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });\n`,
      };
    });
  },
};

/**
 * A build-time patch of one library file: `patch` gives the new text, or
 * undefined when the text is not the one it was written for; then the
 * original stays and the build warns.
 */
function textPatch(name, filter, patch) {
  return {
    name,
    setup(build) {
      build.onLoad({ filter }, (a) => {
        const text = readFileSync(a.path, 'utf8');
        const patched = patch(text);
        return patched === undefined
          ? { contents: text, loader: 'js', warnings: [{ text: `${name}: text not found, left as is` }] }
          : { contents: patched, loader: 'js' };
      });
    },
  };
}
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

// Chevrotain's lexer fills a 65,536-entry table one element at a time
// (several ms of a cold start, tens on a busy machine). Same values, filled
// by blocks into a typed array; if the text ever changes, the original stays.
const CHEVROTAIN_TABLE = `        charCodeToOptimizedIdxMap = new Array(65536);
        for (let i = 0; i < 65536; i++) {
            charCodeToOptimizedIdxMap[i] = i > 255 ? 255 + ~~(i / 255) : i;
        }`;
const CHEVROTAIN_TABLE_FAST = `        charCodeToOptimizedIdxMap = new Uint16Array(65536);
        for (let i = 0; i < 256; i++) charCodeToOptimizedIdxMap[i] = i;
        for (let q = 1; q * 255 < 65536; q++) charCodeToOptimizedIdxMap.fill(255 + q, Math.max(256, q * 255), Math.min(65536, (q + 1) * 255));`;
const chevrotainTable = textPatch('chevrotain-table', /chevrotain[\\/]lib[\\/]src[\\/]scan[\\/]lexer\.js$/,
  (text) => (text.includes(CHEVROTAIN_TABLE) ? text.replace(CHEVROTAIN_TABLE, CHEVROTAIN_TABLE_FAST) : undefined));

// Chevrotain builds its grammar model (one object per rule element) when the
// parser is made, each copying its options through lodash's pickBy and
// assign: general code that runs cold at every start (about half of the
// grammar recording's time). Same effect by a plain loop: every enumerable
// key of the options whose value is not undefined is set on the object
// (setters included, as assign does); if the text ever changes, the original stays.
const GAST_ASSIGN = 'assign(this, pickBy(options, (v) => v !== undefined));';
const GAST_ASSIGN_FAST = 'assignDefined(this, options);';
const GAST_ASSIGN_FN = '\nfunction assignDefined(target, options) { for (const key in options) { const v = options[key]; if (v !== undefined) target[key] = v; } }\n';
const chevrotainGast = textPatch('chevrotain-gast', /@chevrotain[\\/]gast[\\/]lib[\\/]src[\\/]model\.js$/,
  (text) => (text.split(GAST_ASSIGN).length === 11 ? text.split(GAST_ASSIGN).join(GAST_ASSIGN_FAST) + GAST_ASSIGN_FN : undefined));

// Chevrotain sets up token types (createToken, and the lexer and parser for
// all of them) with general lodash helpers that run cold at every start:
// ~190 token types, a share of a cold check. The same steps by plain loops
// (own-property tests for lodash's has, SameValueZero for difference and
// includes, Object.keys order for forEach over a map); if the text ever
// changes (its SHA-256 differs), the original stays.
const TOKENS_FROM = 'export function augmentTokenTypes(tokenTypes) {';
const TOKENS_TO = 'export function isTokenType(tokType) {\n    return has(tokType, "tokenTypeIdx");\n}\n';
const TOKENS_SHA256 = '5a93321e17fb282f2a0cda439810bf291d6f8ec8f5940d6803e501e39436ab38';
const TOKENS_FAST = `const hasOwn = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k);
export function augmentTokenTypes(tokenTypes) {
    const tokenTypesAndParents = expandCategories(tokenTypes);
    assignTokenDefaultProps(tokenTypesAndParents);
    assignCategoriesMapProp(tokenTypesAndParents);
    assignCategoriesTokensProp(tokenTypesAndParents);
    for (const t of tokenTypesAndParents) t.isParent = t.categoryMatches.length > 0;
}
export function expandCategories(tokenTypes) {
    let result = tokenTypes.slice();
    const seen = new Set(result);
    let categories = tokenTypes;
    for (;;) {
        const found = [];
        for (const t of categories) {
            const c = t.CATEGORIES;
            if (Array.isArray(c)) { for (const x of c) if (x) found.push(x); } else if (c) found.push(c);
        }
        const fresh = found.filter((c) => !seen.has(c));
        if (fresh.length === 0) return result;
        result = result.concat(fresh);
        for (const c of fresh) seen.add(c);
        categories = fresh;
    }
}
export function assignTokenDefaultProps(tokenTypes) {
    for (const t of tokenTypes) {
        if (!hasOwn(t, "tokenTypeIdx")) { tokenIdxToClass[tokenShortNameIdx] = t; t.tokenTypeIdx = tokenShortNameIdx++; }
        if (hasOwn(t, "CATEGORIES") && !Array.isArray(t.CATEGORIES)) t.CATEGORIES = [t.CATEGORIES];
        if (!hasOwn(t, "CATEGORIES")) t.CATEGORIES = [];
        if (!hasOwn(t, "categoryMatches")) t.categoryMatches = [];
        if (!hasOwn(t, "categoryMatchesMap")) t.categoryMatchesMap = {};
    }
}
export function assignCategoriesTokensProp(tokenTypes) {
    for (const t of tokenTypes) {
        t.categoryMatches = [];
        for (const key of Object.keys(t.categoryMatchesMap)) t.categoryMatches.push(tokenIdxToClass[key].tokenTypeIdx);
    }
}
export function assignCategoriesMapProp(tokenTypes) {
    for (const t of tokenTypes) singleAssignCategoriesToksMap([], t);
}
export function singleAssignCategoriesToksMap(path, nextNode) {
    for (const p of path) nextNode.categoryMatchesMap[p.tokenTypeIdx] = true;
    const categories = nextNode.CATEGORIES;
    if (!Array.isArray(categories)) return;
    for (const c of categories) {
        const newPath = path.concat(nextNode);
        if (!newPath.includes(c)) singleAssignCategoriesToksMap(newPath, c);
    }
}
export function hasShortKeyProperty(tokType) { return hasOwn(tokType, "tokenTypeIdx"); }
export function hasCategoriesProperty(tokType) { return hasOwn(tokType, "CATEGORIES"); }
export function hasExtendingTokensTypesProperty(tokType) { return hasOwn(tokType, "categoryMatches"); }
export function hasExtendingTokensTypesMapProperty(tokType) { return hasOwn(tokType, "categoryMatchesMap"); }
export function isTokenType(tokType) { return hasOwn(tokType, "tokenTypeIdx"); }
`;
const chevrotainTokens = textPatch('chevrotain-tokens', /chevrotain[\\/]lib[\\/]src[\\/]scan[\\/]tokens\.js$/, (text) => {
  const from = text.indexOf(TOKENS_FROM), to = text.indexOf(TOKENS_TO);
  const region = from < 0 || to < from ? '' : text.slice(from, to + TOKENS_TO.length);
  return sha256(region) === TOKENS_SHA256 ? text.slice(0, from) + TOKENS_FAST + text.slice(to + TOKENS_TO.length) : undefined;
});

// Chevrotain copies the methods of its ten parser traits onto
// Parser.prototype before any class extends Parser: V8 then keeps that
// prototype in fast mode and copies its descriptors at each of the ~200
// additions (about 7 ms of every start). Made after the subclasses are
// declared (nothing runs in between), the copy goes to an object already in
// use as a prototype, which V8 fills as a dictionary and makes fast again on
// first use: a tenth of the time, the same methods. If the text ever changes
// (its SHA-256 differs), the original stays.
const MIXINS_FROM = 'applyMixins(Parser, [';
const MIXINS_TO = '//# sourceMappingURL=parser.js.map';
const MIXINS_SHA256 = '6cd5b736c6567b8c8278b8cac61fe18c4b320656027e264d861e3c14ade63e8d';
const chevrotainMixins = textPatch('chevrotain-mixins', /chevrotain[\\/]lib[\\/]src[\\/]parse[\\/]parser[\\/]parser\.js$/, (text) => {
  const from = text.indexOf(MIXINS_FROM), to = text.indexOf(MIXINS_TO);
  const region = from < 0 || to < from ? '' : text.slice(from, to);
  if (sha256(region) !== MIXINS_SHA256) return undefined;
  const call = region.slice(0, region.indexOf(']);') + 3);
  return text.slice(0, from) + region.slice(call.length).trimStart() + call + '\n' + text.slice(to);
});

// The parser's grammar model, recorded once here from the sources and
// written into the bundles (grammar/src/grammar-snapshot.ts): a built parser
// restores it instead of recording it at every start. It goes in as one
// string (snapshotText): a start parses its header, each rule's line is parsed
// when the parser first reads that rule. Watch builds go without
// (a rebuilt parser.ts would no longer fit a snapshot made at start).
const grammarSnapshot = watch || e2e ? undefined : await recordGrammar();

async function recordGrammar() {
  const maker = await esbuild.build({
    stdin: { contents: "import { VmsecParser } from './parser';\nimport { snapshotOf, snapshotText } from './grammar-snapshot';\nprocess.stdout.write(snapshotText(snapshotOf(new VmsecParser() as never)));\n", resolveDir: 'grammar/src', loader: 'ts' },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'warning',
    plugins: [chevrotainTable, chevrotainGast, chevrotainTokens, chevrotainMixins],
  });
  const r = spawnSync(process.execPath, ['-'], { input: maker.outputFiles[0].text, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`recording the grammar: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const contexts = await Promise.all(entries.map((e) => esbuild.context({
  ...(e.stdin
    ? { stdin: { contents: e.stdin, resolveDir: 'server/src/cli', sourcefile: e.out.replace(/^dist\//, '').replace(/\.js$/, '.ts'), loader: 'ts' } }
    : { entryPoints: [e.in] }),
  outfile: e.out,
  bundle: true,
  platform: e.browser ? 'browser' : 'node',
  format: e.browser ? 'iife' : 'cjs',
  target: e.browser ? 'es2020' : 'node20',
  sourcemap: true,
  // A CLI start reads, decodes and hashes its whole bundle: without comments and
  // indentation that is a quarter less (names stay, the source map maps lines).
  minifyWhitespace: !!e.cli,
  external: e2e ? ['vscode', 'mocha'] : ['vscode'],
  banner: e.banner ? { js: e.banner } : undefined,
  // Built code skips checks that only catch mistakes in vmsec itself (the
  // grammar's self-validation): the tests run them from the sources.
  define: e.browser ? undefined : { VMSEC_BUNDLED: 'true', ...(grammarSnapshot ? { VMSEC_GRAMMAR: JSON.stringify(grammarSnapshot) } : {}) },
  plugins: e.browser ? [] : e.cli ? [chevrotainTable, chevrotainGast, chevrotainTokens, chevrotainMixins, lazyBuiltins] : [chevrotainTable, chevrotainGast, chevrotainTokens, chevrotainMixins],
  logLevel: 'warning',
  // import.meta is only read when running from the sources (tests under tsx).
  logOverride: { 'empty-import-meta': 'silent' },
})));

if (watch) {
  // Watch builds write no code cache; the CLI sees an earlier one no longer fits the bundle (CRC-32) and ignores it.
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
    for (const c of cliCommands) writeCodeCache(`dist/cli-${c.name}.js`, c);
  }
  await Promise.all(contexts.map((c) => c.dispose()));
}

/**
 * Writes BUNDLE.cache: a header with the CRC-32 of the bundle and of the
 * data, then V8's code cache, made in a fresh `node` (default V8 flags, as
 * the CLI runs) after loading the bundle and, for a read-only command with
 * `warm` arguments in commands.json, after one run of it: the functions a
 * run compiles are then in the cache too. Without zlib.crc32 (Node before
 * 20.15) no cache is written: the CLI could not check it.
 */
function writeCodeCache(bundle, command) {
  const r = spawnSync(process.execPath, ['-e', cacheMaker(), resolve(bundle), command.name, ...(command.warm ?? [])], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`code cache for ${bundle}: exit ${r.status}`);
}

// A function (hoisted): the build above runs before this line is reached.
function cacheMaker() {
  return `
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');
const { crc32 } = require('node:zlib');
const [file, name, ...warm] = process.argv.slice(1);
const bytes = readFileSync(file);
// The same wrapper as cli/load-bundle.ts: a cache only fits the same text.
const script = new Script('(function (exports, require, module, __filename, __dirname) { ' + bytes.toString('utf8') + '\\n});', { filename: file });
const module = { exports: {} };
script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
if (warm.length) {
  // Its report (stdout is ignored) is not the build's.
  const write = process.stderr.write;
  process.stderr.write = () => true;
  try { module.exports.runCommandMain(name, module.exports.command, warm); } finally { process.stderr.write = write; }
}
const data = script.createCachedData();
if (typeof crc32 === 'function') {
  writeFileSync(file + '.cache', Buffer.concat([Buffer.from('vmsec-code-cache/2 ' + crc32(bytes).toString(16) + ' ' + crc32(data).toString(16) + '\\n'), data]));
}
`;
}

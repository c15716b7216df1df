// A cold `vmsec`: the dispatcher loads only the subcommand asked for (check
// never loads the simulator, node:crypto or worker threads), every
// subcommand works from the built dist/vmsec.js, and the V8 code cache
// beside each command bundle is used, while a damaged, stale or missing one
// falls back to a normal compile with the same output. Build first (node esbuild.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { tempDir } from '../tmp';
import commands from '../../server/src/cli/commands.json';
import pkg from '../../package.json';
import { checkFiles } from '../../server/src/cli/check';
import { formatJson, formatText, locate } from '../../server/src/cli/format-check';
import { escapeControl } from '../../server/src/model/escape-text';

const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const SAMPLES = join(ROOT, 'samples');
const RECORDER = join(import.meta.dirname, 'load-recorder.cjs');

function vmsec(args: string[], o: { cwd?: string; env?: Record<string, string>; node?: string[]; cli?: string } = {}) {
  const r = spawnSync(process.execPath, [...(o.node ?? []), o.cli ?? join(DIST, 'vmsec.js'), ...args], {
    cwd: o.cwd, encoding: 'utf8', env: { ...process.env, ...o.env }, timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface LoadRecord { builtins: string[]; scripts: { file: string; cacheRejected?: boolean }[]; required: string[] }

function recorded(args: string[], cwd?: string): { r: ReturnType<typeof vmsec>; rec: LoadRecord } {
  const file = join(tempDir('load-'), 'record.json');
  const r = vmsec(args, { cwd, node: ['--require', RECORDER], env: { VMSEC_LOAD_RECORD: file } });
  return { r, rec: JSON.parse(readFileSync(file, 'utf8')) as LoadRecord };
}

test('check loads its own bundle only: no simulator, no node:crypto, no worker threads', () => {
  const { r, rec } = recorded(['check', join(SAMPLES, 'trusted-fork.vmsec')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /1 file checked: 0 errors/);
  assert.deepEqual(rec.scripts.map((s) => s.file), [join(DIST, 'cli-check.js')]);
  for (const m of ['crypto', 'worker_threads', 'child_process']) assert.ok(!rec.builtins.includes(m), `check loaded node:${m}`);
  assert.deepEqual(rec.required.filter((f) => f.startsWith(DIST)), [join(DIST, 'vmsec.js')]);
  // What went into the check bundle (its source map lists every input).
  const sources: string[] = JSON.parse(readFileSync(join(DIST, 'cli-check.js.map'), 'utf8')).sources;
  for (const dir of ['server/src/sim/', 'server/src/report/', 'server/src/batch/', 'node_modules/js-yaml/', 'node_modules/@peculiar/', 'format-run.ts']) {
    assert.ok(!sources.some((s) => s.includes(dir)), `cli-check.js bundles ${sources.find((s) => s.includes(dir))}`);
  }
});

test('--version and --help load no command bundle; the help lists every registered command', () => {
  const v = recorded(['--version']);
  assert.equal(v.r.code, 0);
  assert.equal(v.r.out, `${pkg.version}\n`);
  assert.deepEqual(v.rec.scripts, []);
  const h = recorded(['--help']);
  assert.equal(h.r.code, 0);
  assert.deepEqual(h.rec.scripts, []);
  for (const c of commands) {
    assert.ok(h.r.out.includes(`  ${c.synopsis}\n`), `vmsec --help lacks ${c.synopsis}`);
    assert.match(h.r.out, new RegExp(`^${c.name.replace(/[-]/g, '\\-')} +\\S`, 'm'));
  }
});

test('every registered command answers --help from its bundle with its synopsis', () => {
  for (const c of commands) {
    const r = vmsec([c.name, '--help']);
    assert.equal(r.code, 0, `${c.name}: ${r.err}`);
    assert.ok(r.out.startsWith(`usage: ${c.synopsis}`), `${c.name} --help starts ${JSON.stringify(r.out.slice(0, 80))}, commands.json says ${c.synopsis}`);
    assert.ok(readdirSync(DIST).includes(`cli-${c.name}.js.cache`), `no code cache for ${c.name}`);
  }
  const bad = vmsec(['frobnicate']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^vmsec: unknown command 'frobnicate'\nusage:\n/);
  const misuse = vmsec(['check', '--nope']);
  assert.equal(misuse.code, 2);
  assert.match(misuse.err, /^vmsec: unknown option --nope\nusage: vmsec check /);
});

test('run, ckpt and export-policy work from the built CLI', () => {
  const dir = tempDir('cold-');
  writeFileSync(join(dir, 'c.vmsec'), `host h { } vm v on h { memory 16 MiB process s { memory 4 MiB confidential } process t { memory 4 MiB } }
checkpoint leaky of v { exclude t to "out/leaky.ckpt" }
scenario "x" { at 0 ms checkpoint leaky }
`);
  const run = vmsec(['run', 'c.vmsec'], { cwd: dir });
  assert.equal(run.code, 0, run.err);
  assert.match(run.out, /x/);
  const ckpt = vmsec(['ckpt', 'out/leaky.ckpt'], { cwd: dir });
  assert.equal(ckpt.code, 0, ckpt.err);
  assert.match(ckpt.out, /confidential data in clear: v\/s/);
  const policy = vmsec(['export-policy', join(SAMPLES, 'monitoring.vmsec'), 'guard', '--format', 'falco'], { cwd: dir });
  assert.equal(policy.code, 0, policy.err);
  assert.match(policy.out, /^# vmsec export-policy\n/);
});

/** dist's dispatcher and check bundle copied to a fresh folder, to damage the cache there. */
function distCopy(): string {
  const dir = tempDir('dist-');
  for (const f of ['vmsec.js', 'package.json', 'cli-check.js', 'cli-check.js.map', 'cli-check.js.cache']) copyFileSync(join(DIST, f), join(dir, f));
  return dir;
}

test('the code cache is used, and a damaged, stale, missing or foreign cache still gives the same check', () => {
  const work = tempDir('ws-');
  writeFileSync(join(work, 'bad.vmsec'), 'host a { cpus 2 }\nvm web on bb { memory 3 GiB }\n');
  const expected = vmsec(['check', 'bad.vmsec', '--format', 'json'], { cwd: work });
  assert.equal(expected.code, 1);
  const check = (cli: string, extra: string[] = []) => vmsec(['check', 'bad.vmsec', '--format', 'json'], { cwd: work, cli, node: extra, env: { VMSEC_DEBUG_CACHE: '1' } });

  const used = check(join(DIST, 'vmsec.js'));
  assert.equal(used.err, 'vmsec: code cache cli-check.js: used\n');
  assert.equal(used.out, expected.out);

  const cases: [string, (cache: Buffer) => Buffer | undefined, string][] = [
    // Flipped bytes in V8's data: V8 would abort on them; the checksum catches them first.
    ['damaged', (b) => { const c = Buffer.from(b); for (let i = c.indexOf(10) + 64; i < c.length; i += 997) c[i] ^= 0x5a; return c; }, 'damaged'],
    ['truncated', (b) => b.subarray(0, 5000), 'damaged'],
    ['made for another bundle', (b) => Buffer.concat([Buffer.from(`vmsec-code-cache/2 0 ${b.toString('latin1', 0, b.indexOf(10)).split(' ')[2]}\n`), b.subarray(b.indexOf(10) + 1)]), 'stale'],
    ['not a cache', () => Buffer.from('hello\n'), 'stale'],
    ['missing', () => undefined, 'missing'],
  ];
  for (const [what, change, said] of cases) {
    const dir = distCopy();
    const cacheFile = join(dir, 'cli-check.js.cache');
    const changed = change(readFileSync(cacheFile));
    if (changed) writeFileSync(cacheFile, changed); else rmSync(cacheFile);
    const r = check(join(dir, 'vmsec.js'));
    assert.equal(r.code, 1, `${what}: ${r.err}`);
    assert.equal(r.err, `vmsec: code cache cli-check.js: ${said}\n`, what);
    assert.equal(r.out, expected.out, what);
  }

  // Whole, and made for this bundle by its header, but V8's data of another
  // script (the ckpt bundle's): V8 rejects it.
  const dir = distCopy();
  const other = readFileSync(join(DIST, 'cli-ckpt.js.cache'));
  const data = other.subarray(other.indexOf(10) + 1);
  writeFileSync(join(dir, 'cli-check.js.cache'), Buffer.concat([
    Buffer.from(`vmsec-code-cache/2 ${crc32(readFileSync(join(dir, 'cli-check.js'))).toString(16)} ${crc32(data).toString(16)}\n`), data]));
  const rejected = check(join(dir, 'vmsec.js'));
  assert.equal(rejected.err, 'vmsec: code cache cli-check.js: rejected\n');
  assert.equal(rejected.out, expected.out);

  // The cache's checksum comes from zlib's native crc32 without loading
  // node:zlib; under --pending-deprecation (where that access would warn)
  // node:zlib is loaded instead: no warning, and the cache is still used.
  for (const env of [{ NODE_OPTIONS: '--pending-deprecation' }, { NODE_PENDING_DEPRECATION: '1' }] as Record<string, string>[]) {
    const r = vmsec(['check', 'bad.vmsec', '--format', 'json'], { cwd: work, env: { ...env, VMSEC_DEBUG_CACHE: '1' } });
    assert.equal(r.err, 'vmsec: code cache cli-check.js: used\n', JSON.stringify(env));
    assert.equal(r.out, expected.out);
  }

  // Source maps on: Node's own loader (stack traces map to the sources).
  const maps = check(join(DIST, 'vmsec.js'), ['--enable-source-maps']);
  assert.equal(maps.err, 'vmsec: code cache cli-check.js: source-maps\n');
  assert.equal(maps.out, expected.out);
});

test('a command whose bundle is missing beside the dispatcher is a clear error (exit 2), not a crash', () => {
  const dir = tempDir('partial-');
  for (const f of ['vmsec.js', 'package.json']) copyFileSync(join(DIST, f), join(dir, f));
  const r = vmsec(['check', 'x.vmsec'], { cli: join(dir, 'vmsec.js') });
  assert.equal(r.code, 2);
  assert.equal(r.err, `vmsec: the code of 'vmsec check' (${join(dir, 'cli-check.js')}) is missing; reinstall vmsec or run \`node esbuild.mjs\`\n`);
  assert.equal(vmsec(['--version'], { cli: join(dir, 'vmsec.js') }).out, `${pkg.version}\n`);
});

test('the built parser (grammar restored from the build) and direct output give what the sources give, even for broken files', () => {
  // Broken variants of the samples: recovery, follow sets and messages all come from the grammar model.
  const work = tempDir('broken-');
  const texts = readdirSync(SAMPLES).filter((f) => f.endsWith('.vmsec')).map((f) => readFileSync(join(SAMPLES, f), 'utf8'));
  const variants = texts.flatMap((t, i) => [
    [t.replace(/\}/, ''), t.slice(0, Math.floor(t.length / 2))][i % 2],
    [t.replace(/memory/g, 'memroy').replace(/"/, ''), t.replace(/ on /, ' of ').replace(/\{/g, '{ @ ')][i % 2],
    t.replace(/\n/g, ' -> ( '),
  ]);
  // Short files, each in a fresh process: recovery in rules the built parser has not read yet (it reads them on first use).
  variants.push('host h { cpus }', 'host h { cpus 4 memory }\nvm v on h { vcpus 2 memory 1 GiB', 'scenario s { expect }',
    'fork f of v { children 4 }', 'monitor m { rule -> }', 'attacker a { tap }\nscenario s { at 1 ms }', 'vm v on { } host', '}', 'scenario s { expect f ready within }');
  // Enough problems for an output far above a pipe's buffer: a direct write must not lose any of it.
  variants.push(Array.from({ length: 1000 }, (_, i) => `host h${i} { cpus x${i} memory 1 GiB } vm v${i} on nowhere${i} { memroy 2 }`).join('\n'));
  variants.forEach((t, i) => writeFileSync(join(work, `v${i}.vmsec`), t));
  for (let i = 0; i < variants.length; i++) {
    const file = join(work, `v${i}.vmsec`);
    const { files, diagnostics } = checkFiles([file]);
    const items = locate(files, diagnostics);
    const json = vmsec(['check', '--format', 'json', file]);
    assert.equal(json.code, diagnostics.some((d) => d.severity === 'error') ? 1 : 0, `v${i}`);
    assert.equal(json.out, formatJson(items) + '\n', `v${i}`);
    const text = vmsec(['check', file]);
    const shown = formatText(items);
    assert.equal(text.out, shown ? shown.split('\n').map(escapeControl).join('\n') + '\n' : '', `v${i}`);
    assert.match(text.err, /^1 file checked: \d+ errors?, \d+ warnings?\n$/, `v${i}`);
  }
  // (500 diagnostics per file, far above a pipe's 64 KiB.)
  assert.ok(vmsec(['check', '--format', 'json', join(work, `v${variants.length - 1}.vmsec`)]).out.length > 1 << 17);
});

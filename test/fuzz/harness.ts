// The fuzz cases and what must hold for each: a case is plain data (a seed
// sample + mutations + a command, or a damaged checkpoint), run with the
// built CLI (`dist/vmsec.js`, build with `node esbuild.mjs`) in a sandbox
// with traps planted around it (sandbox.ts). Properties per case:
//   - exit code 0, 1 or 2; no signal; finished before the time limit;
//   - no stack trace, JS error name, V8 fatal or internal value in the output;
//     no raw control characters in the output; JSON formats parse;
//   - nothing outside the workspace created, changed or removed;
//   - no existing file in the workspace changed unless it was a checkpoint;
//     every new file is a readable checkpoint (or an exported quote);
//   - `check` and `ckpt` write nothing at all;
//   - `ckpt` on a damaged checkpoint exits 2; only the untouched file is accepted.
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CHECKPOINT_MAGIC } from '../../server/src/sim/checkpoint';
import { tempDir } from '../tmp';
import { seeds, seedByName, type Seed } from './corpus';
import { mutate, opArb, runOpArb, type Op } from './mutators';
import { ckOpArb, damage, type CkOp } from './ckpt-mutators';
import { diff, inside, plant, snapshot, type Change, type Sandbox } from './sandbox';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'vmsec.js');
export const FAILURES = join(ROOT, 'test', '.tmp', 'fuzz-failures');
/** Largest file a case may write (RLIMIT_FSIZE): a runaway checkpoint is killed, not left to fill the disk. */
const FILE_LIMIT_BYTES = 256 * 1024 * 1024;

export type CheckCmd = { kind: 'check'; folder: boolean; format: 'text' | 'json' | 'sarif'; root: boolean };
export type RunCmd = { kind: 'run'; format: 'text' | 'json' | 'junit'; scenario: number | null; out: 'none' | 'checkpoint-dir' | 'root' | 'both' | 'export-quotes' };
/** `files`, when present, replaces the mutated seed files (a case reduced line by line, reduce.ts). */
export interface SourceCase { kind: 'source'; seed: string; ops: Op[]; cmd: CheckCmd | RunCmd; files?: Record<string, string> }
export type CkptTarget = 'damaged' | 'fifo.ckpt' | 'dir.ckpt' | 'missing.ckpt' | 'null.ckpt' | 'notes.txt' | 'empty' | 'magic-only' | 'checkpoints/evil.ckpt';
export interface CkptCase { kind: 'ckpt'; base: 'safe' | 'quick'; ops: CkOp[]; reseal: boolean; format: 'text' | 'json'; target: CkptTarget }
export type Case = SourceCase | CkptCase;

export interface Problem { cls: string; detail: string }
export interface Outcome { problems: Problem[]; args: string[]; cwd: string; code: number | null; signal: string | null; ms: number; out: string; err: string; box: Sandbox; files?: Record<string, string> }

// ---------- arbitraries ----------

const checkCmd: fc.Arbitrary<CheckCmd> = fc.record({
  kind: fc.constant('check' as const), folder: fc.boolean(), format: fc.constantFrom('text' as const, 'json' as const, 'sarif' as const), root: fc.boolean(),
});
const runCmd: fc.Arbitrary<RunCmd> = fc.record({
  kind: fc.constant('run' as const), format: fc.constantFrom('text' as const, 'json' as const, 'junit' as const),
  scenario: fc.option(fc.nat({ max: 3 }), { nil: null }),
  out: fc.constantFrom('checkpoint-dir' as const, 'none' as const, 'root' as const, 'both' as const, 'export-quotes' as const),
});

/** `runShare` of the cases run scenarios (on the small samples only); the rest are `check`, on any sample. */
export function sourceCaseArb(runShare = 0.25): fc.Arbitrary<SourceCase> {
  const all = seeds().map((s) => s.name);
  const runnable = seeds().filter((s) => s.runnable).map((s) => s.name);
  const ops = fc.array(opArb, { minLength: 1, maxLength: 4 });
  const w = Math.round(runShare * 100);
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('source' as const), seed: fc.constantFrom(...all), ops, cmd: checkCmd as fc.Arbitrary<CheckCmd | RunCmd> }), weight: 100 - w },
    { arbitrary: fc.record({ kind: fc.constant('source' as const), seed: fc.constantFrom(...runnable), ops: fc.array(runOpArb, { minLength: 1, maxLength: 2 }), cmd: runCmd as fc.Arbitrary<CheckCmd | RunCmd> }), weight: w },
  );
}

export function ckptCaseArb(): fc.Arbitrary<CkptCase> {
  return fc.record({
    kind: fc.constant('ckpt' as const),
    base: fc.constantFrom('quick' as const, 'safe' as const),
    ops: fc.array(ckOpArb, { minLength: 1, maxLength: 3 }),
    reseal: fc.boolean(),
    format: fc.constantFrom('text' as const, 'json' as const),
    target: fc.oneof(
      { arbitrary: fc.constant('damaged' as const), weight: 12 },
      { arbitrary: fc.constantFrom<CkptTarget>('fifo.ckpt', 'dir.ckpt', 'missing.ckpt', 'null.ckpt', 'notes.txt', 'empty', 'magic-only', 'checkpoints/evil.ckpt'), weight: 2 },
    ),
  });
}

// ---------- the CLI ----------

export interface Exec { code: number | null; signal: string | null; timedOut: boolean; flooded: boolean; out: string; err: string; ms: number }

export function vmsec(args: string[], cwd: string, timeoutMs: number): Exec {
  const t = Date.now();
  const r = spawnSync('/bin/sh', ['-c', `ulimit -f ${FILE_LIMIT_BYTES / 512}; exec "$0" "$@"`, process.execPath, CLI, ...args], {
    cwd, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  return {
    code: r.status, signal: r.signal, timedOut: code === 'ETIMEDOUT', flooded: code === 'ENOBUFS',
    out: r.stdout?.toString('utf8') ?? '', err: r.stderr?.toString('utf8') ?? '', ms: Date.now() - t,
  };
}

// ---------- a valid checkpoint to plant and to damage ----------

let valid: { safe: Buffer; quick: Buffer; code: { safe: number; quick: number } } | undefined;

/** Real checkpoints written by the CLI from the small private-checkpoint sample (once per process). */
export function validCheckpoints(): NonNullable<typeof valid> {
  if (valid) return valid;
  const dir = tempDir('fuzz-valid-');
  const seed = seedByName('small:private-checkpoint.vmsec');
  const out = join(dir, 'outside');
  mkdirSync(out);
  const src = join(dir, seed.entry);
  // The sample takes `safe` only; a second scenario takes `quick` (memory only).
  writeFileSync(src, seed.files[seed.entry].replaceAll('{OUTSIDE}', out) + '\nscenario "fuzz: quick" {\n  at 0 ms checkpoint quick\n}\n');
  const r = vmsec(['run', src, '--checkpoint-dir', join(dir, 'ck')], dir, 60_000);
  const found = (name: string) => {
    const hit = readdirSync(join(dir, 'ck'), { recursive: true, encoding: 'utf8' }).find((f) => basename(f) === name);
    if (!hit) throw new Error(`fuzz setup: the small private-checkpoint sample wrote no ${name} (exit ${r.code}):\n${r.out}${r.err}`);
    return readFileSync(join(dir, 'ck', hit));
  };
  const safe = found('clinic-safe.ckpt'), quick = found('clinic-quick.ckpt');
  const codeOf = (b: Buffer) => { const f = join(dir, 'probe.ckpt'); writeFileSync(f, b); return vmsec(['ckpt', f], dir, 60_000).code ?? -1; };
  valid = { safe, quick, code: { safe: codeOf(safe), quick: codeOf(quick) } };
  for (const [k, c] of Object.entries(valid.code)) if (c !== 0 && c !== 1) throw new Error(`fuzz setup: vmsec ckpt rejects the undamaged ${k} checkpoint (exit ${c})`);
  return valid;
}

// ---------- the oracle ----------

const JS_ERRORS = /\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|URIError|AggregateError|InternalError)\b/;
const STACK = /^\s+at (?:.+ \()?(?:\/|node:|file:|<anonymous>|[A-Za-z]:\\)[^\n]*:\d+(?::\d+)?\)?$/m;
const INTERNAL = /internal error/i;
const FATAL = /FATAL|Fatal (?:JavaScript|process)|node:internal|Maximum call stack|heap out of memory|Aborted \(core/;
const LEAK = /\bNaN\b|\bInfinity\b|\bundefined\b|\[object Object\]|\bBigInt\b|\d+n \*\* \d+n/;
// A raw errno name, as node's errors print it (`ENOENT: no such file…`). Not one that glosses the
// number before it: `deny(N)` takes an errno, and messages write it `13 (EACCES)` on purpose.
const ERRNO = /(?<!\b\d+ \()\b(ENOENT|EISDIR|ENOTDIR|EACCES|EPERM|EEXIST|ELOOP|ENAMETOOLONG|EFBIG|ENOSPC|EDQUOT|EROFS|EBUSY|ETXTBSY|ENOMEM|EINVAL|EMFILE|ENFILE|ENXIO|ENODEV|EAGAIN|EBADF|ENOTEMPTY|EXDEV|ERR_[A-Z_]+)\b/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const firstLine = (text: string, re: RegExp) => text.split('\n').find((l) => re.test(l))?.trim().slice(0, 200) ?? '';
const shortPath = (p: string) => p.replace(/[^/]{40,}/g, (s) => s.slice(0, 12) + '…');

export function outputProblems(e: Exec, format: string): Problem[] {
  const out: Problem[] = [];
  const both = e.out + '\n' + e.err;
  if (e.timedOut) out.push({ cls: 'hang', detail: `no exit within the time limit (${e.ms} ms)` });
  else if (e.flooded) out.push({ cls: 'output-flood', detail: 'more than 64 MiB of output' });
  else if (e.signal) out.push({ cls: `signal:${e.signal}`, detail: `killed by ${e.signal}` });
  else if (e.code !== 0 && e.code !== 1 && e.code !== 2) out.push({ cls: `exit:${e.code}`, detail: `exit code ${e.code}` });
  if (INTERNAL.test(both)) out.push({ cls: 'internal-error', detail: firstLine(both, INTERNAL) });
  const js = JS_ERRORS.exec(both);
  if (js) out.push({ cls: `js-error:${js[1]}`, detail: firstLine(both, JS_ERRORS) });
  else if (STACK.test(both)) out.push({ cls: 'stack-trace', detail: firstLine(both, STACK) });
  const fatal = FATAL.exec(both);
  if (fatal) out.push({ cls: `fatal:${fatal[0]}`, detail: firstLine(both, FATAL) });
  const leak = LEAK.exec(both);
  if (leak) out.push({ cls: `internal-leak:${leak[0].replace(/\d+/g, 'N')}`, detail: firstLine(both, LEAK) });
  const errno = ERRNO.exec(both);
  if (errno) out.push({ cls: `raw-errno:${errno[1]}`, detail: firstLine(both, ERRNO) });
  const ctl = CONTROL.exec(both);
  if (ctl) out.push({ cls: 'raw-control-char', detail: `U+${ctl[0].codePointAt(0)!.toString(16).padStart(4, '0').toUpperCase()} in: ${JSON.stringify(firstLine(both, CONTROL))}` });
  if ((format === 'json' || format === 'sarif') && (e.code === 0 || e.code === 1) && !e.timedOut) {
    try { JSON.parse(e.out); } catch (err) { out.push({ cls: `bad-${format}`, detail: (err as Error).message.slice(0, 200) }); }
  }
  return out;
}

export const WS = join('top', 'ws');
const startsWithMagic = (b?: Buffer) => !!b && b.subarray(0, CHECKPOINT_MAGIC.length).equals(CHECKPOINT_MAGIC);

export interface WriteRules { mayWrite: boolean; checkpointDir?: string; quotesDir?: string; sources: string[] }

export function changeProblems(changes: Change[], box: Sandbox, rules: WriteRules, timeoutMs: number): Problem[] {
  const out: Problem[] = [];
  const label = (path: string) => {
    const rel = path.slice(WS.length + 1);
    return rules.sources.includes(rel) ? 'source' : rel;
  };
  const created: string[] = [];
  for (const c of changes) {
    if (!inside(c.path, WS)) { out.push({ cls: 'outside-write', detail: `${c.what} ${shortPath(c.path)} (outside the workspace)` }); continue; }
    const rel = c.path.slice(WS.length + 1);
    if (!rules.mayWrite) { out.push({ cls: 'read-only-command-wrote', detail: `${c.what} ws/${shortPath(rel)}` }); continue; }
    if (c.what === 'removed') { out.push({ cls: `removed:${label(c.path)}`, detail: `ws/${shortPath(rel)} was removed` }); continue; }
    if (c.what === 'changed') {
      const b = c.before!, a = c.after!;
      const replacedCheckpoint = b.type === 'file' && startsWithMagic(b.head) && a.type === 'file' && startsWithMagic(a.head);
      if (!replacedCheckpoint) out.push({ cls: `overwrote:${b.type === 'file' ? label(c.path) : b.type}`, detail: `ws/${shortPath(rel)} (${b.type}, ${b.size} bytes) became ${a.type}, ${a.size} bytes` });
      continue;
    }
    const a = c.after!;
    if (a.type === 'dir') continue;
    if (rules.quotesDir && inside(rel, rules.quotesDir)) continue;
    if (a.type !== 'file' || !startsWithMagic(a.head)) { out.push({ cls: 'foreign-file', detail: `created ws/${shortPath(rel)} (${a.type}, ${a.size} bytes), not a checkpoint` }); continue; }
    if (rules.checkpointDir && !inside(rel, rules.checkpointDir)) out.push({ cls: 'outside-checkpoint-dir', detail: `created ws/${shortPath(rel)} outside --checkpoint-dir ${rules.checkpointDir}` });
    created.push(join(box.dir, c.path));
  }
  // A new checkpoint must be whole: a partial or temporary file left behind is a failure.
  for (const f of created.slice(0, 2)) {
    const r = vmsec(['ckpt', f], box.ws, timeoutMs);
    if (r.code !== 0 && r.code !== 1) out.push({ cls: 'unreadable-new-checkpoint', detail: `vmsec ckpt ${shortPath(f.slice(box.dir.length + 1))} exits ${r.code}: ${(r.err || r.out).split('\n')[0].slice(0, 200)}` });
  }
  return out;
}

// ---------- running a case ----------

export interface RunOpts { timeoutMs: number; keep?: boolean }

function commandOf(c: SourceCase, seed: Seed): { args: string[]; rules: WriteRules } {
  const sources = Object.keys(seed.files);
  if (c.cmd.kind === 'check') {
    const args = ['check', c.cmd.folder ? '.' : seed.entry];
    if (c.cmd.format !== 'text') args.push('--format', c.cmd.format);
    if (c.cmd.root) args.push('--root', '.');
    return { args, rules: { mayWrite: false, sources } };
  }
  const args = ['run', seed.entry];
  if (c.cmd.format !== 'text') args.push('--format', c.cmd.format);
  if (c.cmd.scenario !== null && seed.scenarios.length) args.push('--scenario', seed.scenarios[c.cmd.scenario % seed.scenarios.length]);
  const rules: WriteRules = { mayWrite: true, sources };
  if (c.cmd.out === 'checkpoint-dir' || c.cmd.out === 'both') { args.push('--checkpoint-dir', 'out'); rules.checkpointDir = 'out'; }
  if (c.cmd.out === 'root' || c.cmd.out === 'both') args.push('--root', '.');
  if (c.cmd.out === 'export-quotes') { args.push('--export-quotes', 'quotes'); rules.quotesDir = 'quotes'; }
  return { args, rules };
}

export function runSourceCase(c: SourceCase, o: RunOpts): Outcome {
  const seed = seedByName(c.seed);
  const files = c.files ?? mutate(seed.files, c.ops);
  const box = plant(tempDir('fuzz-'), files, seed.entry, validCheckpoints().quick);
  const { args, rules } = commandOf(c, seed);
  const before = snapshot(box.dir);
  const e = vmsec(args, box.ws, o.timeoutMs);
  const changes = diff(before, snapshot(box.dir));
  const problems = [...outputProblems(e, c.cmd.format), ...changeProblems(changes, box, rules, o.timeoutMs)];
  if (!o.keep) rmSync(box.dir, { recursive: true, force: true });
  return { problems, args, cwd: box.ws, code: e.code, signal: e.signal, ms: e.ms, out: e.out, err: e.err, box, files };
}

export function ckptBytes(c: CkptCase): { bytes: Buffer; resealed: boolean; original: Buffer } {
  const v = validCheckpoints();
  const original = v[c.base];
  if (c.target === 'empty') return { bytes: Buffer.alloc(0), resealed: false, original };
  if (c.target === 'magic-only') return { bytes: Buffer.from(CHECKPOINT_MAGIC), resealed: false, original };
  const d = damage(original, c.ops, c.reseal);
  return { ...d, original };
}

export function runCkptCase(c: CkptCase, o: RunOpts): Outcome {
  const v = validCheckpoints();
  const box = plant(tempDir('fuzz-'), {}, 'none.vmsec', v.quick);
  const { bytes, resealed, original } = ckptBytes(c);
  const ownFile = c.target === 'damaged' || c.target === 'empty' || c.target === 'magic-only';
  const target = ownFile ? 'case.ckpt' : c.target;
  if (ownFile) writeFileSync(join(box.ws, target), bytes);
  const args = ['ckpt', target, ...(c.format === 'json' ? ['--format', 'json'] : [])];
  const before = snapshot(box.dir);
  const e = vmsec(args, box.ws, o.timeoutMs);
  const problems = [...outputProblems(e, c.format), ...changeProblems(diff(before, snapshot(box.dir)), box, { mayWrite: false, sources: [] }, o.timeoutMs)];
  const ok = e.code === 0 || e.code === 1;
  if (c.target === 'damaged' && !e.timedOut) {
    const identical = bytes.equals(original);
    if (identical && e.code !== v.code[c.base]) problems.push({ cls: 'ckpt-rejects-valid', detail: `the undamaged file exits ${e.code}, first read exited ${v.code[c.base]}` });
    if (!identical && !resealed && ok) problems.push({ cls: 'ckpt-accepts-damage', detail: `a damaged checkpoint (${bytes.length} of ${original.length} bytes) exits ${e.code}` });
  } else if (c.target === 'checkpoints/evil.ckpt') {
    // A symlink to a real checkpoint outside: reading it is allowed, it is valid.
  } else if (!e.timedOut && ok) problems.push({ cls: `ckpt-accepts:${c.target}`, detail: `vmsec ckpt ${target} exits ${e.code}` });
  if (!o.keep) rmSync(box.dir, { recursive: true, force: true });
  return { problems, args, cwd: box.ws, code: e.code, signal: e.signal, ms: e.ms, out: e.out, err: e.err, box };
}

export function runCase(c: Case, o: RunOpts): Outcome {
  return c.kind === 'source' ? runSourceCase(c, o) : runCkptCase(c, o);
}

/** Classes that fail `npm test`; the others (raw errno names) are listed by the long run only. */
export const isHard = (p: Problem) => !p.cls.startsWith('raw-errno:');

// ---------- saving a counterexample ----------

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);

/** Writes the case, its files and what went wrong under test/.tmp/fuzz-failures/; returns the folder. */
export function saveFailure(c: Case, o: Outcome, tag: string): string {
  const dir = join(FAILURES, `${slug(o.problems[0]?.cls ?? 'unknown')}-${slug(tag)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'files'), { recursive: true });
  writeFileSync(join(dir, 'case.json'), JSON.stringify(c, null, 1) + '\n');
  if (c.kind === 'source') for (const [name, text] of Object.entries(o.files ?? {})) writeFileSync(join(dir, 'files', name), text);
  else writeFileSync(join(dir, 'files', 'case.ckpt'), ckptBytes(c).bytes);
  const rel = dir.slice(ROOT.length + 1);
  writeFileSync(join(dir, 'README.txt'), [
    `vmsec fuzz failure (${tag})`,
    '',
    ...o.problems.map((p) => `${p.cls}: ${p.detail}`),
    '',
    `command (cwd = the workspace, top/ws of the sandbox): node dist/vmsec.js ${o.args.map((a) => JSON.stringify(a)).join(' ')}`,
    `exit ${o.code}${o.signal ? ` signal ${o.signal}` : ''} after ${o.ms} ms`,
    `files/ holds the sources ({OUTSIDE} = the sandbox's outside folder, {ENTRY} = the entry file) or the damaged checkpoint.`,
    `replay (rebuilds the sandbox with its symlinks and FIFOs; --keep leaves it for inspection):`,
    `  node --import tsx test/fuzz/main.ts --replay ${rel}/case.json --keep`,
    '',
    '--- stdout (first 4000 chars)', o.out.slice(0, 4000), '--- stderr (first 4000 chars)', o.err.slice(0, 4000),
  ].join('\n') + '\n');
  return dir;
}

export const describe = (p: Problem[]) => p.map((x) => `  ${x.cls}: ${x.detail}`).join('\n');

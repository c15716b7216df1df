// The `vmsec` command line. Exit codes: check 0/1 (errors found); 2 for misuse.
import * as nodePath from 'node:path';
import pkg from '../../../package.json';
import { checkFiles } from './check';
import { collectVmsecFiles } from './files';
import { formatJson, formatSarif, formatText, locate } from './format-check';
import { diskReader } from './files';
import { Workspace } from '../model/workspace';
import { runFileSet } from '../sim/run';
import { formatRunJson, formatRunJunit, formatRunText } from './format-run';
import { exportQuotes } from './export-quotes';
import { formatCheckpoint, inspectCheckpoint } from './ckpt';
import { readFileSync } from 'node:fs';
import { Costs, DEFAULT_COSTS } from '../sim/costs';

const USAGE = `usage:
  vmsec check PATH... [--format text|json|sarif] [--root DIR]
  vmsec run FILE [--scenario NAME] [--format text|json|junit] [--export-quotes DIR] [--checkpoint-dir DIR] [--costs FILE]
  vmsec ckpt FILE [--format text|json]
  vmsec --version

check   parse and validate .vmsec files (folders are searched); exit 1 if any error
run     run the scenarios of a file; exit 0 if every expectation passes, 1 if one
        fails, 2 if the file has errors or the command is misused
ckpt    read a checkpoint file, check it, and scan it for confidential data in clear`;

class UsageError extends Error {}

interface Parsed { command: string; positional: string[]; flags: Map<string, string> }

function parseArgs(argv: string[]): Parsed {
  const [command = '', ...rest] = argv;
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else {
        const v = rest[i + 1];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
        flags.set(a.slice(2), v);
        i++;
      }
    } else positional.push(a);
  }
  return { command, positional, flags };
}

function runCheck(p: Parsed): number {
  const format = p.flags.get('format') ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown format '${format}' for check (text, json or sarif)`);
  for (const f of p.flags.keys()) if (f !== 'format' && f !== 'root') throw new UsageError(`unknown option --${f}`);
  if (p.positional.length === 0) throw new UsageError('check needs at least one file or folder');
  const { files: paths, missing } = collectVmsecFiles(p.positional);
  if (missing.length) throw new UsageError(`no such file or folder: ${missing.join(', ')}`);
  const root = p.flags.get('root');
  const { files, diagnostics } = checkFiles(paths, root ? nodePath.resolve(root) : undefined);
  const items = locate(files, diagnostics);
  const out = format === 'json' ? formatJson(items) : format === 'sarif' ? formatSarif(items, pkg.version) : formatText(items);
  if (out) process.stdout.write(out + '\n');
  if (format === 'text') {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
    process.stderr.write(`${files.length} file${files.length === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  }
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** A JSON object overriding entries of the cost table (microseconds, see docs/simulator.md). */
function readCosts(file: string): Partial<Costs> {
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new UsageError(`--costs ${file}: ${(e as Error).message}`); }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`--costs ${file}: expected a JSON object`);
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in DEFAULT_COSTS)) throw new UsageError(`--costs ${file}: unknown cost '${k}' (known: ${Object.keys(DEFAULT_COSTS).join(', ')})`);
    if (typeof v !== 'number' || !(v >= 0)) throw new UsageError(`--costs ${file}: '${k}' must be a number ≥ 0`);
  }
  return raw as Partial<Costs>;
}

function runRun(p: Parsed): number {
  const format = p.flags.get('format') ?? 'text';
  if (!['text', 'json', 'junit'].includes(format)) throw new UsageError(`unknown format '${format}' for run (text, json or junit)`);
  for (const f of p.flags.keys()) if (!['format', 'scenario', 'export-quotes', 'checkpoint-dir', 'root', 'costs'].includes(f)) throw new UsageError(`unknown option --${f}`);
  const costs = p.flags.get('costs') ? readCosts(p.flags.get('costs')!) : undefined;
  if (p.positional.length !== 1) throw new UsageError('run needs exactly one file');
  const file = nodePath.resolve(p.positional[0]);
  const set = new Workspace(diskReader).fileSet(file);
  if (!set) throw new UsageError(`cannot read ${p.positional[0]}`);
  const quotesDir = p.flags.get('export-quotes');
  const root = p.flags.get('root');
  const outcome = runFileSet(set, {
    scenario: p.flags.get('scenario'),
    costs,
    workspaceRoot: root ? nodePath.resolve(root) : undefined,
    checkpointDir: p.flags.get('checkpoint-dir') ? nodePath.resolve(p.flags.get('checkpoint-dir')!) : undefined,
    onWorld: quotesDir ? (name, world) => { exportQuotes(nodePath.resolve(quotesDir), name, world); } : undefined,
  });
  if (outcome.kind === 'invalid') {
    process.stderr.write(formatText(locate(set.files, outcome.diagnostics.filter((d) => d.severity === 'error'))) + '\nvmsec: the file has errors; fix them before running\n');
    return 2;
  }
  if (outcome.kind === 'no-scenario') {
    process.stderr.write(`vmsec: no scenario "${p.flags.get('scenario')}"; the file has: ${outcome.names.map((n) => `"${n}"`).join(', ') || 'none'}\n`);
    return 2;
  }
  const r = outcome.result;
  process.stdout.write((format === 'json' ? formatRunJson(r) : format === 'junit' ? formatRunJunit(r) : formatRunText(r)) + '\n');
  return r.scenarios.every((s) => s.passed) ? 0 : 1;
}

function runCkpt(p: Parsed): number {
  const format = p.flags.get('format') ?? 'text';
  if (!['text', 'json'].includes(format)) throw new UsageError(`unknown format '${format}' for ckpt (text or json)`);
  if (p.positional.length !== 1) throw new UsageError('ckpt needs exactly one file');
  let report;
  try { report = inspectCheckpoint(p.positional[0]); } catch (e) { process.stderr.write(`vmsec: ${(e as Error).message}\n`); return 1; }
  process.stdout.write((format === 'json' ? JSON.stringify(report, null, 2) : formatCheckpoint(report)) + '\n');
  return 0;
}

export function main(argv: string[]): number {
  try {
    const p = parseArgs(argv);
    switch (p.command) {
      case 'check': return runCheck(p);
      case 'run': return runRun(p);
      case 'ckpt': return runCkpt(p);
      case '--version': case 'version': process.stdout.write(`${pkg.version}\n`); return 0;
      case '--help': case 'help': case '-h': process.stdout.write(USAGE + '\n'); return 0;
      default: throw new UsageError(p.command ? `unknown command '${p.command}'` : 'no command given');
    }
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`vmsec: ${e.message}\n${USAGE}\n`); return 2; }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));

// `vmsec merge PARTS…`: the partial results of `vmsec run --shard i/n --out
// FILE` combined into one result, the same (timing aside, byte for byte) as
// the unsharded run. Parts of different inputs, a shard missing or given
// twice, or a cut-short part are refused with a message naming the parts.
// Also the output of many runs shared with `vmsec run --seeds`.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import pkg from '../../../package.json';
import { readRegularFile } from '../model/source-reader';
import { writeGuarded, writeProblem, WriteRefused } from '../model/guarded-write';
import { Aggregator, type BatchSummary } from '../batch/aggregate';
import { ItemCheck, mergeProblems, parsePartial, partProblem, type PartialHeader } from '../batch/shard';
import type { ItemOutcome } from '../batch/types';
import { SweepAggregate } from '../batch/sweep-aggregate';
import { isSweepSpec, sweepOutProblem, sweepOutput, sweepResult, writeSweepOut, type SweepFormat } from '../report/sweep-report';
import { formatBatchText } from '../report/batch-text';
import { BATCH_JSON_MAGIC, formatBatchJson } from '../report/batch-json';
import { BATCH_JUNIT_MAGIC, formatBatchJunit } from '../report/batch-junit';
import { BATCH_SARIF_MAGIC, formatBatchSarif } from '../report/batch-sarif';
import { renderBatchHtml } from '../report/batch-html';
import { REPORT_MAGIC } from '../report/html';
import type { ParsedArgs } from './args';
import { Command, formatOption, InputError, write, writeMessage } from './common';
import { displayPath } from './files';

/** The largest partial merge reads (a million outcomes is about 400 MB). */
const MAX_PARTIAL_BYTES = 1024 * 1024 * 1024;

export type BatchFormat = 'text' | 'json' | 'junit' | 'sarif' | 'html';

/** The first bytes of each format vmsec writes: --out replaces only a file that starts with them (text has none: never replaced). */
const MAGIC: Record<BatchFormat, string | undefined> = { text: undefined, json: BATCH_JSON_MAGIC, junit: BATCH_JUNIT_MAGIC, sarif: BATCH_SARIF_MAGIC, html: REPORT_MAGIC };

export function formatBatch(format: BatchFormat, summary: BatchSummary, agg: Aggregator): string {
  switch (format) {
    case 'json': return formatBatchJson(summary);
    case 'junit': return formatBatchJunit(summary);
    case 'sarif': return formatBatchSarif(summary, pkg.version);
    case 'html': return renderBatchHtml(summary, agg);
    default: return formatBatchText(summary);
  }
}

/** Why `target` may not be written as `format` (checked before any work), or undefined. */
export function outProblem(flag: string, target: string, magic: string | undefined): string | undefined {
  const p = writeProblem(nodePath.dirname(target), target, magic === undefined ? undefined : Buffer.from(magic, 'utf8'));
  return p ? `${flag} ${target}: ${p.replace(/\n/g, '\\n')}` : undefined;
}

/** Writes a result file through the guarded writer (its own folder is the root). */
export function writeOut(flag: string, target: string, magic: string | undefined, text: string | string[]): void {
  try {
    writeGuarded(target, { root: nodePath.dirname(target), ownMagic: magic === undefined ? undefined : Buffer.from(magic, 'utf8') }, (sink) => {
      for (const t of typeof text === 'string' ? [text] : text) sink.write(Buffer.from(t, 'utf8'));
    });
  } catch (e) {
    if (e instanceof WriteRefused) throw new WriteRefused(`${flag} ${target}: ${e.message.replace(/\n/g, '\\n')}`);
    throw e;
  }
}

/** Prints a batch result, or writes it to --out; the exit code follows the runs. */
export function emitBatch(format: BatchFormat, summary: BatchSummary, agg: Aggregator, out: string | undefined): number {
  const text = formatBatch(format, summary, agg);
  if (out !== undefined) {
    writeOut('--out', out, MAGIC[format], text.endsWith('\n') ? text : text + '\n');
    if (format === 'text') write(process.stdout, text);
    else writeMessage(process.stderr, `vmsec: ${summary.runs} runs, ${summary.passed} passed, ${summary.runs - summary.passed} failed; written to ${displayPath(out)}`);
  } else if (format === 'text') write(process.stdout, text);
  else process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  return summary.passed === summary.runs ? 0 : 1;
}

export function batchOutTarget(p: ParsedArgs, format: BatchFormat): string | undefined {
  const raw = p.values.get('out');
  if (raw === undefined) return undefined;
  const target = nodePath.resolve(raw);
  const problem = outProblem('--out', target, MAGIC[format]);
  if (problem) throw new InputError(problem);
  return target;
}

function runMerge(p: ParsedArgs): number {
  const format = formatOption(p, 'merge', ['text', 'json', 'junit', 'sarif', 'html']) as BatchFormat;
  if (p.positional.length === 0) throw new InputError('merge needs the partial results to merge (files written by vmsec run --shard i/n --out FILE or vmsec sweep --shard i/n --out FILE)');
  const outRaw = p.values.get('out');
  const out = outRaw === undefined ? undefined : nodePath.resolve(outRaw);
  // One part at a time: parsed, checked, added, dropped (neither a run's nor a sweep's aggregate depends on the order).
  const parts: { name: string; header: PartialHeader }[] = [];
  const problems: string[] = [];
  let agg: Aggregator | undefined;
  let sweepAgg: SweepAggregate | undefined;
  /** Shards folded into the sweep's aggregate: a shard given twice (refused below) is not folded twice. */
  const sweepShards = new Set<number>();
  /** The run's files as named from here (see filesFromHere), set by the first part. */
  let shown: string[] | undefined;
  let check: ItemCheck | undefined;
  for (const file of p.positional) {
    const name = displayPath(nodePath.resolve(file));
    const r = readRegularFile(file, MAX_PARTIAL_BYTES);
    if (!r.ok) { problems.push(`cannot read ${name}: it ${r.error}`); continue; }
    const parsed = parsePartial(r.bytes.toString('utf8'));
    if (!parsed.ok) { problems.push(`${name} ${parsed.error}`); continue; }
    const { header, outcomes } = parsed;
    if (header.sweep !== undefined && !isSweepSpec(header.sweep)) { problems.push(`${name} line 2: the sweep it is a part of is not described in a way this vmsec reads`); continue; }
    const problem = partProblem(name, header, outcomes);
    if (problem) { problems.push(problem); continue; }
    parts.push({ name, header });
    const first = parts[0].header;
    if (header.inputs !== first.inputs || (header.sweep === undefined) !== (first.sweep === undefined)) continue;
    // Each outcome is the run its item number says (a hand-edited seed, point or scenario is refused, located).
    if (!check) {
      try { check = new ItemCheck(header); } catch (e) { problems.push(`${name} ${(e as Error).message}`); continue; }
    }
    const fileNumber = new Map(header.files.map((f, i) => [f, i]));
    const wrong = firstWrongItem(check, outcomes, fileNumber);
    if (wrong) { problems.push(`${name} ${wrong}`); continue; }
    if (header.sweep !== undefined) {
      if (header.shard.count !== first.shard.count || sweepShards.has(header.shard.index)) continue;
      sweepShards.add(header.shard.index);
      const made = sweepAgg ?? mergedSweepAggregate(header);
      if (typeof made === 'string') { problems.push(`${name} ${made}`); continue; }
      sweepAgg = made;
      // A part whose outcomes do not sit where their index says (hand-edited) would count a run twice.
      try { for (const o of outcomes) made.add(o); } catch (e) { problems.push(`${name} ${(e as Error).message}`); }
    } else {
      if (!agg) {
        const { shard: _s, inputs: _i, scenarios: _sc, expectations: _e, quantities: _q, cwd: _c, ...info } = header;
        shown = filesFromHere(header, name);
        agg = new Aggregator({ ...info, files: shown });
      }
      // Files as named from here (equal inputs: the same files in the same order, whatever folder each shard ran in).
      const names = shown!;
      const rename = header.files.some((f, i) => f !== names[i]) ? new Map(header.files.map((f, i) => [f, names[i] ?? f])) : undefined;
      for (const o of outcomes) {
        if (rename) o.file = rename.get(o.file) ?? o.file;
        agg.add(o);
      }
    }
  }
  if (!problems.length) problems.push(...mergeProblems(parts));
  if (problems.length || parts.length === 0) throw new InputError([`cannot merge: ${problems[0] ?? 'no parts'}`, ...problems.slice(1).map((x) => `  ${x}`)]);
  const first = parts[0].header;
  if (isSweepSpec(first.sweep)) return emitSweep(p, format, first, sweepAgg ?? mergedSweepAggregate(first), out);
  if (out !== undefined) {
    const problem = outProblem('--out', out, MAGIC[format]);
    if (problem) throw new InputError(problem);
  }
  return emitBatch(format, agg!.summary(), agg!, out);
}

/** `line N: item …` for the first outcome (line 3 on) that is not the run of its item, or undefined. */
function firstWrongItem(check: ItemCheck, outcomes: readonly ItemOutcome[], fileNumber: Map<string, number>): string | undefined {
  for (let i = 0; i < outcomes.length; i++) {
    const p = check.problem(outcomes[i], fileNumber.get(outcomes[i].file) ?? -1);
    if (p) return `line ${i + 3}: ${p}`;
  }
  return undefined;
}

/**
 * The files of a run's part as named from where merge runs, so that the
 * reproduce commands work from here: a part names its files relative to the
 * folder its shard ran in (`cwd`). A file not found there on this machine (the
 * shard ran elsewhere) keeps the part's name, and stderr says from where.
 */
function filesFromHere(header: PartialHeader, part: string): string[] {
  const missing: string[] = [];
  const names = header.files.map((f) => {
    if (header.cwd === undefined) return f;
    const abs = nodePath.resolve(header.cwd, f);
    if (isFile(abs)) return displayPath(abs);
    missing.push(f);
    return f;
  });
  if (missing.length) {
    writeMessage(process.stderr, `vmsec: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in ${header.cwd}, where ${part} was made; the reproduce commands name ${missing.length === 1 ? 'it' : 'them'} from that folder`);
  }
  return names;
}

function isFile(path: string): boolean {
  try { return fs.statSync(path).isFile(); } catch { return false; }
}

/** The empty aggregate of a sweep's parts (it takes their outcomes in any order), or what is wrong with the header. */
function mergedSweepAggregate(header: PartialHeader): SweepAggregate | string {
  const spec = header.sweep as Parameters<typeof sweepResult>[0];
  const cells = Math.max(1, header.variants.length) * spec.scenarios.length;
  const seedsPerCell = cells ? header.items / cells : 0;
  if (!Number.isSafeInteger(seedsPerCell)) return `line 2: ${header.items} items are not the same number of runs for each of its ${cells} points and scenarios`;
  return new SweepAggregate(header.variants.length, spec.scenarios, { seedsPerCell, metrics: spec.kind === 'sweep' ? spec.metrics : [] });
}

/** The merged sweep, printed as `vmsec sweep` prints it. */
function emitSweep(p: ParsedArgs, format: BatchFormat, header: PartialHeader, agg: SweepAggregate | string, out: string | undefined): number {
  if (format !== 'text' && format !== 'json' && format !== 'html') throw new InputError(`--format ${format}: the parts are of a sweep, which merges as text, json or html`);
  const spec = header.sweep as Parameters<typeof sweepResult>[0];
  if (out !== undefined) {
    const problem = sweepOutProblem(out, format as SweepFormat);
    if (problem) throw new InputError(`--out ${p.values.get('out')}: ${problem}`);
  }
  if (typeof agg === 'string') throw new InputError(`cannot merge: ${agg}`);
  const { view, failed } = sweepResult(spec, header.variants, agg);
  const text = sweepOutput(view, format as SweepFormat);
  if (out === undefined) {
    if (format === 'text') write(process.stdout, text); else process.stdout.write(text + (text.endsWith('\n') ? '' : '\n'));
  } else {
    writeSweepOut(out, displayPath(out), format as SweepFormat, text);
    writeMessage(process.stderr, `vmsec: ${format === 'html' ? 'report' : 'results'} written to ${displayPath(out)}`);
  }
  return failed ? 1 : 0;
}

const SYNOPSIS = 'vmsec merge PART... [--format text|json|junit|sarif|html] [--out FILE]';

export const mergeCommand: Command = {
  synopsis: SYNOPSIS,
  help: `usage: ${SYNOPSIS}

Combine the partial results of \`vmsec run FILE... --seeds RANGE --shard i/n
--out PART\` or of \`vmsec sweep FILE ... --shard i/n --out PART\` (one per
shard, in any order) into one result: the same as the run or sweep without
--shard, byte for byte. Refuses parts of different inputs (files, seeds,
varied values, ablation, metrics or settings), run and sweep parts together, a
shard missing or given twice, and a part that was cut short. A sweep's parts
merge as text, json or html.

  --format text|json|junit|sarif|html   output format (default text)
  --out FILE                 write the result to FILE instead of standard output
                             (replaces only a file vmsec wrote in that format)
  --                         end of options
  -h, --help                 this help

exit 0 every run passed, 1 a run failed, 2 misuse, an unreadable part or parts
that do not belong together`,
  options: { format: true, out: true },
  run: runMerge,
};

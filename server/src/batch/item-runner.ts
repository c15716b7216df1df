// Runs one work item in this thread: the item's file set, with its variant's
// edits applied to the texts the plan read (never re-read from disk, so every
// worker and shard runs exactly what was validated and hashed), and the
// item's seed in place of the scenario's own. A file set is resolved and
// validated once per (file, variant) and kept for the next seeds.
import type * as A from '../../../grammar/src/ast';
import { Workspace, type FileSet } from '../model/workspace';
import { resolveFileSet, type Resolved } from '../model/resolve';
import { validateFileSetFiles } from '../validation/validate-files';
import { runScenario, type RunOptions } from '../sim/scenario';
import { locOfFiles } from '../sim/locations';
import * as nodePath from 'node:path';
import { safeSegment, withScratchFolder } from '../model/guarded-write';
import { failedOutcome, outcomeOf } from './outcome';
import type { ItemOutcome, SourceEdit, WorkItem } from './types';
import type { Plan } from './plan';
import { applyEdits } from './sweep-edits';
import { pointAt, type PointSource } from './points';

/** What every item of a run shares (the `vmsec run` options that change results). */
export interface RunSettings {
  costs?: RunOptions['costs'];
  workspaceRoot?: string;
  checkpointDir?: string;
  /**
   * Many runs: each item writes its checkpoints into its own folder below
   * checkpointDir (see itemFolder), so seeds and points do not overwrite each other.
   */
  checkpointPerItem?: boolean;
  /**
   * Items run at the same time (worker threads): without checkpointDir, an
   * item's checkpoints go to a scratch folder of its own, removed after it,
   * since the files the scenarios declare would be written and read back by
   * several items at once.
   */
  concurrent?: boolean;
  maxCheckpointBytes?: number;
  traces?: { vm: string; path: string }[];
}

/**
 * What a runner needs of the plan: keys by name, the texts read, the points.
 * Plain data (sent to workers). Files go by their key (plan.ts FileKey) here
 * as in the plan; only the runner turns a key into a path (base + key), where
 * it makes the file set.
 */
export interface RunnerInput {
  /** The folder the keys are relative to, on this machine. */
  base: string;
  files: { name: string; key: string }[];
  /** [key, text] of every file of every file set. */
  texts: [string, string][];
  /** The plan's points (a grid's axes, not every point), edits by key: each runner makes the points it runs. */
  points: PointSource;
  settings: RunSettings;
}

type Prepared =
  | { ok: true; set: FileSet; resolved: Resolved; decls: Map<string, A.ScenarioDecl>; options: RunOptions }
  | { ok: false; line: number; message: string };

/** Texts with a variant's edits applied (edits of one file must not overlap), by sweep-edits' applyEdits. */
export function applyVariantEdits(texts: Map<string, string>, edits: SourceEdit[]): Map<string, string> | string {
  if (edits.length === 0) return texts;
  const out = new Map(texts);
  const byPath = new Map<string, SourceEdit[]>();
  for (const e of edits) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
  for (const [path, list] of byPath) {
    const text = out.get(path);
    if (text === undefined) return `the variant edits ${path}, which is not part of the run`;
    // A partial's edits come from another process: check them before applying.
    let limit = text.length;
    for (const e of [...list].sort((a, b) => b.start - a.start)) {
      if (e.start < 0 || e.end < e.start || e.end > limit) return `the variant's edits of ${path} overlap or fall outside the file`;
      limit = e.start;
    }
    out.set(path, applyEdits(text, list));
  }
  return out;
}

const CACHED = 8;

/**
 * Where one item of many runs writes its checkpoints, below --checkpoint-dir:
 * [FILE/]SCENARIO/[point-K/]seed-N, each name made one safe path segment
 * (FILE only when the run has several files; K counts variants from 1).
 */
export function itemFolder(item: WorkItem, withFile: boolean): string {
  const parts = withFile ? [safeSegment(item.file)] : [];
  parts.push(safeSegment(item.scenario));
  if (item.variant !== undefined) parts.push(`point-${item.variant + 1}`);
  parts.push(`seed-${item.seed}`);
  return parts.join('/');
}

export class ItemRunner {
  private readonly paths: Map<string, string>;
  private readonly texts: Map<string, string>;
  private readonly cache = new Map<string, Prepared>();
  private readonly abs: (key: string) => string;

  constructor(private readonly input: RunnerInput) {
    const abs = (key: string) => nodePath.join(input.base, key);
    this.abs = abs;
    this.paths = new Map(input.files.map((f) => [f.name, abs(f.key)]));
    this.texts = new Map(input.texts.map(([key, text]) => [abs(key), text]));
  }

  run(item: WorkItem): ItemOutcome {
    const p = this.prepare(item.file, item.variant);
    if (!p.ok) return failedOutcome(item, p.line, p.message);
    const decl = p.decls.get(item.scenario);
    if (!decl) return failedOutcome(item, 1, `no scenario "${item.scenario}" in this variant of the file`);
    const { checkpointDir: dir, checkpointPerItem, concurrent } = this.input.settings;
    const run = (checkpointDir: string | undefined) => outcomeOf(runScenario(decl, p.set, p.resolved, { ...p.options, seed: item.seed, checkpointDir }), item);
    if (dir !== undefined) return run(checkpointPerItem ? nodePath.join(dir, itemFolder(item, this.input.files.length > 1)) : dir);
    if (concurrent && p.resolved.model.checkpoints.size > 0) return withScratchFolder(run);
    return run(undefined);
  }

  private prepare(name: string, variant: number | undefined): Prepared {
    const key = `${name}\u0000${variant ?? ''}`;
    const hit = this.cache.get(key);
    if (hit) {
      // Most recently used last.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const p = this.build(name, variant);
    this.cache.set(key, p);
    if (this.cache.size > CACHED) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }

  private build(name: string, variant: number | undefined): Prepared {
    const path = this.paths.get(name);
    if (path === undefined) return { ok: false, line: 1, message: `${name} is not part of this run` };
    // The point is made here, once per (file, variant) the cache misses, with its edits' keys turned into this machine's paths.
    const v = variant === undefined ? undefined : pointAt(this.input.points, variant);
    if (variant !== undefined && !v) return { ok: false, line: 1, message: `variant ${variant} is not part of this run` };
    const texts = applyVariantEdits(this.texts, v ? v.edits.map((e) => ({ ...e, path: this.abs(e.path) })) : []);
    if (typeof texts === 'string') return { ok: false, line: 1, message: texts };
    // Only the texts the plan read: a file outside them is unreadable, never read from disk behind the hash's back.
    const ws = new Workspace({ read: (p) => (texts.has(p) ? { ok: true, text: texts.get(p)! } : { ok: false, error: 'was not read when the run was planned' }) });
    const set = ws.fileSet(path);
    if (!set) return { ok: false, line: 1, message: `${name} cannot be read` };
    const resolved = resolveFileSet(set);
    const { diagnostics } = validateFileSetFiles(set, { workspaceRoot: this.input.settings.workspaceRoot }, resolved);
    const error = diagnostics.find((d) => d.severity === 'error');
    if (error) {
      const f = set.files.find((x) => x.path === error.path);
      const line = f ? f.lines.position(error.span.start).line + 1 : 1;
      return { ok: false, line, message: `${v ? `the variant "${v.label}"` : 'the file'} does not validate: ${error.code} ${error.message}` };
    }
    const decls = new Map<string, A.ScenarioDecl>();
    for (const d of set.root.doc.decls) if (d.kind === 'scenario' && !decls.has(d.title.value)) decls.set(d.title.value, d);
    const lines = set.root.lines;
    const text = set.root.text;
    const options: RunOptions = {
      ...this.input.settings,
      lineOf: (span) => lines.position(span.start).line + 1,
      textOf: (span) => text.slice(span.start, span.end).replace(/\s+/g, ' ').trim(),
      locOf: locOfFiles(set.files),
    };
    return { ok: true, set, resolved, decls, options };
  }
}

/** The runner's input for a plan (texts and edits by key). */
export function runnerInput(plan: Plan, settings: RunSettings): RunnerInput {
  const texts = new Map<string, string>();
  const key = (p: string) => plan.keys.get(p) ?? p;
  for (const f of plan.files) for (const t of f.texts) texts.set(key(t.path), t.text);
  return { base: plan.base, files: plan.files.map((f) => ({ name: f.name, key: key(f.path) })), texts: [...texts], points: plan.points, settings };
}

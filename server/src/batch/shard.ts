// `--shard i/n` and the partial result a shard writes.
//
// Slicing: item k (canonical index, from 0) belongs to shard (k mod n) + 1.
// Neighbouring items are the same scenario and variant with the next seed, so
// round-robin deals every scenario's seeds evenly over the shards: shards get
// within one item of each other per scenario, and so nearly the same cost,
// without estimating costs. Shards are numbered from 1 (like Jest and
// Playwright); a Kubernetes Indexed Job passes JOB_COMPLETION_INDEX + 1.
//
// A partial is JSON lines after a magic first line:
//   vmsec-partial/1
//   {"inputs":"<sha256>","shard":{"index":i,"count":n},"items":N,"files":[…],"seeds":"1..1000","variants":[…]}
//   {"index":…} one ItemOutcome per line, in index order
//   {"end":true,"outcomes":K}
// The inputs hash covers every file's name and text, the seeds, the variants
// and the settings that change results, so parts of different inputs are
// refused; the end line tells a complete partial from a truncated one.
import { createHash } from 'node:crypto';
import type { Plan } from './plan';
import { seedsText } from './plan';
import type { ItemOutcome } from './types';

export const PARTIAL_MAGIC = 'vmsec-partial/1\n';

export interface Shard { index: number; count: number }
export const MAX_SHARDS = 100_000;

/** `2/4` → { index: 2, count: 4 }, or what is wrong. */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return `'${text}' is not a shard; write i/n, e.g. 2/4 for the second of four shards (numbered from 1)`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) return `${text}: the number of shards must be 1 to ${MAX_SHARDS}`;
  if (index < 1 || index > count) return `${text}: shards are numbered 1 to ${count}${index === 0 ? ' (for a 0-based index such as JOB_COMPLETION_INDEX, add 1)' : ''}`;
  return { index, count };
}

export function inShard(shard: Shard | undefined): (index: number) => boolean {
  if (!shard) return () => true;
  const want = shard.index - 1;
  return (k) => k % shard.count === want;
}

/** How many of `total` items shard i/n holds. */
export function shardSize(total: number, shard: Shard): number {
  const r = shard.index - 1;
  return r >= total ? 0 : Math.floor((total - 1 - r) / shard.count) + 1;
}

export interface PartialHeader {
  inputs: string;
  shard: Shard;
  items: number;
  files: string[];
  seeds: string;
  variants: { id: string; label: string; values: Record<string, string> }[];
}

/** The content hash of everything that decides a plan's outcomes. */
export function inputsHash(plan: Plan, settings: unknown): string {
  const h = createHash('sha256');
  const put = (x: unknown) => h.update(JSON.stringify(x) + '\n');
  put({ format: 1, settings: settings ?? null, seeds: plan.seeds });
  for (const f of plan.files) {
    put({ file: f.name, scenarios: f.scenarios });
    for (const t of f.texts) put({ name: t.name, sha256: createHash('sha256').update(t.text, 'utf8').digest('hex') });
  }
  for (const v of plan.variants) put({ id: v.id, values: v.values, edits: v.edits.map((e) => ({ ...e, path: nameOfEdit(plan, e.path) })) });
  return h.digest('hex');
}

/** An edit's file by its shown name (absolute paths differ between machines). */
function nameOfEdit(plan: Plan, path: string): string {
  for (const f of plan.files) for (const t of f.texts) if (t.path === path) return t.name;
  return path;
}

export function partialHeader(plan: Plan, shard: Shard, inputs: string): PartialHeader {
  return {
    inputs, shard, items: plan.count, files: plan.files.map((f) => f.name), seeds: seedsText(plan.seeds),
    variants: plan.variants.map((v) => ({ id: v.id, label: v.label, values: v.values })),
  };
}

export function headerLines(header: PartialHeader): string {
  return PARTIAL_MAGIC + JSON.stringify(header) + '\n';
}

/** One outcome line; wall time left out (the only field that differs between equal runs). */
export function outcomeLine(o: ItemOutcome): string {
  const { wall_ms: _wall, ...rest } = o;
  return JSON.stringify(rest) + '\n';
}

export function endLine(outcomes: number): string {
  return JSON.stringify({ end: true, outcomes }) + '\n';
}

export type ParsedPartial = { ok: true; header: PartialHeader; outcomes: ItemOutcome[] } | { ok: false; error: string };

/** Reads a partial's text; every problem is a message naming the line. */
export function parsePartial(text: string): ParsedPartial {
  if (!text.startsWith(PARTIAL_MAGIC)) return { ok: false, error: `is not a vmsec partial result (its first line is not "${PARTIAL_MAGIC.trim()}"); write one with vmsec run --shard i/n --out FILE` };
  // Line by line without splitting the whole text first (a merge reads 100,000s of lines).
  let at = PARTIAL_MAGIC.length;
  const nextLine = (): string | undefined => {
    if (at >= text.length) return undefined;
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end);
    at = end + 1;
    return line;
  };
  let header: PartialHeader;
  try { header = JSON.parse(nextLine() ?? ''); } catch { return { ok: false, error: 'line 2: the header is not JSON' }; }
  if (!isHeader(header)) return { ok: false, error: 'line 2: the header lacks inputs, shard, items, files, seeds or variants' };
  const outcomes: ItemOutcome[] = [];
  let ended = false;
  for (let n = 3, line = nextLine(); line !== undefined; n++, line = nextLine()) {
    let v: unknown;
    try { v = JSON.parse(line); } catch { return { ok: false, error: `line ${n}: not JSON (the file is damaged)` }; }
    if (ended) return { ok: false, error: `line ${n}: text after the end line` };
    if (isEnd(v)) {
      if (v.outcomes !== outcomes.length) return { ok: false, error: `line ${n}: the end line counts ${v.outcomes} outcomes, the file has ${outcomes.length}` };
      ended = true;
      continue;
    }
    if (!isOutcome(v)) return { ok: false, error: `line ${n}: not an item outcome` };
    outcomes.push(v);
  }
  if (!ended) return { ok: false, error: 'has no end line: it is incomplete (the shard was stopped or the file cut short)' };
  return { ok: true, header, outcomes };
}

function isHeader(h: unknown): h is PartialHeader {
  const x = h as PartialHeader;
  return typeof x === 'object' && x !== null && typeof x.inputs === 'string' && typeof x.items === 'number' && typeof x.shard === 'object' && x.shard !== null
    && Number.isInteger(x.shard.index) && Number.isInteger(x.shard.count) && Array.isArray(x.files) && typeof x.seeds === 'string' && Array.isArray(x.variants);
}

function isEnd(v: unknown): v is { end: true; outcomes: number } {
  return typeof v === 'object' && v !== null && (v as { end?: unknown }).end === true;
}

function isOutcome(v: unknown): v is ItemOutcome {
  const o = v as ItemOutcome;
  return typeof o === 'object' && o !== null && Number.isInteger(o.index) && typeof o.file === 'string' && typeof o.scenario === 'string'
    && typeof o.seed === 'number' && typeof o.passed === 'boolean' && Array.isArray(o.expectations) && Array.isArray(o.errors)
    && typeof o.quantities === 'object' && o.quantities !== null;
}

/** Whether one part holds exactly the items of its shard: a problem message, or undefined. */
export function partProblem(name: string, header: PartialHeader, outcomes: readonly ItemOutcome[]): string | undefined {
  const want = shardSize(header.items, header.shard);
  const keep = inShard(header.shard);
  const seen = new Set<number>();
  for (const o of outcomes) {
    if (!keep(o.index) || o.index >= header.items) return `${name} holds item ${o.index}, which is not in shard ${header.shard.index}/${header.shard.count}`;
    if (seen.has(o.index)) return `${name} holds item ${o.index} twice`;
    seen.add(o.index);
  }
  if (outcomes.length !== want) return `${name} should hold the ${want} items of shard ${header.shard.index}/${header.shard.count} and holds ${outcomes.length}`;
  return undefined;
}

/**
 * Checks that parts are the n shards of one input, each once: an empty list
 * or problem messages naming the parts.
 */
export function mergeProblems(parts: { name: string; header: PartialHeader }[]): string[] {
  if (parts.length === 0) return ['no partial results given'];
  const first = parts[0];
  const problems: string[] = [];
  for (const p of parts.slice(1)) {
    if (p.header.inputs !== first.header.inputs) problems.push(`${p.name} is a result of different inputs than ${first.name} (files, seeds, variants or settings differ); merge only the shards of one run`);
    else if (p.header.shard.count !== first.header.shard.count) problems.push(`${p.name} is shard ${p.header.shard.index}/${p.header.shard.count}, ${first.name} is ${first.header.shard.index}/${first.header.shard.count}: the shard counts differ`);
  }
  if (problems.length) return problems;
  const n = first.header.shard.count;
  const byIndex = new Map<number, string>();
  for (const p of parts) {
    const other = byIndex.get(p.header.shard.index);
    if (other !== undefined) problems.push(`shard ${p.header.shard.index}/${n} is given twice: ${other} and ${p.name}`);
    else byIndex.set(p.header.shard.index, p.name);
  }
  const missing: number[] = [];
  for (let i = 1; i <= n && missing.length < 20; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length) problems.push(`shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')}${missing.length === 20 ? ', …' : ''} of ${n} ${missing.length === 1 ? 'is' : 'are'} missing`);
  return problems;
}

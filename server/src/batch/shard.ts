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
//   vmsec-partial/2
//   {"inputs":"<sha256>","shard":{"index":i,"count":n},"items":N,"files":[…],"seeds":"1..1000","variants":[…],
//    "cwd":"<folder the shard ran in>","sweep":{…} (sweeps only),"scenarios":[…],"expectations":[[line,text],…],"quantities":[…]}
//   [index,file,scenario,variant,seed,passed,expectations,errors,quantities]   one per item, in index order
//   {"end":true,"outcomes":K}
// An outcome line is numbers into the header's tables (file, scenario; -1: no
// variant; passed 0/1; each expectation its table index when it passed,
// [index, actual] when it failed; errors [[line, message]…]; quantities by the
// header's quantity names, null when not measured), so a merge of 100,000
// outcomes reads a few MB and parses them in one go. Format 1 (an object per
// line) is refused with a message: a shard is re-run, not converted.
// The inputs hash covers every file's key and text, the seeds, the variants,
// the sweep and the settings that change results, so parts of different
// inputs are refused; the end line tells a complete partial from a truncated one.
import { createHash } from 'node:crypto';
import type { Plan } from './plan';
import { parseSeeds, seedsText } from './plan';
import type { Actual, ItemOutcome } from './types';

export const PARTIAL_MAGIC = 'vmsec-partial/2\n';
const OLD_MAGIC = 'vmsec-partial/1\n';
/** What every partial starts with, whatever its version: --out replaces a file only when it starts so. */
export const PARTIAL_FAMILY = 'vmsec-partial/';

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

/** A point as a partial's header lists it. */
export interface PointInfo { id: string; label: string; values: Record<string, string> }

/** What a partial says about the run it is a part of (line 2), as read back. */
export interface PartialInfo {
  inputs: string;
  shard: Shard;
  items: number;
  files: string[];
  seeds: string;
  variants: PointInfo[];
  /** A sweep's description (vmsec sweep --shard); absent for vmsec run --shard. */
  sweep?: unknown;
  /**
   * The folder the shard ran in, which `files` are relative to: merge names
   * the files from where it runs when they are there (its reproduce commands
   * must work from there). Not part of the inputs: another checkout joins.
   */
  cwd?: string;
}

/**
 * What a shard writes on line 2 before it knows its tables: PartialInfo with
 * the plan's points read one by one when the header is written (as
 * `variants`), so the run never holds a list of every point.
 */
export interface ShardInfo extends Omit<PartialInfo, 'variants'> {
  points: { count: number; at(i: number): PointInfo };
}

export interface PartialHeader extends PartialInfo {
  /** The tables outcome lines index into. */
  scenarios: string[];
  expectations: [number, string][];
  quantities: string[];
}

/** The content hash of everything that decides a plan's outcomes (and, for a sweep, its report). */
export function inputsHash(plan: Plan, settings: unknown, sweep?: unknown): string {
  const h = createHash('sha256');
  const put = (x: unknown) => h.update(JSON.stringify(x) + '\n');
  // Files by key, never by shown name or absolute path: the same inputs hash the same from any folder on any machine.
  const key = (p: string) => plan.keys.get(p) ?? p;
  put({ format: 2, settings: settings ?? null, seeds: plan.seeds });
  for (const f of plan.files) {
    put({ file: key(f.path), scenarios: f.scenarios });
    for (const t of f.texts) put({ key: key(t.path), sha256: createHash('sha256').update(t.text, 'utf8').digest('hex') });
  }
  // Point by point, each made and dropped: the hash of a 100,000-point grid holds one point at a time.
  for (let i = 0; i < plan.variantCount; i++) {
    const v = plan.variant(i);
    put({ id: v.id, values: v.values, edits: v.edits });
  }
  // Shown names ("file") are left out for the same reason.
  if (sweep !== undefined) h.update(JSON.stringify(sweep, (k, v) => (k === 'file' ? undefined : v)));
  return h.digest('hex');
}

export function partialInfo(plan: Plan, shard: Shard, inputs: string, sweep?: unknown): ShardInfo {
  const info: ShardInfo = {
    inputs, shard, items: plan.count, files: plan.files.map((f) => f.name), seeds: seedsText(plan.seeds), cwd: process.cwd(),
    points: { count: plan.variantCount, at: (i) => { const v = plan.variant(i); return { id: v.id, label: v.label, values: v.values }; } },
  };
  if (sweep !== undefined) info.sweep = sweep;
  return info;
}

/**
 * Collects a shard's outcome lines and writes the partial at the end (the
 * tables in the header are only known then). Lines are strings: an outcome
 * is encoded as it arrives and dropped.
 */
export class PartialWriter {
  private readonly lines: string[] = [];
  private readonly files: Map<string, number>;
  private readonly scenarios = new Map<string, number>();
  private readonly expectations = new Map<string, number>();
  private readonly expList: [number, string][] = [];
  private readonly quantities = new Map<string, number>();

  constructor(private readonly info: PartialInfo | ShardInfo) {
    this.files = new Map(info.files.map((f, i) => [f, i]));
  }

  get count(): number { return this.lines.length; }

  add(o: ItemOutcome): void {
    let file = this.files.get(o.file);
    if (file === undefined) { file = this.files.size; this.files.set(o.file, file); }
    let scenario = this.scenarios.get(o.scenario);
    if (scenario === undefined) { scenario = this.scenarios.size; this.scenarios.set(o.scenario, scenario); }
    const exps: (number | [number, Actual])[] = [];
    for (const e of o.expectations) {
      const k = `${e.line}\u0000${e.text}`;
      let id = this.expectations.get(k);
      if (id === undefined) { id = this.expList.length; this.expectations.set(k, id); this.expList.push([e.line, e.text]); }
      // What a passing check saw is not kept: only failures are reported with it.
      // A number JSON cannot hold (NaN) goes as its text, which is what a report prints of it.
      exps.push(e.passed ? id : [id, typeof e.actual === 'number' && !Number.isFinite(e.actual) ? String(e.actual) : e.actual]);
    }
    const qs: (number | null)[] = [];
    for (const name in o.quantities) {
      let q = this.quantities.get(name);
      if (q === undefined) { q = this.quantities.size; this.quantities.set(name, q); }
      while (qs.length <= q) qs.push(null);
      qs[q] = o.quantities[name];
    }
    // Wall time is left out: the only field that differs between equal runs.
    this.lines.push(JSON.stringify([o.index, file, scenario, o.variant ?? -1, o.seed, o.passed ? 1 : 0, exps, o.errors.map((e) => [e.line, e.message]), qs]) + '\n');
  }

  /**
   * Line 2 as JSON.stringify of the PartialHeader would write it (the info's
   * fields in their order, then the tables), the points written one by one
   * in place of the `points` lookup.
   */
  private headerText(): string {
    const whole = { ...this.info, files: [...this.files.keys()], scenarios: [...this.scenarios.keys()], expectations: this.expList, quantities: [...this.quantities.keys()] };
    let out = '{';
    for (const [k, v] of Object.entries(whole)) {
      if (v === undefined) continue;
      if (out.length > 1) out += ',';
      if (k === 'points') {
        const points = v as ShardInfo['points'];
        out += '"variants":[';
        for (let i = 0; i < points.count; i++) out += (i ? ',' : '') + JSON.stringify(points.at(i));
        out += ']';
      } else {
        out += `${JSON.stringify(k)}:${JSON.stringify(v)}`;
      }
    }
    return out + '}';
  }

  /** The whole partial, as chunks to write one after another. */
  text(): string[] {
    return [PARTIAL_MAGIC + this.headerText() + '\n', ...this.lines, JSON.stringify({ end: true, outcomes: this.lines.length }) + '\n'];
  }
}

export type ParsedPartial = { ok: true; header: PartialHeader; outcomes: ItemOutcome[] } | { ok: false; error: string };

/** Reads a partial's text; every problem is a message naming the line. */
export function parsePartial(text: string): ParsedPartial {
  if (text.startsWith(OLD_MAGIC)) return { ok: false, error: `was written by an earlier vmsec (format ${OLD_MAGIC.trim()}); run its shard again with this version, which writes ${PARTIAL_MAGIC.trim()}` };
  if (!text.startsWith(PARTIAL_MAGIC)) return { ok: false, error: `is not a vmsec partial result (its first line is not "${PARTIAL_MAGIC.trim()}"); write one with vmsec run --shard i/n --out FILE or vmsec sweep --shard i/n --out FILE` };
  const headerEnd = text.indexOf('\n', PARTIAL_MAGIC.length);
  let header: PartialHeader;
  try { header = JSON.parse(text.slice(PARTIAL_MAGIC.length, headerEnd < 0 ? text.length : headerEnd)); } catch { return { ok: false, error: 'line 2: the header is not JSON' }; }
  if (!isHeader(header)) return { ok: false, error: 'line 2: the header lacks inputs, shard, items, files, seeds, variants or its tables' };
  // The end line is the last line; everything between it and the header is outcome lines.
  const body = headerEnd < 0 ? '' : text.slice(headerEnd + 1);
  const trimmed = body.endsWith('\n') ? body.slice(0, -1) : body;
  const lastStart = trimmed.lastIndexOf('\n') + 1;
  const lines = trimmed.length ? (trimmed.match(/\n/g)?.length ?? 0) + 1 : 0;
  let end: unknown;
  try { end = trimmed.length ? JSON.parse(trimmed.slice(lastStart)) : undefined; } catch { end = undefined; }
  if (!isEnd(end)) return { ok: false, error: 'has no end line: it is incomplete (the shard was stopped or the file cut short)' };
  const itemsText = lastStart > 0 ? trimmed.slice(0, lastStart - 1) : '';
  let rows: unknown[];
  try {
    // One parse for all lines: a merge of 100,000 outcomes spends its time here.
    rows = itemsText.length ? JSON.parse(`[${itemsText.replaceAll('\n', ',')}]`) : [];
  } catch {
    return { ok: false, error: `line ${badLine(itemsText)}: not JSON (the file is damaged)` };
  }
  if (rows.length !== lines - 1) return { ok: false, error: `line ${badLine(itemsText)}: not JSON (the file is damaged)` };
  if (end.outcomes !== rows.length) return { ok: false, error: `line ${lines + 2}: the end line counts ${end.outcomes} outcomes, the file has ${rows.length}` };
  const outcomes: ItemOutcome[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const o = decode(rows[i], header);
    if (typeof o === 'string') return { ok: false, error: `line ${i + 3}: ${isEnd(rows[i]) ? 'text after the end line' : `not an item outcome (${o})`}` };
    outcomes[i] = o;
  }
  return { ok: true, header, outcomes };
}

/** The first line (counting the file's lines) of outcome text that is not one JSON value. */
function badLine(itemsText: string): number {
  const lines = itemsText.split('\n');
  for (let i = 0; i < lines.length; i++) {
    try { JSON.parse(lines[i]); } catch { return i + 3; }
  }
  return 3;
}

/** An outcome line back into an outcome, or what is wrong with it. */
function decode(r: unknown, h: PartialHeader): ItemOutcome | string {
  if (!Array.isArray(r) || r.length !== 9) return 'not an array of 9 fields';
  const [index, file, scenario, variant, seed, passed, exps, errors, qs] = r as unknown[];
  if (!Number.isInteger(index) || (index as number) < 0) return 'bad item number';
  if (typeof file !== 'number' || h.files[file] === undefined) return 'unknown file';
  if (typeof scenario !== 'number' || h.scenarios[scenario] === undefined) return 'unknown scenario';
  // -1: no variant (a run without points); else a point of the header's list.
  if (!Number.isInteger(variant) || (variant as number) < -1 || (variant as number) >= h.variants.length || (variant === -1 && h.variants.length > 0)) return 'bad variant';
  if (!Number.isSafeInteger(seed) || (passed !== 0 && passed !== 1)) return 'bad seed or verdict';
  if (!Array.isArray(exps) || !Array.isArray(errors) || !Array.isArray(qs)) return 'bad expectations, errors or quantities';
  const expectations: ItemOutcome['expectations'] = new Array(exps.length);
  for (let k = 0; k < exps.length; k++) {
    const e = exps[k];
    const failed = Array.isArray(e);
    const id = failed ? e[0] : e;
    const t = typeof id === 'number' ? h.expectations[id] : undefined;
    // What a failure saw: text, a number or a verdict, as `vmsec run --format json` gives it.
    if (!t || (failed && !isActual(e[1]))) return 'unknown expectation';
    expectations[k] = { text: t[1], line: t[0], passed: !failed, actual: failed ? e[1] : '' };
  }
  const errs: ItemOutcome['errors'] = new Array(errors.length);
  for (let k = 0; k < errors.length; k++) {
    const e = errors[k];
    if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'string') return 'bad error';
    errs[k] = { line: e[0], message: e[1] };
  }
  const quantities: Record<string, number> = {};
  for (let k = 0; k < qs.length; k++) {
    const v = qs[k];
    if (v === null) continue;
    if (typeof v !== 'number' || h.quantities[k] === undefined) return 'bad quantity';
    quantities[h.quantities[k]] = v;
  }
  const o: ItemOutcome = { index: index as number, file: h.files[file], scenario: h.scenarios[scenario], seed: seed as number, passed: passed === 1, expectations, errors: errs, quantities };
  if (variant !== -1) o.variant = variant as number;
  return o;
}

const isActual = (a: unknown): a is Actual => typeof a === 'string' || typeof a === 'boolean' || (typeof a === 'number' && Number.isFinite(a));
const isStrings = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');
const isPoint = (p: unknown): p is PointInfo => {
  const x = p as PointInfo;
  return typeof x === 'object' && x !== null && typeof x.id === 'string' && typeof x.label === 'string'
    && typeof x.values === 'object' && x.values !== null && !Array.isArray(x.values) && Object.values(x.values).every((v) => typeof v === 'string');
};

/** Every table the outcomes index into holds what the reports print (a hand-edited part is refused here, not in a report). */
function isHeader(h: unknown): h is PartialHeader {
  const x = h as PartialHeader;
  return typeof x === 'object' && x !== null && typeof x.inputs === 'string' && Number.isSafeInteger(x.items) && x.items >= 0
    && typeof x.shard === 'object' && x.shard !== null && Number.isInteger(x.shard.index) && Number.isInteger(x.shard.count)
    && x.shard.count >= 1 && x.shard.index >= 1 && x.shard.index <= x.shard.count
    && isStrings(x.files) && typeof x.seeds === 'string' && (x.cwd === undefined || typeof x.cwd === 'string') && Array.isArray(x.variants) && x.variants.every(isPoint)
    && isStrings(x.scenarios) && isStrings(x.quantities) && Array.isArray(x.expectations)
    && x.expectations.every((e) => Array.isArray(e) && typeof e[0] === 'number' && typeof e[1] === 'string');
}

function isEnd(v: unknown): v is { end: true; outcomes: number } {
  return typeof v === 'object' && v !== null && (v as { end?: unknown }).end === true && typeof (v as { outcomes?: unknown }).outcomes === 'number';
}

/** Whether one part holds exactly the items of its shard: a problem message, or undefined. */
export function partProblem(name: string, header: PartialInfo, outcomes: readonly ItemOutcome[]): string | undefined {
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
export function mergeProblems(parts: { name: string; header: PartialInfo }[]): string[] {
  if (parts.length === 0) return ['no partial results given'];
  const first = parts[0];
  const problems: string[] = [];
  const kind = (h: PartialInfo) => (h.sweep === undefined ? 'a part of vmsec run --shard' : 'a part of vmsec sweep --shard');
  for (const p of parts.slice(1)) {
    if ((p.header.sweep === undefined) !== (first.header.sweep === undefined)) problems.push(`${p.name} is ${kind(p.header)} and ${first.name} is ${kind(first.header)}: merge the parts of one run or one sweep`);
    else if (p.header.inputs !== first.header.inputs && first.header.sweep !== undefined) problems.push(`${p.name} is a part of a different sweep than ${first.name} (file, varied values, ablation, metrics, seeds or settings differ); merge only the shards of one sweep`);
    else if (p.header.inputs !== first.header.inputs) problems.push(`${p.name} is a result of different inputs than ${first.name} (files, seeds, variants or settings differ); merge only the shards of one run`);
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

/**
 * What each item number of a plan is, as far as the parts' headers tell: its
 * seed and point (from the seeds and points, canonical order scenario, point,
 * seed) and, across all parts, one scenario per scenario number. A merge
 * checks every outcome against it, so a hand-edited part cannot count a run
 * under another seed, point or scenario than its item's.
 */
export class ItemCheck {
  private readonly seeds: number[] | null;
  private readonly points: number;
  /** Items per scenario: every point with every seed. */
  private readonly perScenario: number;
  private readonly scenarioAt = new Map<number, string>();
  private readonly numberOf = new Map<string, number>();
  /** With seeds as declared: each scenario's one seed, as the first item of it seen says. */
  private readonly declared = new Map<number, { seed: number; index: number }>();

  /** `header`: of any part (the parts merged have equal inputs); a problem with its seeds text is thrown as a message. */
  constructor(header: PartialInfo) {
    const seeds = header.seeds === 'as declared' ? null : parseSeeds(header.seeds);
    if (typeof seeds === 'string') throw new Error(`line 2: the seeds "${header.seeds}" are not seeds (${seeds})`);
    this.seeds = seeds;
    this.points = header.variants.length;
    this.perScenario = Math.max(1, this.points) * (seeds ? seeds.length : 1);
  }

  /**
   * What is wrong with outcome `o` for its item number, or undefined. `file`:
   * the number of o's file in its part's `files` (parts made in other folders
   * name the same files differently, in the same order).
   */
  problem(o: ItemOutcome, file: number): string | undefined {
    const k = o.index;
    const perPoint = this.seeds ? this.seeds.length : 1;
    const point = this.points ? Math.floor(k / perPoint) % this.points : undefined;
    if (o.variant !== point) return `item ${k} is at ${pointName(o.variant)}, but item ${k} of this ${this.points ? 'sweep' : 'run'} is at ${pointName(point)}`;
    const n = Math.floor(k / this.perScenario);
    if (this.seeds) {
      const want = this.seeds[k % perPoint];
      if (o.seed !== want) return `item ${k} has seed ${o.seed}, but item ${k} of seeds ${seedsText(this.seeds)} runs with seed ${want}`;
    } else {
      const d = this.declared.get(n);
      if (!d) this.declared.set(n, { seed: o.seed, index: k });
      else if (d.seed !== o.seed) return `item ${k} has seed ${o.seed}, but its scenario runs with its declared seed ${d.seed} (item ${d.index})`;
    }
    const who = `${file}\u0000${o.scenario}`;
    const at = this.scenarioAt.get(n);
    if (at === undefined) {
      const other = this.numberOf.get(who);
      if (other !== undefined) return `item ${k} is scenario "${o.scenario}" of ${o.file}, which other items put elsewhere in the order (item ${k} is of scenario number ${n + 1}, they of number ${other + 1})`;
      this.scenarioAt.set(n, who);
      this.numberOf.set(who, n);
    } else if (at !== who) {
      const scenario = at.slice(at.indexOf('\u0000') + 1);
      return `item ${k} is scenario "${o.scenario}" of ${o.file}, but other items of its number are scenario "${scenario}"${at.startsWith(`${file}\u0000`) ? '' : ' of another file'}`;
    }
    return undefined;
  }
}

const pointName = (v: number | undefined) => (v === undefined ? 'the files as written' : `point ${v + 1}`);

// `--vary PATH=V1,V2,...`: which declared value a path names, the exact text
// edit that gives it each value, and the grid of points those edits span.
//
// Path syntax (docs/sweeps.md): names cannot contain dots, so a path is
// dot-separated segments:
//   NAME.PROP                  a host, network, vm, fork, monitor, checkpoint,
//                              attacker, certificate or authority property
//   link.A-B.PROP              the link between hosts A and B (either order)
//   VM.PROCESS.PROP            a process of a VM (memory, file, confidential)
//   ATTACKER.ACTION[.TARGET]   the share of a tamper/drop/replay action; the
//                              target (a network, or A-B for a link) is needed
//                              when the attacker has several of that action
// Flags (encrypt, multicast, vtpm, ...) take the values on and off; lists
// (fork `on`, `attest-hosts`, checkpoint `exclude`) are written with '+':
// `f.on=beta,beta+gamma`. A value is checked by applying it and validating
// the files as `vmsec check` does, so an out-of-range value gets the
// language's own VMS003 message. Only what is wrong with the value itself
// (syntax, more than one value, an undeclared or wrong-kind name, a value out
// of its limits) refuses the sweep; an error that depends on the other values
// (capacity, placement, sharing) is that grid point's failure, reported when
// the point runs, since another axis may make the same value fit.
import type * as A from '../../../grammar/src/ast';
import { closest } from '../../../grammar/src/suggest';
import { parseQuantity } from '../../../grammar/src/literals';
import type { FileSet } from '../model/workspace';
import type { SourceFile } from '../model/source-file';
import { buildNamespace, KIND_WORDS, Namespace } from '../model/symbols';
import { Rng } from '../sim/rng';
import type { SourceEdit, Variant } from './types';
import { EditedFiles, insertionBeforeClose, propEnd, removal } from './sweep-edits';
import { gridCoordinates, gridPoint, gridSize, type PointSource } from './points';

/** A `--vary` argument split into its path and values. */
export interface VaryArg { raw: string; path: string; values: string[] }

/** A problem with a `--vary` argument; `at` locates it in a file when the path got that far. */
export interface VaryProblem { message: string; at?: { file: SourceFile; span: A.Span } }

/** A misuse of the flag itself (no '=', no values): a usage error. */
export class VaryUsageError extends Error {}

/** Grids larger than this need `--samples`: nobody means to run them whole. */
export const MAX_GRID_POINTS = 100_000;

export function parseVaryArg(raw: string): VaryArg {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new VaryUsageError(`--vary ${raw}: write PATH=V1,V2,... e.g. --vary f.children=8,16`);
  const path = raw.slice(0, eq).trim();
  const values = raw.slice(eq + 1).split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw new VaryUsageError(`--vary ${raw}: a value is empty; write PATH=V1,V2,...`);
  // Values equal once read (1 and 01, 1Gbps and 1000Mbps) would run the same point twice under two names.
  const seen = new Map<string, string>();
  for (const v of values) {
    const key = valueKey(v);
    const first = seen.get(key);
    if (first === v) throw new VaryUsageError(`--vary ${raw}: the value ${v} is given twice`);
    if (first !== undefined) throw new VaryUsageError(`--vary ${raw}: ${v} is the same value as ${first}; give each value once`);
    seen.set(key, v);
  }
  return { raw, path, values };
}

/** A value as the language reads it: a number or quantity by its kind and amount (`01` is `1`, `1 Gbps` is `1000Mbps`), else its text. */
function valueKey(v: string): string {
  if (!/^[\d_]+(?:\.[\d_]+)?\s*[A-Za-z%/]*$/.test(v)) return `text:${v}`;
  const q = parseQuantity(v, { start: 0, end: v.length });
  if (!Number.isFinite(q.value) || (q.kind === 'number' && q.unit !== '')) return `text:${v}`;
  return `${q.kind}:${q.value}`;
}

/** One varied property as found in the files. */
export interface VaryTarget {
  /** What the path names, for messages: "fork f", "link alpha <-> beta". */
  what: string;
  /** The property's keyword in the language. */
  keyword: string;
  file: SourceFile;
  /** Where messages about the target point (the declaration's name). */
  nameSpan: A.Span;
  /** The block a missing property is added to. */
  blockSpan: A.Span;
  /** The whole property line, when present. */
  propSpan?: A.Span;
  /** The value's text, when present (not for flags). */
  valueSpan?: A.Span;
  flag: boolean;
  list: boolean;
  quoted: boolean;
  /** The keyword written when the property is added (an attack adds its target too). */
  insertKeyword: string;
}

interface PropSpec {
  keyword: string;
  /** The property in a block, if written, and the span of its value. */
  find(props: readonly { key: string; span: A.Span }[], file: SourceFile): { prop: A.Span; value?: A.Span } | undefined;
  flag?: boolean;
  list?: boolean;
  quoted?: boolean;
}

const spanOf = (a: A.Span, b: A.Span): A.Span => ({ start: a.start, end: b.end });

/** A property whose value is one node with a span (Quantity, Ident, Addr, Str). */
function valueProp(keyword: string, extra: Partial<PropSpec> = {}): PropSpec {
  return {
    keyword,
    ...extra,
    find(props) {
      const p = props.find((x) => x.key === keyword) as (A.ValueProp<string, { span: A.Span }> | undefined);
      return p ? { prop: p.span, value: p.value.span } : undefined;
    },
  };
}
function listProp(keyword: string): PropSpec {
  return {
    keyword, list: true,
    find(props) {
      const p = props.find((x) => x.key === keyword) as (A.ValueProp<string, A.Ident[]> | undefined);
      if (!p) return undefined;
      return { prop: p.span, value: p.value.length ? spanOf(p.value[0].span, p.value[p.value.length - 1].span) : undefined };
    },
  };
}
function flagProp(keyword: string): PropSpec {
  return { keyword, flag: true, find: (props, file) => { const p = props.find((x) => x.key === keyword); return p ? { prop: { start: p.span.start, end: propEnd(file, p) } } : undefined; } };
}
function customProp(keyword: string, value: (p: any) => A.Span): PropSpec {
  return { keyword, find: (props) => { const p = props.find((x) => x.key === keyword); return p ? { prop: p.span, value: value(p) } : undefined; } };
}

const LINK_PROPS: Record<string, PropSpec> = { bandwidth: valueProp('bandwidth'), latency: valueProp('latency') };

/** The properties a path may name, by declaration kind (path segment → spec). */
const PROPS: Partial<Record<A.Decl['kind'] | 'process', Record<string, PropSpec>>> = {
  host: {
    cpus: valueProp('cpus'), memory: valueProp('memory'), hypervisor: valueProp('hypervisor'),
    tpm: valueProp('tpm'), boot: valueProp('boot'), tenant: valueProp('tenant'),
  },
  link: LINK_PROPS,
  network: LINK_PROPS,
  vm: {
    vcpus: valueProp('vcpus'), memory: valueProp('memory'), disk: valueProp('disk'),
    virtualization: valueProp('virtualization'), tenant: valueProp('tenant'), subnet: valueProp('subnet'),
    workingset: valueProp('workingset'), vtpm: flagProp('vtpm'),
  },
  process: { memory: valueProp('memory'), file: valueProp('file', { quoted: true }), confidential: flagProp('confidential') },
  fork: {
    children: valueProp('children'), on: listProp('on'), memory: valueProp('memory'), disk: valueProp('disk'),
    integrity: customProp('integrity', (p: { mode: A.Ident; batch?: A.Quantity }) => spanOf(p.mode.span, (p.batch ?? p.mode).span)),
    'attest-hosts': listProp('attest hosts'), 'attest-vtpm': flagProp('attest vtpm'),
    multicast: flagProp('multicast'), encrypt: flagProp('encrypt'), transient: flagProp('transient'), isolate: flagProp('isolate'),
  },
  monitor: {
    mode: valueProp('mode'),
    buffer: customProp('buffer', (p: { size: A.Quantity; policy?: A.Ident }) => spanOf(p.size.span, (p.policy ?? p.size).span)),
    default: customProp('default', (p: { action: { span: A.Span } }) => p.action.span),
  },
  checkpoint: { ipc: valueProp('ipc'), disk: valueProp('disk'), to: valueProp('to', { quoted: true }), exclude: listProp('exclude') },
  attacker: { tenant: valueProp('tenant') },
  authority: { key: valueProp('key') },
};
const ATTACKS = ['tamper', 'drop', 'replay'] as const;
/** The keyword a path segment stands for, where they differ. */
const KEYWORD_OF: Record<string, string> = { 'attest-hosts': 'attest hosts against', 'attest-vtpm': 'attest vtpm' };

/** A close spelling, or else a candidate sharing a long prefix (`childs` → children). */
export function guess(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const c = closest(word, list);
  if (c) return c;
  const need = Math.max(3, Math.ceil(word.length * 0.6));
  let best: string | undefined;
  let bestLen = need - 1;
  for (const cand of list) {
    let k = 0;
    while (k < word.length && k < cand.length && word[k].toLowerCase() === cand[k].toLowerCase()) k++;
    if (k > bestLen) { best = cand; bestLen = k; }
  }
  return best;
}

function suggestion(word: string, candidates: Iterable<string>): string {
  const c = guess(word, candidates);
  return c ? ` (did you mean ${c}?)` : '';
}

/** Finds what a path names in the file set, or says what is wrong with it (with a suggestion). */
export function resolvePath(set: FileSet, path: string, ns: Namespace = buildNamespace(set.files)): { ok: true; target: VaryTarget } | { ok: false; problem: VaryProblem } {
  const fail = (message: string, at?: VaryProblem['at']) => ({ ok: false as const, problem: { message, at } });
  const segs = path.split('.');
  if (segs.some((s) => s === '')) return fail(`'${path}' is not a path; write NAME.PROPERTY, e.g. f.children or link.h1-h2.bandwidth`);
  const fileOf = (p: string) => set.files.find((f) => f.path === p)!;

  // link.A-B.PROP, unless the file declares something named `link`.
  if (segs[0] === 'link' && !ns.get('link')) {
    if (segs.length !== 3) return fail(`'${path}': a link path is link.A-B.PROPERTY, e.g. link.h1-h2.bandwidth`);
    const links: { file: SourceFile; d: A.LinkDecl }[] = [];
    for (const f of set.files) for (const d of f.doc.decls) if (d.kind === 'link') links.push({ file: f, d });
    const found = links.find(({ d }) => segs[1] === `${d.a.text}-${d.b.text}` || segs[1] === `${d.b.text}-${d.a.text}`);
    if (!found) return fail(`no link ${segs[1]}${suggestion(segs[1], links.map(({ d }) => `${d.a.text}-${d.b.text}`)) || viaNetwork(set, segs[1])}`);
    return propTarget(found.file, found.d, found.d.props, `link ${found.d.a.text} <-> ${found.d.b.text}`, { start: found.d.a.span.start, end: found.d.b.span.end }, found.d.span, 'link', segs[2], path);
  }

  const sym = ns.get(segs[0]);
  if (!sym) return fail(`no declaration named '${segs[0]}'${suggestion(segs[0], [...ns.byName.keys(), 'link'])}`);
  const file = fileOf(sym.path);
  const what = `${KIND_WORDS[sym.kind]} ${sym.name}`;
  if (sym.kind === 'attacker-vm' || sym.kind === 'boot') return fail(`${what} has no property a sweep can vary`, { file, span: sym.span });
  const d = sym.decl as A.Decl;

  if (d.kind === 'vm' && segs.length === 3) {
    const procs = d.props.filter((p): p is A.ProcessDecl => p.key === 'process');
    const proc = procs.find((p) => p.name.text === segs[1]);
    if (!proc) return fail(`no process '${segs[1]}' in vm ${sym.name}${suggestion(segs[1], procs.map((p) => p.name.text))}`, { file, span: sym.span });
    return propTarget(file, proc, proc.props, `process ${segs[1]} of vm ${sym.name}`, proc.name.span, proc.span, 'process', segs[2], path);
  }
  if (d.kind === 'attacker' && (ATTACKS as readonly string[]).includes(segs[1])) {
    if (segs.length > 3) return fail(`'${path}': an attack path is ATTACKER.${segs[1]}[.TARGET]`);
    return attackTarget(set, ns, file, d, segs[1] as typeof ATTACKS[number], segs[2], path);
  }
  if (segs.length !== 2) return fail(`'${path}' has ${segs.length} parts; a ${KIND_WORDS[sym.kind]} path is ${sym.name}.PROPERTY`, { file, span: sym.span });
  if (d.kind === 'certificate') {
    if (segs[1] !== 'valid') return fail(`no property '${segs[1]}' on ${what}${suggestion(segs[1], ['valid'])}`, { file, span: sym.span });
    return { ok: true, target: { what, keyword: 'valid', file, nameSpan: sym.span, blockSpan: d.span, propSpan: d.valid.span, valueSpan: d.valid.span, flag: false, list: false, quoted: false, insertKeyword: 'valid' } };
  }
  if (!('props' in d)) return fail(`${what} has no property a sweep can vary`, { file, span: sym.span });
  return propTarget(file, d as A.Decl & { props: { key: string; span: A.Span }[] }, (d as { props: { key: string; span: A.Span }[] }).props, what, sym.span, d.span, d.kind, segs[1], path);
}

function propTarget(
  file: SourceFile, _decl: unknown, props: readonly { key: string; span: A.Span }[], what: string,
  nameSpan: A.Span, blockSpan: A.Span, kind: keyof typeof PROPS, prop: string, path: string,
): { ok: true; target: VaryTarget } | { ok: false; problem: VaryProblem } {
  const specs = PROPS[kind] ?? {};
  const spec = Object.hasOwn(specs, prop) ? specs[prop] : undefined;
  if (!spec) {
    // An attacker's actions are varied by path too (ATTACKER.tamper[.TARGET]): list them with its properties.
    const names = [...Object.keys(specs), ...(kind === 'attacker' ? ATTACKS : [])];
    const list = names.length ? `; it has ${names.join(', ')}` : '';
    const g = guess(prop, names);
    return { ok: false, problem: { message: `no property '${prop}' on ${what}${g ? ` (did you mean ${g}?)` : list}`, at: { file, span: nameSpan } } };
  }
  void path;
  const found = spec.find(props, file);
  return {
    ok: true,
    target: {
      what, keyword: spec.keyword, file, nameSpan, blockSpan,
      propSpan: found?.prop, valueSpan: found?.value,
      flag: !!spec.flag, list: !!spec.list, quoted: !!spec.quoted,
      insertKeyword: KEYWORD_OF[prop] ?? spec.keyword,
    },
  };
}

function attackTarget(
  set: FileSet, ns: Namespace, file: SourceFile, d: A.AttackerDecl, action: typeof ATTACKS[number], target: string | undefined, path: string,
): { ok: true; target: VaryTarget } | { ok: false; problem: VaryProblem } {
  type Attack = A.PropBase<'tamper' | 'drop' | 'replay'> & { target: A.Target; share: A.Quantity };
  const attacks = d.props.filter((p): p is Attack => p.key === action);
  const nameOf = (t: A.Target) => (t.b ? `${t.a.text}-${t.b.text}` : t.a.text);
  const at = { file, span: d.name.span };
  const what = `attacker ${d.name.text}`;
  let chosen: Attack | undefined;
  if (target === undefined) {
    if (attacks.length > 1) return { ok: false, problem: { message: `${what} has ${attacks.length} ${action} actions; name the target: ${attacks.map((a) => `${path}.${nameOf(a.target)}`).join(' or ')}`, at } };
    if (attacks.length === 0) return { ok: false, problem: { message: `${what} has no ${action} action; name its target to add one, e.g. ${path}.NETWORK`, at } };
    chosen = attacks[0];
  } else {
    chosen = attacks.find((a) => target === a.target.a.text && !a.target.b
      || (a.target.b && (target === `${a.target.a.text}-${a.target.b.text}` || target === `${a.target.b.text}-${a.target.a.text}`)));
  }
  const base = {
    what: `${action} ${target ?? nameOf(chosen!.target)} of ${what}`, keyword: action, file, nameSpan: d.name.span, blockSpan: d.span,
    flag: false, list: false, quoted: false,
  };
  if (chosen) return { ok: true, target: { ...base, propSpan: chosen.span, valueSpan: chosen.share.span, insertKeyword: action } };
  // Not written yet: it can be added when the target names a network or two hosts.
  const t = target!;
  const net = ns.get(t);
  if (net?.kind === 'network') return { ok: true, target: { ...base, insertKeyword: `${action} ${t}` } };
  const dash = [...t.matchAll(/-/g)].map((m) => m.index!);
  for (const i of dash) {
    const a = ns.get(t.slice(0, i)), b = ns.get(t.slice(i + 1));
    if (a?.kind === 'host' && b?.kind === 'host') return { ok: true, target: { ...base, insertKeyword: `${action} ${a.name} <-> ${b.name}` } };
  }
  const known = [...attacks.map((a) => nameOf(a.target)), ...[...ns.byName.values()].filter((s) => s.kind === 'network').map((s) => s.name)];
  void set;
  return { ok: false, problem: { message: `no network or link '${t}' for ${what}'s ${action}${suggestion(t, known)}`, at } };
}

/** When two hosts are joined by a network rather than a link, the path to vary instead. */
function viaNetwork(set: FileSet, pair: string): string {
  for (const f of set.files) for (const d of f.doc.decls) {
    if (d.kind !== 'network') continue;
    const names = new Set(d.hosts.map((h) => h.text));
    for (const m of pair.matchAll(/-/g)) {
      if (names.has(pair.slice(0, m.index)) && names.has(pair.slice(m.index! + 1))) return ` (those hosts are joined by network ${d.name.text}: vary ${d.name.text}.bandwidth or ${d.name.text}.latency)`;
    }
  }
  return '';
}

/** The language text of a value as given on the command line. */
function valueText(t: VaryTarget, v: string): string {
  if (t.list) return v.split('+').map((s) => s.trim()).join(', ');
  if (t.quoted && !v.startsWith('"')) return JSON.stringify(v);
  return v;
}

/** The edits that give the target the value (none when it already has it). */
export function editsFor(t: VaryTarget, value: string): SourceEdit[] | string {
  const path = t.file.path;
  if (t.flag) {
    if (value !== 'on' && value !== 'off') return `${t.keyword} is a flag: its values are on and off; found '${value}'`;
    if ((value === 'on') === !!t.propSpan) return [];
    if (t.propSpan) return [removal(t.file, t.propSpan.start, t.propSpan.end)];
    const ins = insertionBeforeClose(t.file, t.blockSpan, t.insertKeyword);
    return ins ? [ins] : `cannot add ${t.keyword} to ${t.what}`;
  }
  if (/[\n\r{}]/.test(value) || value.includes('//') || value.includes('/*')) return `'${value}' is not a single value`;
  const text = valueText(t, value);
  if (t.valueSpan) return [{ path, start: t.valueSpan.start, end: t.valueSpan.end, text }];
  const ins = insertionBeforeClose(t.file, t.blockSpan, `${t.insertKeyword} ${text}`);
  return ins ? [ins] : `cannot add ${t.keyword} to ${t.what}`;
}

/** One `--vary` resolved and checked: a value's edits at each index. */
export interface VaryAxis { path: string; values: string[]; target: VaryTarget; edits: SourceEdit[][] }

/**
 * Resolves every `--vary` against the file set and checks every value by
 * validating the files with that value alone; only errors of the value itself
 * are problems (see checkEdits). Problems are collected (all of them, so one
 * run of the command shows every mistake).
 */
export function resolveAxes(set: FileSet, args: readonly VaryArg[], options: { workspaceRoot?: string; edited?: EditedFiles } = {}): { axes: VaryAxis[]; problems: VaryProblem[] } {
  const ns = buildNamespace(set.files);
  const edited = options.edited ?? new EditedFiles(set, options.workspaceRoot);
  const axes: VaryAxis[] = [];
  const problems: VaryProblem[] = [];
  const seenPaths = new Set<string>();
  for (const arg of args) {
    const prefix = `--vary ${arg.raw}: `;
    if (seenPaths.has(arg.path)) { problems.push({ message: `${prefix}${arg.path} is varied twice; give all its values in one --vary` }); continue; }
    seenPaths.add(arg.path);
    const r = resolvePath(set, arg.path, ns);
    if (!r.ok) { problems.push({ ...r.problem, message: prefix + r.problem.message }); continue; }
    const t = r.target;
    const axis: VaryAxis = { path: arg.path, values: arg.values, target: t, edits: [] };
    let ok = true;
    for (const v of arg.values) {
      const e = editsFor(t, v);
      if (typeof e === 'string') { problems.push({ message: `--vary ${arg.path}=${v}: ${e}`, at: { file: t.file, span: t.valueSpan ?? t.nameSpan } }); ok = false; continue; }
      const bad = checkEdits(edited, e, arg.path, t, v);
      if (bad) { problems.push({ ...bad, message: `--vary ${arg.path}=${v}: ${bad.message}` }); ok = false; continue; }
      axis.edits.push(e);
    }
    if (ok) axes.push(axis);
  }
  return { axes, problems };
}

/** Codes that say something of a value itself (its syntax, the names it holds, its kind and limits). */
const VALUE_CODES: ReadonlySet<string> = new Set(['VMS000', 'VMS001', 'VMS002', 'VMS003', 'VMS016']);

/**
 * Validates the files with one value applied and returns what is wrong with
 * the value itself, as `check` words it: a syntax error the edit made, a value
 * that does not read back as exactly that one value, or an error of the
 * language's value checks located inside the value's text. Any other error
 * (VMS014 capacity, VMS040 sharing, an error elsewhere in the files) depends on
 * the other values of the point and is reported per point when it runs.
 */
function checkEdits(edited: EditedFiles, edits: SourceEdit[], path: string, t: VaryTarget, value: string): VaryProblem | undefined {
  if (edits.length === 0) return undefined;
  const c = edited.check(edits);
  const located = (d: { path: string; span: A.Span; code: string; message: string }): VaryProblem => {
    const file = c.files.find((f) => f.path === d.path);
    return { message: `${d.code} ${d.message}`, at: file ? { file, span: d.span } : undefined };
  };
  const syntax = c.errors.find((d) => d.code === 'VMS000');
  if (syntax) return located(syntax);
  if (!c.set) return c.errors.length ? located(c.errors[0]) : undefined;
  if (t.flag) return undefined;
  // The value must be read back as exactly that value: `16 encrypt` is two properties, not a number.
  const again = resolvePath(c.set, path);
  const span = again.ok ? again.target.valueSpan : undefined;
  const edFile = again.ok ? again.target.file : undefined;
  const want = valueText(t, value);
  if (!span || !edFile || edFile.text.slice(span.start, span.end) !== want) {
    return { message: `'${value}' is not a single value of ${t.keyword}`, at: { file: t.file, span: t.valueSpan ?? t.nameSpan } };
  }
  // An error the validator marks as depending on other values (children against the VM's subnet) is the point's, too.
  const own = c.errors.find((d) => VALUE_CODES.has(d.code) && !d.data?.combined && d.path === edFile.path && d.span.start >= span.start && d.span.end <= span.end);
  return own ? located(own) : undefined;
}

/** The cartesian product of the axes, in argument order (the first --vary changes slowest). */
export class Grid {
  readonly size: number;

  constructor(readonly axes: readonly VaryAxis[]) {
    this.size = gridSize(axes);
  }

  /** The value index of each axis at a point. */
  coordinates(index: number): number[] {
    return gridCoordinates(this.axes, index);
  }

  point(index: number): Variant {
    return gridPoint(this.axes, index);
  }

  /**
   * The points a sweep runs, as a plan takes them: the axes, and for a sample
   * the picked grid indexes (numbers), so no point is made before it runs.
   */
  points(samples?: number, seed = 1): PointSource {
    const axes = this.axes.map((a) => ({ path: a.path, values: a.values, edits: a.edits }));
    return samples === undefined || samples >= this.size ? { kind: 'grid', axes } : { kind: 'grid', axes, sample: this.indices(samples, seed) };
  }

  /** Every point, or `samples` of them picked with a seeded generator, in grid order. */
  indices(samples?: number, seed = 1): number[] {
    if (samples === undefined || samples >= this.size) return Array.from({ length: this.size }, (_, i) => i);
    // Floyd's algorithm: `samples` distinct indices without listing the grid.
    const rng = new Rng(seed, 'sweep-samples');
    const chosen = new Set<number>();
    for (let j = this.size - samples; j < this.size; j++) {
      const t = rng.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return [...chosen].sort((a, b) => a - b);
  }
}

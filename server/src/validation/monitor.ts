// VMS020: a rule shadowed by an earlier one. Rules are tried in order and the
// first match decides, so a later rule whose every event an earlier rule
// already matches can never fire.
//
// Bounded on any input: earlier rules are found through an index by syscall
// name (and, for single predicates, by the predicate itself), at most
// MAX_COMPARED conditional rules are compared per rule, and each comparison
// has a work budget. When a budget runs out the answer is "not shadowed",
// which only loses a warning, never adds a false one.
import type * as A from '../../../grammar/src/ast';
import { inBlock } from '../../../grammar/src/literals';
import { appendTo } from '../model/map-of-lists';
import type { ValidationContext } from './context';
import { declNamed, named, nameWritten } from './names';

/** Conditional earlier rules compared with one rule (beyond the indexed ones). */
export const MAX_COMPARED = 64;
/** Unconditional earlier rules looked at per rule. */
export const MAX_SCANNED = 256;
/** Distinct prefix lengths looked up for filePrefix shadowing. */
const MAX_PREFIXES = 256;
/** Steps one implication question may take. */
export const IMPLIES_BUDGET = 4096;

interface Budget { left: number }

function same(a: A.Cond, b: A.Cond, budget: Budget): boolean {
  if (--budget.left < 0 || a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'or': case 'and': {
      const o = (b as typeof a).operands;
      return a.operands.length === o.length && a.operands.every((x, i) => same(x, o[i], budget));
    }
    case 'not': return same(a.operand, (b as typeof a).operand, budget);
    case 'fileEq': case 'filePrefix': { const c = b as typeof a; return a.index.value === c.index.value && a.value.value === c.value.value; }
    case 'ip': { const c = b as typeof a; return a.addr.ip === c.addr.ip && a.addr.prefix === c.addr.prefix; }
    case 'port': return a.port.value === (b as typeof a).port.value;
    // A name the parser could not read matches nothing known (its VMS000 says why).
    case 'process': return named(a.name) && a.name.text === (b as typeof a).name.text;
  }
}

/**
 * Whether every event matching `a` also matches `b` (sound, not complete).
 * Memoised per pair of sub-conditions, so nesting costs at most |a|·|b|
 * steps, and cut off after `budget` steps (then: false).
 */
export function implies(a: A.Cond, b: A.Cond, budget: Budget = { left: IMPLIES_BUDGET }): boolean {
  return new Implication(budget).test(a, b);
}

class Implication {
  private readonly memo = new Map<A.Cond, Map<A.Cond, boolean>>();
  constructor(private readonly budget: Budget) {}

  test(a: A.Cond, b: A.Cond): boolean {
    let row = this.memo.get(a);
    const known = row?.get(b);
    if (known !== undefined) return known;
    if (--this.budget.left < 0) return false;
    const result = this.compute(a, b);
    if (!row) { row = new Map(); this.memo.set(a, row); }
    row.set(b, result);
    return result;
  }

  private compute(a: A.Cond, b: A.Cond): boolean {
    if (same(a, b, this.budget)) return true;
    if (b.kind === 'or' && b.operands.some((o) => this.test(a, o))) return true;
    if (b.kind === 'and' && b.operands.every((o) => this.test(a, o))) return true;
    if (a.kind === 'and' && a.operands.some((o) => this.test(o, b))) return true;
    if (a.kind === 'or' && a.operands.every((o) => this.test(o, b))) return true;
    if (b.kind === 'filePrefix' && (a.kind === 'fileEq' || a.kind === 'filePrefix')) {
      return a.index.value === b.index.value && a.value.value.startsWith(b.value.value);
    }
    if (a.kind === 'ip' && b.kind === 'ip') return (a.addr.prefix ?? 32) >= (b.addr.prefix ?? 32) && inBlock(a.addr.ip, b.addr);
    return false;
  }
}

/** A key for a single predicate: two predicates with one key match the same events. */
function atomKey(c: A.Cond): string | undefined {
  switch (c.kind) {
    case 'fileEq': case 'filePrefix': return `${c.kind}\0${c.index.value}\0${c.value.value}`;
    case 'port': return `port\0${c.port.value}`;
    case 'process': return named(c.name) ? `process\0${c.name.text}` : undefined;
    case 'ip': return `ip\0${c.addr.ip}\0${c.addr.prefix ?? 32}`;
    default: return undefined;
  }
}

/** Keys of the single predicates that match every event `c` matches: itself, and filePrefix of a prefix of its path. */
function* atomKeys(c: A.Cond, prefixLengths: ReadonlySet<number>): Generator<string> {
  const key = c.kind === 'ip' ? undefined : atomKey(c);
  if (key) yield key;
  if (c.kind !== 'fileEq' && c.kind !== 'filePrefix') return;
  const path = c.value.value;
  let looked = 0;
  for (const n of prefixLengths) {
    if (n > path.length || (c.kind === 'filePrefix' && n === path.length)) continue;
    if (++looked > MAX_PREFIXES) return;
    yield `filePrefix\0${c.index.value}\0${path.slice(0, n)}`;
  }
}

interface Indexed { rule: A.RuleDecl; order: number; calls: Set<string> }

/** Earlier rules of one monitor, indexed three ways. */
class RuleIndex {
  /** Rules without a condition, by call. */
  readonly always = new Map<string, Indexed[]>();
  /** Rules whose condition is one predicate other than ip(), by that predicate. */
  readonly atoms = new Map<string, Indexed[]>();
  /** The other conditional rules, by call. */
  readonly other = new Map<string, Indexed[]>();

  /** Lengths of the filePrefix paths among the atoms (prefixes of other lengths need no lookup). */
  readonly prefixLengths = new Set<number>();

  add(r: Indexed): void {
    const when = r.rule.when;
    const key = when && when.kind !== 'ip' ? atomKey(when) : undefined;
    if (when?.kind === 'filePrefix') this.prefixLengths.add(when.value.value.length);
    if (key) appendTo(this.atoms, key, r);
    else for (const c of r.calls) appendTo(when ? this.other : this.always, c, r);
  }
}

export function checkMonitors(ctx: ValidationContext): void {
  for (const d of ctx.file.doc.decls) {
    // A monitor without a name (VMS000) is judged once it has one.
    if (d.kind !== 'monitor' || !declNamed(ctx, ctx.file.path, d)) continue;
    const written = (n: A.Ident) => nameWritten(ctx, ctx.file.path, n);
    const index = new RuleIndex();
    let order = 0;
    for (const p of d.props) {
      if (p.key !== 'rule') continue;
      const later: Indexed = { rule: p, order: order++, calls: new Set(p.calls.map((c) => c.text)) };
      // A rule whose name or a call could not be read is its VMS000; a message would quote the gap.
      const earlier = written(p.name) && p.calls.every(written) ? shadowing(later, index) : undefined;
      if (earlier && written(earlier.rule.name)) {
        const e = earlier.rule.name;
        ctx.report(p.name.span, 'VMS020', `rule '${p.name.text}' can never fire: rule '${e.text}' (${ctx.where(ctx.file.path, e.span)}) matches all its events first; move it above '${e.text}' or narrow '${e.text}'`);
      }
      index.add(later);
    }
  }
}

/** The earliest rule found before `later` that matches all its events, if any. */
function shadowing(later: Indexed, index: RuleIndex): Indexed | undefined {
  if (later.calls.size === 0) return undefined;
  const covers = (r: Indexed) => { for (const c of later.calls) if (!r.calls.has(c)) return false; return true; };
  let best: Indexed | undefined;
  const consider = (r: Indexed) => { if (!best || r.order < best.order) best = r; };
  /** The first covering rule of the rarest call's list, looking at `max` rules at most. */
  const scan = (lists: Map<string, Indexed[]>, max: number, test: (r: Indexed) => boolean) => {
    let pool: Indexed[] | undefined;
    for (const c of later.calls) {
      const list = lists.get(c);
      if (!list) return;
      if (!pool || list.length < pool.length) pool = list;
    }
    for (let i = 0; i < Math.min(pool!.length, max); i++) {
      const r = pool![i];
      if (best && r.order > best.order) return;
      if (covers(r) && test(r)) { consider(r); return; }
    }
  };
  scan(index.always, MAX_SCANNED, () => true);
  const when = later.rule.when;
  if (!when) return best;
  // Earlier single predicates: looked up by the predicates `later` is made of
  // (the same one, or a path prefix of it), then confirmed by implication.
  const parts = when.kind === 'and' || when.kind === 'or' ? when.operands : [when];
  for (const part of parts.slice(0, MAX_SCANNED)) {
    for (const k of atomKeys(part, index.prefixLengths)) {
      let looked = 0;
      for (const r of index.atoms.get(k) ?? []) {
        if (++looked > MAX_SCANNED || (best && r.order > best.order)) break;
        if (covers(r) && (when === part || implies(when, r.rule.when!))) { consider(r); break; }
      }
    }
  }
  // Compound conditions (and ip blocks): compared one by one, a bounded number.
  scan(index.other, MAX_COMPARED, (r) => implies(when, r.rule.when!));
  return best;
}

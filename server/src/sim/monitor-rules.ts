// A monitor's rules compiled once and indexed, so deciding an event costs a
// few map lookups instead of interpreting every rule's condition.
//
// Semantics are exactly LANGUAGE.md's: rules are tried in order and the first
// whose syscall list and condition match decides; otherwise `default`. The
// index only skips rules that cannot match:
// - by call: a rule is listed under each call it names, so a rule for another
//   call is never looked at;
// - by key: a rule whose condition needs a known value (fileEq, a filePrefix
//   of a given length, process, port, an ip block) — alone or inside `and` —
//   is listed under that value; an `or` whose every branch needs one is
//   listed under each branch's. Only the lists for the event's own values
//   are read.
// Every candidate still runs its full compiled condition, and among the
// matching candidates the one declared first wins, so the answer is the one a
// plain scan in declaration order gives (test/unit/monitor-rules.test.ts
// checks this against such a scan).
import type { Arg } from '../../../grammar/src/ast';
import { inBlock } from '../../../grammar/src/literals';
import { NET_CALLS, type ConditionModel, type RuleModel } from '../model/semantic-monitors';

/** What a condition reads from an event. */
export interface MonitorEvent { process: string; call: string; args: readonly Arg[] }

type Test = (e: MonitorEvent) => boolean;
/** A compiled condition: a constant when the call alone decides it. */
type Compiled = Test | boolean;

export interface CompiledRule<R = RuleModel> {
  /** Position in the monitor (declaration order). */
  order: number;
  rule: R;
  /** Undefined: the rule matches every event of this call. */
  test?: Test;
}

/** Distinct key buckets per call; rules past this are scanned, not indexed (a bound on per-event lookups). */
export const MAX_BUCKETS = 64;
/** Keys one rule is listed under (an `or` of many values); past this it is scanned. */
const MAX_KEYS = 256;

/** The string value of argument i, if it is a string. */
function argString(e: MonitorEvent, i: number): string | undefined {
  const a = e.args[i] as { value?: unknown } | undefined;
  return a !== undefined && typeof a.value === 'string' ? a.value : undefined;
}
/** The destination address: the first address argument. */
function addrOf(e: MonitorEvent): number | undefined {
  for (const a of e.args) if ('ip' in a) return a.ip;
  return undefined;
}
/** The destination port: the first plain number argument. */
function portOf(e: MonitorEvent): number | undefined {
  for (const a of e.args) if ('kind' in a && a.kind === 'number') return a.value;
  return undefined;
}

function maskOf(prefix: number): number { return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0; }

/** Compiles a condition for events of one call; `ip` and `port` are false outside connect/sendto. */
export function compileCondition(c: ConditionModel, call: string): Compiled {
  switch (c.kind) {
    case 'and': case 'or': {
      const isAnd = c.kind === 'and';
      const parts: Test[] = [];
      for (const o of c.operands) {
        const t = compileCondition(o, call);
        if (t === !isAnd) return !isAnd; // false in an `and`, true in an `or`, decides
        if (t !== isAnd) parts.push(t as Test);
      }
      if (parts.length === 0) return isAnd;
      if (parts.length === 1) return parts[0];
      if (parts.length === 2) {
        const [a, b] = parts;
        return isAnd ? (e) => a(e) && b(e) : (e) => a(e) || b(e);
      }
      return isAnd
        ? (e) => { for (const p of parts) if (!p(e)) return false; return true; }
        : (e) => { for (const p of parts) if (p(e)) return true; return false; };
    }
    case 'not': {
      const t = compileCondition(c.operand, call);
      return typeof t === 'boolean' ? !t : (e) => !t(e);
    }
    case 'fileEq': {
      const { index, value } = c;
      if (index < 0) return false;
      return (e) => argString(e, index) === value;
    }
    case 'filePrefix': {
      const { index, value } = c;
      if (index < 0) return false;
      return (e) => { const s = argString(e, index); return s !== undefined && s.startsWith(value); };
    }
    case 'ip': {
      if (!NET_CALLS.has(call)) return false;
      const block = { ip: c.ip, prefix: c.prefix };
      return (e) => { const ip = addrOf(e); return ip !== undefined && inBlock(ip, block); };
    }
    case 'port': {
      if (!NET_CALLS.has(call) || c.port < 0) return false;
      const port = c.port;
      return (e) => portOf(e) === port;
    }
    case 'process': {
      const name = c.name;
      return (e) => e.process === name;
    }
  }
}

/** A family of keys: the event's key in it, and the bucket's name. */
interface KeyKind { id: string; of(e: MonitorEvent): string | number | undefined }
/** Values of which the event must have at least one for the condition to hold. */
type Keys = { kind: KeyKind; value: string | number }[];

function keyKind(id: string, of: KeyKind['of']): KeyKind { return { id, of }; }

/** Keys of which an event must have one for the condition to match, if the condition says so. */
function keysOf(c: ConditionModel, call: string): Keys | undefined {
  switch (c.kind) {
    case 'fileEq': {
      if (c.index < 0) return undefined;
      const i = c.index;
      return [{ kind: keyKind(`eq:${i}`, (e) => argString(e, i)), value: c.value }];
    }
    case 'filePrefix': {
      if (c.index < 0) return undefined;
      const i = c.index, n = c.value.length;
      return [{ kind: keyKind(`prefix:${i}:${n}`, (e) => { const s = argString(e, i); return s !== undefined && s.length >= n ? s.slice(0, n) : undefined; }), value: c.value }];
    }
    case 'process': return [{ kind: keyKind('process', (e) => e.process), value: c.name }];
    case 'port':
      if (!NET_CALLS.has(call) || c.port < 0) return undefined;
      return [{ kind: keyKind('port', portOf), value: c.port }];
    case 'ip': {
      if (!NET_CALLS.has(call)) return undefined;
      const p = c.prefix ?? 32, mask = maskOf(p);
      return [{ kind: keyKind(`ip:${p}`, (e) => { const ip = addrOf(e); return ip === undefined ? undefined : (ip & mask) >>> 0; }), value: (c.ip & mask) >>> 0 }];
    }
    case 'and':
      // Any operand's keys are necessary for the whole; the first keyed operand is as good as any.
      for (const o of c.operands) { const k = keysOf(o, call); if (k) return k; }
      return undefined;
    case 'or': {
      // Keyed only when every branch is: a matching event has the key of the branch that matched.
      const out: Keys = [];
      for (const o of c.operands) {
        const k = keysOf(o, call);
        if (!k || out.length + k.length > MAX_KEYS) return undefined;
        out.push(...k);
      }
      return out.length ? out : undefined;
    }
    case 'not': return undefined;
  }
}

interface Bucket<R> { kind: KeyKind; byValue: Map<string | number, CompiledRule<R>[]> }
interface CallIndex<R> { scanned: CompiledRule<R>[]; buckets: Bucket<R>[] }

/** The rules of one monitor, compiled per call and indexed. */
export class RuleIndex<R extends { calls: readonly string[]; when?: ConditionModel } = RuleModel> {
  private readonly byCall = new Map<string, CallIndex<R>>();

  constructor(rules: readonly R[]) {
    rules.forEach((rule, order) => {
      for (const call of new Set(rule.calls)) {
        const test = rule.when ? compileCondition(rule.when, call) : true;
        if (test === false) continue; // can never match this call
        const cr: CompiledRule<R> = { order, rule, ...(test === true ? {} : { test }) };
        let ix = this.byCall.get(call);
        if (!ix) { ix = { scanned: [], buckets: [] }; this.byCall.set(call, ix); }
        const keys = test === true || !rule.when ? undefined : keysOf(rule.when, call);
        const buckets = keys && this.bucketsFor(ix, keys);
        if (!keys || !buckets) { ix.scanned.push(cr); continue; }
        keys.forEach((k, i) => {
          const list = buckets[i].byValue.get(k.value);
          // A rule listed twice under one value (`fileEq(0, "/a") or fileEq(0, "/a")`) is listed once.
          if (!list) buckets[i].byValue.set(k.value, [cr]); else if (list[list.length - 1] !== cr) list.push(cr);
        });
      }
    });
  }

  /** The bucket of each key, made as needed; undefined when that would pass MAX_BUCKETS (the rule is scanned). */
  private bucketsFor(ix: CallIndex<R>, keys: Keys): Bucket<R>[] | undefined {
    const fresh = new Set(keys.filter((k) => !ix.buckets.some((b) => b.kind.id === k.kind.id)).map((k) => k.kind.id));
    if (ix.buckets.length + fresh.size > MAX_BUCKETS) return undefined;
    return keys.map((k) => {
      let b = ix.buckets.find((x) => x.kind.id === k.kind.id);
      if (!b) { b = { kind: k.kind, byValue: new Map() }; ix.buckets.push(b); }
      return b;
    });
  }

  /** The first rule in declaration order that matches the event, or undefined (the default decides). */
  match(e: MonitorEvent): R | undefined {
    const ix = this.byCall.get(e.call);
    if (ix === undefined) return undefined;
    // Each list is in declaration order: its first match is its best; the earliest of those wins.
    let best: CompiledRule<R> | undefined = firstMatch(ix.scanned, e, Infinity);
    const buckets = ix.buckets;
    for (let b = 0; b < buckets.length; b++) {
      const k = buckets[b].kind.of(e);
      if (k === undefined) continue;
      const list = buckets[b].byValue.get(k);
      if (list === undefined) continue;
      const m = firstMatch(list, e, best === undefined ? Infinity : best.order);
      if (m !== undefined) best = m;
    }
    return best?.rule;
  }

  /** Whether any rule names this call (a call no rule names goes straight to the default). */
  hasCall(call: string): boolean { return this.byCall.has(call); }
}

function firstMatch<R>(list: CompiledRule<R>[], e: MonitorEvent, before: number): CompiledRule<R> | undefined {
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (r.order >= before) return undefined;
    if (r.test === undefined || r.test(e)) return r;
  }
  return undefined;
}

/** The reference meaning: a plain scan in declaration order (for tests and the bench baseline). */
export function scanRules<R extends { calls: readonly string[]; when?: ConditionModel }>(rules: readonly R[], e: MonitorEvent): R | undefined {
  for (const r of rules) {
    if (!r.calls.includes(e.call)) continue;
    if (!r.when || conditionHolds(r.when, e)) return r;
  }
  return undefined;
}

/** Interprets a condition (LANGUAGE.md §3), without compiling. */
export function conditionHolds(c: ConditionModel, e: MonitorEvent): boolean {
  switch (c.kind) {
    case 'or': return c.operands.some((o) => conditionHolds(o, e));
    case 'and': return c.operands.every((o) => conditionHolds(o, e));
    case 'not': return !conditionHolds(c.operand, e);
    case 'fileEq': case 'filePrefix': {
      const s = c.index < 0 ? undefined : argString(e, c.index);
      return s !== undefined && (c.kind === 'fileEq' ? s === c.value : s.startsWith(c.value));
    }
    case 'ip': { if (!NET_CALLS.has(e.call)) return false; const ip = addrOf(e); return ip !== undefined && inBlock(ip, c); }
    case 'port': return NET_CALLS.has(e.call) && c.port >= 0 && portOf(e) === c.port;
    case 'process': return e.process === c.name;
  }
}

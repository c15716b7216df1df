// A monitor as a policy for a real enforcement engine (Tetragon or Falco).
// Pure: the monitor's semantic model (model/semantic-monitors.ts) in, YAML
// text and notes out. What the engine cannot express is never dropped
// silently: each gap is a note, attached to its rule (or to the monitor),
// printed in the YAML as a comment and by the CLI on stderr.
import type { ConditionModel as Cond, MonitorModel, RuleModel } from '../../model/semantic-monitors';
import { actionText, NET_CALLS } from '../../model/semantic-monitors';

export { actionText };

export const POLICY_MAGIC = '# vmsec export-policy';

export type PolicyFormat = 'tetragon' | 'falco';

export interface PolicyNote {
  /** The rule the note is about; undefined for the whole monitor. */
  rule?: string;
  text: string;
}

export interface ExportedPolicy { yaml: string; notes: PolicyNote[] }

/** A predicate, possibly negated: one factor of a conjunction. */
export type Atom = Exclude<Cond, { kind: 'and' | 'or' | 'not' }>;
export interface Literal { atom: Atom; negated: boolean }

/** Conjunctions above this are refused (a condition in disjunctive form can grow exponentially). */
export const MAX_CONJUNCTIONS = 32;

/** The condition as an OR of ANDs of literals (negations pushed to the predicates),
 *  or undefined when it has more than MAX_CONJUNCTIONS conjunctions. No condition is one empty conjunction. */
export function toDnf(cond: Cond | undefined): Literal[][] | undefined {
  if (!cond) return [[]];
  const go = (c: Cond, neg: boolean): Literal[][] | undefined => {
    switch (c.kind) {
      case 'not': return go(c.operand, !neg);
      case 'and': case 'or': {
        const parts: Literal[][][] = [];
        for (const o of c.operands) { const d = go(o, neg); if (!d) return undefined; parts.push(d); }
        // De Morgan: a negated AND is an OR of negations, and the reverse.
        if ((c.kind === 'or') !== neg) {
          const out = parts.flat();
          return out.length > MAX_CONJUNCTIONS ? undefined : out;
        }
        let acc: Literal[][] = [[]];
        for (const p of parts) {
          const next: Literal[][] = [];
          for (const a of acc) for (const b of p) next.push([...a, ...b]);
          if (next.length > MAX_CONJUNCTIONS) return undefined;
          acc = next;
        }
        return acc;
      }
      default: return [[{ atom: c, negated: neg }]];
    }
  };
  return go(cond, false);
}


/**
 * The condition as vmsec evaluates it on `call`: ip and port, always false off
 * NET_CALLS, are replaced by false and folded away (exact: the same events
 * match). True: every event of the call matches; false: none does.
 */
export function conditionOn(cond: Cond | undefined, call: string): Cond | boolean {
  if (!cond) return true;
  const go = (c: Cond): Cond | boolean => {
    switch (c.kind) {
      case 'not': { const o = go(c.operand); return typeof o === 'boolean' ? !o : { ...c, operand: o }; }
      case 'and': case 'or': {
        // A false operand decides an `and`, a true one an `or`; the other constant is neutral.
        const decides = c.kind === 'or';
        const kept: Cond[] = [];
        for (const o of c.operands) {
          const g = go(o);
          if (g === decides) return decides;
          if (typeof g !== 'boolean') kept.push(g);
        }
        if (kept.length === 0) return !decides;
        return kept.length === 1 ? kept[0] : { ...c, operands: kept };
      }
      case 'ip': case 'port': return NET_CALLS.has(call) ? c : false;
      default: return c;
    }
  };
  return go(cond);
}

/** The note for a rule whose condition can never hold on `call` (conditionOn gave false). */
export function neverNote(cond: Cond | undefined, call: string): string {
  const kinds = new Set<string>();
  const walk = (c: Cond): void => {
    if (c.kind === 'not') walk(c.operand);
    else if (c.kind === 'and' || c.kind === 'or') c.operands.forEach(walk);
    else if (c.kind === 'ip' || c.kind === 'port') kinds.add(c.kind);
  };
  if (cond) walk(cond);
  const what = [...kinds].map((k) => `${k}(…)`).join(' and ') || 'the condition';
  return `${what} never holds on ${call} (vmsec tests ip and port only on connect and sendto), so the rule never matches ${call}; nothing is exported for it`;
}

export function rulesOf(m: MonitorModel): RuleModel[] {
  return m.rules;
}

/**
 * Notes that hold for every format: what no per-call engine expresses.
 * `hookOf` names where the engine catches a call; rules whose calls differ
 * but share a hook match each other's events there, so rule order matters.
 */
export function commonNotes(m: MonitorModel, hookOf: (call: string) => string = (c) => c): PolicyNote[] {
  const notes: PolicyNote[] = [];
  if (m.defaultDeclared && m.default.kind !== 'allow') {
    notes.push({ text: `default ${actionText(m.default)} is not exported: the engine sees only the calls a rule names, so every other call is allowed` });
  }
  const esc = m.escalate;
  if (esc) notes.push({ text: `escalate ${esc.count} violations within ${esc.windowText} then ${actionText(esc.action)} is not exported: the engine has no escalation windows or VM actions` });
  const rules = rulesOf(m);
  rules.forEach((r, i) => {
    for (const a of r.actions) {
      if (a.kind === 'policyChange') notes.push({ rule: r.name, text: `${actionText(a)} is not exported: the engine cannot switch to another policy; export ${a.monitor} separately` });
      else if (a.kind === 'pause' || a.kind === 'terminate' || a.kind === 'migrate') notes.push({ rule: r.name, text: `${actionText(a)} is not exported: the engine acts on processes, not on VMs` });
    }
    const hooks = new Set(r.calls.map(hookOf));
    const sharesCall = (e: RuleModel) => e.calls.some((c) => r.calls.includes(c));
    const earlier = rules.slice(0, i).filter((e) => sharesCall(e) || e.calls.some((c) => hooks.has(hookOf(c))));
    if (earlier.length) {
      const viaHook = earlier.filter((e) => !sharesCall(e));
      const shared = [...new Set(viaHook.flatMap((e) => e.calls.map(hookOf)).filter((h) => hooks.has(h)))];
      const why = viaHook.length === 0 ? ''
        : ` (${viaHook.length === 1 ? 'rule' : 'rules'} ${viaHook.map((e) => e.name).join(', ')} ${viaHook.length === 1 ? 'names' : 'name'} other calls, but ${shared.length === 1 ? 'shares the hook' : 'share the hooks'} ${shared.join(', ')}, which cannot tell them apart)`;
      notes.push({ rule: r.name, text: `vmsec tries rules in order and the first match decides: an event that also matches ${earlier.length === 1 ? 'earlier rule' : 'earlier rules'} ${earlier.map((e) => e.name).join(', ')} is decided there; the export does not keep that order, so such an event may get this rule's actions too${why}` });
    }
  });
  return notes;
}

// Characters JSON.stringify leaves raw that a YAML reader refuses (DEL, C1
// controls, U+FFFE/FFFF: outside YAML's printable set), reads as a line break
// and folds into a space (NEL, U+2028/2029 in YAML 1.1: PyYAML, go-yaml) or
// may drop (U+FEFF, a byte order mark).
const YAML_RAW_UNSAFE = /[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g;

/**
 * A YAML double-quoted scalar that every YAML reader reads back as `s`: JSON's
 * escapes (all valid in YAML 1.2 double-quoted scalars) plus \uXXXX for the
 * characters above. Callers refuse values with an unpaired surrogate first
 * (see inexpressible): YAML has no escape for one.
 */
export function q(s: string): string {
  return JSON.stringify(s).replace(YAML_RAW_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Why no engine can be given `value` (a path or name) as vmsec reads it, or undefined. */
export function inexpressible(value: string): string | undefined {
  // A kernel path is a C string, and Falco's string reader stops at NUL.
  if (value.includes('\0')) return 'holds a NUL character, which no engine string or kernel path can carry';
  if (/\p{Cs}/u.test(value)) return 'holds an unpaired UTF-16 surrogate, which YAML cannot carry';
  return undefined;
}

/** The header every exported file starts with, notes included as comments. */
export function header(m: MonitorModel, format: PolicyFormat, notes: PolicyNote[]): string {
  const lines = [POLICY_MAGIC, `# ${format} policy for monitor ${oneLine(m.name)} (for ${m.vms.map(oneLine).join(', ')})`];
  if (notes.length) {
    lines.push('# Not translated (vmsec semantics the policy does not carry):');
    for (const n of notes) lines.push(`#   ${n.rule === undefined ? 'monitor' : `rule ${oneLine(n.rule)}`}: ${oneLine(n.text)}`);
  }
  return lines.join('\n') + '\n';
}

/** Text safe inside a YAML comment: one line (no YAML 1.1 line break either), no control characters. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|\p{Cs}/gu, ' ');
}

export function sortNotes(notes: PolicyNote[], m: MonitorModel): PolicyNote[] {
  const order = new Map(rulesOf(m).map((r, i) => [r.name, i]));
  return notes
    .map((n, i) => ({ n, i }))
    .sort((a, b) => (a.n.rule === undefined ? -1 : order.get(a.n.rule) ?? 0) - (b.n.rule === undefined ? -1 : order.get(b.n.rule) ?? 0) || a.i - b.i)
    .map((x) => x.n);
}

// A monitor as a policy for a real enforcement engine (Tetragon or Falco).
// Pure: the monitor's semantic model (model/semantic-monitors.ts) in, YAML
// text and notes out. What the engine cannot express is never dropped
// silently: each gap is a note, attached to its rule (or to the monitor),
// printed in the YAML as a comment and by the CLI on stderr.
import type { ConditionModel as Cond, MonitorModel, RuleModel } from '../../model/semantic-monitors';
import { actionText } from '../../model/semantic-monitors';

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

export function rulesOf(m: MonitorModel): RuleModel[] {
  return m.rules;
}

/** Notes that hold for every format: what no per-call engine expresses. */
export function commonNotes(m: MonitorModel): PolicyNote[] {
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
    const earlier = rules.slice(0, i).filter((e) => e.calls.some((c) => r.calls.includes(c)));
    if (earlier.length) {
      notes.push({ rule: r.name, text: `vmsec tries rules in order and the first match decides: an event that also matches ${earlier.length === 1 ? 'earlier rule' : 'earlier rules'} ${earlier.map((e) => e.name).join(', ')} is decided there; the export does not keep that order, so such an event may get this rule's actions too` });
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

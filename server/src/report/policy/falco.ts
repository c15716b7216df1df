// A monitor as Falco rules: one Falco rule per vmsec rule, its condition in
// Falco's filter syntax (evt.type, fd.name, fd.snet/fd.sip, fd.sport,
// proc.name; and/or/not keep their structure). Falco detects and alerts; the
// action decides the priority (killProc CRITICAL, deny WARNING).
import { NET_CALLS, type ConditionModel as Cond, type MonitorModel, type RuleModel } from '../../model/semantic-monitors';
import { actionText, commonNotes, conditionOn, ExportedPolicy, neverNote, header, inexpressible, PolicyNote, q, rulesOf, sortNotes } from './translate';

/** The Falco field for vmsec's path argument `i` of `call`, if there is one. */
function pathField(call: string, i: number): string | undefined {
  if (i !== 0) return undefined;
  if (call === 'open' || call === 'openat') return 'fd.name';
  if (call === 'execve') return 'proc.exepath';
  return undefined;
}

/** Falco's proc.name is the kernel's comm: TASK_COMM_LEN 16, NUL included. */
const COMM_LEN = 15;

type Written = { ok: true; text: string } | { ok: false; why: string };

// The escapes Falco's filter strings accept (libsinsp filter/escaping.cpp,
// unescape_str): \b \f \n \r \t \\ \/ \"; any other escape (\u, \x…) makes
// Falco refuse the whole rules file. Every other character is read raw.
const FALCO_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A Falco double-quoted string Falco reads back as `s`, or why it cannot be
 * written. Other control characters stay raw here: the YAML scalar around
 * the condition (q) escapes them, and YAML hands Falco the raw character.
 */
function str(s: string): Written {
  const bad = inexpressible(s);
  if (bad !== undefined) return { ok: false, why: bad };
  // Falco's lexer ends a string at a quote unless the character before it is a
  // backslash, even an escaped one: "a\\" would not end where it should.
  if (s.endsWith('\\')) return { ok: false, why: 'ends in a backslash, which Falco\'s string syntax cannot express' };
  return { ok: true, text: `"${s.replace(/["\\\b\f\n\r\t]/g, (c) => FALCO_ESCAPES[c])}"` };
}

/** The condition for one call in Falco syntax, or why it cannot be written; `notes` gets what it only approximates. */
function condFor(c: Cond, call: string, notes: string[], top = true): Written {
  switch (c.kind) {
    case 'and': case 'or': {
      const parts: string[] = [];
      for (const o of c.operands) {
        const r = condFor(o, call, notes, false);
        if (!r.ok) return r;
        parts.push(r.text);
      }
      const text = parts.join(` ${c.kind} `);
      return { ok: true, text: top ? text : `(${text})` };
    }
    case 'not': {
      const r = condFor(c.operand, call, notes, false);
      return r.ok ? { ok: true, text: `not ${r.text}` } : r;
    }
    case 'fileEq': case 'filePrefix': {
      const f = pathField(call, c.index);
      if (!f) return { ok: false, why: `${c.kind}(${c.index}, …) has no Falco field on ${call}` };
      const v = str(c.value);
      if (!v.ok) return { ok: false, why: `the path of ${c.kind}(${c.index}, …) ${v.why}` };
      return { ok: true, text: `${f} ${c.kind === 'fileEq' ? '=' : 'startswith'} ${v.text}` };
    }
    case 'ip':
      if (!NET_CALLS.has(call)) return { ok: false, why: `ip(…) has no destination address on ${call}` };
      if (c.prefix === undefined) return { ok: true, text: `fd.sip = ${c.text}` };
      const v = str(c.text);
      return v.ok ? { ok: true, text: `fd.snet = ${v.text}` } : { ok: false, why: `ip(…) ${v.why}` };
    case 'port':
      if (!NET_CALLS.has(call)) return { ok: false, why: `port(…) has no destination port on ${call}` };
      return { ok: true, text: `fd.sport = ${c.port}` };
    case 'process': {
      // A longer name never equals proc.name: match what the kernel keeps, and say it is wider.
      const name = c.name.length > COMM_LEN ? c.name.slice(0, COMM_LEN) : c.name;
      const v = str(name);
      if (!v.ok) return { ok: false, why: `the name of process(…) ${v.why}` };
      if (name !== c.name) notes.push(`Falco's proc.name is the kernel's command name, cut to ${COMM_LEN} characters: process(${c.name}) is matched as proc.name = ${v.text}, which every process whose name starts with those ${COMM_LEN} characters also matches`);
      return { ok: true, text: `proc.name = ${v.text}` };
    }
  }
}

function priorityOf(r: RuleModel): string {
  const kinds = new Set(r.actions.map((a) => a.kind));
  if (kinds.has('killProc')) return 'CRITICAL';
  if (kinds.has('deny')) return 'WARNING';
  if (kinds.has('allow')) return 'INFORMATIONAL';
  return 'NOTICE';
}

function ruleYaml(m: MonitorModel, r: RuleModel, notes: PolicyNote[]): string[] | undefined {
  const rule = r.name;
  // Calls whose conditions read the same are written once: evt.type in (open, openat).
  const groups = new Map<string, string[]>();
  const approx: string[] = [];
  for (const call of r.calls) {
    // Per call: an ip or port branch is false off connect and sendto, as vmsec evaluates it.
    const on = conditionOn(r.when, call);
    if (on === false) { notes.push({ rule, text: neverNote(r.when, call) }); continue; }
    const cond = on === true ? { ok: true as const, text: '' } : condFor(on, call, approx);
    if (!cond.ok) { notes.push({ rule, text: `${cond.why}; the rule is not exported for ${call}` }); continue; }
    const g = groups.get(cond.text) ?? [];
    if (!g.includes(call)) g.push(call);
    groups.set(cond.text, g);
  }
  if (groups.size === 0) return undefined;
  for (const text of new Set(approx)) notes.push({ rule, text });
  const alternatives = [...groups].map(([cond, calls]) => {
    const type = calls.length === 1 ? `evt.type = ${calls[0]}` : `evt.type in (${calls.join(', ')})`;
    return cond ? `${type} and evt.dir = < and ${groups.size > 1 || /\sor\s/.test(cond) ? `(${cond})` : cond}` : `${type} and evt.dir = <`;
  });
  const condition = alternatives.length === 1 ? alternatives[0] : alternatives.map((a) => `(${a})`).join(' or ');
  const actions = r.actions.map(actionText).join(', ');
  const enforced = r.actions.filter((a) => a.kind === 'deny' || a.kind === 'killProc').map(actionText);
  if (enforced.length) notes.push({ rule, text: `Falco alerts but does not enforce ${enforced.join(', ')}; pair it with a response engine (e.g. Falco Talon) to act` });
  return [
    `- rule: ${q(`vmsec ${m.name} ${rule}`)}`,
    `  desc: ${q(`vmsec monitor ${m.name}, rule ${rule}: ${actions} on ${r.calls.join(', ')}`)}`,
    `  condition: ${q(condition)}`,
    `  output: ${q(`vmsec ${m.name}/${rule} (${actions}): %evt.type by %proc.name (pid=%proc.pid fd=%fd.name)`)}`,
    `  priority: ${priorityOf(r)}`,
    `  tags: [vmsec, ${q(m.name)}]`,
  ];
}

export function falcoRules(m: MonitorModel): ExportedPolicy {
  const notes = commonNotes(m);
  const body: string[] = [];
  for (const r of rulesOf(m)) {
    const y = ruleYaml(m, r, notes);
    if (y) body.push(...y, '');
  }
  const sorted = sortNotes(notes, m);
  const text = body.length ? body.join('\n') : '[]\n';
  return { yaml: header(m, 'falco', sorted) + text, notes: sorted };
}

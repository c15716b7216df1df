// A monitor as a Tetragon TracingPolicy: one kprobe per kernel hook, one
// selector per conjunction of a rule's condition (selectors are ORed, the
// entries of one selector ANDed), deny(N) as Override with argError -N and
// killProc as Sigkill.
import type { ConditionModel as Cond, MonitorModel, RuleModel } from '../../model/semantic-monitors';
import { actionText, commonNotes, conditionOn, neverNote, ExportedPolicy, header, inexpressible, Literal, PolicyNote, q, rulesOf, sortNotes, toDnf } from './translate';

/** Tetragon refuses a hook with more selectors than this. */
const MAX_SELECTORS = 5;

interface Hook {
  call: string;
  syscall: boolean;
  args: { index: number; type: string }[];
  /** The hook argument that holds vmsec's path argument `i`, if any. */
  fileArg(i: number): number | undefined;
  /** The hook argument (a sock) that holds the destination of a connect. */
  sockArg?: number;
  /** Whether Override can make the call fail (an error-injection point). */
  override: boolean;
  /** A kernel function, not one syscall: the calls it fires for, and what else reaches it. */
  firesFor?: string[];
  alsoFor?: string;
  /** Events of the rule's calls the hook never sees. */
  misses?: string;
}

// security_file_open runs for every file the kernel opens (do_dentry_open),
// whichever call asked: it cannot tell open from openat.
const FILE_OPEN: Hook = {
  call: 'security_file_open', syscall: false, args: [{ index: 0, type: 'file' }], fileArg: (i) => (i === 0 ? 0 : undefined), override: true,
  firesFor: ['open', 'openat', 'openat2', 'creat', 'open_by_handle_at', 'uselib'], alsoFor: 'the binary of execve and execveat',
};
const EXECVE: Hook = { call: 'sys_execve', syscall: true, args: [{ index: 0, type: 'string' }], fileArg: (i) => (i === 0 ? 0 : undefined), override: true };
// tcp_connect sends a TCP SYN: TCP Fast Open sends and in-kernel sockets reach it too, UDP connects never.
const CONNECT: Hook = {
  call: 'tcp_connect', syscall: false, args: [{ index: 0, type: 'sock' }], fileArg: () => undefined, sockArg: 0, override: false,
  firesFor: ['connect'], alsoFor: 'sendto and sendmsg with MSG_FASTOPEN and for the kernel\'s own TCP connects',
  misses: 'it never sees a UDP or Unix-socket connect',
};

/** The note for a hook that fires for more than `calls` (or misses some of their events), or undefined. */
function widerNote(hook: Hook, calls: string[], rule: string): string | undefined {
  if (!hook.firesFor) return undefined;
  const others = [...hook.firesFor.filter((c) => !calls.includes(c)), ...(hook.alsoFor ? [hook.alsoFor] : [])];
  if (others.length === 0) return undefined;
  const list = others.length === 1 ? others[0] : `${others.slice(0, -1).join(', ')} and ${others[others.length - 1]}`;
  return `${hook.call} also fires for ${list}: the policy is wider than rule ${rule}${hook.misses ? `, and ${hook.misses}` : ''}`;
}

export function hookFor(call: string): Hook {
  switch (call) {
    case 'open': case 'openat': return FILE_OPEN;
    case 'execve': return EXECVE;
    case 'connect': return CONNECT;
    default: return { call: `sys_${call}`, syscall: true, args: [], fileArg: () => undefined, override: true };
  }
}

interface Selector { rule: string; comment: string; lines: string[] }

type Entry = { kind: 'arg'; index: number; op: string; value: string } | { kind: 'bin'; op: string; value: string };

/** A literal as a selector entry on `hook`, or why it cannot be one. */
function entryOf(l: Literal, hook: Hook): Entry | string {
  const a = l.atom;
  const not = (op: string) => (l.negated ? `Not${op}` : op);
  switch (a.kind) {
    case 'fileEq': case 'filePrefix': {
      const idx = hook.fileArg(a.index);
      if (idx === undefined) return `${a.kind}(${a.index}, …) has no path argument on ${hook.call}`;
      const bad = inexpressible(a.value);
      if (bad !== undefined) return `the path of ${a.kind}(${a.index}, …) ${bad}`;
      return { kind: 'arg', index: idx, op: not(a.kind === 'fileEq' ? 'Equal' : 'Prefix'), value: a.value };
    }
    case 'ip':
      if (hook.sockArg === undefined) return `ip(…) has no destination address on ${hook.call}`;
      return { kind: 'arg', index: hook.sockArg, op: not('DAddr'), value: a.prefix === undefined ? `${a.text}/32` : a.text };
    case 'port':
      if (hook.sockArg === undefined) return `port(…) has no destination port on ${hook.call}`;
      return { kind: 'arg', index: hook.sockArg, op: not('DPort'), value: String(a.port) };
    case 'process': {
      const bad = inexpressible(a.name);
      if (bad !== undefined) return `the name of process(…) ${bad}`;
      // vmsec names a process; Tetragon matches the binary's path, so match its last segment.
      return { kind: 'bin', op: not('Postfix'), value: `/${a.name}` };
    }
  }
}

/** The rule's selectors on `hook` for `calls`, whose condition there is `when` (conditionOn). */
function selectorsFor(r: RuleModel, when: Cond | undefined, hook: Hook, calls: string[], notes: PolicyNote[]): Selector[] | undefined {
  const rule = r.name;
  const dnf = toDnf(when);
  if (!dnf) { notes.push({ rule, text: 'the condition is too large to export (more than 32 alternatives once negations are pushed inward); the rule is left out' }); return undefined; }
  const conjs: Entry[][] = [];
  for (const conj of dnf) {
    const entries: Entry[] = [];
    for (const l of conj) {
      const e = entryOf(l, hook);
      if (typeof e === 'string') {
        // Dropping a literal would widen the rule: leave the whole rule out of this hook instead.
        notes.push({ rule, text: `${e}; the rule is not exported for ${calls.join(', ')}` });
        return undefined;
      }
      entries.push(e);
    }
    conjs.push(entries);
  }
  const actions: string[] = [];
  for (const a of r.actions) {
    if (a.kind === 'killProc') actions.push('      - action: Sigkill');
    else if (a.kind === 'deny') {
      if (hook.override) actions.push('      - action: Override', `        argError: ${-a.code}`);
      else notes.push({ rule, text: `${actionText(a)} on ${calls.join(', ')}: ${hook.call} cannot be made to fail (not an error-injection point); the call is reported, not denied` });
    }
  }
  if (actions.length === 0) actions.push('      - action: Post');
  const wider = widerNote(hook, calls, rule);
  if (wider) notes.push({ rule, text: wider });
  const out: Selector[] = [];
  for (const entries of conjs) {
    const lines: string[] = [];
    const args = entries.filter((e): e is Extract<Entry, { kind: 'arg' }> => e.kind === 'arg');
    const bins = entries.filter((e): e is Extract<Entry, { kind: 'bin' }> => e.kind === 'bin');
    if (args.length) {
      lines.push('      matchArgs:');
      for (const e of args) lines.push(`      - index: ${e.index}`, `        operator: ${q(e.op)}`, '        values:', `        - ${q(e.value)}`);
    }
    if (bins.length) {
      lines.push('      matchBinaries:');
      for (const e of bins) lines.push(`      - operator: ${q(e.op)}`, '        values:', `        - ${q(e.value)}`);
    }
    lines.push('      matchActions:', ...actions);
    lines[0] = '    - ' + lines[0].slice(6);
    out.push({ rule, comment: `rule ${rule}: ${r.actions.map(actionText).join(', ')}`, lines });
  }
  return out;
}

export function tetragonPolicy(m: MonitorModel): ExportedPolicy {
  const notes = commonNotes(m, (c) => hookFor(c).call);
  const hooks = new Map<string, { hook: Hook; selectors: Selector[] }>();
  for (const r of rulesOf(m)) {
    // Calls that share a hook (open, openat) and read the same condition share its selectors.
    const byHook = new Map<string, { hook: Hook; when: Cond | undefined; calls: string[] }>();
    for (const c of r.calls) {
      const on = conditionOn(r.when, c);
      if (on === false) { notes.push({ rule: r.name, text: neverNote(r.when, c) }); continue; }
      const when = on === true ? undefined : on;
      const h = hookFor(c);
      const key = `${h.call}\0${JSON.stringify(when ?? null)}`;
      const g = byHook.get(key) ?? { hook: h, when, calls: [] };
      if (!g.calls.includes(c)) g.calls.push(c);
      byHook.set(key, g);
    }
    for (const { hook, when, calls } of byHook.values()) {
      const sels = selectorsFor(r, when, hook, calls, notes);
      if (!sels) continue;
      const slot = hooks.get(hook.call) ?? { hook, selectors: [] };
      slot.selectors.push(...sels);
      hooks.set(hook.call, slot);
    }
  }
  for (const { hook, selectors } of hooks.values()) {
    if (selectors.length > MAX_SELECTORS) notes.push({ text: `${hook.call} has ${selectors.length} selectors; Tetragon accepts at most ${MAX_SELECTORS} per hook, so split the policy` });
  }
  const name = `vmsec-${m.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '')}`.replace(/-+$/, '').slice(0, 63);
  const sorted = sortNotes(notes, m);
  const lines = [
    'apiVersion: cilium.io/v1alpha1',
    'kind: TracingPolicy',
    'metadata:',
    `  name: ${q(name)}`,
    'spec:',
  ];
  if (hooks.size === 0) lines.push('  kprobes: []');
  else {
    lines.push('  kprobes:');
    for (const { hook, selectors } of hooks.values()) {
      lines.push(`  - call: ${q(hook.call)}`, `    syscall: ${hook.syscall}`);
      if (hook.args.length) {
        lines.push('    args:');
        for (const a of hook.args) lines.push(`    - index: ${a.index}`, `      type: ${q(a.type)}`);
      }
      lines.push('    selectors:');
      for (const s of selectors) lines.push(`    # ${s.comment}`, ...s.lines);
    }
  }
  return { yaml: header(m, 'tetragon', sorted) + lines.join('\n') + '\n', notes: sorted };
}

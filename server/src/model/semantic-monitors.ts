// The meaning of `monitor` declarations (LANGUAGE.md §3 "Monitors"): mode,
// buffer, default, rules with their conditions and actions, escalation — with
// defaults filled in and numbers already checked against their limits, so the
// simulator and the policy exporters never read the raw AST for monitors.
// Defaults: `mode concurrent`, `buffer 1024 drop`, `default allow`, no
// escalation. A value out of range (VMS003) counts as absent, like everywhere
// in the model; a file set with errors is not run or exported anyway.
import type * as A from '../../../grammar/src/ast';
import type { SourceFile } from './source-file';
import type { Namespace } from './symbols';
import { LIMITS, within } from './limits';
import { declIndex } from './decl-index';

export type VmActionModel =
  | { kind: 'pause' | 'terminate' }
  /** `to` is the host's name as written; without it the migration module picks the target. */
  | { kind: 'migrate'; to?: string };
export type ActionModel =
  | { kind: 'allow' | 'killProc' }
  | { kind: 'deny'; code: number }
  | { kind: 'policyChange'; monitor: string }
  | VmActionModel;

/** Calls whose destination `ip` and `port` test (LANGUAGE.md §3 Monitors); on any other call they are false. */
export const NET_CALLS: ReadonlySet<string> = new Set(['connect', 'sendto']);

export type ConditionModel =
  | { kind: 'or' | 'and'; operands: ConditionModel[] }
  | { kind: 'not'; operand: ConditionModel }
  /** Argument `index` (0-based) equals / starts with `value`. */
  | { kind: 'fileEq' | 'filePrefix'; index: number; value: string }
  /** The destination is inside ip/prefix (prefix 32 when written as an address); `text` as written. */
  | { kind: 'ip'; ip: number; prefix?: number; text: string }
  | { kind: 'port'; port: number }
  | { kind: 'process'; name: string };

export interface RuleModel {
  name: string;
  /** The syscall names the rule is for, as written (a repeat changes nothing). */
  calls: string[];
  when?: ConditionModel;
  actions: ActionModel[];
  decl: A.RuleDecl;
}

export interface EscalationModel {
  count: number;
  /** The window in microseconds, and as written (for messages). */
  windowUs: number; windowText: string;
  action: VmActionModel;
}

export interface MonitorModel {
  path: string; decl: A.MonitorDecl;
  name: string;
  /** The VMs the monitor is declared for, as written (fork children and restored VMs follow their origin). */
  vms: string[];
  mode: 'concurrent' | 'serial';
  buffer: number; policy: 'drop' | 'block';
  default: ActionModel;
  /** Whether `default` is written (exporters mention a written non-allow default). */
  defaultDeclared: boolean;
  rules: RuleModel[];
  escalate?: EscalationModel;
}

export const DEFAULT_BUFFER = 1024;

/** Monitors by name, in declaration order (file order, then text order); a name declared twice keeps the declaration the namespace holds. */
export function buildMonitors(files: readonly SourceFile[], ns: Namespace): Map<string, MonitorModel> {
  const out = new Map<string, MonitorModel>();
  for (const f of files) {
    for (const d of declIndex(f.doc).monitors) {
      if (ns.get(d.name.text)?.decl !== d || out.has(d.name.text)) continue;
      out.set(d.name.text, monitorModel(f.path, d));
    }
  }
  return out;
}

export function monitorModel(path: string, d: A.MonitorDecl): MonitorModel {
  let mode: A.Ident | undefined, buffer: Extract<A.MonProp, { key: 'buffer' }> | undefined;
  let def: A.Action | undefined, esc: Extract<A.MonProp, { key: 'escalate' }> | undefined;
  const rules: RuleModel[] = [];
  for (const p of d.props) {
    // A property written twice is VMS002; the first one counts.
    if (p.key === 'mode') mode ??= p.value;
    else if (p.key === 'buffer') buffer ??= p;
    else if (p.key === 'default') def ??= p.action;
    else if (p.key === 'escalate') esc ??= p;
    else if (p.key === 'rule') rules.push(ruleModel(p));
  }
  const escAction = esc ? vmActionModel(esc.action) : undefined;
  const count = esc ? within(esc.count, LIMITS.escalateCount) : undefined;
  const windowUs = esc ? within(esc.window, LIMITS.escalateWindow) : undefined;
  return {
    path, decl: d, name: d.name.text,
    vms: d.vms.map((v) => v.text),
    mode: mode?.text === 'serial' ? 'serial' : 'concurrent',
    buffer: within(buffer?.size, LIMITS.buffer) ?? DEFAULT_BUFFER,
    policy: buffer?.policy?.text === 'block' ? 'block' : 'drop',
    default: def ? actionModel(def) : { kind: 'allow' },
    defaultDeclared: def !== undefined,
    rules,
    escalate: esc && escAction && count !== undefined && windowUs !== undefined
      ? { count, windowUs, windowText: esc.window.text, action: escAction } : undefined,
  };
}

function ruleModel(r: A.RuleDecl): RuleModel {
  return {
    name: r.name.text,
    calls: r.calls.map((c) => c.text),
    when: r.when ? conditionModel(r.when) : undefined,
    actions: r.actions.map(actionModel),
    decl: r,
  };
}

export function conditionModel(c: A.Cond): ConditionModel {
  switch (c.kind) {
    case 'or': case 'and': return { kind: c.kind, operands: c.operands.map(conditionModel) };
    case 'not': return { kind: 'not', operand: conditionModel(c.operand) };
    // An index out of range (VMS003) matches no argument.
    case 'fileEq': case 'filePrefix': return { kind: c.kind, index: within(c.index, LIMITS.argIndex) ?? -1, value: c.value.value };
    case 'ip': return { kind: 'ip', ip: c.addr.ip, ...(c.addr.prefix !== undefined ? { prefix: c.addr.prefix } : {}), text: c.addr.text };
    case 'port': return { kind: 'port', port: within(c.port, LIMITS.port) ?? -1 };
    case 'process': return { kind: 'process', name: c.name.text };
  }
}

export function actionModel(a: A.Action): ActionModel {
  switch (a.kind) {
    case 'deny': return { kind: 'deny', code: within(a.code, LIMITS.errno) ?? a.code.value };
    case 'policyChange': return { kind: 'policyChange', monitor: a.monitor.text };
    case 'migrate': return a.to ? { kind: 'migrate', to: a.to.text } : { kind: 'migrate' };
    default: return { kind: a.kind };
  }
}

function vmActionModel(a: A.Action): VmActionModel | undefined {
  const m = actionModel(a);
  return m.kind === 'pause' || m.kind === 'terminate' || m.kind === 'migrate' ? m : undefined;
}

/** An action as the reports and exports write it: `deny(13)`, `migrate to h2`, `killProc`. */
export function actionText(a: ActionModel): string {
  switch (a.kind) {
    case 'deny': return `deny(${a.code})`;
    case 'policyChange': return `policyChange(${a.monitor})`;
    case 'migrate': return a.to !== undefined ? `migrate to ${a.to}` : 'migrate';
    default: return a.kind;
  }
}

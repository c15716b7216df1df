// Monitors (Indumathy): each `syscall` step is an event seen by the in-VM
// recorder. In `serial` mode the recorder hands it to the out-of-VM analyzer
// and the call waits for the verdict. In `concurrent` mode, rules whose
// actions include deny or allow are enforced in the VM at once; the rest are
// analysed out of the VM in parallel, after the buffer delay, and a full
// buffer drops or blocks (serial mode never drops: each call waits for its
// verdict, so `buffer` applies to concurrent mode only). Rules are tried in
// order; the first whose calls and condition match decides, else `default`.
// `escalate` applies a VM action after N violations within a window. Fork
// children inherit their parent's monitors; a restored VM keeps those of the
// VM it was checkpointed from. Every decision is reported with what it did to
// the VM (`effect`), escalations as decisions of their own (rule `escalate`).
// A `migrate` action goes through migration.ts, like the step.
import type * as A from '../../../grammar/src/ast';
import { inBlock } from '../../../grammar/src/literals';
import type { Arg } from '../../../grammar/src/ast';
import type { MonitorResult } from './results';
import type { World, VmRuntime } from './world';
import { migrateVm } from './migration';

export interface MonitorCosts {
  /** The in-VM recorder deciding a deny/allow rule. */
  inVm: number;
  /** Handing an event to the out-of-VM analyzer, and analysing it. */
  handoff: number; analyze: number;
}
export const MONITOR_COSTS: MonitorCosts = { inVm: 2, handoff: 20, analyze: 30 };

interface Monitor { decl: A.MonitorDecl; name: string; mode: 'concurrent' | 'serial'; buffer: number; policy: 'drop' | 'block'; rules: A.RuleDecl[]; default: A.Action; escalate?: { count: number; window: number; action: A.Action } }

export interface SyscallEvent { vm: VmRuntime; process: string; call: string; args: Arg[]; line: number }

export interface Verdict { monitor?: string; rule: string; actions: A.Action[]; delayUs: number; dropped?: boolean }

const ALLOW: A.Action = { kind: 'allow', span: { start: 0, end: 0 } };

export class Monitors {
  private readonly monitors = new Map<string, Monitor>();
  /** The active monitor per VM (children use their parent's entry). */
  private readonly active = new Map<string, string>();
  private readonly violations = new Map<string, number[]>();
  private readonly analyzerFree = new Map<string, number>();
  private readonly queued = new Map<string, number[]>();
  readonly killed = new Set<string>();
  readonly counts = new Map<string, { deny: number; kill: number; allow: number }>();

  constructor(private readonly world: World, decls: A.MonitorDecl[]) {
    for (const d of decls) {
      const prop = <K extends A.MonProp['key']>(k: K) => d.props.find((p) => p.key === k) as Extract<A.MonProp, { key: K }> | undefined;
      const buffer = prop('buffer');
      const esc = prop('escalate');
      const m: Monitor = {
        decl: d, name: d.name.text,
        mode: prop('mode')?.value.text === 'serial' ? 'serial' : 'concurrent',
        buffer: buffer?.size.value ?? 1024, policy: buffer?.policy?.text === 'block' ? 'block' : 'drop',
        rules: d.props.filter((p): p is A.RuleDecl => p.key === 'rule'),
        default: prop('default')?.action ?? ALLOW,
        escalate: esc ? { count: esc.count.value, window: esc.window.value, action: esc.action } : undefined,
      };
      this.monitors.set(m.name, m);
      this.counts.set(m.name, { deny: 0, kill: 0, allow: 0 });
      // The first monitor declared for a VM is active; policyChange switches.
      for (const v of d.vms) if (!this.active.has(v.text)) this.active.set(v.text, m.name);
    }
  }

  private monitorOf(vm: VmRuntime): Monitor | undefined {
    // A child (and a restored VM) follows the monitor of the VM it came from until a policy change of its own.
    const own = this.active.get(vm.name) ?? (vm.name !== vm.model.name ? this.active.get(vm.model.name) : undefined);
    return own ? this.monitors.get(own) : undefined;
  }

  /** Decides an event; effects (kills, VM actions, policy changes) apply after the detection delay. */
  decide(e: SyscallEvent, done: (v: Verdict) => void): void {
    const { world } = this;
    const m = this.monitorOf(e.vm);
    if (!m) { done({ rule: 'no monitor', actions: [ALLOW], delayUs: 0 }); return; }
    const rule = m.rules.find((r) => r.calls.some((c) => c.text === e.call) && (!r.when || matches(r.when, e)));
    const actions = (rule ? rule.actions : [m.default]).filter((a): a is A.Action => !!a);
    const inVm = m.mode === 'concurrent' && actions.some((a) => a.kind === 'deny' || a.kind === 'allow');
    let delay: number;
    if (inVm) delay = MONITOR_COSTS.inVm;
    else {
      // The analyzer works through its buffer one event at a time. In serial
      // mode the call waits for its verdict, so the buffer never fills.
      const now = world.engine.now;
      const bounded = m.mode === 'concurrent';
      const q = (this.queued.get(m.name) ?? []).filter((t) => t > now);
      if (bounded && q.length >= m.buffer && m.policy === 'drop') {
        this.queued.set(m.name, q);
        this.record(m, e, rule, [], 0, true);
        done({ monitor: m.name, rule: rule?.name.text ?? 'default', actions: [], delayUs: 0, dropped: true });
        return;
      }
      const start = Math.max(now + MONITOR_COSTS.handoff, this.analyzerFree.get(m.name) ?? 0, bounded && q.length >= m.buffer ? q[q.length - m.buffer] : 0);
      const end = start + MONITOR_COSTS.analyze;
      this.analyzerFree.set(m.name, end);
      q.push(end);
      this.queued.set(m.name, q);
      delay = end - now;
    }
    const r = this.record(m, e, rule, actions, delay, false);
    world.engine.after(delay, () => this.apply(m, e, actions, r));
    done({ monitor: m.name, rule: rule?.name.text ?? 'default', actions, delayUs: delay });
  }

  private record(m: Monitor, e: SyscallEvent, rule: A.RuleDecl | undefined, actions: A.Action[], delay: number, dropped: boolean): MonitorResult {
    const c = this.counts.get(m.name)!;
    // Each verdict counts for every kind of action it includes (the default too).
    if (actions.some((a) => a.kind === 'deny')) c.deny++;
    if (actions.some((a) => a.kind === 'allow')) c.allow++;
    if (actions.some((a) => a.kind === 'killProc')) c.kill++;
    const r: MonitorResult = {
      monitor: m.name, vm: e.vm.name, process: e.process, call: e.call, rule: rule?.name.text ?? 'default',
      action: dropped ? 'dropped (buffer full)' : actions.map(actionText).join(', '), delay_us: Math.round(delay * 1000) / 1000, line: e.line,
      at_ms: this.world.engine.now / 1000,
    };
    this.world.result.monitor.push(r);
    const now = this.world.engine.now / 1000;
    this.world.timeline.add({
      kind: 'monitor', lane: m.name, startMs: now, endMs: now + delay / 1000, line: e.line, ...(dropped ? { ok: false } : {}),
      label: `${e.call} by ${e.vm.name}/${e.process}: ${r.rule} → ${r.action || 'nothing'}`,
    });
    return r;
  }

  private apply(m: Monitor, e: SyscallEvent, actions: A.Action[], r: MonitorResult): void {
    const { world } = this;
    let violation = false;
    const effects: string[] = [];
    const effect = (text: string) => { effects.push(text); r.effect = effects.join('; '); };
    for (const a of actions) {
      switch (a.kind) {
        case 'deny': violation = true; break;
        case 'killProc': violation = true; this.killed.add(`${e.vm.name}/${e.process}`); effect(`process ${e.process} killed`); break;
        case 'policyChange': this.active.set(e.vm.name, a.monitor.text); effect(`${e.vm.name} now monitored by ${a.monitor.text}`); break;
        case 'pause': case 'terminate': case 'migrate':
          violation = true;
          this.vmAction(e.vm, a, e.line, `monitor ${m.name} rule ${r.rule}`, effect);
          break;
        default: break;
      }
    }
    if (violation && m.escalate) {
      const now = world.engine.now;
      const list = (this.violations.get(`${m.name}/${e.vm.name}`) ?? []).filter((t) => t > now - m.escalate!.window);
      list.push(now);
      this.violations.set(`${m.name}/${e.vm.name}`, list);
      if (list.length >= m.escalate.count) {
        this.violations.set(`${m.name}/${e.vm.name}`, []);
        // An escalation is a decision of its own: what fired it, when, and what it did.
        const esc: MonitorResult = {
          monitor: m.name, vm: e.vm.name, process: e.process, call: e.call, rule: 'escalate', action: actionText(m.escalate.action),
          delay_us: 0, line: e.line, at_ms: now / 1000,
          fired: `${list.length} violations within ${m.escalate.window / 1000} ms (the last: ${e.call} by ${e.vm.name}/${e.process}, rule ${r.rule})`,
        };
        world.result.monitor.push(esc);
        world.timeline.add({ kind: 'monitor', lane: m.name, startMs: now / 1000, endMs: now / 1000, line: e.line, label: `escalate → ${esc.action} ${e.vm.name}` });
        this.vmAction(e.vm, m.escalate.action, e.line, `monitor ${m.name} escalation`, (t) => { esc.effect = esc.effect ? `${esc.effect}; ${t}` : t; });
      }
    }
  }

  /** A VM action of a rule or an escalation; `effect` hears what it did (a migration: when it settles, too). */
  private vmAction(vm: VmRuntime, a: A.Action, line: number, by: string, effect: (text: string) => void): void {
    const { world } = this;
    // Terminated is final: nothing brings it back.
    if (vm.state === 'terminated') { effect(`none: ${vm.name} is terminated`); return; }
    if (a.kind === 'pause') {
      if (vm.state === 'failed') { effect(`none: ${vm.name} failed`); return; }
      vm.state = 'paused'; effect(`${vm.name} paused`);
    }
    if (a.kind === 'terminate') {
      if (vm.state === 'failed') { effect(`none: ${vm.name} failed`); return; }
      vm.state = 'terminated'; effect(`${vm.name} terminated`);
    }
    if (a.kind === 'migrate') {
      const to = a.to ? world.model.hosts.get(a.to.text) : undefined;
      if (a.to && !to) { effect(`refused: no host '${a.to.text}'; ${vm.name} stays on ${vm.host.name}`); return; }
      let started = true;
      const refused = migrateVm(world, vm, to, line, by, (o) => effect(o.text));
      if (refused) { started = false; effect(`refused: ${refused.text}`); }
      if (started) {
        const mv = world.result.moves[world.result.moves.length - 1];
        effect(`migration to ${mv.to} over ${mv.link} started`);
      }
    }
  }
}

export function actionText(a: A.Action): string {
  switch (a.kind) {
    case 'deny': return `deny(${a.code.value})`;
    case 'policyChange': return `policyChange(${a.monitor.text})`;
    case 'migrate': return a.to ? `migrate to ${a.to.text}` : 'migrate';
    default: return a.kind;
  }
}

export function matches(c: A.Cond, e: SyscallEvent): boolean {
  switch (c.kind) {
    case 'or': return c.operands.some((o) => matches(o, e));
    case 'and': return c.operands.every((o) => matches(o, e));
    case 'not': return !matches(c.operand, e);
    case 'fileEq': case 'filePrefix': {
      const a = e.args[c.index.value];
      if (!a || !('value' in a) || typeof a.value !== 'string') return false;
      return c.kind === 'fileEq' ? a.value === c.value.value : a.value.startsWith(c.value.value);
    }
    case 'ip': {
      if (e.call !== 'connect' && e.call !== 'sendto') return false;
      const a = e.args.find((x): x is A.Addr => 'ip' in x);
      return !!a && inBlock(a.ip, c.addr);
    }
    case 'port': {
      if (e.call !== 'connect' && e.call !== 'sendto') return false;
      const a = e.args.find((x): x is A.Quantity => 'kind' in x && x.kind === 'number');
      return !!a && a.value === c.port.value;
    }
    case 'process': return e.process === c.name.text;
  }
}

// Monitors (Indumathy): each `syscall` step is an event seen by the in-VM
// recorder. In `serial` mode the recorder hands it to the out-of-VM analyzer
// and the call waits for the verdict. In `concurrent` mode, rules whose
// actions include deny or allow are enforced in the VM at once; the rest are
// analysed out of the VM in parallel, after the buffer delay, and a full
// buffer drops the event or blocks the call until a slot frees (reported as
// `blocked_us`; serial mode never drops: each call waits for its
// verdict, so `buffer` applies to concurrent mode only). Rules are tried in
// order; the first whose calls and condition match decides, else `default`
// (monitor-rules.ts compiles and indexes them so this costs a few lookups).
// `escalate` applies a VM action after N violations within a window. Fork
// children inherit their parent's monitors; a restored VM keeps those of the
// VM it was checkpointed from. Every decision is reported with what it did to
// the VM (`effect`), escalations as decisions of their own (rule `escalate`);
// an effect already there is not claimed ("already killed"), and a held or
// serial call whose process died before it ran acts on nothing.
// A `migrate` action goes through migration.ts, like the step. The delays
// come from the cost table (`monitorInVm`, `monitorHandoff`, `monitorAnalyze`).
// Every step's decision is listed. A replayed trace can make millions on one
// line: the results list the first LISTED of each rule from it and count the
// rest per rule in `monitor_more`, so the expectations (counts) stay exact.
import type { Arg } from '../../../grammar/src/ast';
import type { ActionModel, MonitorModel, RuleModel, VmActionModel } from '../model/semantic-monitors';
import { actionText } from '../model/semantic-monitors';
import type { MonitorResult } from './results';
import type { World, VmRuntime } from './world';
import { migrateVm } from './migration';
import { RuleIndex } from './monitor-rules';
import { doneBy } from './monitor-effects';
import { pausedForDescriptor } from './fork/descriptor';

export { actionText };

export interface SyscallEvent {
  vm: VmRuntime; process: string; call: string; args: readonly Arg[]; line: number;
  /** From a replayed trace (many events on one line): only the first LISTED per rule are listed. A `syscall` step's decision always is. */
  replayed?: boolean;
  /**
   * A call that does not run at once (held by a full `block` buffer, or waiting for a `serial` verdict)
   * hears when it would run whether it did: undefined, or why it never did (its process was killed, or
   * its VM terminated, meanwhile). Told only when the verdict has `later`.
   */
  ran?: (never: string | undefined) => void;
}

export interface Verdict {
  monitor?: string; rule: string; actions: readonly ActionModel[]; delayUs: number; dropped?: boolean;
  /** `buffer N block` with N events waiting: how long the call was held until the analyzer freed a slot (µs). */
  blockedUs?: number;
  /** The call runs later (held, or waiting for a serial verdict): the event's `ran` says whether it did. */
  later?: boolean;
  /** `monitor/rule` (the rule alone without a monitor): how per-rule counts are keyed. */
  key: string;
}

/** Decisions listed in the results per rule and source line; the rest are counted in `monitor_more`. */
export const LISTED = 20;

/** What a rule (or the default) decides, worked out once per monitor. */
interface Decision {
  rule: string;
  actions: readonly ActionModel[];
  /** The actions as the results write them. */
  text: string;
  /** Enforced by the in-VM recorder (concurrent mode, a deny or allow among the actions). */
  inVm: boolean;
  deny: boolean; allow: boolean; kill: boolean;
  /** Nothing to apply later: only allow, or deny where no escalation counts violations. */
  inert: boolean;
  /** `monitor/rule`. */
  key: string;
  /** The verdict of an in-VM decision (its delay is a constant), made once: most events need no allocation. */
  inVmVerdict?: Verdict;
  /** Decisions listed so far, by source line; and the decisions past LISTED, counted. */
  listed: Map<number, number>;
  more: number;
}

/** The end times of the events in an analyzer's buffer, oldest first (they only grow). */
class EndTimes {
  private items: number[] = [];
  private head = 0;
  get length(): number { return this.items.length - this.head; }
  /** Forgets the events analysed by `now`. */
  expire(now: number): void {
    while (this.head < this.items.length && this.items[this.head] <= now) this.head++;
    if (this.head > 4096 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
  }
  /** The i-th from the newest (1 = newest). */
  fromEnd(i: number): number { return this.items[this.items.length - i]; }
  push(t: number): void { this.items.push(t); }
}

interface Monitor {
  model: MonitorModel; name: string;
  index: RuleIndex<RuleModel>;
  decisions: Map<RuleModel, Decision>;
  byDefault: Decision;
  analyzerFree: number;
  queued: EndTimes;
  counts: { deny: number; kill: number; allow: number };
}

const NO_MONITOR: readonly ActionModel[] = [{ kind: 'allow' }];

const NO_MONITOR_VERDICT: Verdict = { rule: 'no monitor', actions: NO_MONITOR, delayUs: 0, key: 'no monitor' };

function decision(rule: string, actions: readonly ActionModel[], m: MonitorModel, inVmUs: number): Decision {
  const has = (k: ActionModel['kind']) => actions.some((a) => a.kind === k);
  const inVm = m.mode === 'concurrent' && (has('deny') || has('allow'));
  const key = `${m.name}/${rule}`;
  return {
    rule, actions, text: actions.map(actionText).join(', '),
    inVm, deny: has('deny'), allow: has('allow'), kill: has('killProc'),
    inert: actions.every((a) => a.kind === 'allow' || (a.kind === 'deny' && !m.escalate)),
    key, inVmVerdict: inVm ? Object.freeze({ monitor: m.name, rule, actions, delayUs: inVmUs, key }) : undefined,
    listed: new Map(), more: 0,
  };
}

export class Monitors {
  private readonly monitors = new Map<string, Monitor>();
  /** The active monitor per VM (children use their parent's entry). */
  private readonly active = new Map<string, string>();
  /** Violation times per monitor and VM that are still inside the escalation window: times[head…]. */
  private readonly violations = new Map<string, { times: number[]; head: number }>();
  /** Escalations listed so far, by monitor and source line (a replayed trace lists the first LISTED, like a rule). */
  private readonly escalationsListed = new Map<string, number>();
  /** Monitor and line whose first refused escalation past LISTED has been listed. */
  private readonly refusalListed = new Set<string>();
  readonly killed = new Set<string>();
  readonly counts = new Map<string, { deny: number; kill: number; allow: number }>();

  constructor(private readonly world: World, models: Iterable<MonitorModel>) {
    for (const model of models) {
      const m: Monitor = {
        model, name: model.name,
        index: new RuleIndex(model.rules),
        decisions: new Map(model.rules.map((r) => [r, decision(r.name, r.actions, model, world.costs.monitorInVm)])),
        byDefault: decision('default', [model.default], model, world.costs.monitorInVm),
        analyzerFree: 0, queued: new EndTimes(),
        counts: { deny: 0, kill: 0, allow: 0 },
      };
      this.monitors.set(m.name, m);
      this.counts.set(m.name, m.counts);
      // The first monitor declared for a VM is active; policyChange switches.
      for (const v of model.vms) if (!this.active.has(v)) this.active.set(v, m.name);
    }
  }

  private monitorOf(vm: VmRuntime): Monitor | undefined {
    // A child (and a restored VM) follows the monitor of the VM it came from until a policy change of its own.
    const own = this.active.get(vm.name) ?? (vm.name !== vm.model.name ? this.active.get(vm.model.name) : undefined);
    return own === undefined ? undefined : this.monitors.get(own);
  }

  /** Decides an event; effects (kills, VM actions, policy changes) apply after the detection delay. */
  decide(e: SyscallEvent, done: (v: Verdict) => void): void {
    const { world } = this;
    const m = this.monitorOf(e.vm);
    if (!m) { done(NO_MONITOR_VERDICT); return; }
    const rule = m.index.match(e);
    const d = rule ? m.decisions.get(rule)! : m.byDefault;
    const costs = world.costs;
    let delay: number;
    let blocked = 0;
    if (d.inVm) delay = costs.monitorInVm;
    else {
      // The analyzer works through its buffer one event at a time. In serial
      // mode the call waits for its verdict, so the buffer never fills.
      const now = world.engine.now;
      const bounded = m.model.mode === 'concurrent';
      const q = m.queued;
      q.expire(now);
      const full = bounded && q.length >= m.model.buffer;
      if (full && m.model.policy === 'drop') {
        this.record(m, e, d, 0, true);
        done({ monitor: m.name, rule: d.rule, actions: [], delayUs: 0, dropped: true, key: d.key });
        return;
      }
      // `block`: the recorder holds the call until the analyzer has finished the event `buffer` places
      // before it (its slot frees); only then is the event handed off, so the hand-off no longer
      // overlaps the analysis of the events ahead.
      const slotUs = full ? q.fromEnd(m.model.buffer) : now;
      blocked = slotUs - now;
      const start = Math.max(slotUs + costs.monitorHandoff, m.analyzerFree);
      const end = start + costs.monitorAnalyze;
      m.analyzerFree = end;
      q.push(end);
      delay = end - now;
    }
    const r = this.record(m, e, d, delay, false, blocked);
    // A held call runs once its slot frees, a serial one once its verdict comes; if its process or VM
    // is gone by then, the call never ran, so its verdict (still made and counted: the recorder had the
    // event) acts on nothing.
    const held = blocked > 0;
    const waits = m.model.mode === 'serial';
    let never: string | undefined;
    const runs = (while_: string) => {
      never = this.goneBeforeRun(e, while_);
      if (never && r) r.effect = `none: the call never ran (${never})`;
      e.ran?.(never);
    };
    if (held) world.engine.after(blocked, () => runs(`while ${m.name}'s full buffer held the call`));
    // An inert decision has no effect to apply, so it costs no engine event (unless a step waits to hear).
    if (!d.inert || (waits && e.ran)) {
      world.engine.after(delay, () => {
        if (waits) runs(`while the call waited for ${m.name}'s verdict`);
        if (never === undefined && !d.inert) this.apply(m, e, d, r);
      });
    } else world.engine.note(world.engine.now + delay);
    if (d.inVm) { done(d.inVmVerdict!); return; }
    const v: Verdict = { monitor: m.name, rule: d.rule, actions: d.actions, delayUs: delay, key: d.key };
    if (blocked > 0) v.blockedUs = Math.round(blocked * 1000) / 1000;
    if (held || waits) v.later = true;
    done(v);
  }

  /** Why a call that did not run at once never ran, or undefined if its process and VM are still there. */
  private goneBeforeRun(e: SyscallEvent, held: string): string | undefined {
    const { vm, process } = e;
    if (this.killed.has(`${vm.name}/${process}`)) {
      return `process ${process} was killed${doneBy(this.world.result.monitor, vm.name, `process ${process} killed`)} ${held}`;
    }
    if (vm.state === 'terminated' || vm.state === 'failed') {
      const by = vm.state === 'terminated' ? doneBy(this.world.result.monitor, vm.name, `${vm.name} terminated`) : '';
      return `${vm.name} ${vm.state === 'terminated' ? 'was terminated' : 'failed'}${by} ${held}`;
    }
    return undefined;
  }

  /** Counts the decision and lists it in the results if it is among the first LISTED of its rule and line; undefined if not listed. */
  private record(m: Monitor, e: SyscallEvent, d: Decision, delay: number, dropped: boolean, blocked = 0): MonitorResult | undefined {
    if (!dropped) {
      // Each verdict counts for every kind of action it includes (the default too).
      if (d.deny) m.counts.deny++;
      if (d.allow) m.counts.allow++;
      if (d.kill) m.counts.kill++;
    }
    const n = d.listed.get(e.line) ?? 0;
    if (e.replayed && n >= LISTED) {
      const more = (this.world.result.monitor_more ??= {});
      more[d.key] = ++d.more;
      return undefined;
    }
    d.listed.set(e.line, n + 1);
    const now = this.world.engine.now / 1000;
    const r: MonitorResult = {
      monitor: m.name, vm: e.vm.name, process: e.process, call: e.call, rule: d.rule,
      action: dropped ? 'dropped (buffer full)' : d.text, delay_us: Math.round(delay * 1000) / 1000, line: e.line,
      at_ms: now,
    };
    if (blocked > 0) r.blocked_us = Math.round(blocked * 1000) / 1000;
    this.world.result.monitor.push(r);
    const tl = this.world.timeline;
    // Once the timeline is full it only counts; skip building a label nobody keeps.
    if (tl.omitted > 0) tl.omitted++;
    else {
      tl.add({
        kind: 'monitor', lane: m.name, startMs: now, endMs: now + delay / 1000, line: e.line, ...(dropped ? { ok: false } : {}),
        label: `${e.call} by ${e.vm.name}/${e.process}: ${r.rule} → ${r.action || 'nothing'}`,
      });
    }
    return r;
  }

  /** Applies a decision's effects; `r`, its listed result, hears what they did (an unlisted one's effects still apply). */
  private apply(m: Monitor, e: SyscallEvent, d: Decision, r: MonitorResult | undefined): void {
    const { world } = this;
    let violation = false;
    const effects: string[] = [];
    const effect = (text: string) => { if (r) { effects.push(text); r.effect = effects.join('; '); } };
    for (const a of d.actions) {
      switch (a.kind) {
        case 'deny': violation = true; break;
        case 'killProc': {
          violation = true;
          // Only the decision that ended the process says so (the step error and expectation name it).
          const who = `${e.vm.name}/${e.process}`;
          if (e.vm.state === 'terminated') effect(`none: ${e.vm.name} is terminated`);
          else if (this.killed.has(who)) effect(`none: process ${e.process} already killed`);
          else { this.killed.add(who); effect(`process ${e.process} killed`); }
          break;
        }
        case 'policyChange': {
          // Set even when already active: a child's own entry stops following its parent's.
          const was = this.monitorOf(e.vm)?.name;
          this.active.set(e.vm.name, a.monitor);
          effect(was === a.monitor ? `none: ${e.vm.name} already monitored by ${a.monitor}` : `${e.vm.name} now monitored by ${a.monitor}`);
          break;
        }
        case 'pause': case 'terminate': case 'migrate':
          violation = true;
          this.vmAction(e.vm, a, e.line, `monitor ${m.name} rule ${d.rule}`, effect);
          break;
        default: break;
      }
    }
    const esc = m.model.escalate;
    if (violation && esc) {
      const now = world.engine.now;
      const key = `${m.name}/${e.vm.name}`;
      let w = this.violations.get(key);
      if (!w) { w = { times: [], head: 0 }; this.violations.set(key, w); }
      // Times only grow: the expired ones are at the front (not a filtered copy per violation, which was
      // quadratic under a long trace with a large count).
      while (w.head < w.times.length && w.times[w.head] <= now - esc.windowUs) w.head++;
      if (w.head > 1024 && w.head * 2 > w.times.length) { w.times = w.times.slice(w.head); w.head = 0; }
      w.times.push(now);
      const inWindow = w.times.length - w.head;
      if (inWindow >= esc.count) {
        w.times = []; w.head = 0;
        const listedKey = `${m.name}\u0000${e.line}`;
        const n = this.escalationsListed.get(listedKey) ?? 0;
        // An escalation is a decision of its own: what fired it, when, and what it did.
        const listing = (): MonitorResult => {
          const out: MonitorResult = {
            monitor: m.name, vm: e.vm.name, process: e.process, call: e.call, rule: 'escalate', action: actionText(esc.action),
            delay_us: 0, line: e.line, at_ms: now / 1000,
            fired: `${inWindow} violation${inWindow === 1 ? '' : 's'} within ${esc.windowUs / 1000} ms (the last: ${e.call} by ${e.vm.name}/${e.process}, rule ${d.rule})`,
            violations: inWindow, window_ms: esc.windowUs / 1000,
          };
          world.result.monitor.push(out);
          world.timeline.add({ kind: 'monitor', lane: m.name, startMs: now / 1000, endMs: now / 1000, line: e.line, label: `escalate → ${out.action} ${e.vm.name}` });
          return out;
        };
        if (e.replayed && n >= LISTED) {
          // Past LISTED from a trace: counted in monitor_more, and it still acts on the VM. Its first
          // refusal is listed all the same (a limit reached, a host full), so that what changed is seen.
          let listed = false;
          // A refusal is told at once (a migration's later outcome is not a refusal).
          this.vmAction(e.vm, esc.action, e.line, `monitor ${m.name} escalation`, (t) => {
            if (!t.startsWith('refused:') || this.refusalListed.has(listedKey)) return;
            this.refusalListed.add(listedKey);
            listing().effect = t;
            listed = true;
          });
          if (!listed) {
            const more = (world.result.monitor_more ??= {});
            more[`${m.name}/escalate`] = (more[`${m.name}/escalate`] ?? 0) + 1;
          }
          return;
        }
        this.escalationsListed.set(listedKey, n + 1);
        const out = listing();
        this.vmAction(e.vm, esc.action, e.line, `monitor ${m.name} escalation`, (t) => { out.effect = out.effect ? `${out.effect}; ${t}` : t; });
      }
    }
  }

  /** A VM action of a rule or an escalation; `effect` hears what it did (a migration: when it settles, too). */
  private vmAction(vm: VmRuntime, a: VmActionModel, line: number, by: string, effect: (text: string) => void): void {
    const { world } = this;
    // Terminated is final: nothing brings it back.
    if (vm.state === 'terminated') { effect(`none: ${vm.name} is terminated`); return; }
    if (a.kind === 'pause') {
      if (vm.state === 'failed') { effect(`none: ${vm.name} failed`); return; }
      // A fork's descriptor pause ends by itself; a monitor's does not.
      if (vm.state === 'paused' && !pausedForDescriptor(vm)) { effect(`none: ${vm.name} already paused`); return; }
      vm.state = 'paused'; effect(`${vm.name} paused`);
    }
    if (a.kind === 'terminate') {
      if (vm.state === 'failed') { effect(`none: ${vm.name} failed`); return; }
      vm.state = 'terminated'; effect(`${vm.name} terminated`);
    }
    if (a.kind === 'migrate') {
      const to = a.to !== undefined ? world.model.hosts.get(a.to) : undefined;
      if (a.to !== undefined && !to) { effect(`refused: no host '${a.to}'; ${vm.name} stays on ${vm.host.name}`); return; }
      const refused = migrateVm(world, vm, to, line, by, (o) => effect(o.text));
      if (refused) { effect(`refused: ${refused.text}`); return; }
      const mv = world.result.moves[world.result.moves.length - 1];
      effect(`migration to ${mv.to} over ${mv.link} started`);
    }
  }
}

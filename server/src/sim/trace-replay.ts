// Replaying a real `strace -f -tt` log on one VM: each supported call is an
// event for that VM's monitors, decided by the same `Monitors.decide` a
// `syscall` step uses, at the step's start time plus the call's time in the
// log. Events are read and scheduled one at a time, so a log of any length
// runs in bounded memory, and the order is the log's: deterministic.
//
// Process names for `process(P)` rules: the traced process's name (strace's
// `PID<comm>` with -Y, else the base name of its last execve, inherited by
// forked children) when the VM declares a process of that name; otherwise the
// VM's first declared process.
import type { World, VmRuntime } from './world';
import { actionText, type Monitors, type Verdict } from './monitor';
import { isRunning } from './world';
import { StraceParser, firstNonBlank, unreadableLogMessage, type TraceEvent } from './strace';

export interface TraceDecision {
  /** Line of the log. */
  line: number; at_ms: number; pid: number; process: string; call: string;
  monitor?: string; rule: string; action: string;
}

export interface TraceReport {
  vm: string; path: string;
  lines: number; events: number; decided: number;
  /** Events not decided, by reason (the VM not running, the process killed). */
  skipped: Record<string, number>;
  /** Decisions per monitor rule (`monitor/rule`; `default` when no rule matched). */
  hits: Record<string, number>;
  /** The first decisions, in order. */
  first: TraceDecision[];
  unsupported: Record<string, number>;
  unparsable: number; unfinished: number; signals: number; exits: number;
  /** Set when the log could not be read (it stops the replay, not the run). */
  error?: string;
}

export interface ReplayOptions {
  /** Shown in the report. */
  path: string;
  /** Simulated time of the log's first line (µs). */
  startUs?: number;
  /** The scenario line the monitor results point at. */
  line: number;
  /** How many decisions the report lists (default 20). */
  firstN?: number;
}

/** Schedules the replay on the world's engine; the report fills in as the engine runs and is complete after it. */
export function replayTrace(world: World, monitors: Monitors, vmName: string, lines: Iterator<string | null>, opts: ReplayOptions): TraceReport {
  const report: TraceReport = {
    vm: vmName, path: opts.path, lines: 0, events: 0, decided: 0, skipped: {}, hits: {}, first: [],
    unsupported: {}, unparsable: 0, unfinished: 0, signals: 0, exits: 0,
  };
  const firstN = opts.firstN ?? 20;
  const start = opts.startUs ?? 0;
  const queue: TraceEvent[] = [];
  const parser = new StraceParser((e) => queue.push(e), (call, n) => {
    // A call seen before keeps its place; a new one re-sorts the names (rare).
    if (Object.hasOwn(report.unsupported, call)) report.unsupported[call] = n;
    else report.unsupported = Object.fromEntries([...parser.counts.unsupported].sort(([a], [b]) => a.localeCompare(b)));
  });
  let done = false;
  let first: { line: number; text: string | null } | undefined;
  // The report is complete whenever the engine stops, so the counts are copied as they change.
  const sync = () => {
    const c = parser.counts;
    report.lines = c.lines; report.events = c.events; report.unparsable = c.unparsable;
    report.unfinished = c.unfinished; report.signals = c.signals; report.exits = c.exits;
  };
  /** The next event of the log, reading only as far as needed. */
  const next = (): TraceEvent | undefined => {
    while (!queue.length && !done) {
      let r: IteratorResult<string | null>;
      try { r = lines.next(); } catch (e) { report.error = e instanceof Error ? e.message : String(e); r = { done: true, value: undefined }; }
      if (r.done) {
        done = true; parser.finish();
        // A log in another format would otherwise replay nothing and pass unnoticed.
        if (!parser.anyRead && report.error === undefined) report.error = unreadableLogMessage(parser.counts.lines, first);
      } else {
        parser.push(r.value);
        if (!parser.anyRead) first = firstNonBlank(first, r.value, parser.counts.lines);
      }
    }
    sync();
    return queue.shift();
  };
  const skip = (why: string) => { report.skipped[why] = (report.skipped[why] ?? 0) + 1; };
  // The event being decided: `decide` answers at once, so one callback serves every event.
  let current: TraceEvent | undefined;
  let currentProcess = '';
  const decided = (v: Verdict) => {
    const e = current!;
    report.decided++;
    report.hits[v.key] = (report.hits[v.key] ?? 0) + 1;
    if (report.first.length < firstN) {
      report.first.push({
        line: e.line, at_ms: world.engine.now / 1000, pid: e.pid, process: currentProcess, call: e.call, monitor: v.monitor, rule: v.rule,
        action: v.dropped ? 'dropped (buffer full)' : v.actions.map(actionText).join(', '),
      });
    }
  };
  const fire = (e: TraceEvent) => {
    const vm = world.vms.get(vmName);
    const process = vm ? processOf(vm, e) : '';
    if (!vm || !isRunning(vm)) skip(`${vmName} not running`);
    else if (monitors.killed.size > 0 && monitors.killed.has(`${vm.name}/${process}`)) skip(`process ${process} killed`);
    else {
      current = e; currentProcess = process;
      monitors.decide({ vm, process, call: e.call, args: e.args, line: opts.line, replayed: true }, decided);
      current = undefined;
    }
    schedule();
  };
  const schedule = () => {
    const e = next();
    if (e) world.engine.at(Math.max(world.engine.now, start + e.atUs), () => fire(e));
  };
  world.engine.at(start, schedule);
  return report;
}

function processOf(vm: VmRuntime, e: TraceEvent): string {
  const declared = vm.model.processes;
  if (e.comm !== undefined && declared.some((p) => p.name === e.comm)) return e.comm;
  return declared[0]?.name ?? e.comm ?? `pid ${e.pid}`;
}

/** The report as text lines, for the CLI. */
export function traceReportText(r: TraceReport): string[] {
  const out = [`trace ${r.path} on ${r.vm}: ${r.lines} lines, ${r.events} events, ${r.decided} decided`];
  if (r.error) out.push(`  error: ${r.error}`);
  for (const [k, n] of Object.entries(r.hits)) out.push(`  ${k}: ${n}`);
  for (const [k, n] of Object.entries(r.skipped)) out.push(`  skipped (${k}): ${n}`);
  const unsupported = Object.values(r.unsupported).reduce((a, b) => a + b, 0);
  out.push(`  unsupported calls: ${unsupported}${unsupported ? ` (${Object.entries(r.unsupported).map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}; unparsable lines: ${r.unparsable}; unfinished: ${r.unfinished}; signals: ${r.signals}; exits: ${r.exits}`);
  for (const d of r.first) out.push(`  line ${d.line} at ${d.at_ms.toFixed(3)} ms: ${d.call} by ${r.vm}/${d.process} (pid ${d.pid}): ${d.monitor ? `${d.monitor} rule ${d.rule}` : d.rule} → ${d.action || 'nothing'}`);
  return out;
}

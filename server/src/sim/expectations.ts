// Evaluating a scenario's expectations against what the run reported.
import type * as A from '../../../grammar/src/ast';
import { pageCount, type ExpectationResult, type Loc, type ScenarioResult } from './results';
import type { World } from './world';
import { doneBy } from './monitor-effects';
import { CoResidencyLedger, ledgerOf, type Exposure } from './coresidency-ledger';

export function compare(actual: number, cmp: A.Comparison, expected: number): boolean {
  switch (cmp) {
    case '==': return actual === expected;
    case '!=': return actual !== expected;
    case '<': return actual < expected;
    case '<=': return actual <= expected;
    case '>': return actual > expected;
    case '>=': return actual >= expected;
  }
}

export function vmRefName(r: A.VmRef): string { return r.index ? `${r.name.text}[${r.index.value}]` : r.name.text; }

export interface ExpectContext {
  world: World;
  result: ScenarioResult;
  /** Whether an attacker saw confidential data, and why. */
  sees(attacker: string): { seen: boolean; why: string };
  /** Whether a write to a shared file was allowed, if one happened. */
  writeVerdict(vm: string, path: string): boolean | undefined;
  /** The processes a checkpoint left out, if it was taken. */
  excluded(checkpoint: string): string[] | undefined;
  /** Monitor verdict counts. */
  verdicts(monitor: string, action: 'deny' | 'kill' | 'allow'): number;
}

export function evaluate(body: A.ExpectBody, at: { line: number; loc: Loc }, text: string, x: ExpectContext): ExpectationResult {
  const { line, loc } = at;
  const expected = expectedOf(body);
  const r = (passed: boolean, actual: string | number | boolean): ExpectationResult => ({ line, text, passed, expected, actual, loc });
  const { result, world } = x;
  switch (body.kind) {
    case 'attestation': {
      const mine = result.attestations.filter((a) => a.kind === 'host' && a.target === body.host.text);
      if (mine.length === 0) return r(false, 'not attested');
      const failed = mine.filter((a) => !a.passed);
      if (body.passes) return r(failed.length === 0, failed.length ? `failed: ${failed[0].failures.map((f) => f.id).join(', ')}` : 'passed');
      if (failed.length === 0) return r(false, 'passed');
      const ids = failed.flatMap((a) => a.failures.map((f) => f.id));
      if (!body.pcr) return r(true, `failed: ${ids.join(', ')}`);
      const first = failed[0].failures[0];
      return r(first?.pcr === body.pcr.value, `failed: ${ids.join(', ')}`);
    }
    case 'ready': {
      const kids = result.transfers.filter((t) => t.fork === body.fork.text && t.created);
      if (kids.length === 0) return r(false, 'no child created');
      const notReady = kids.filter((t) => t.ready_ms === null);
      let worst = -Infinity;
      for (const t of kids) worst = Math.max(worst, t.ready_ms ?? Infinity);
      if (notReady.length) return r(false, `${notReady.length} of ${kids.length} children never ready`);
      return r(worst * 1000 <= body.within.value, `${worst} ms`);
    }
    case 'pages': {
      const kids = result.transfers.filter((t) => t.fork === body.fork.text && (!body.host || t.host === body.host.text));
      const n = pageCount(kids, body.which);
      return r(compare(n, body.cmp, body.count.value), n);
    }
    case 'no-tampered': {
      const n = result.transfers.reduce((s, t) => s + t.corrupted_accepted, 0);
      return r(n === 0, n === 0 ? 'none accepted' : `${n} tampered pages accepted`);
    }
    case 'verdicts': {
      const action = body.which === 'denies' ? 'deny' : body.which === 'kills' ? 'kill' : 'allow';
      const n = x.verdicts(body.monitor.text, action);
      return r(compare(n, body.cmp, body.count.value), n);
    }
    case 'state': {
      const name = vmRefName(body.vm);
      const vm = world.vms.get(name);
      if (!vm) return r(false, 'no such vm in this run');
      if (vm.state === 'failed') return r(false, failedText(name, result) ?? (vm.fork ? 'not created or failed' : 'failed'));
      if (vm.state === body.state) return r(true, vm.state);
      // A state a monitor brought about says which rule and when.
      const by = vm.state === 'paused' || vm.state === 'terminated' ? doneBy(result.monitor, name, `${name} ${vm.state}`) : '';
      return r(false, by ? `${vm.state} (${by.trim()})` : vm.state);
    }
    case 'excludes': {
      const ex = x.excluded(body.checkpoint.text);
      if (!ex) return r(false, 'checkpoint not taken');
      const missing = body.processes.filter((p) => !ex.includes(p.text)).map((p) => p.text);
      return r(missing.length === 0, `excluded: ${ex.join(', ') || 'none'}`);
    }
    case 'sees': {
      const s = x.sees(body.attacker.text);
      return r(body.never ? !s.seen : s.seen, s.why);
    }
    case 'write': {
      const v = x.writeVerdict(vmRefName(body.vm), body.path.value);
      if (v === undefined) return r(false, 'no such write in this run');
      return r(v === body.allowed, v ? 'allowed' : 'denied');
    }
  }
}

/**
 * Why a VM that is expected in some state is not there at all, in the words
 * of `is running`'s own states: `failed (page 39241 rejected 4 times)`,
 * `not created (h2 refused: invalid_pcr_8)`, `failed (not restored: …)`.
 */
function failedText(name: string, result: ScenarioResult): string | undefined {
  const t = result.transfers.find((k) => k.child === name && k.failed);
  if (t?.failed) {
    if (t.refused) return `not created (${t.refused.host} refused: ${t.refused.reason})`;
    const why = t.failed.startsWith(`${t.state}: `) ? t.failed.slice(t.state.length + 2) : t.failed;
    return `${t.state} (${why})`;
  }
  const m = [...result.moves].reverse().find((k) => k.kind === 'restore' && k.vm === name && k.failed);
  return m ? `failed (not restored: ${m.failed})` : undefined;
}

/** What an expectation asks for, in the words its `actual` is given in (for expected/actual diffs). */
export function expectedOf(body: A.ExpectBody): string {
  switch (body.kind) {
    case 'attestation': return body.passes ? 'passed' : body.pcr ? `failed: invalid_pcr_${body.pcr.value}` : 'failed';
    case 'ready': return `≤ ${body.within.value / 1000} ms`;
    case 'pages': case 'verdicts': return `${body.cmp} ${body.count.value}`;
    case 'no-tampered': return 'none accepted';
    case 'state': return body.state;
    case 'excludes': return `excluded: ${body.processes.map((p) => p.text).join(', ')}`;
    case 'sees': return body.never ? 'confidential marker never seen' : 'confidential marker seen';
    case 'write': return body.allowed ? 'allowed' : 'denied';
  }
}

/**
 * Whether an attacker saw confidential data, and why: the marker in clear on a
 * link it taps, or a VM holding a confidential process (not sanitised away:
 * `lost`) that shared a host with one of its VMs at any time in the run
 * (sim/coresidency-ledger.ts, with model/coresidency.ts's rule, the one
 * VMS050 uses). Without a ledger started with the run, only the placement
 * at the end is known.
 */
export function attackerSees(world: World, result: ScenarioResult, attacker: string, lost: ReadonlyMap<string, ReadonlySet<string>>): { seen: boolean; why: string } {
  const tapped = result.taps.filter((t) => t.attacker === attacker && t.confidential_seen);
  if (tapped.length) return { seen: true, why: `marker seen in clear on ${tapped.map((t) => t.link).join(', ')}` };
  const ledger = ledgerOf(world) ?? new CoResidencyLedger(world, lost);
  const endUs = Math.max(world.engine.now, world.engine.horizon);
  const mine = ledger.finish(endUs).filter((e) => e.attacker === attacker);
  // Past the ledger's cap, stretches are only counted, not kept: "and 999+ more".
  const more = mine.length > 1 || ledger.dropped ? ` (and ${mine.length - 1}${ledger.dropped ? '+' : ''} more)` : '';
  if (mine.length) return { seen: true, why: exposureText(mine[0]) + more };
  const taps = result.taps.filter((t) => t.attacker === attacker);
  return { seen: false, why: taps.length ? `tapped ${taps.reduce((n, t) => n + t.messages, 0)} messages, no marker in clear` : 'no tap, no co-resident vm with confidential data' };
}

/** Where and when: the time is left out for a stretch that lasted the whole run. */
function exposureText(e: Exposure): string {
  const where = `co-resident with ${e.vm} (confidential ${e.process}) on ${e.host}`;
  if (!e.to_end) return `${where} from ${ms(e.from_ms)} to ${ms(e.to_ms)}`;
  return e.from_ms > 0 ? `${where} from ${ms(e.from_ms)}` : where;
}

function ms(v: number): string { return `${Number(v.toFixed(1))} ms`; }

// The documented range of every count, size, rate, duration and percentage
// in the language (docs/language.md "Limits"). One table: the validator
// reports a value outside it (VMS003, with the range in the message), the
// semantic model treats such a value as absent (the default), and the docs'
// table is generated from — and tested against — this one. What `check`
// accepts, the simulator can hold.
import type { Quantity } from '../../../grammar/src/ast';
import { formatBytes } from '../../../grammar/src/literals';

export type LimitKind = 'int' | 'size' | 'rate' | 'duration' | 'percent';

export interface Limit {
  /** Where it is written, for the docs table (`host cpus`). */
  syntax: string;
  /** How messages name it (`cpus`, `a step time`). */
  what: string;
  kind: LimitKind;
  min: number;
  max: number;
  /** A value to suggest when the unit is wrong. */
  example: string;
  /** Sizes that must be whole pages. */
  pageMultiple?: boolean;
  /** Further rules the docs table states beside the range. */
  note?: string;
}

export const PAGE = 4096;
const KiB = 1024;
const TiB = KiB ** 4;
/** Microseconds, the canonical duration unit. */
const SECOND = 1e6;
const YEAR = 365 * 24 * 3600 * SECOND;
export const MAX_SAFE = 2 ** 53 - 1;

/**
 * A fork's children each keep a map of the parent's pages and disk blocks in
 * the simulator, so children × (memory pages + disk blocks) is bounded:
 * 2^28 entries is 1 TiB of child memory and disk in all.
 */
export const MAX_FORK_PAGES = 2 ** 28;

export const LIMITS = {
  hostCpus: { syntax: 'host `cpus`', what: 'cpus', kind: 'int', min: 1, max: 4096, example: '16' },
  hostMemory: { syntax: 'host `memory`', what: 'host memory', kind: 'size', min: PAGE, max: 64 * TiB, example: '64 GiB', pageMultiple: true },
  bandwidth: { syntax: 'link/network `bandwidth`', what: 'bandwidth', kind: 'rate', min: 1e3, max: 1e13, example: '10 Gbps' },
  latency: { syntax: 'link/network `latency`', what: 'latency', kind: 'duration', min: 0, max: 10 * SECOND, example: '200 us' },
  vmVcpus: { syntax: 'vm `vcpus`', what: 'vcpus', kind: 'int', min: 1, max: 4096, example: '4', note: 'at most the host\'s `cpus` when the host declares them (VMS018)' },
  vmMemory: { syntax: 'vm `memory`', what: 'vm memory', kind: 'size', min: PAGE, max: 16 * TiB, example: '4 GiB', pageMultiple: true, note: 'at most the host\'s `memory` (VMS018)' },
  vmDisk: { syntax: 'vm `disk`', what: 'disk', kind: 'size', min: PAGE, max: 64 * TiB, example: '8 GiB', pageMultiple: true },
  workingset: { syntax: 'vm `workingset`', what: 'workingset', kind: 'percent', min: 0, max: 100, example: '12%' },
  processMemory: { syntax: 'process `memory`', what: 'process memory', kind: 'size', min: 0, max: 16 * TiB, example: '64 MiB', pageMultiple: true, note: 'all processes together at most the vm\'s `memory`' },
  children: { syntax: 'fork `children`', what: 'children', kind: 'int', min: 1, max: 100_000, example: '8', note: `children × (memory pages + disk blocks of the parent) at most ${groupDigits(MAX_FORK_PAGES)} (1 TiB in all); the children placed on a host fit its memory and, where declared, its cpus (VMS014)` },
  batch: { syntax: 'fork `integrity batched N`', what: 'the batch size', kind: 'int', min: 2, max: 2 ** 20, example: '1024' },
  buffer: { syntax: 'monitor `buffer`', what: 'the buffer size (events)', kind: 'int', min: 1, max: 2 ** 24, example: '4096' },
  errno: { syntax: '`deny(N)`', what: 'the errno of deny', kind: 'int', min: 1, max: 4095, example: '13 (EACCES)' },
  escalateCount: { syntax: 'monitor `escalate N violations`', what: 'the violation count', kind: 'int', min: 1, max: 1_000_000, example: '3' },
  escalateWindow: { syntax: 'monitor `escalate … within D`', what: 'the escalation window', kind: 'duration', min: 1, max: YEAR, example: '10 s' },
  argIndex: { syntax: '`fileEq(i, …)`, `filePrefix(i, …)`', what: 'the argument index', kind: 'int', min: 0, max: 5, example: '0' },
  port: { syntax: '`port(N)`', what: 'a port', kind: 'int', min: 0, max: 65535, example: '443' },
  pcr: { syntax: 'boot `pcr N`, `expect … fails at pcr N`', what: 'a PCR index', kind: 'int', min: 0, max: 23, example: '8' },
  certificateValid: { syntax: 'certificate `valid`', what: 'certificate validity', kind: 'duration', min: 1, max: 10 * YEAR, example: '1 h' },
  attackShare: { syntax: 'attacker `tamper`/`drop`/`replay` share', what: 'the share of messages', kind: 'percent', min: 0, max: 100, example: '2%' },
  seed: { syntax: 'scenario `seed`', what: 'the seed', kind: 'int', min: 0, max: MAX_SAFE, example: '7' },
  stepAt: { syntax: 'scenario `at`', what: 'a step time', kind: 'duration', min: 0, max: YEAR, example: '1500 ms' },
  readyWithin: { syntax: '`expect … ready within`', what: 'a readiness bound', kind: 'duration', min: 0, max: YEAR, example: '1 s' },
  expectCount: { syntax: 'counts in `expect` (pages, verdicts)', what: 'a count', kind: 'int', min: 0, max: MAX_SAFE, example: '0' },
  childIndex: { syntax: 'child index `F[i]`', what: 'a child index', kind: 'int', min: 1, max: 100_000, example: '1', note: 'at most the fork\'s `children`' },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** The canonical kind a quantity of this limit must have. */
function quantityKind(kind: LimitKind): Quantity['kind'] { return kind === 'int' ? 'number' : kind; }

/** A bare `0` is a fine size, duration or percentage. */
export function bareZero(q: Quantity): boolean { return q.kind === 'number' && q.number === 0; }

/**
 * The value of `q` if it is present, of the limit's kind, finite, whole where
 * a whole number is due and within range; otherwise undefined. The model uses
 * this, so a value the validator reports is treated as absent (the default).
 */
export function within(q: Quantity | undefined, limit: Limit): number | undefined {
  if (!q || !q.text) return undefined;
  const v = q.kind === quantityKind(limit.kind) ? q.value : bareZero(q) ? 0 : undefined;
  if (v === undefined || !Number.isFinite(v) || v < limit.min || v > limit.max) return undefined;
  if (limit.kind === 'int' && !Number.isInteger(v)) return undefined;
  if (limit.pageMultiple && v % PAGE !== 0) return undefined;
  return v;
}

/** A canonical value as the user would write it. */
export function showValue(kind: LimitKind, n: number): string {
  switch (kind) {
    case 'size': return formatBytes(n);
    case 'percent': return `${n}%`;
    case 'duration': return formatDuration(n);
    case 'rate': return formatRate(n);
    default: return groupDigits(n);
  }
}

/** Large counts grouped as the language writes them (`100_000`); small ones plain. */
export function groupDigits(n: number): string {
  // Not toLocaleString: it starts ICU, tens of ms at every cold check.
  return n >= 100_000 ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '_') : String(n);
}

/** Microseconds in the largest unit that divides them exactly (whole years named too). */
export function formatDuration(us: number): string {
  if (us === 0) return '0 s';
  const units: [string, number][] = [['h', 3600e6], ['min', 60e6], ['s', 1e6], ['ms', 1e3], ['us', 1]];
  const years = us % YEAR === 0 ? ` (${us / YEAR} ${us === YEAR ? 'year' : 'years'})` : '';
  for (const [u, f] of units) if (us % f === 0) return `${us / f} ${u}${years}`;
  return `${us} us`;
}

function formatRate(bps: number): string {
  const units: [string, number][] = [['Gbps', 1e9], ['Mbps', 1e6], ['Kbps', 1e3], ['bps', 1]];
  for (const [u, f] of units) if (bps >= f && bps % f === 0) return `${bps / f} ${u}`;
  return `${bps} bps`;
}

/** `between 1 and 4096` — the range as messages state it. */
export function rangeText(limit: Limit): string {
  return `between ${showValue(limit.kind, limit.min)} and ${showValue(limit.kind, limit.max)}`;
}

/** The docs' limits table (docs/language.md "Limits"), one row per entry of LIMITS. */
export function limitsTable(): string {
  const rows = Object.values(LIMITS as Record<string, Limit>).map((l) => {
    const range = `${showValue(l.kind, l.min)} … ${showValue(l.kind, l.max)}${l.pageMultiple ? ', whole 4 KiB pages' : ''}`;
    return `| ${l.syntax} | ${range} | ${l.note ?? ''} |`;
  });
  return ['| value | range | also |', '|---|---|---|', ...rows].join('\n');
}

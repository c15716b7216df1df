// `--costs FILE`: a JSON object overriding entries of the simulator's cost
// table. Every value is checked against a documented range, because the
// simulator trusts its costs: Infinity (1e400 in JSON) or an absurd fraction
// would hang it or leak internal errors. Only the table's own keys are
// accepted: `constructor` or `__proto__` are unknown costs, not prototype
// properties.
import { readRegularFile } from '../model/source-reader';
import { Costs, DEFAULT_COSTS } from '../sim/costs';
import { escapeControl } from '../model/escape-text';

/** A costs file is a few lines; 1 MiB is plenty. */
export const MAX_COSTS_BYTES = 1024 * 1024;

/** One hour in microseconds: the largest cost of any single operation. */
export const MAX_COST_US = 3.6e9;

export interface CostRange { min: number; max: number; minExclusive?: boolean; unit: string }

/** The accepted range of each cost (documented in docs/cli.md). */
export function costRange(key: keyof Costs): CostRange {
  if (key === 'descriptorFraction') return { min: 0, max: 1, minExclusive: true, unit: 'a fraction of VM memory' };
  // A receiver that re-asks after 0 us would ask again forever at one instant.
  if (key === 'requestTimeout') return { min: 1, max: MAX_COST_US, unit: 'microseconds' };
  return { min: 0, max: MAX_COST_US, unit: 'microseconds' };
}

function describe(r: CostRange): string {
  return `${r.minExclusive ? `greater than ${r.min}` : `at least ${r.min}`} and at most ${r.max} (${r.unit})`;
}

export class CostsError extends Error {}

/** The overrides in `file`, or throws CostsError with a message naming the file and the key. */
export function readCostsFile(file: string): Partial<Costs> {
  const r = readRegularFile(file, MAX_COSTS_BYTES);
  if (!r.ok) throw new CostsError(`--costs ${file} ${r.error}`);
  return parseCosts(r.bytes.toString('utf8').replace(/^\uFEFF/, ''), file);
}

export function parseCosts(text: string, file: string): Partial<Costs> {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new CostsError(`--costs ${file}: not valid JSON (${(e as Error).message})`); }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new CostsError(`--costs ${file}: expected a JSON object such as {"tpmQuote": 120000}`);
  const out: Partial<Costs> = Object.create(null);
  for (const [k, v] of Object.entries(raw)) {
    const name = escapeControl(k);
    if (!Object.hasOwn(DEFAULT_COSTS, k)) throw new CostsError(`--costs ${file}: unknown cost '${name}' (known: ${Object.keys(DEFAULT_COSTS).join(', ')})`);
    const key = k as keyof Costs;
    const range = costRange(key);
    const inRange = typeof v === 'number' && Number.isFinite(v) && (range.minExclusive ? v > range.min : v >= range.min) && v <= range.max;
    if (!inRange) {
      const seen = typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
      throw new CostsError(`--costs ${file}: '${name}' is ${escapeControl(seen.slice(0, 40))}; it must be a number ${describe(range)}`);
    }
    out[key] = v;
  }
  return out;
}

// The seed inputs of the fuzzer: the real samples, each as a set of files
// with an entry file, plus "small" variants whose memory and disk sizes are
// scaled down 1024× so that `run` takes well under a second per case.
//
// Every string literal holding an absolute path ("/etc/shadow") is moved
// under the case's outside folder ({OUTSIDE}/etc/shadow): mutations swap and
// duplicate tokens, so any string may end up as a checkpoint's `to`, and the
// fuzzer runs as root on some machines — a broken build must never be able to
// write a real system file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SAMPLES = join(import.meta.dirname, '..', '..', 'samples');

export interface Seed {
  /** Stable name used in case files and reports. */
  name: string;
  /** Entry file (relative to the workspace). */
  entry: string;
  /** Every file of the set, relative to the workspace, with placeholders. */
  files: Record<string, string>;
  /** Small enough to `run` in about a second. */
  runnable: boolean;
  /** Scenario titles, for `--scenario`. */
  scenarios: string[];
}

const SINGLE = ['cow-sharing.vmsec', 'monitoring.vmsec', 'private-checkpoint.vmsec', 'trusted-fork.vmsec', 'lazy-vs-eager.vmsec'];
const FLEET = ['main.vmsec', 'hosts.vmsec', 'boot-chains.vmsec'];

/** Absolute paths in string literals go under the case's outside folder. */
function confine(text: string): string {
  return text.replace(/"\/(?=[^"\n]*")/g, '"{OUTSIDE}/');
}

/** GiB → MiB, MiB → KiB, TiB → GiB: every size stays a multiple of 4 KiB. */
function shrinkSizes(text: string): string {
  const smaller: Record<string, string> = { TiB: 'GiB', GiB: 'MiB', MiB: 'KiB' };
  return text.replace(/(\d[\d_]*)(\s*)(TiB|GiB|MiB)\b/g, (_m, n: string, sp: string, u: string) => `${n}${sp}${smaller[u]}`);
}

function titles(files: Record<string, string>, entry: string): string[] {
  return [...files[entry].matchAll(/^\s*scenario\s+"((?:[^"\\]|\\.)*)"/gm)].map((m) => m[1]);
}

let cached: Seed[] | undefined;

/** All seeds; the order is fixed (fast-check shrinks towards the first). */
export function seeds(): Seed[] {
  if (cached) return cached;
  const out: Seed[] = [];
  const add = (name: string, entry: string, raw: Record<string, string>, small: boolean, runnable: boolean) => {
    const files = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, confine(small ? shrinkSizes(v) : v)]));
    out.push({ name, entry, files, runnable, scenarios: titles(files, entry) });
  };
  // Small variants first: they are the cheapest to run and to shrink to.
  for (const f of ['private-checkpoint.vmsec', 'cow-sharing.vmsec', 'monitoring.vmsec', 'trusted-fork.vmsec']) {
    add(`small:${f}`, f, { [f]: readFileSync(join(SAMPLES, f), 'utf8') }, true, true);
  }
  const fleet = Object.fromEntries(FLEET.map((f) => [f, readFileSync(join(SAMPLES, 'fleet', f), 'utf8')]));
  add('small:fleet', 'main.vmsec', fleet, true, true);
  for (const f of SINGLE) add(f, f, { [f]: readFileSync(join(SAMPLES, f), 'utf8') }, false, f === 'cow-sharing.vmsec' || f === 'monitoring.vmsec');
  add('fleet', 'main.vmsec', fleet, false, false);
  cached = out;
  return out;
}

export function seedByName(name: string): Seed {
  const s = seeds().find((x) => x.name === name);
  if (!s) throw new Error(`no fuzz seed named ${name}`);
  return s;
}

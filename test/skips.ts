// Nothing skips in silence. A test that cannot run here (a Debian package is
// missing) calls `skipOrFail`: under CI=true that is a failure, since CI
// installs everything; on a developer machine the test is skipped and the
// reason is recorded, and `test/report-skips.ts` lists every skip, with the
// one command that installs what they need, at the end of `npm test`.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const SKIP_LOG = join(import.meta.dirname, '.tmp', 'skipped.jsonl');

export interface Skip { suite: string; reason: string; packages: string[] }

/** Skips (or, under CI, fails) a test that needs Debian packages that are not installed. */
export function skipOrFail(t: { skip(msg?: string): void; name?: string } | undefined, suite: string, reason: string, packages: string[]): void {
  if (process.env.CI) throw new Error(`${suite}: ${reason} — CI must install ${packages.join(', ')} (.ci/run does)`);
  recordSkip({ suite, reason, packages });
  t?.skip(`${reason} (apt-get install ${packages.join(' ')})`);
}

export function recordSkip(s: Skip): void {
  mkdirSync(join(SKIP_LOG, '..'), { recursive: true });
  appendFileSync(SKIP_LOG, JSON.stringify(s) + '\n');
}

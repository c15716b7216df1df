// End of `npm test`: lists the suites that were skipped and why, and the one
// command that installs what they need. `--reset` clears the list (start of the run).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { SKIP_LOG, type Skip } from './skips';

if (process.argv.includes('--reset')) {
  rmSync(SKIP_LOG, { force: true });
} else {
  const skips: Skip[] = existsSync(SKIP_LOG)
    ? readFileSync(SKIP_LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Skip)
    : [];
  if (skips.length === 0) {
    console.log('skipped suites: none');
  } else {
    const packages = [...new Set(skips.flatMap((s) => s.packages))].sort();
    const line = '='.repeat(72);
    console.log(`\n${line}\n${skips.length} test suite${skips.length === 1 ? ' was' : 's were'} SKIPPED on this machine:`);
    for (const s of skips) console.log(`  - ${s.suite}: ${s.reason}`);
    console.log(`Install what they need, then run npm test again:\n  sudo apt-get install -y ${packages.join(' ')}\n(CI installs these and fails instead of skipping.)\n${line}`);
  }
}

// Line-level reduction of a failing source case after fast-check's shrinking
// (which only makes the mutations smaller, not the sample): drop chunks of
// lines, halving the chunk size, while the same failure class persists, within
// a time budget. The result carries its files, so it replays without the seed.
import { mutate } from './mutators';
import { seedByName } from './corpus';
import { runSourceCase, type Outcome, type SourceCase } from './harness';

export function reduceLines(c: SourceCase, first: Outcome, cls: string, budgetMs: number, timeoutMs: number): { case: SourceCase; outcome: Outcome } {
  const deadline = Date.now() + budgetMs;
  let files = { ...(c.files ?? mutate(seedByName(c.seed).files, c.ops)) };
  let best = { case: c, outcome: first };
  const still = (candidate: Record<string, string>) => {
    const next: SourceCase = { ...c, ops: [], files: candidate };
    const o = runSourceCase(next, { timeoutMs });
    if (!o.problems.some((p) => p.cls === cls)) return false;
    best = { case: next, outcome: o };
    return true;
  };
  for (const name of Object.keys(files)) {
    let lines = files[name].split('\n');
    for (let size = Math.max(1, lines.length >> 1); size >= 1 && Date.now() < deadline; size = size === 1 ? 0 : Math.max(1, size >> 1)) {
      for (let at = 0; at < lines.length && Date.now() < deadline;) {
        const kept = [...lines.slice(0, at), ...lines.slice(at + size)];
        if (still({ ...files, [name]: kept.join('\n') })) { lines = kept; files = { ...files, [name]: kept.join('\n') }; }
        else at += size;
      }
    }
  }
  return best;
}

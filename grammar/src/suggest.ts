// Did-you-mean: the closest candidate by edit distance (a swap of two
// neighbouring letters counts as one edit), if close enough to
// be a plausible typo (at most a third of the word's length). Bounded on any
// input: words longer than MAX_WORD are not typos of anything, at most
// MAX_COMPARED candidates are compared per word, and a shared budget caps the
// comparisons of a whole validation.

/** Longer words get no suggestion (nobody mistypes a 50,000-letter name). */
export const MAX_WORD = 64;
/** Candidates compared per word. */
export const MAX_COMPARED = 2000;
/** Candidates looked at per word (most are skipped by length alone). */
export const MAX_SCANNED = 20_000;

/** Comparisons left for one validation; share one object between calls. */
export interface SuggestBudget { left: number }
export function suggestBudget(comparisons = 200_000): SuggestBudget { return { left: comparisons }; }

/**
 * Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions, so `brust` is one edit from `burst`), or `max + 1` as soon
 * as it is known to exceed `max`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Three rows: the one before the previous is what a transposition reads.
  let prev2 = new Array<number>(b.length + 1);
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1] && prev2[j - 2] + 1 < d) d = prev2[j - 2] + 1;
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    // A row's minimum never falls below the previous row's (a transposition
    // adds one to a row whose minimum is at most one less), so stop early.
    if (rowMin > max) return max + 1;
    const t = prev2; prev2 = prev; prev = cur; cur = t;
  }
  return prev[b.length];
}

export function closest(word: string, candidates: Iterable<string>, budget?: SuggestBudget): string | undefined {
  if (word.length === 0 || word.length > MAX_WORD) return undefined;
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(word.length / 3));
  let compared = 0;
  let scanned = 0;
  for (const c of candidates) {
    if (++scanned > MAX_SCANNED) break;
    if (c.length > MAX_WORD || Math.abs(c.length - word.length) > bestD) continue;
    if (++compared > MAX_COMPARED) break;
    if (budget && budget.left-- <= 0) break;
    const d = editDistance(lower, c.toLowerCase(), bestD);
    if (d <= bestD && (best === undefined || d < bestD)) { best = c; bestD = d; }
  }
  return best;
}

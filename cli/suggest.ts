/**
 * "Did you mean": the known name closest to a mistyped one, when it is close enough to be the
 * one meant (a typo, a dropped or swapped letter, a forgotten prefix).
 */

/** Edit distance with adjacent transpositions (optimal string alignment): "sharbeuf" is 1 from "sharebuf". */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate `word` most likely meant, or null when none is close: within a third of the
 * word's length in edits (at least 1, at most 3), or the only candidate that ends with it
 * ("complete-twice" for "buggy/complete-twice").
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  if (best !== null && bestDistance <= limit) return best;
  const suffixed = candidates.filter((c) => c.toLowerCase().endsWith(`/${w}`));
  return suffixed.length === 1 ? (suffixed[0] ?? null) : null;
}

/** " (did you mean 'sharebuf'?)", or "" when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[], prefix = ""): string {
  const c = closest(word, candidates);
  return c === null ? "" : ` Did you mean '${prefix}${c}'?`;
}

/** Levenshtein distance, for suggesting names close to a misspelt one. */
export function editDistance(a: string, b: string): number {
  const previous = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** Up to `limit` candidates close to `name`: substring matches first, then by edit distance. */
export function closeMatches(name: string, candidates: readonly string[], limit = 3): string[] {
  const wanted = name.trim().toLowerCase();
  const scored = candidates.map((candidate) => {
    const lower = candidate.toLowerCase();
    const contains = lower.includes(wanted) || wanted.includes(lower);
    return { candidate, score: contains ? 0 : editDistance(wanted, lower) };
  });
  const maxDistance = Math.max(2, Math.ceil(wanted.length / 2));
  return scored
    .filter((s) => s.score <= maxDistance)
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map((s) => s.candidate);
}

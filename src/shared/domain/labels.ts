/** Histogram of labels per image (keys are label counts as strings, ascending) and the mean. */
export function labelsPerImage(labelCounts: readonly number[]): { histogram: Record<string, number>; mean: number } {
  const counts = new Map<number, number>();
  let sum = 0;
  for (const n of labelCounts) {
    counts.set(n, (counts.get(n) ?? 0) + 1);
    sum += n;
  }
  const histogram: Record<string, number> = {};
  for (const n of [...counts.keys()].sort((a, b) => a - b)) histogram[String(n)] = counts.get(n)!;
  return { histogram, mean: labelCounts.length === 0 ? 0 : sum / labelCounts.length };
}

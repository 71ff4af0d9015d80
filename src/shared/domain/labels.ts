/** Histogram of labels per image (keys are label counts as strings, ascending) and the mean. */
export function labelsPerImage(labelCounts: ArrayLike<number>): { histogram: Record<string, number>; mean: number } {
  // Indexed by label count: an image has at most as many labels as there are classes.
  const counts: number[] = [];
  let sum = 0;
  for (let i = 0; i < labelCounts.length; i++) {
    const n = labelCounts[i]!;
    counts[n] = (counts[n] ?? 0) + 1;
    sum += n;
  }
  const histogram: Record<string, number> = {};
  counts.forEach((images, n) => {
    if (images !== undefined) histogram[String(n)] = images;
  });
  return { histogram, mean: labelCounts.length === 0 ? 0 : sum / labelCounts.length };
}

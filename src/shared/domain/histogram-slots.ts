/** One position on a histogram's axis of label counts. */
export interface HistogramSlot {
  /** The number of labels. */
  labels: number;
  /** Images with that many labels (0 where the histogram has no entry). */
  images: number;
  /** Whether the histogram has an entry for it: a bar and its count are drawn only then. */
  present: boolean;
}

/**
 * Every whole number of labels from the smallest to the largest the histogram names, in order, so
 * that a gap (no image with 7 labels) keeps its place on the axis. Entries that are not whole
 * numbers of at least 0 are left out.
 */
export function histogramSlots(histogram: Readonly<Record<string, number>>): HistogramSlot[] {
  const entries = new Map<number, number>();
  for (const [key, images] of Object.entries(histogram)) {
    const labels = Number(key);
    if (key.trim() !== '' && Number.isInteger(labels) && labels >= 0) entries.set(labels, images);
  }
  if (entries.size === 0) return [];
  const keys = [...entries.keys()];
  const [first, last] = [Math.min(...keys), Math.max(...keys)];
  return Array.from({ length: last - first + 1 }, (_, i) => {
    const labels = first + i;
    const images = entries.get(labels);
    return { labels, images: images ?? 0, present: images !== undefined };
  });
}

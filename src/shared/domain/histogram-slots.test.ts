import { describe, expect, it } from 'vitest';
import { histogramSlots } from './histogram-slots';

describe('histogramSlots', () => {
  it('orders the label counts numerically, not as text', () => {
    expect(
      histogramSlots({ '10': 1, '9': 2, '1': 30, '2': 12, '3': 5, '4': 4, '5': 3, '6': 2, '7': 2, '8': 1 }).map((s) => s.labels),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('keeps a gap in its place, with no bar', () => {
    expect(histogramSlots({ '1': 5, '2': 3, '4': 1 })).toEqual([
      { labels: 1, images: 5, present: true },
      { labels: 2, images: 3, present: true },
      { labels: 3, images: 0, present: false },
      { labels: 4, images: 1, present: true },
    ]);
  });

  it('is empty for an empty histogram, and ignores keys that are not whole label counts', () => {
    expect(histogramSlots({})).toEqual([]);
    expect(histogramSlots({ '': 1, x: 2, '1.5': 3, '-1': 4 })).toEqual([]);
    expect(histogramSlots({ '2': 7, mean: 3 })).toEqual([{ labels: 2, images: 7, present: true }]);
  });
});

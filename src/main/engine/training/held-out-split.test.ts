import { describe, expect, it } from 'vitest';
import { heldOutSplit } from './held-out-split';

/** Labels of `images` images over 3 classes from the classes each holds. */
function labelsOf(rows: number[][], classes = 3): Float32Array {
  const labels = new Float32Array(rows.length * classes);
  rows.forEach((held, i) => held.forEach((k) => (labels[i * classes + k] = 1)));
  return labels;
}

describe('heldOutSplit', () => {
  it('holds out about the fraction asked, each image on one side, the same for the same seed', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [i % 3]);
    const split = heldOutSplit(labelsOf(rows), 3, 0.2, 4);
    expect(split.heldOut).toHaveLength(10);
    expect([...split.fit, ...split.heldOut].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(heldOutSplit(labelsOf(rows), 3, 0.2, 4)).toEqual(split);
    expect(heldOutSplit(labelsOf(rows), 3, 0.2, 5)).not.toEqual(split);
  });

  it('keeps every class on the fit side, and on the held-out side wherever it has two examples', () => {
    // Class 1 has exactly two images, class 2 one; class 0 the rest.
    const rows = [[1], [1], [2], ...Array.from({ length: 27 }, () => [0])];
    for (let seed = 1; seed <= 20; seed++) {
      const { fit, heldOut } = heldOutSplit(labelsOf(rows), 3, 0.2, seed);
      const has = (side: number[], k: number): boolean => side.some((i) => rows[i]!.includes(k));
      expect(has(fit, 0) && has(fit, 1) && has(fit, 2), `seed ${seed}`).toBe(true);
      expect(has(heldOut, 0) && has(heldOut, 1), `seed ${seed}`).toBe(true);
      // The only image of class 2 is never held out.
      expect(heldOut).not.toContain(2);
    }
  });

  it('never holds out an image whose class would be left without a fit example, even to reach the fraction', () => {
    // Every image holds class 0 and a class of its own: only class 0 images without a rare class could go.
    const rows = [
      [0, 1],
      [0, 2],
      [0, 1],
      [0, 2],
    ];
    const { fit, heldOut } = heldOutSplit(labelsOf(rows), 3, 0.5, 3);
    expect(heldOut).toHaveLength(2);
    expect(fit.some((i) => rows[i]!.includes(1)) && fit.some((i) => rows[i]!.includes(2))).toBe(true);
  });
});

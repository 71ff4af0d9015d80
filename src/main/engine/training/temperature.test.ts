import { describe, expect, it } from 'vitest';
import { seededRandom } from './seeded-random';
import { fitTemperature, scaledLoss } from './temperature';

describe('temperature scaling', () => {
  it('finds the temperature that undoes a known over-confidence', () => {
    // Labels drawn from sigmoid(z); the head reports 3z: its temperature is 3.
    const random = seededRandom(11);
    const classes = 4;
    const n = 4000 * classes;
    const logits = new Float32Array(n);
    const labels = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const z = (random() * 2 - 1) * 4;
      labels[i] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      logits[i] = 3 * z;
    }
    const t = fitTemperature(logits, labels, classes);
    expect(t).toBeGreaterThan(2.7);
    expect(t).toBeLessThan(3.3);
    expect(scaledLoss(logits, labels, classes, 1 / t)).toBeLessThan(scaledLoss(logits, labels, classes));
  });

  it('computes the example’s loss: per image, clipped cross-entropy summed over classes, averaged over images', () => {
    // Two images, two classes: logits 0 (p = 0.5) and ±∞ clipped to 1e-7 from 0 or 1.
    const logits = new Float32Array([0, 100, 0, -100]);
    const labels = new Float32Array([1, 1, 0, 1]);
    const expected = (Math.log(2) + -Math.log(1 - 1e-7) + Math.log(2) + -Math.log(1e-7)) / 2;
    expect(scaledLoss(logits, labels, 2)).toBeCloseTo(expected, 6);
  });
});

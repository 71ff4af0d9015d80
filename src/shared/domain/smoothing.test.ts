import { describe, expect, it } from 'vitest';
import { smooth } from './smoothing';

describe('smooth', () => {
  it('starts at the first value (bias-corrected) and follows a constant exactly', () => {
    expect(smooth([3, 3, 3, 3])).toEqual([3, 3, 3, 3].map(() => expect.closeTo(3, 12)));
  });

  it('damps a spike by the weight and then decays toward the level', () => {
    const out = smooth([0, 0, 0, 10, 0, 0], 0.5);
    expect(out[3]).toBeGreaterThan(0);
    expect(out[3]).toBeLessThan(10);
    expect(out[4]).toBeLessThan(out[3]!);
    expect(out[5]).toBeLessThan(out[4]!);
  });

  it('with weight 0 returns the values unchanged', () => {
    expect(smooth([1, 5, 2], 0)).toEqual([1, 5, 2]);
  });
});

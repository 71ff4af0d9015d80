import { describe, expect, it } from 'vitest';
import { axisPosition, linearTicks, logTicks, shortCount } from './axis-ticks';

describe('linearTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten and ends at or above the largest value', () => {
    // person's 64,972 images: steps of 20,000 (64,972 / 5 = 12,994 rounds up to 20,000).
    expect(linearTicks(64_972)).toEqual([0, 20_000, 40_000, 60_000, 80_000]);
    expect(linearTicks(4)).toEqual([0, 1, 2, 3, 4]);
    expect(linearTicks(9)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(linearTicks(1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('gives an axis from 0 to 1 when there is nothing to show', () => {
    expect(linearTicks(0)).toEqual([0, 1]);
  });
});

describe('logTicks', () => {
  it('gives the powers of ten up to the first at or above the largest value', () => {
    expect(logTicks(64_972)).toEqual([1, 10, 100, 1_000, 10_000, 100_000]);
    expect(logTicks(1_000)).toEqual([1, 10, 100, 1_000]);
    expect(logTicks(3)).toEqual([1, 10]);
    expect(logTicks(0)).toEqual([1, 10]);
  });
});

describe('axisPosition', () => {
  it('is the share of the axis on a linear scale', () => {
    expect(axisPosition(20_000, 80_000, 'linear')).toBe(0.25);
    expect(axisPosition(0, 80_000, 'linear')).toBe(0);
    expect(axisPosition(5, 0, 'linear')).toBe(0);
  });

  it('is the share of the decades on a log scale, with no bar below 1', () => {
    expect(axisPosition(1_000, 100_000, 'log')).toBeCloseTo(0.6, 12);
    expect(axisPosition(1, 100_000, 'log')).toBe(0);
    expect(axisPosition(0, 100_000, 'log')).toBe(0);
    expect(axisPosition(100_000, 100_000, 'log')).toBe(1);
  });
});

describe('shortCount', () => {
  it('writes thousands and millions short', () => {
    expect([0, 5, 0.2, 1_000, 1_500, 20_000, 64_972, 2_000_000].map(shortCount)).toEqual([
      '0',
      '5',
      '0.2',
      '1k',
      '1.5k',
      '20k',
      '65k',
      '2M',
    ]);
  });
});

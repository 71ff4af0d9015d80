import { describe, expect, it } from 'vitest';
import type { Progress } from '../contract/define';
import { createProgressEstimator } from './progress-estimate';

const mb = 1_000_000;

/** An estimator on a clock the test sets: `at(ms, progress)` reports at that time. */
function estimator(): (ms: number, progress: Progress) => ReturnType<ReturnType<typeof createProgressEstimator>> {
  let clock = 0;
  const estimate = createProgressEstimator(() => clock);
  return (ms, progress) => {
    clock = ms;
    return estimate(progress);
  };
}

const reading = (done: number, extra: Partial<Progress> = {}): Progress => ({
  phase: 'Reading annotations',
  done,
  total: 100 * mb,
  unit: 'bytes',
  ...extra,
});

describe('createProgressEstimator', () => {
  it('says "estimating" for the first second, then gives the time left at a steady rate', () => {
    const at = estimator();
    expect(at(0, reading(0))).toMatchObject({ etaSeconds: null, estimating: true });
    expect(at(500, reading(5 * mb))).toMatchObject({ etaSeconds: null, estimating: true });
    // 10 MB/s, 80 MB left: 8 s.
    expect(at(2000, reading(20 * mb)).etaSeconds).toBeCloseTo(8, 6);
    expect(at(3000, reading(30 * mb))).toMatchObject({ estimating: false });
    expect(at(3000, reading(30 * mb)).etaSeconds).toBeCloseTo(7, 6);
  });

  it('estimates only from the fair part: a slow head marked not estimable does not lengthen the figure', () => {
    const at = estimator();
    // Image records: 1 MB/s for 4 s, not a fair sample of the rest.
    for (let s = 0; s <= 4; s++)
      expect(at(s * 1000, reading(s * mb, { estimable: false }))).toMatchObject({ etaSeconds: null, estimating: true });
    // Annotations: 10 MB/s from 4 MB at 4 s.
    expect(at(4000, reading(4 * mb))).toMatchObject({ etaSeconds: null, estimating: true });
    expect(at(5000, reading(14 * mb)).etaSeconds).toBeCloseTo(8.6, 6);
    // Had the head counted, the rate would be 24 MB in 6 s and the figure (100 - 24) / 4 = 19 s.
    expect(at(6000, reading(24 * mb)).etaSeconds).toBeCloseTo(7.6, 6);
  });

  it('withholds the figure while the pace changes, and gives it again once it has settled', () => {
    const at = estimator();
    for (let s = 0; s <= 4; s++) at(s * 1000, reading(s * 2 * mb));
    expect(at(4000, reading(8 * mb)).etaSeconds).toBeCloseTo(46, 6);
    // Four times faster from 4 s on: the latest stretch (at least 0.5 s) disagrees with the overall rate.
    expect(at(4500, reading(12 * mb))).toMatchObject({ etaSeconds: null, estimating: true });
    // The estimate began again at 4 s (8 MB): 8 MB/s, 84 MB left.
    expect(at(5000, reading(16 * mb)).etaSeconds).toBeCloseTo(10.5, 6);
  });

  it('starts again with each phase, and when done goes back', () => {
    const at = estimator();
    at(0, reading(0));
    expect(at(2000, reading(20 * mb)).etaSeconds).toBeCloseTo(8, 6);
    const indexing = { phase: 'Checking image files', done: 0, total: 1000, unit: 'images' } as const;
    expect(at(2100, indexing)).toMatchObject({ etaSeconds: null, estimating: true });
    // 100 images/s from 2.1 s: 700 left at 5.1 s.
    expect(at(5100, { ...indexing, done: 300 }).etaSeconds).toBeCloseTo(7, 6);
    expect(at(5200, { ...indexing, done: 10 })).toMatchObject({ etaSeconds: null, estimating: true });
  });

  it('gives no figure and is not "estimating" when the total is unknown or the work is complete', () => {
    const at = estimator();
    expect(at(0, { phase: 'Indexing labels', done: 0, total: 0 })).toEqual({
      progress: { phase: 'Indexing labels', done: 0, total: 0 },
      etaSeconds: null,
      estimating: false,
    });
    at(1000, reading(0));
    expect(at(3000, reading(100 * mb))).toMatchObject({ etaSeconds: null, estimating: false });
  });
});

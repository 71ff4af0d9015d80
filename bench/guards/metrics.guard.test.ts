import { describe, expect, it } from 'vitest';
import { measureSlider, sliderClasses, sliderMaxTimesPlainLoop as maxTimesPlainLoop, sliderRows } from '../metrics-measure';

/** One slider move against a plain loop that only counts TP/FP/FN per class over the same arrays (figures in metrics-measure.ts). */

describe('guard: threshold slider speed', () => {
  it(`recomputes every figure for ${sliderRows} × ${sliderClasses} scores in at most ${maxTimesPlainLoop}× a plain counting loop`, () => {
    const f = measureSlider(100);
    const ratio = f.ours.median / f.plainLoop.median;
    const naiveRatio = f.naive.median / f.plainLoop.median;
    console.log(
      `slider guard: ours median ${f.ours.median.toFixed(3)} ms (worst ${f.ours.worst.toFixed(3)}), plain loop ${f.plainLoop.median.toFixed(3)} ms, ` +
        `ratio ${ratio.toFixed(1)} (limit ${maxTimesPlainLoop}); naive ${f.naive.median.toFixed(3)} ms, ratio ${naiveRatio.toFixed(1)}`,
    );
    expect(ratio).toBeLessThanOrEqual(maxTimesPlainLoop);
    // The guard can fail: the naive version, measured alongside, is over the limit.
    expect(naiveRatio).toBeGreaterThan(maxTimesPlainLoop);
  });
});

import { describe, expect, it } from 'vitest';
import { createRateMeter } from './transfer-rate';

describe('createRateMeter', () => {
  it('gives the speed of the latest window, so a stall shows within it', () => {
    let ms = 0;
    const meter = createRateMeter(5000, () => ms);
    expect(meter(0)).toBeNull();
    ms = 200;
    expect(meter(100_000)).toBeNull(); // under a tenth of the window
    ms = 1000;
    expect(meter(1_000_000)).toBe(1_000_000); // 1 MB in 1 s
    for (ms = 2000; ms <= 10_000; ms += 1000) meter(1_000_000 + (ms - 1000) * 1000);
    // 1 MB/s throughout, then nothing for 5 s: the window holds only the stall.
    ms = 15_000;
    expect(meter(10_000_000)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { cellCentre, jet, normaliseMap, overlay, peakOf, resample, type HeatMap } from './heatmap';

const map = (width: number, height: number, values: number[]): HeatMap => ({ width, height, values: Float32Array.from(values) });

describe('heat maps', () => {
  it('resamples bilinearly with centres aligned, keeping a constant map constant and corners at the edge values', () => {
    const constant = resample(map(2, 2, [3, 3, 3, 3]), 5, 7);
    expect([...constant.values].every((v) => v === 3)).toBe(true);
    const ramp = resample(map(2, 1, [0, 1]), 4, 1);
    // Output centres 0.5, 1.5, 2.5, 3.5 → source x −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
    expect([...ramp.values]).toEqual([0, 0.25, 0.75, 1]);
  });

  it('normalises to [0, 1], and a flat map to zeros', () => {
    expect([...normaliseMap(map(3, 1, [2, 4, 6])).values]).toEqual([0, 0.5, 1]);
    expect([...normaliseMap(map(2, 1, [5, 5])).values]).toEqual([0, 0]);
  });

  it('finds the peak as [x, y] and places a cell centre in image pixels', () => {
    expect(peakOf(map(3, 2, [0, 1, 0, 0, 0, 9]))).toEqual([2, 1]);
    expect(cellCentre([2, 1], { width: 7, height: 7 }, 640, 480)).toEqual([(2.5 * 640) / 7, (1.5 * 480) / 7]);
  });

  it('colours with MATLAB’s jet: dark blue at 0, cyan-ish green in the middle, dark red at 1', () => {
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(0.125)).toEqual([0, 0, 255]);
    expect(jet(0.375)).toEqual([0, 255, 255]);
    expect(jet(0.625)).toEqual([255, 255, 0]);
    expect(jet(0.875)).toEqual([255, 0, 0]);
    expect(jet(1)).toEqual([128, 0, 0]);
  });

  it('blends the coloured map over the image at half opacity', () => {
    const out = overlay(Uint8Array.from([200, 100, 0]), map(1, 1, [1]), 0.5);
    expect([...out]).toEqual([164, 50, 0]);
    expect(() => overlay(new Uint8Array(6), map(1, 1, [0]))).toThrow(/2 pixels but the map 1/);
  });
});

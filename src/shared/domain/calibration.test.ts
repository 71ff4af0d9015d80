import { describe, expect, it } from 'vitest';
import {
  applyTemperature,
  calibrationBin,
  calibrationFigures,
  clipProbability,
  scaleScore,
  validationLoss,
  withTemperature,
} from './calibration';
import type { ScoreMatrix } from './metrics';

/**
 * Three images, two classes; every expected figure below is worked out by hand from these numbers.
 * Bins are [k/15, (k+1)/15): 0.10, 0.11 and 0.12 fall in bin 1 [0.0667, 0.1333); 0.52 in bin 7
 * [0.4667, 0.5333); 0.55 in bin 8 [0.5333, 0.6); 0.90 in bin 13 [0.8667, 0.9333).
 */
const matrix: ScoreMatrix = {
  classes: ['x', 'y'],
  rows: 3,
  //        x     y
  labels: [1, 0, 0, 1, 1, 1],
  scores: [0.1, 0.11, 0.12, 0.52, 0.9, 0.55],
};

describe('calibrationFigures', () => {
  it('gives the ECE over every (image, class) pair, averaging labels and scores within a bin before the difference', () => {
    // Bin 1: x 0.10 (1), y 0.11 (0), x 0.12 (0): 3 pairs, mean label 1/3, mean score 0.11.
    // Bin 13: x 0.90 (1). Bin 7: y 0.52 (1). Bin 8: y 0.55 (1). N = 6.
    const expected = (3 / 6) * Math.abs(1 / 3 - 0.11) + (1 / 6) * (1 - 0.9) + (1 / 6) * (1 - 0.52) + (1 / 6) * (1 - 0.55);
    const figures = calibrationFigures(matrix);
    expect(figures.ece).toBeCloseTo(expected, 12);
    expect(figures.ece).toBeCloseTo(1.7 / 6, 12);
    // Not the mean of |label − score| over pairs, which would skip the binning.
    expect(figures.ece).not.toBeCloseTo((0.9 + 0.11 + 0.12 + 0.48 + 0.1 + 0.45) / 6, 3);
  });

  it('gives each class its own ECE over its own scores, in class order', () => {
    // x: bin 1 holds 0.10 (1) and 0.12 (0): mean label 0.5, mean score 0.11; bin 13 holds 0.90 (1).
    const x = (2 / 3) * Math.abs(0.5 - 0.11) + (1 / 3) * (1 - 0.9);
    // y: one pair per bin: 0.11 (0), 0.52 (1), 0.55 (1).
    const y = (1 / 3) * 0.11 + (1 / 3) * (1 - 0.52) + (1 / 3) * (1 - 0.55);
    const { eceByClass } = calibrationFigures(matrix);
    expect(eceByClass).toHaveLength(2);
    expect(eceByClass[0]).toBeCloseTo(x, 12);
    expect(eceByClass[0]).toBeCloseTo(0.88 / 3, 12);
    expect(eceByClass[1]).toBeCloseTo(y, 12);
    expect(eceByClass[1]).toBeCloseTo(1.04 / 3, 12);
  });

  it('gives the 15 reliability bins with their counts, mean scores and observed fractions', () => {
    const { reliability } = calibrationFigures(matrix);
    expect(reliability).toHaveLength(15);
    expect(reliability.map((b) => b.count)).toEqual([0, 3, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0]);
    expect(reliability[0]).toEqual({ lower: 0, upper: 1 / 15, count: 0, meanScore: null, fractionPositive: null });
    expect(reliability[1]!.lower).toBe(1 / 15);
    expect(reliability[1]!.upper).toBe(2 / 15);
    expect(reliability[1]!.meanScore).toBeCloseTo(0.11, 12);
    expect(reliability[1]!.fractionPositive).toBeCloseTo(1 / 3, 12);
    expect(reliability[13]).toMatchObject({ count: 1, meanScore: 0.9, fractionPositive: 1 });
    expect(reliability[14]!.upper).toBe(1);
  });

  it('gives null ECEs and loss where there are no images', () => {
    const figures = calibrationFigures({ classes: ['x', 'y', 'z'], rows: 0, labels: [], scores: [] });
    expect(figures.ece).toBeNull();
    expect(figures.eceByClass).toEqual([null, null, null]);
    expect(figures.validationLoss).toBeNull();
    expect(figures.reliability.every((b) => b.count === 0 && b.meanScore === null)).toBe(true);
  });

  it('is 0 for scores that match the observed fraction of their bin', () => {
    // Bin 7 holds four pairs at 0.5, two of them labelled: mean score 0.5, fraction 0.5.
    const figures = calibrationFigures({ classes: ['x'], rows: 4, labels: [1, 0, 1, 0], scores: [0.5, 0.5, 0.5, 0.5] });
    expect(figures.ece).toBe(0);
    expect(figures.eceByClass).toEqual([0]);
  });

  it('refuses a matrix whose arrays do not match its shape', () => {
    expect(() => calibrationFigures({ classes: ['x'], rows: 2, labels: [1], scores: [0.5, 0.5] })).toThrow(/labels hold 1 values/);
  });
});

describe('calibrationBin', () => {
  it('puts each bin edge k/15 in the bin it opens, and 1 in the last bin', () => {
    expect(calibrationBin(0)).toBe(0);
    expect(calibrationBin(1 / 15)).toBe(1);
    expect(calibrationBin(2 / 15)).toBe(2);
    expect(calibrationBin(7 / 15)).toBe(7);
    expect(calibrationBin(14 / 15)).toBe(14);
    expect(calibrationBin(1)).toBe(14);
    for (let k = 0; k < 15; k++) expect(calibrationBin(k / 15), `edge ${k}/15`).toBe(k);
  });

  it('puts a score just below an edge in the bin below it', () => {
    const below = (x: number): number => x - Number.EPSILON * x;
    expect(below(1 / 15)).toBeLessThan(1 / 15);
    expect(calibrationBin(below(1 / 15))).toBe(0);
    expect(calibrationBin(below(8 / 15))).toBe(7);
    expect(calibrationBin(below(1))).toBe(14);
    // A float32 score near an edge is binned by its own value: fround(1/15) is just above 1/15.
    expect(calibrationBin(Math.fround(1 / 15))).toBe(1);
  });

  it('counts the edges in the right bins of the reliability diagram', () => {
    const { reliability } = calibrationFigures({ classes: ['x'], rows: 3, labels: [0, 1, 1], scores: [0, 1 / 15, 1] });
    expect(reliability[0]).toMatchObject({ count: 1, meanScore: 0, fractionPositive: 0 });
    expect(reliability[1]).toMatchObject({ count: 1, meanScore: 1 / 15, fractionPositive: 1 });
    expect(reliability[14]).toMatchObject({ count: 1, meanScore: 1, fractionPositive: 1 });
  });
});

describe('validationLoss', () => {
  it('is the sum over classes of the binary cross-entropy, averaged over images', () => {
    // Image 1: x 0.10 labelled, y 0.11 not; image 2: x 0.12 not, y 0.52 labelled; image 3: x 0.90, y 0.55 labelled.
    const perImage = [-Math.log(0.1) - Math.log(1 - 0.11), -Math.log(1 - 0.12) - Math.log(0.52), -Math.log(0.9) - Math.log(0.55)];
    expect(validationLoss(matrix)).toBeCloseTo((perImage[0]! + perImage[1]! + perImage[2]!) / 3, 12);
    // ln 0.1 = −2.302585, ln 0.89 = −0.116534, ln 0.88 = −0.127833, ln 0.52 = −0.653926, ln 0.9 = −0.105361, ln 0.55 = −0.597837.
    expect(validationLoss(matrix)).toBeCloseTo(3.904076 / 3, 5);
    expect(calibrationFigures(matrix).validationLoss).toBe(validationLoss(matrix));
  });

  it('clips scores to [1e-7, 1 − 1e-7], so a confident mistake costs −ln(1e-7), not infinity', () => {
    // One image: a labelled class scored 0 and an unlabelled one scored 1, each −ln(1e-7) ≈ 16.1181.
    const loss = validationLoss({ classes: ['x', 'y'], rows: 1, labels: [1, 0], scores: [0, 1] });
    expect(loss).toBeCloseTo(2 * 16.11809565, 6);
    // A right answer at 1 costs −ln(1 − 1e-7) ≈ 1e-7, not 0.
    expect(validationLoss({ classes: ['x'], rows: 1, labels: [1], scores: [1] })).toBeCloseTo(1e-7, 12);
    expect(validationLoss({ classes: ['x'], rows: 1, labels: [1], scores: [1] })).toBeGreaterThan(0);
  });

  it('is null without images', () => {
    expect(validationLoss({ classes: ['x'], rows: 0, labels: [], scores: [] })).toBeNull();
  });
});

describe('temperature scaling', () => {
  it('leaves scores unchanged at temperature 1 (inside the clip range)', () => {
    const scores = [1e-7, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1 - 1e-7];
    const scaled = applyTemperature(scores, 1);
    scores.forEach((p, k) => expect(Math.abs(scaled[k]! - p), `score ${p}`).toBeLessThan(1e-15));
  });

  it('clips 0 and 1 before the logit, so they stay finite', () => {
    expect(clipProbability(0)).toBe(1e-7);
    expect(clipProbability(1)).toBe(1 - 1e-7);
    expect(scaleScore(0, 1)).toBeCloseTo(1e-7, 15);
    expect(scaleScore(1, 1)).toBeCloseTo(1 - 1e-7, 15);
    expect(scaleScore(1, 1)).toBeLessThan(1);
  });

  it('pulls scores toward 0.5 at T > 1 and pushes them away at T < 1', () => {
    // logit(0.9) = ln 9; at T = 2 it is ln 3, and sigmoid(ln 3) = 3/4. logit(0.1) = −ln 9 → 1/4.
    expect(scaleScore(0.9, 2)).toBeCloseTo(0.75, 14);
    expect(scaleScore(0.1, 2)).toBeCloseTo(0.25, 14);
    expect(scaleScore(0.5, 2)).toBe(0.5);
    // logit(0.75) = ln 3; at T = 1/2 it is ln 9, and sigmoid(ln 9) = 9/10.
    expect(scaleScore(0.75, 0.5)).toBeCloseTo(0.9, 14);
    for (const p of [0.01, 0.2, 0.4, 0.6, 0.8, 0.99]) {
      const scaled = scaleScore(p, 1.7);
      expect(Math.abs(scaled - 0.5), `score ${p}`).toBeLessThan(Math.abs(p - 0.5));
      expect(Math.sign(scaled - 0.5)).toBe(Math.sign(p - 0.5));
    }
  });

  it('scales a matrix in float64 and keeps its labels', () => {
    const scaled = withTemperature({ classes: ['x'], rows: 2, labels: [1, 0], scores: Float32Array.of(0.9, 0.1) }, 2);
    expect(scaled.scores).toBeInstanceOf(Float64Array);
    expect(scaled.scores[0]).toBeCloseTo(0.75, 7);
    expect(scaled.labels).toEqual([1, 0]);
  });

  it('refuses a temperature that is not a positive number', () => {
    expect(() => applyTemperature([0.5], 0)).toThrow(/positive number/);
    expect(() => applyTemperature([0.5], Number.NaN)).toThrow(/positive number/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  confusion,
  evaluate,
  exampleSweep,
  fineSweep,
  prCurve,
  sampleJaccard,
  thresholdMetrics,
  tunedThresholds,
  appliedThresholds,
  thresholdsInWords,
  tunedThresholdFloor,
  type TunedThreshold,
  type ScoreMatrix,
} from './metrics';

function matrix(labels: number[][], scores: number[][], classes?: string[]): ScoreMatrix {
  const c = labels[0]?.length ?? scores[0]?.length ?? classes?.length ?? 0;
  return {
    classes: classes ?? Array.from({ length: c }, (_, j) => `c${j}`),
    rows: labels.length,
    labels: labels.flat(),
    scores: scores.flat(),
  };
}

/** The example's MATLAB, transcribed literally over N×C arrays (T targets, Y 0/1 predictions). */
const matlab = {
  f1(T: number[][], Y: number[][]): number {
    const all = (f: (t: number, y: number) => number): number =>
      T.reduce((s, row, i) => s + row.reduce((a, t, j) => a + f(t, Y[i]![j]!), 0), 0);
    const TP = all((t, y) => t * y);
    const FP = all((_, y) => y) - TP;
    const TN = all((t, y) => (t ? 0 : 1) * (y ? 0 : 1));
    const FN = all((_, y) => (y ? 0 : 1)) - TN;
    return TP / (TP + 0.5 * (FP + FN));
  },
  performance(T: number[][], Y: number[][]): { precision: number; recall: number } {
    const all = (f: (t: number, y: number) => number): number =>
      T.reduce((s, row, i) => s + row.reduce((a, t, j) => a + f(t, Y[i]![j]!), 0), 0);
    const TP = all((t, y) => t * y);
    const FP = all((_, y) => y) - TP;
    const TN = all((t, y) => (t ? 0 : 1) * (y ? 0 : 1));
    const FN = all((_, y) => (y ? 0 : 1)) - TN;
    return { precision: TP / (TP + FP), recall: TP / (TP + FN) };
  },
  jaccard(T: number[][], Y: number[][]): number {
    // sum over a matrix sums each column: per-class intersection and union.
    const c = T[0]!.length;
    const intersection = Array.from({ length: c }, (_, j) => T.reduce((s, row, i) => s + row[j]! * Y[i]![j]!, 0));
    const union = Array.from({ length: c }, (_, j) => T.reduce((s, row, i) => s + Math.min(1, Math.max(0, row[j]! + Y[i]![j]!)), 0));
    for (let j = 0; j < c; j++) {
      if (union[j] === 0) {
        intersection[j] = 1;
        union[j] = 1;
      }
    }
    return intersection.reduce((s, v, j) => s + v / union[j]!, 0) / c;
  },
};

/** scikit-learn's average_precision_score, written the slow obvious way: every distinct threshold, high to low. */
function slowAveragePrecision(labels: number[], scores: number[]): number | null {
  const positives = labels.filter((l) => l > 0).length;
  if (positives === 0) return null;
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  let ap = 0;
  let previousRecall = 0;
  for (const t of thresholds) {
    const predicted = scores.map((s) => s >= t);
    const tp = predicted.filter((p, i) => p && labels[i]! > 0).length;
    const precision = tp / predicted.filter(Boolean).length;
    const recall = tp / positives;
    ap += (recall - previousRecall) * precision;
    previousRecall = recall;
  }
  return ap;
}

describe('the example’s metrics at a threshold', () => {
  // 4 images × 3 classes, counted by hand at threshold 0.5:
  // class 0: truth 1,0,1,0  predicted 1,1,0,0 → TP 1 FP 1 FN 1 TN 1
  // class 1: truth 0,1,0,0  predicted 0,1,0,0 → TP 1 FP 0 FN 0 TN 3
  // class 2: truth 0,0,0,0  predicted 0,0,0,0 → all TN (absent from targets and predictions)
  const labels = [
    [1, 0, 0],
    [0, 1, 0],
    [1, 0, 0],
    [0, 0, 0],
  ];
  const scores = [
    [0.9, 0.2, 0.1],
    [0.5, 0.7, 0.3],
    [0.4, 0.1, 0.2],
    [0.1, 0.3, 0.49],
  ];
  const m = matrix(labels, scores);

  it('counts per-class true and false positives and negatives with score >= threshold', () => {
    expect(confusion(m, 0.5)).toEqual([
      { tp: 1, fp: 1, fn: 1, tn: 1 },
      { tp: 1, fp: 0, fn: 0, tn: 3 },
      { tp: 0, fp: 0, fn: 0, tn: 4 },
    ]);
  });

  it('gives micro F1, precision and recall as F1Score and performanceMetrics do', () => {
    const figures = thresholdMetrics(m, 0.5);
    // TP 2, FP 1, FN 1: F1 = 2 / (2 + 1) ; precision = 2/3 ; recall = 2/3
    expect(figures.microF1).toBeCloseTo(2 / 3, 12);
    expect(figures.precision).toBeCloseTo(2 / 3, 12);
    expect(figures.recall).toBeCloseTo(2 / 3, 12);
  });

  it('gives the Jaccard index as jaccardIndex computes it: per-class IoU averaged, an absent class counting 1', () => {
    // class 0: 1 / 3; class 1: 1 / 1; class 2: absent from both → 1.
    expect(thresholdMetrics(m, 0.5).jaccard).toBeCloseTo((1 / 3 + 1 + 1) / 3, 12);
  });

  it('gives the per-image Jaccard separately, an image with no labels and no predictions counting 1', () => {
    // image 0: {0} vs {0} → 1; image 1: {1} vs {0,1} → 1/2; image 2: {0} vs {} → 0; image 3: {} vs {} → 1.
    expect(sampleJaccard(m, 0.5)).toBeCloseTo((1 + 0.5 + 0 + 1) / 4, 12);
  });

  it('treats a score equal to the threshold as predicted', () => {
    expect(confusion(matrix([[1]], [[0.5]]), 0.5)[0]).toEqual({ tp: 1, fp: 0, fn: 0, tn: 0 });
    expect(confusion(matrix([[1]], [[0.4999]]), 0.5)[0]).toEqual({ tp: 0, fp: 0, fn: 1, tn: 0 });
  });

  it('judges each class at its own threshold when given one per class', () => {
    expect(confusion(m, [0.95, 0.5, 0.5])[0]).toEqual({ tp: 0, fp: 0, fn: 2, tn: 2 });
  });
});

describe('average precision as scikit-learn defines it', () => {
  it('matches a hand-computed case', () => {
    // scikit-learn's docstring example: y_true [0,0,1,1], scores [0.1,0.4,0.35,0.8] → 0.8333…
    const m = matrix([[0], [0], [1], [1]], [[0.1], [0.4], [0.35], [0.8]]);
    expect(averagePrecision(m, 0)).toBeCloseTo(0.8333333333, 9);
  });

  it('treats tied scores as one threshold', () => {
    // All tied: one threshold predicting everything; recall 1 at precision 2/4.
    const m = matrix([[1], [0], [1], [0]], [[0.5], [0.5], [0.5], [0.5]]);
    expect(averagePrecision(m, 0)).toBeCloseTo(0.5, 12);
    expect(prCurve(m, 0)).toEqual([{ threshold: 0.5, precision: 0.5, recall: 1 }]);
  });

  it('is null for a class with no positives, and mAP averages only the classes that have some', () => {
    const m = matrix(
      [
        [1, 0],
        [0, 0],
      ],
      [
        [0.9, 0.8],
        [0.1, 0.2],
      ],
    );
    expect(averagePrecision(m, 1)).toBeNull();
    expect(prCurve(m, 1)).toEqual([]);
    expect(evaluate(m, 0.5).mAP).toBe(1);
  });
});

describe('edge cases', () => {
  it('gives zeros, not NaN, when there are no labels and no predictions', () => {
    const m = matrix([[0, 0]], [[0.1, 0.2]]);
    const metrics = evaluate(m, 0.5);
    expect(metrics.microF1).toBe(0);
    expect(metrics.precision).toBe(0);
    expect(metrics.recall).toBe(0);
    expect(metrics.jaccard).toBe(1);
    expect(metrics.sampleJaccard).toBe(1);
    expect(metrics.mAP).toBeNull();
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
  });

  it('gives precision 0 and recall 0 when nothing is predicted', () => {
    const metrics = evaluate(matrix([[1, 0]], [[0.1, 0.2]]), 0.5);
    expect(metrics.precision).toBe(0);
    expect(metrics.recall).toBe(0);
    expect(metrics.perClass[0]).toMatchObject({ tp: 0, fn: 1, precision: 0, recall: 0, f1: 0 });
  });

  it('handles an empty set of images', () => {
    const metrics = evaluate({ classes: ['a'], rows: 0, labels: [], scores: [] }, 0.5);
    expect(metrics.microF1).toBe(0);
    expect(metrics.sampleJaccard).toBe(0);
    expect(metrics.mAP).toBeNull();
  });

  it('refuses a matrix whose sizes do not match its shape, saying which', () => {
    expect(() => evaluate({ classes: ['a', 'b'], rows: 2, labels: [1, 0, 0], scores: [0, 0, 0, 0] }, 0.5)).toThrow(
      /labels hold 3 values; 2 images × 2 classes need 4/,
    );
  });

  it('sweeps 0.1 to 0.9 like the example, and finely on request', () => {
    expect(exampleSweep).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(fineSweep).toHaveLength(99);
    expect(fineSweep[0]).toBe(0.01);
    expect(fineSweep[98]).toBe(0.99);
  });
});

describe('per-class thresholds', () => {
  it('pick the score that maximises each class’s F1 and never do worse than the global threshold', () => {
    const m = matrix([[1], [1], [0], [0]], [[0.3], [0.25], [0.2], [0.1]]);
    const [tuned] = tunedThresholds(m);
    expect(tuned).toEqual({ class: 'c0', threshold: 0.25, f1: 1, tuned: true });
    expect(evaluate(m, 0.5, { perClassThresholds: [tuned!.threshold] }).microF1).toBe(1);
    expect(evaluate(m, 0.5).microF1).toBe(0);
  });

  it('leave a class with no positives untuned, at the global threshold', () => {
    // sheep in coco128: no positives, scores everywhere; tuning would pick anything.
    const m = matrix([[0], [0]], [[0.7], [0.2]]);
    const [tuned] = tunedThresholds(m, 0.2);
    expect(tuned).toEqual({ class: 'c0', threshold: 0.2, f1: 0, tuned: false });
    expect(appliedThresholds(tunedThresholds(m, 0.2), 0.35)).toEqual([0.35]);
  });

  it('never go below the floor of 0.05, even where the best F1 is at a lower score', () => {
    // Both positives score 0.01 and 0.0; the negatives 0.03. Best F1 unfloored is at 0.0 (predict all: F1 2/3).
    const m = matrix([[1], [1], [0]], [[0.01], [0], [0.03]]);
    const [tuned] = tunedThresholds(m);
    expect(tunedThresholdFloor).toBe(0.05);
    expect(tuned!.threshold).toBeGreaterThanOrEqual(0.05);
    expect(tuned!.tuned).toBe(true);
    expect(confusion(m, [tuned!.threshold])[0]).toEqual({ tp: 0, fp: 0, fn: 2, tn: 1 });
    // A positive at the floor itself may be taken.
    const [atFloor] = tunedThresholds(matrix([[1], [0]], [[0.05], [0.01]]));
    expect(atFloor).toEqual({ class: 'c0', threshold: 0.05, f1: 1, tuned: true });
  });

  it('say which thresholds apply', () => {
    const t = (tuned: boolean): TunedThreshold => ({ class: 'c', threshold: 0.4, f1: 0, tuned });
    expect(thresholdsInWords(0.2, null)).toBe('threshold 0.20');
    expect(thresholdsInWords(0.2, [t(true), t(true)])).toBe('per-class tuned thresholds');
    expect(thresholdsInWords(0.2, [t(true), t(false)])).toBe('per-class tuned thresholds (global 0.20 for the class without positives)');
    expect(thresholdsInWords(0.2, [t(true), t(false), t(false)])).toBe(
      'per-class tuned thresholds (global 0.20 for the 2 classes without positives)',
    );
    expect(thresholdsInWords(0.2, [t(false)])).toBe('threshold 0.20 (no class has positives to tune on)');
  });
});

describe('against a straightforward reimplementation', () => {
  const shape = fc.record({ rows: fc.integer({ min: 1, max: 25 }), classes: fc.integer({ min: 1, max: 6 }) });
  const cases = shape.chain(({ rows, classes }) =>
    fc.record({
      labels: fc.array(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: classes, maxLength: classes }), {
        minLength: rows,
        maxLength: rows,
      }),
      // Scores on a coarse grid so that ties are common.
      scores: fc.array(
        fc.array(
          fc.integer({ min: 0, max: 10 }).map((v) => v / 10),
          { minLength: classes, maxLength: classes },
        ),
        {
          minLength: rows,
          maxLength: rows,
        },
      ),
      threshold: fc.integer({ min: 0, max: 10 }).map((v) => v / 10),
    }),
  );

  it('agrees with the example’s MATLAB on F1, Jaccard, precision and recall, and with scikit-learn’s AP', () => {
    fc.assert(
      fc.property(cases, ({ labels, scores, threshold }) => {
        const m = matrix(labels, scores);
        const Y = scores.map((row) => row.map((s) => (s >= threshold ? 1 : 0)));
        const ours = evaluate(m, threshold);
        const f1 = matlab.f1(labels, Y);
        const { precision, recall } = matlab.performance(labels, Y);
        // MATLAB gives NaN for 0/0; we give 0.
        expect(ours.microF1).toBeCloseTo(Number.isNaN(f1) ? 0 : f1, 12);
        expect(ours.precision).toBeCloseTo(Number.isNaN(precision) ? 0 : precision, 12);
        expect(ours.recall).toBeCloseTo(Number.isNaN(recall) ? 0 : recall, 12);
        expect(ours.jaccard).toBeCloseTo(matlab.jaccard(labels, Y), 12);
        ours.perClass.forEach((p, j) => {
          const expected = slowAveragePrecision(
            labels.map((row) => row[j]!),
            scores.map((row) => row[j]!),
          );
          if (expected === null) expect(p.ap).toBeNull();
          else expect(p.ap).toBeCloseTo(expected, 12);
          expect(p.tp + p.fp + p.fn + p.tn).toBe(labels.length);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never lets a tuned threshold give a class a lower F1 than any threshold of the sweep', () => {
    fc.assert(
      fc.property(cases, ({ labels, scores }) => {
        const m = matrix(labels, scores);
        const tuned = tunedThresholds(m);
        const atTuned = evaluate(m, 0.5, { perClassThresholds: appliedThresholds(tuned, 0.5) }).perClass;
        for (const t of fineSweep.filter((s) => s >= tunedThresholdFloor)) {
          evaluate(m, t, { sweep: [] }).perClass.forEach((p, j) => expect(atTuned[j]!.f1).toBeGreaterThanOrEqual(p.f1 - 1e-12));
        }
        atTuned.forEach((p, j) => expect(p.f1).toBeCloseTo(tuned[j]!.f1, 12));
      }),
      { numRuns: 100 },
    );
  });
});

/**
 * Multilabel metrics, exactly as the reference example defines them and past it. Pure functions over
 * a score matrix (one row per image, one column per class), shared by the CLI, the services and the
 * renderer, so every face of the app prints the same figures.
 *
 * Conventions:
 * - A class is predicted when `score >= threshold` (the example's `scores >= thresholdValue`).
 * - A ratio whose denominator is 0 is 0 (scikit-learn's `zero_division=0`); MATLAB would give NaN,
 *   which JSON cannot carry. It only happens in degenerate cases (no labels and no predictions).
 * - "jaccard" is the example's `jaccardIndex`: MATLAB's `sum` over an N×C matrix sums each column, so
 *   it is the intersection over union of each class, averaged over classes, with a class absent from
 *   both targets and predictions counting as 1. The per-image (sample) Jaccard is `sampleJaccard`,
 *   where an image with neither labels nor predictions likewise counts as 1.
 * - Average precision is scikit-learn's `average_precision_score`: the sum over distinct descending
 *   score thresholds of (R_n − R_{n−1})·P_n, tied scores forming one threshold. It is null for a class
 *   without positives, and mAP averages the classes that have at least one.
 */

/** Labels and scores, row-major: image i, class j is at `i * classes.length + j`. */
export interface ScoreMatrix {
  classes: readonly string[];
  rows: number;
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
}

export interface ClassCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface ClassMetrics extends ClassCounts {
  class: string;
  /** Null where the class has no positive label. */
  ap: number | null;
  precision: number;
  recall: number;
  f1: number;
  /** The threshold this class was judged at (the global one, or its own tuned one). */
  threshold: number;
  positives: number;
}

export interface ThresholdMetrics {
  threshold: number;
  microF1: number;
  jaccard: number;
  precision: number;
  recall: number;
}

export interface Metrics extends ThresholdMetrics {
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  sampleJaccard: number;
  /** Null where no class has a positive label. */
  mAP: number | null;
  perClass: ClassMetrics[];
  sweep: ThresholdMetrics[];
}

export interface PrPoint {
  threshold: number;
  precision: number;
  recall: number;
}

/** The example's sweep, 0.1 to 0.9 by 0.1. */
export const exampleSweep: readonly number[] = Array.from({ length: 9 }, (_, i) => round((i + 1) / 10));
/** A fine sweep, 0.01 to 0.99 by 0.01. */
export const fineSweep: readonly number[] = Array.from({ length: 99 }, (_, i) => round((i + 1) / 100));

function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** Checks that a matrix's arrays have the sizes its shape promises; throws a sentence saying what is wrong. */
export function checkScoreMatrix(m: ScoreMatrix): void {
  const expected = m.rows * m.classes.length;
  if (m.classes.length === 0) throw new Error('The score matrix has no classes.');
  if (m.labels.length !== expected) {
    throw new Error(`The labels hold ${m.labels.length} values; ${m.rows} images × ${m.classes.length} classes need ${expected}.`);
  }
  if (m.scores.length !== expected) {
    throw new Error(`The scores hold ${m.scores.length} values; ${m.rows} images × ${m.classes.length} classes need ${expected}.`);
  }
}

/** One threshold for every class, or one per class. */
export type Thresholds = number | readonly number[];

function thresholdOf(thresholds: Thresholds, j: number): number {
  return typeof thresholds === 'number' ? thresholds : (thresholds[j] ?? 0.5);
}

/** Per-class true/false positives/negatives at the thresholds. */
export function confusion(m: ScoreMatrix, thresholds: Thresholds): ClassCounts[] {
  const c = m.classes.length;
  const tp = new Float64Array(c);
  const fp = new Float64Array(c);
  const fn = new Float64Array(c);
  const limits = Float64Array.from(m.classes, (_, j) => thresholdOf(thresholds, j));
  const { labels, scores } = m;
  for (let i = 0, k = 0; i < m.rows; i++) {
    for (let j = 0; j < c; j++, k++) {
      const predicted = scores[k]! >= limits[j]!;
      if (labels[k]! > 0) {
        if (predicted) tp[j]!++;
        else fn[j]!++;
      } else if (predicted) fp[j]!++;
    }
  }
  return m.classes.map((_, j) => ({ tp: tp[j]!, fp: fp[j]!, fn: fn[j]!, tn: m.rows - tp[j]! - fp[j]! - fn[j]! }));
}

/**
 * The example's four figures at a threshold: micro F1 (`F1Score`: TP / (TP + (FP + FN) / 2)), its
 * `jaccardIndex`, and micro precision and recall (`performanceMetrics`). Cheap enough for a slider.
 */
export function thresholdMetrics(m: ScoreMatrix, thresholds: Thresholds): ThresholdMetrics {
  return summarise(confusion(m, thresholds), typeof thresholds === 'number' ? thresholds : NaN);
}

function summarise(counts: readonly ClassCounts[], threshold: number): ThresholdMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let jaccardSum = 0;
  for (const k of counts) {
    tp += k.tp;
    fp += k.fp;
    fn += k.fn;
    const union = k.tp + k.fp + k.fn;
    jaccardSum += union === 0 ? 1 : k.tp / union;
  }
  return {
    threshold,
    microF1: ratio(tp, tp + 0.5 * (fp + fn)),
    jaccard: counts.length === 0 ? 0 : jaccardSum / counts.length,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
  };
}

/** Intersection over union per image, averaged over images; an image with no labels and no predictions counts as 1. */
export function sampleJaccard(m: ScoreMatrix, thresholds: Thresholds): number {
  const c = m.classes.length;
  if (m.rows === 0) return 0;
  const limits = Float64Array.from(m.classes, (_, j) => thresholdOf(thresholds, j));
  let sum = 0;
  for (let i = 0, k = 0; i < m.rows; i++) {
    let intersection = 0;
    let union = 0;
    for (let j = 0; j < c; j++, k++) {
      const truth = m.labels[k]! > 0;
      const predicted = m.scores[k]! >= limits[j]!;
      if (truth && predicted) intersection++;
      if (truth || predicted) union++;
    }
    sum += union === 0 ? 1 : intersection / union;
  }
  return sum / m.rows;
}

/** One class's scores with their labels, sorted by descending score. */
function rankedColumn(m: ScoreMatrix, j: number): { scores: Float64Array; labels: Uint8Array; positives: number } {
  const c = m.classes.length;
  const order = Array.from({ length: m.rows }, (_, i) => i);
  order.sort((a, b) => m.scores[b * c + j]! - m.scores[a * c + j]!);
  const scores = new Float64Array(m.rows);
  const labels = new Uint8Array(m.rows);
  let positives = 0;
  order.forEach((row, rank) => {
    scores[rank] = m.scores[row * c + j]!;
    const positive = m.labels[row * c + j]! > 0 ? 1 : 0;
    labels[rank] = positive;
    positives += positive;
  });
  return { scores, labels, positives };
}

/**
 * The precision-recall curve of one class at each distinct score, highest threshold first (each point
 * predicts the images scoring at least `threshold`). Empty where the class has no positives.
 */
export function prCurve(m: ScoreMatrix, classIndex: number): PrPoint[] {
  const { scores, labels, positives } = rankedColumn(m, classIndex);
  if (positives === 0) return [];
  const points: PrPoint[] = [];
  let tp = 0;
  for (let n = 0; n < scores.length; n++) {
    tp += labels[n]!;
    // Tied scores form one threshold: emit a point only after the last of them.
    if (n + 1 < scores.length && scores[n + 1] === scores[n]) continue;
    points.push({ threshold: scores[n]!, precision: tp / (n + 1), recall: tp / positives });
  }
  return points;
}

/** scikit-learn's average precision of one class; null where it has no positives. */
export function averagePrecision(m: ScoreMatrix, classIndex: number): number | null {
  const curve = prCurve(m, classIndex);
  if (curve.length === 0) return null;
  let ap = 0;
  let previousRecall = 0;
  for (const point of curve) {
    ap += (point.recall - previousRecall) * point.precision;
    previousRecall = point.recall;
  }
  return ap;
}

export interface TunedThreshold {
  class: string;
  threshold: number;
  f1: number;
  /** False where the class has no positives: it was not tuned and keeps the global threshold. */
  tuned: boolean;
}

/** No tuned threshold is below this: a lower one predicts a class on nearly every image. */
export const tunedThresholdFloor = 0.05;

/**
 * For each class, the threshold at or above `tunedThresholdFloor` that maximises its F1 on these images:
 * one of its own scores (the highest-scoring one on ties, so the fewest images are predicted), or just
 * above its highest score (predicting nothing) where no score at or above the floor gives a true positive.
 * A class without positives is not tuned: it keeps the global threshold (F1 0 at any threshold, and a
 * tuned one would be arbitrary). Tuned on the same data it is judged on, the gain is optimistic unless
 * the thresholds come from a held-out split.
 */
export function tunedThresholds(m: ScoreMatrix, global = 0.5): TunedThreshold[] {
  return m.classes.map((name, j) => {
    const curve = prCurve(m, j);
    if (curve.length === 0) return { class: name, threshold: global, f1: 0, tuned: false };
    let highest = -Infinity;
    for (let i = 0; i < m.rows; i++) highest = Math.max(highest, m.scores[i * m.classes.length + j]!);
    let best = { threshold: Math.max(tunedThresholdFloor, highest + Math.max(1e-9, Math.abs(highest) * 1e-9)), f1: 0 };
    for (const point of curve) {
      // The curve runs from the highest threshold down: past the floor, no point may be taken.
      if (point.threshold < tunedThresholdFloor) break;
      const f1 = ratio(2 * point.precision * point.recall, point.precision + point.recall);
      if (f1 > best.f1) best = { threshold: point.threshold, f1 };
    }
    return { class: name, ...best, tuned: true };
  });
}

/** The threshold each class is judged at with per-class thresholds on: its tuned one, or the global one where it was not tuned. */
export function appliedThresholds(tuned: readonly TunedThreshold[], global: number): number[] {
  return tuned.map((t) => (t.tuned ? t.threshold : global));
}

/**
 * What "at the threshold" means in words: the global threshold, or with per-class thresholds on, which
 * thresholds apply (for example "per-class tuned thresholds (global 0.20 for classes without positives)").
 */
export function thresholdsInWords(global: number, tuned: readonly TunedThreshold[] | null): string {
  if (tuned === null) return `threshold ${global.toFixed(2)}`;
  const untuned = tuned.filter((t) => !t.tuned).length;
  if (untuned === 0) return 'per-class tuned thresholds';
  if (untuned === tuned.length) return `threshold ${global.toFixed(2)} (no class has positives to tune on)`;
  return `per-class tuned thresholds (global ${global.toFixed(2)} for ${untuned === 1 ? 'the class' : `the ${untuned} classes`} without positives)`;
}

export interface EvaluateOptions {
  /** Thresholds of the sweep; the example's 0.1 to 0.9 by 0.1 unless given. */
  sweep?: readonly number[];
  /** Per-class thresholds to judge at instead of the global one (the metrics' `threshold` stays the global one). */
  perClassThresholds?: readonly number[];
  /**
   * Average precisions already computed (`averagePrecisions(m)`): they do not depend on the threshold,
   * so a slider passes them in and each move costs one pass over the matrix instead of a sort per class.
   */
  averagePrecisions?: readonly (number | null)[];
}

/** Every class's average precision (null where it has no positives). */
export function averagePrecisions(m: ScoreMatrix): (number | null)[] {
  return m.classes.map((_, j) => averagePrecision(m, j));
}

/** Every figure of the Evaluate workspace and `mlw evaluate` / `mlw metrics`, at a threshold. */
export function evaluate(m: ScoreMatrix, threshold: number, options: EvaluateOptions = {}): Metrics {
  checkScoreMatrix(m);
  const thresholds: Thresholds = options.perClassThresholds ?? threshold;
  const counts = confusion(m, thresholds);
  const headline = summarise(counts, threshold);
  const aps = options.averagePrecisions ?? averagePrecisions(m);
  const perClass = counts.map((k, j): ClassMetrics => {
    const precision = ratio(k.tp, k.tp + k.fp);
    const recall = ratio(k.tp, k.tp + k.fn);
    return {
      class: m.classes[j]!,
      ap: aps[j] ?? null,
      precision,
      recall,
      f1: ratio(2 * k.tp, 2 * k.tp + k.fp + k.fn),
      ...k,
      threshold: thresholdOf(thresholds, j),
      positives: k.tp + k.fn,
    };
  });
  const known = aps.filter((ap): ap is number => ap !== null);
  const mean = (values: number[]): number => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
  return {
    ...headline,
    macroPrecision: mean(perClass.map((p) => p.precision)),
    macroRecall: mean(perClass.map((p) => p.recall)),
    macroF1: mean(perClass.map((p) => p.f1)),
    sampleJaccard: sampleJaccard(m, thresholds),
    mAP: known.length === 0 ? null : mean(known),
    perClass,
    sweep: (options.sweep ?? exampleSweep).map((t) => thresholdMetrics(m, t)),
  };
}

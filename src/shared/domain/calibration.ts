/**
 * Calibration of sigmoid scores: how far a score is from the fraction of images that truly carry the
 * class. Pure functions over a score matrix (see metrics.ts), shared by the CLI, the services, the
 * reports and the renderer, so every face of the app prints the same figures.
 *
 * - Expected calibration error (ECE) over 15 equal-width bins of the score, [0, 1/15), [1/15, 2/15),
 *   …, [14/15, 1] (a score of 1 falls in the last): ECE = Σ_b (n_b / N) · |mean label in b − mean
 *   score in b|, over every (image, class) pair, and per class over that class's scores.
 * - The example's loss: for each image, the sum over classes of the binary cross-entropy
 *   −[y·ln p + (1 − y)·ln(1 − p)], p clipped to [1e-7, 1 − 1e-7], averaged over images. It is what
 *   training reports as the validation loss (computed there from the logits, which equals this
 *   wherever no score is clipped).
 * - Temperature scaling: p' = sigmoid(logit(p) / T) in float64, logit taken of the clipped p.
 */
import { checkScoreMatrix, type ScoreMatrix } from './metrics';

/** The number of equal-width score bins of the ECE and the reliability diagram. */
export const calibrationBins = 15;

/**
 * Scores are clipped to [clip, 1 − clip] before a logarithm or a logit. The stored scores are float32
 * sigmoids: the largest float32 below 1 is 1 − 2⁻²⁴ ≈ 1 − 6e-8, so a score of exactly 1 (a logit past
 * about 16.6) is common, and its log-loss and logit would be infinite. 1e-7 is the smallest clip that
 * float32 still tells apart from 1 on that side, and bounds a logit at ±ln((1 − 1e-7) / 1e-7) ≈ ±16.12
 * and a pair's loss at −ln(1e-7) ≈ 16.12.
 */
export const probabilityClip = 1e-7;

/** One bin of the reliability diagram. `meanScore` and `fractionPositive` are null where the bin is empty. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  /** (image, class) pairs whose score falls in the bin. */
  count: number;
  meanScore: number | null;
  /** The fraction of those pairs whose label is 1 (the observed frequency). */
  fractionPositive: number | null;
}

export interface CalibrationFigures {
  /** Over every (image, class) pair; null where there are no images. */
  ece: number | null;
  /** Per class, in the matrix's class order; null where there are no images. */
  eceByClass: (number | null)[];
  /** The 15 bins over every (image, class) pair, lowest first. */
  reliability: ReliabilityBin[];
  /** The example's loss (see above); null where there are no images. */
  validationLoss: number | null;
}

/**
 * The bin of a score: ⌊p · 15⌋, with 1 (and anything past it) in the last bin. In float64 each edge
 * k/15 times 15 is exactly k, and a score one step below an edge stays below k, so the edges fall in
 * the bins they open (the tests check every edge).
 */
export function calibrationBin(score: number): number {
  const b = Math.floor(score * calibrationBins);
  if (!(b >= 0)) return 0; // below 0 (or not a number): the first bin
  return b >= calibrationBins ? calibrationBins - 1 : b;
}

/** p clipped to [1e-7, 1 − 1e-7]. */
export function clipProbability(p: number): number {
  return p < probabilityClip ? probabilityClip : p > 1 - probabilityClip ? 1 - probabilityClip : p;
}

/** One score scaled by temperature T: sigmoid(logit(p) / T), with p clipped first (see `probabilityClip`). */
export function scaleScore(p: number, temperature: number): number {
  const q = clipProbability(p);
  const logit = Math.log(q / (1 - q));
  return 1 / (1 + Math.exp(-logit / temperature));
}

/** Every score scaled by temperature T, as float64. T > 1 pulls scores toward 0.5, T < 1 pushes them away. */
export function applyTemperature(scores: ArrayLike<number>, temperature: number): Float64Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new Error(`A temperature must be a positive number; ${temperature} is not.`);
  }
  const out = new Float64Array(scores.length);
  for (let k = 0; k < scores.length; k++) out[k] = scaleScore(scores[k]!, temperature);
  return out;
}

/** The matrix with its scores scaled by temperature T (the labels are shared, not copied). */
export function withTemperature(m: ScoreMatrix, temperature: number): ScoreMatrix & { scores: Float64Array } {
  return { classes: m.classes, rows: m.rows, labels: m.labels, scores: applyTemperature(m.scores, temperature) };
}

/** The example's loss: per image the sum over classes of the clipped binary cross-entropy, averaged over images; null without images. */
export function validationLoss(m: ScoreMatrix): number | null {
  checkScoreMatrix(m);
  if (m.rows === 0) return null;
  let sum = 0;
  const n = m.rows * m.classes.length;
  for (let k = 0; k < n; k++) {
    const p = clipProbability(m.scores[k]!);
    sum -= m.labels[k]! > 0 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / m.rows;
}

function eceOf(count: Float64Array, scoreSum: Float64Array, labelSum: Float64Array, offset: number, total: number): number | null {
  if (total === 0) return null;
  let ece = 0;
  for (let b = 0; b < calibrationBins; b++) {
    const n = count[offset + b]!;
    if (n === 0) continue;
    ece += (n / total) * Math.abs(labelSum[offset + b]! / n - scoreSum[offset + b]! / n);
  }
  return ece;
}

/** ECE overall and per class, the reliability bins, and the example's loss, in one pass over the matrix. */
export function calibrationFigures(m: ScoreMatrix): CalibrationFigures {
  checkScoreMatrix(m);
  const c = m.classes.length;
  // Per class and bin: pairs, sum of scores, sum of labels (class j's bins at j · 15).
  const count = new Float64Array(c * calibrationBins);
  const scoreSum = new Float64Array(c * calibrationBins);
  const labelSum = new Float64Array(c * calibrationBins);
  const { labels, scores } = m;
  for (let i = 0, k = 0; i < m.rows; i++) {
    for (let j = 0; j < c; j++, k++) {
      const p = scores[k]!;
      const at = j * calibrationBins + calibrationBin(p);
      count[at]!++;
      scoreSum[at]! += p;
      if (labels[k]! > 0) labelSum[at]!++;
    }
  }
  const allCount = new Float64Array(calibrationBins);
  const allScore = new Float64Array(calibrationBins);
  const allLabel = new Float64Array(calibrationBins);
  for (let j = 0; j < c; j++) {
    for (let b = 0; b < calibrationBins; b++) {
      allCount[b]! += count[j * calibrationBins + b]!;
      allScore[b]! += scoreSum[j * calibrationBins + b]!;
      allLabel[b]! += labelSum[j * calibrationBins + b]!;
    }
  }
  const reliability = Array.from({ length: calibrationBins }, (_, b): ReliabilityBin => {
    const n = allCount[b]!;
    return {
      lower: b / calibrationBins,
      upper: (b + 1) / calibrationBins,
      count: n,
      meanScore: n === 0 ? null : allScore[b]! / n,
      fractionPositive: n === 0 ? null : allLabel[b]! / n,
    };
  });
  return {
    ece: eceOf(allCount, allScore, allLabel, 0, m.rows * c),
    eceByClass: m.classes.map((_, j) => eceOf(count, scoreSum, labelSum, j * calibrationBins, m.rows)),
    reliability,
    validationLoss: validationLoss(m),
  };
}

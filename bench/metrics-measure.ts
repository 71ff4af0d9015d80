/**
 * What one move of the Evaluate workspace's threshold slider costs, shared by `npm run bench:metrics`
 * and its quick guard. At 5,000 images × 12 classes the slider recomputes micro F1, the example's
 * Jaccard, precision and recall, macro figures, the per-image Jaccard and every class's counts
 * (average precision and the sweeps do not depend on the threshold and are computed once).
 *
 * Two references are measured in the same run: the straightforward version over arrays of rows
 * that a first attempt would write, and a plain loop that only counts true and false positives and
 * negatives per class over the same typed arrays — the least any implementation must do, so the
 * ratio to it says how much more than that least the slider spends.
 */
import { averagePrecisions, evaluate, type ScoreMatrix } from '../src/shared/domain/metrics';

/**
 * The quick guard's limit on ours / the plain loop. Measured on the 2-core development VM: ours
 * 2.1–2.3, the naive version 17–25.
 */
export const sliderMaxTimesPlainLoop = 6;

export const sliderRows = 5000;
export const sliderClasses = 12;

export interface Timing {
  median: number;
  p95: number;
  worst: number;
}

export interface SliderFigures {
  ours: Timing;
  naive: Timing;
  plainLoop: Timing;
  averagePrecisionsOnceMs: number;
  fullEvaluationMs: number;
}

interface SliderData {
  matrix: ScoreMatrix;
  labelRows: number[][];
  scoreRows: number[][];
}

/** A seeded matrix, so every run measures the same scores. */
function sliderData(): SliderData {
  let state = 42;
  const random = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const labelRows = Array.from({ length: sliderRows }, () => Array.from({ length: sliderClasses }, () => (random() < 0.1 ? 1 : 0)));
  const scoreRows = labelRows.map((row) => row.map((label) => Math.min(1, Math.max(0, label * 0.5 + random() * 0.6))));
  const matrix: ScoreMatrix = {
    classes: Array.from({ length: sliderClasses }, (_, j) => `class ${j}`),
    rows: sliderRows,
    labels: Uint8Array.from(labelRows.flat()),
    scores: Float32Array.from(scoreRows.flat()),
  };
  return { matrix, labelRows, scoreRows };
}

/** The naive slider update: counts over arrays of rows, one pass per figure. */
function naive({ labelRows, scoreRows }: SliderData, threshold: number): number[] {
  const classes = sliderClasses;
  const predicted = scoreRows.map((row) => row.map((s) => (s >= threshold ? 1 : 0)));
  const count = (f: (t: number, y: number) => boolean): number =>
    labelRows.reduce((sum, row, i) => sum + row.filter((t, j) => f(t, predicted[i]![j]!)).length, 0);
  const tp = count((t, y) => t === 1 && y === 1);
  const fp = count((t, y) => t === 0 && y === 1);
  const fn = count((t, y) => t === 1 && y === 0);
  const perClass = Array.from({ length: classes }, (_, j) => {
    const column = labelRows.map((row, i) => [row[j]!, predicted[i]![j]!] as const);
    const ctp = column.filter(([t, y]) => t && y).length;
    const union = column.filter(([t, y]) => t || y).length;
    return union === 0 ? 1 : ctp / union;
  });
  const sample = labelRows.map((row, i) => {
    const inter = row.filter((t, j) => t && predicted[i]![j]).length;
    const union = row.filter((t, j) => t || predicted[i]![j]).length;
    return union === 0 ? 1 : inter / union;
  });
  return [tp / (tp + 0.5 * (fp + fn)), perClass.reduce((a, b) => a + b) / classes, sample.reduce((a, b) => a + b) / labelRows.length];
}

/** One pass over the typed arrays counting TP, FP and FN per class: the floor of any slider update. */
function plainLoop({ matrix }: SliderData, threshold: number): Int32Array {
  const counts = new Int32Array(3 * sliderClasses);
  const { labels, scores } = matrix;
  for (let k = 0; k < scores.length; k++) {
    const j = k % sliderClasses;
    const predicted = scores[k]! >= threshold;
    if (labels[k] === 1) counts[3 * j + (predicted ? 0 : 2)]!++;
    else if (predicted) counts[3 * j + 1]!++;
  }
  return counts;
}

function time(fn: (threshold: number) => unknown, moves: number): Timing {
  const times: number[] = [];
  for (let round = 0; round < moves; round++) {
    const threshold = 0.01 + (round % 99) / 100;
    const start = performance.now();
    fn(threshold);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, p95: times[Math.floor(times.length * 0.95)]!, worst: times[times.length - 1]! };
}

/** `moves`: slider moves timed per contender (the quick guard uses fewer than the full bench). */
export function measureSlider(moves = 200): SliderFigures {
  const data = sliderData();
  const apStart = performance.now();
  const aps = averagePrecisions(data.matrix);
  const averagePrecisionsOnceMs = performance.now() - apStart;
  const ours = (t: number): unknown => evaluate(data.matrix, t, { sweep: [], averagePrecisions: aps });
  // Warm each path before measuring it; ours first, so the references' garbage is not collected on our clock.
  for (let i = 0; i < 20; i++) ours(i / 20);
  const oursTiming = time(ours, moves);
  for (let i = 0; i < 20; i++) plainLoop(data, i / 20);
  const plainTiming = time((t) => plainLoop(data, t), moves);
  for (let i = 0; i < 5; i++) naive(data, i / 5);
  const naiveTiming = time((t) => naive(data, t), Math.min(moves, 100));
  const fullStart = performance.now();
  evaluate(data.matrix, 0.5);
  return {
    ours: oursTiming,
    naive: naiveTiming,
    plainLoop: plainTiming,
    averagePrecisionsOnceMs,
    fullEvaluationMs: performance.now() - fullStart,
  };
}

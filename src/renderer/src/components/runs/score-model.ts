import type { RunScores } from '../../../../shared/contract/evaluation';
import { calibrationFigures, scaleScore, type CalibrationFigures } from '../../../../shared/domain/calibration';
import {
  averagePrecisions,
  exampleSweep,
  fineSweep,
  prCurve,
  thresholdMetrics,
  tunedThresholds,
  type PrPoint,
  type ScoreMatrix,
  type ThresholdMetrics,
  type TunedThreshold,
} from '../../../../shared/domain/metrics';

/** Everything about a run's scores that does not depend on the threshold, computed once per run. */
export interface ScoreModel {
  scores: RunScores;
  matrix: ScoreMatrix & { labels: Uint8Array; scores: Float64Array };
  /** Per class; null where the class has no positive label. Passed to `evaluate` so a slider move is one pass. */
  averagePrecisions: (number | null)[];
  tuned: TunedThreshold[];
  /** The example's four figures over the fine sweep (0.01..0.99) and at its own 0.1..0.9. */
  fineSweep: ThresholdMetrics[];
  exampleSweep: ThresholdMetrics[];
  /** Each class's precision-recall curve (empty without positives). */
  curves: PrPoint[][];
  /** ECE overall and per class, the reliability bins and the example's loss; none depends on the threshold. */
  calibration: CalibrationFigures;
  /** Per class: rows of negatives by descending score, rows of positives by ascending score (for the error galleries). */
  negativesByScore: Int32Array[];
  positivesByScore: Int32Array[];
}

/** Flattens the RPC's rows into the row-major matrix the shared metric functions take, and precomputes the rest. */
export function buildScoreModel(scores: RunScores): ScoreModel {
  const c = scores.classes.length;
  const rows = scores.scores.length;
  const labels = new Uint8Array(rows * c);
  const values = new Float64Array(rows * c);
  for (let i = 0; i < rows; i++) {
    const labelRow = scores.labels[i]!;
    const scoreRow = scores.scores[i]!;
    for (let j = 0; j < c; j++) {
      labels[i * c + j] = labelRow[j]! > 0 ? 1 : 0;
      values[i * c + j] = scoreRow[j]!;
    }
  }
  const matrix = { classes: scores.classes, rows, labels, scores: values };
  const tuned = tunedThresholds(matrix);
  const byScore = (j: number, positive: boolean, direction: 1 | -1): Int32Array => {
    const picked: number[] = [];
    for (let i = 0; i < rows; i++) if ((labels[i * c + j] === 1) === positive) picked.push(i);
    picked.sort((a, b) => direction * (values[a * c + j]! - values[b * c + j]!) || a - b);
    return Int32Array.from(picked);
  };
  return {
    scores,
    matrix,
    averagePrecisions: averagePrecisions(matrix),
    tuned,
    fineSweep: fineSweep.map((t) => thresholdMetrics(matrix, t)),
    exampleSweep: exampleSweep.map((t) => thresholdMetrics(matrix, t)),
    curves: scores.classes.map((_, j) => prCurve(matrix, j)),
    calibration: calibrationFigures(matrix),
    negativesByScore: scores.classes.map((_, j) => byScore(j, false, -1)),
    positivesByScore: scores.classes.map((_, j) => byScore(j, true, 1)),
  };
}

/**
 * The run's scores scaled by its temperature (the shared `scaleScore`, as `mlw evaluate --calibrated`
 * does), for a model whose every figure is then of the scaled scores.
 */
export function withRunTemperature(scores: RunScores, temperature: number): RunScores {
  return { ...scores, scores: scores.scores.map((row) => row.map((p) => scaleScore(p, temperature))) };
}

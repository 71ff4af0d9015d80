import { csvField as field } from '../../shared/domain/csv';
import type { RunCalibration } from '../../shared/contract/calibration';
import type { Metrics } from '../../shared/domain/metrics';

const columns = [
  'scope',
  'class',
  'threshold',
  'ap',
  'precision',
  'recall',
  'f1',
  'jaccard',
  'tp',
  'fp',
  'fn',
  'tn',
  'positives',
  'ece',
  'loss',
  'temperature',
] as const;

/** The calibration figures beside the metrics (see domain/calibration.ts). */
export interface CsvCalibration {
  ece: number | null;
  validationLoss: number | null;
  eceByClass: readonly (number | null)[];
  /** The temperature the figures' scores were scaled by, null where they are the network's own. */
  temperature: number | null;
  /** The run's temperature scaling and its held-out figures, null where it has none. */
  calibration: RunCalibration | null;
}

/**
 * The metrics as CSV, full precision: one row per class, then the overall rows. `micro` pools every
 * class's counts (the example's F1, precision and recall); `macro` averages the classes (its jaccard is
 * the example's `jaccardIndex`, its ap the mAP); `per-image` holds the per-image Jaccard and the
 * example's loss (summed over classes per image, averaged over images). `ece` is each class's ECE,
 * and on the micro row the ECE over every (image, class) pair. A run with a temperature adds two
 * `held-out` rows: the ECE and loss of its held-out training images at temperature 1 and at its own.
 */
export function metricsCsv(metrics: Metrics, calibration: CsvCalibration): string {
  const rows: (string | number | null)[][] = [[...columns]];
  const t = calibration.temperature;
  for (const [j, c] of metrics.perClass.entries()) {
    const union = c.tp + c.fp + c.fn;
    rows.push([
      'class',
      c.class,
      c.threshold,
      c.ap,
      c.precision,
      c.recall,
      c.f1,
      union === 0 ? 1 : c.tp / union,
      c.tp,
      c.fp,
      c.fn,
      c.tn,
      c.positives,
      calibration.eceByClass[j] ?? null,
      null,
      t,
    ]);
  }
  const sum = (key: 'tp' | 'fp' | 'fn' | 'tn' | 'positives'): number => metrics.perClass.reduce((total, c) => total + c[key], 0);
  rows.push([
    'micro',
    '',
    metrics.threshold,
    null,
    metrics.precision,
    metrics.recall,
    metrics.microF1,
    null,
    sum('tp'),
    sum('fp'),
    sum('fn'),
    sum('tn'),
    sum('positives'),
    calibration.ece,
    null,
    t,
  ]);
  rows.push([
    'macro',
    '',
    metrics.threshold,
    metrics.mAP,
    metrics.macroPrecision,
    metrics.macroRecall,
    metrics.macroF1,
    metrics.jaccard,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    t,
  ]);
  rows.push([
    'per-image',
    '',
    metrics.threshold,
    null,
    null,
    null,
    null,
    metrics.sampleJaccard,
    null,
    null,
    null,
    null,
    null,
    null,
    calibration.validationLoss,
    t,
  ]);
  const held = calibration.calibration;
  if (held !== null) {
    const blank = [null, null, null, null, null, null, null, null, null, null, null] as const;
    rows.push(['held-out', '', ...blank, held.before.ece, held.before.loss, 1]);
    rows.push(['held-out', '', ...blank, held.after.ece, held.after.loss, held.temperature]);
  }
  return `${rows.map((row) => row.map(field).join(',')).join('\n')}\n`;
}

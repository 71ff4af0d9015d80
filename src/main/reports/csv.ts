import { csvField as field } from '../../shared/domain/csv';
import type { Metrics } from '../../shared/domain/metrics';

const columns = ['scope', 'class', 'threshold', 'ap', 'precision', 'recall', 'f1', 'jaccard', 'tp', 'fp', 'fn', 'tn', 'positives'] as const;

/**
 * The metrics as CSV, full precision: one row per class, then the overall rows. `micro` pools every
 * class's counts (the example's F1, precision and recall); `macro` averages the classes (its jaccard is
 * the example's `jaccardIndex`, its ap the mAP); `per-image` holds the per-image Jaccard.
 */
export function metricsCsv(metrics: Metrics): string {
  const rows: (string | number | null)[][] = [[...columns]];
  for (const c of metrics.perClass) {
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
  ]);
  rows.push(['per-image', '', metrics.threshold, null, null, null, null, metrics.sampleJaccard, null, null, null, null, null]);
  return `${rows.map((row) => row.map(field).join(',')).join('\n')}\n`;
}

/**
 * `npm run bench:metrics`: what one move of the Evaluate workspace's threshold slider costs.
 *
 * At 5,000 images × 12 classes (the reference's val2017 subset is 1,2xx images; this is four times
 * that), the slider recomputes micro F1, the example's Jaccard, precision and recall, macro figures,
 * the per-image Jaccard and every class's counts (average precision and the sweeps do not depend on
 * the threshold and are computed once). Target: under 16 ms, one frame at 60 Hz. The reference in the
 * same run is the straightforward version over arrays of rows that a first attempt would write.
 *
 *   npx tsx bench/metrics.bench.ts [--json]
 */
import { averagePrecisions, evaluate, type ScoreMatrix } from '../src/shared/domain/metrics';

const json = process.argv.includes('--json');
const rows = 5000;
const classes = 12;

// A seeded generator so every run measures the same matrix.
let state = 42;
const random = (): number => {
  state = (state * 1664525 + 1013904223) >>> 0;
  return state / 2 ** 32;
};
const labelRows = Array.from({ length: rows }, () => Array.from({ length: classes }, () => (random() < 0.1 ? 1 : 0)));
const scoreRows = labelRows.map((row) => row.map((label) => Math.min(1, Math.max(0, label * 0.5 + random() * 0.6))));
const matrix: ScoreMatrix = {
  classes: Array.from({ length: classes }, (_, j) => `class ${j}`),
  rows,
  labels: Uint8Array.from(labelRows.flat()),
  scores: Float32Array.from(scoreRows.flat()),
};

/** The naive slider update: counts over arrays of rows, one pass per figure. */
function naive(threshold: number): number[] {
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
  return [tp / (tp + 0.5 * (fp + fn)), perClass.reduce((a, b) => a + b) / classes, sample.reduce((a, b) => a + b) / rows];
}

function time(fn: (threshold: number) => unknown): { median: number; p95: number; worst: number } {
  const times: number[] = [];
  for (let round = 0; round < 200; round++) {
    const threshold = 0.01 + (round % 99) / 100;
    const start = performance.now();
    fn(threshold);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, p95: times[Math.floor(times.length * 0.95)]!, worst: times[times.length - 1]! };
}

const apStart = performance.now();
const aps = averagePrecisions(matrix);
const apMs = performance.now() - apStart;
// Warm each path before measuring it; ours first, so the reference's garbage is not collected on our clock.
for (let i = 0; i < 20; i++) evaluate(matrix, i / 20, { sweep: [], averagePrecisions: aps });
const ours = time((t) => evaluate(matrix, t, { sweep: [], averagePrecisions: aps }));
for (let i = 0; i < 5; i++) naive(i / 5);
const reference = time(naive);
const fullStart = performance.now();
evaluate(matrix, 0.5);
const fullMs = performance.now() - fullStart;

const result = {
  images: rows,
  classes,
  sliderMove: { medianMs: ours.median, p95Ms: ours.p95, worstMs: ours.worst, budgetMs: 16, withinBudget: ours.worst < 16 },
  naiveReference: { medianMs: reference.median, p95Ms: reference.p95, worstMs: reference.worst },
  ratio: ours.median / reference.median,
  averagePrecisionsOnceMs: apMs,
  fullEvaluationMs: fullMs,
};
if (json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const ms = (v: number): string => `${v.toFixed(3)} ms`;
  process.stdout.write(
    [
      `Threshold slider, ${rows} images × ${classes} classes`,
      `  one move (all threshold-dependent figures): median ${ms(ours.median)}, p95 ${ms(ours.p95)}, worst of 200 ${ms(ours.worst)}; budget 16 ms → ${result.sliderMove.withinBudget ? 'met' : 'NOT met'}`,
      `  naive reference in the same run:            median ${ms(reference.median)}, p95 ${ms(reference.p95)}, worst ${ms(reference.worst)}; ratio ours/naive ${result.ratio.toFixed(3)}`,
      `  average precision of every class (once):    ${ms(apMs)}`,
      `  full evaluation (AP, sweep of 9, per class): ${ms(fullMs)}`,
    ].join('\n') + '\n',
  );
}

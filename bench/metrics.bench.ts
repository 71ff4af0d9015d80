/**
 * `npm run bench:metrics`: what one move of the Evaluate workspace's threshold slider costs (see
 * metrics-measure.ts). Target: under 16 ms, one frame at 60 Hz.
 *
 * `--quick` times 100 moves instead of 200 and exits 1 when ours costs more than the quick guard's
 * multiple of the plain counting loop (as `npm test` checks).
 *
 *   npx tsx bench/metrics.bench.ts [--json] [--quick]
 */
import { measureSlider, sliderClasses, sliderMaxTimesPlainLoop, sliderRows } from './metrics-measure';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const budgetMs = 16;
const f = measureSlider(quick ? 100 : 200);
const result = {
  images: sliderRows,
  classes: sliderClasses,
  sliderMove: { medianMs: f.ours.median, p95Ms: f.ours.p95, worstMs: f.ours.worst, budgetMs, withinBudget: f.ours.worst < budgetMs },
  naiveReference: { medianMs: f.naive.median, p95Ms: f.naive.p95, worstMs: f.naive.worst },
  plainLoopReference: { medianMs: f.plainLoop.median, p95Ms: f.plainLoop.p95, worstMs: f.plainLoop.worst },
  ratio: f.ours.median / f.naive.median,
  ratioToPlainLoop: f.ours.median / f.plainLoop.median,
  ratioToPlainLoopLimit: sliderMaxTimesPlainLoop,
  averagePrecisionsOnceMs: f.averagePrecisionsOnceMs,
  fullEvaluationMs: f.fullEvaluationMs,
};
if (json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const ms = (v: number): string => `${v.toFixed(3)} ms`;
  process.stdout.write(
    [
      `Threshold slider, ${sliderRows} images × ${sliderClasses} classes`,
      `  one move (all threshold-dependent figures): median ${ms(f.ours.median)}, p95 ${ms(f.ours.p95)}, worst of ${quick ? 100 : 200} ${ms(f.ours.worst)}; budget ${budgetMs} ms → ${result.sliderMove.withinBudget ? 'met' : 'NOT met'}`,
      `  naive reference in the same run:            median ${ms(f.naive.median)}, p95 ${ms(f.naive.p95)}, worst ${ms(f.naive.worst)}; ratio ours/naive ${result.ratio.toFixed(3)}`,
      `  plain counting loop in the same run:        median ${ms(f.plainLoop.median)}; ratio ours/plain loop ${result.ratioToPlainLoop.toFixed(1)} (quick guard's limit ${sliderMaxTimesPlainLoop})`,
      `  average precision of every class (once):    ${ms(f.averagePrecisionsOnceMs)}`,
      `  full evaluation (AP, sweep of 9, per class): ${ms(f.fullEvaluationMs)}`,
    ].join('\n') + '\n',
  );
}
if (result.ratioToPlainLoop > sliderMaxTimesPlainLoop || !result.sliderMove.withinBudget) process.exitCode = 1;

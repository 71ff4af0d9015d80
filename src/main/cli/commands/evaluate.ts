import type { Command } from 'commander';
import { resolve } from 'node:path';
import { AppError } from '../../../shared/contract/errors';
import { writeFileAtomic } from '../../files/atomic-file';
import { formatCalibration, formatMetrics, parseUnit, type CliContext, type GlobalOptions } from '../context';

/** `mlw evaluate`: score a run's images and print its metrics. */
export function register(program: Command, context: CliContext): void {
  const { withApi } = context;

  program
    .command('evaluate')
    .description("score a run's validation images (or another annotated set) and print the example's metrics and ours")
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .option('--threshold <x>', 'a class is predicted when its score is at least this', parseUnit, 0.5)
    .option('--per-class-thresholds', "judge each class at the threshold that maximises its F1 on the run's validation images")
    .option('--calibrated', "scale the scores by the run's temperature (fitted on held-out training images) before every figure")
    .option('--annotations <file>', 'another COCO instances file to score with the run (with --images)')
    .option('--images <dir>', 'the folder of its images')
    .option('--scores-out <file>', 'also write the scores as {"classes", "imageIds", "labels", "scores"} JSON')
    .option(
      '--labels <which>',
      'judge against the labels stored with the scores (run), the file as imported (original), or its labels now with label edits (corrected)',
      'run',
    )
    .action(async (options: EvaluateOptions, command: Command) => {
      if (options.labels !== 'run' && options.labels !== 'original' && options.labels !== 'corrected') {
        throw new AppError('INVALID_INPUT', `--labels is run, original or corrected, not "${options.labels}".`);
      }
      const labels = options.labels;
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        async (api, call) => {
          const other = options.annotations === undefined ? {} : { annotations: resolve(options.annotations) };
          const result = await api.evaluation.evaluate(
            {
              runId: options.run,
              threshold: options.threshold,
              perClassThresholds: options.perClassThresholds === true,
              calibrated: options.calibrated === true,
              labels,
              ...other,
              ...(options.images === undefined ? {} : { images: resolve(options.images) }),
            },
            call,
          );
          if (options.scoresOut !== undefined) {
            const scores = await api.evaluation.scores({ runId: options.run, labels, ...other }, call);
            await writeFileAtomic(
              resolve(options.scoresOut),
              `${JSON.stringify({ classes: scores.classes, imageIds: scores.imageIds, labels: scores.labels, scores: scores.scores })}\n`,
            );
          }
          const { metrics, ...rest } = result;
          return { ...metrics, ...rest };
        },
        (r) =>
          [
            `Run ${r.runId} on ${r.images} ${r.source.validation ? 'validation ' : ''}images (${r.source.annotations})${r.labels === 'run' ? '' : `, judged on the ${r.labels} labels`}:`,
            formatMetrics(r),
            formatCalibration(r),
            ...r.skipped.map((s) => `  skipped (${s.kind}) ${s.path}: ${s.reason}`),
            r.tunedOnSameImages && options.perClassThresholds === true
              ? 'Per-class thresholds were tuned on these same images: the figures are optimistic.'
              : '',
          ]
            .filter((line) => line !== '')
            .join('\n'),
      );
    });
}

interface EvaluateOptions {
  run: string;
  threshold: number;
  perClassThresholds?: boolean;
  calibrated?: boolean;
  annotations?: string;
  images?: string;
  scoresOut?: string;
  labels: string;
}

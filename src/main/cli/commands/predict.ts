import type { Command } from 'commander';
import { resolve } from 'node:path';
import { parseList, parseUnit, table, type CliContext, type GlobalOptions } from '../context';

/** `mlw predict` and `gradcam`: a run's network on new images. */
export function register(program: Command, context: CliContext): void {
  const { withApi } = context;

  program
    .command('predict')
    .description("scores of every class for new images with a run's network, and the predicted labels")
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .argument('<images...>', 'image files (JPEG, PNG, WebP)')
    .option('--threshold <x>', 'a class is predicted when its score is at least this', parseUnit, 0.5)
    .option('--per-class-thresholds', "each class at the threshold that maximises its F1 on the run's validation images")
    .option('--calibrated', "scale the scores by the run's temperature (fitted on held-out training images) before judging the labels")
    .action(async (images: string[], options: PredictOptions, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        async (api, call) => {
          const result = await api.prediction.predict(
            {
              runId: options.run,
              images: images.map((path) => ({ path: resolve(path) })),
              threshold: options.threshold,
              perClassThresholds: options.perClassThresholds === true,
              calibrated: options.calibrated === true,
            },
            call,
          );
          return {
            ...result,
            results: result.results.map((r) =>
              r.ok ? { ...r, scores: Object.fromEntries(result.classes.map((name, j) => [name, r.scores[j]!])) } : r,
            ),
          };
        },
        (r) =>
          [
            ...(r.temperature === null ? [] : [`Scores scaled by the run's temperature ${r.temperature.toFixed(4)}.`]),
            ...r.results.map((image) =>
              image.ok
                ? [
                    `${image.image}: ${image.labels.length === 0 ? '(no class)' : image.labels.join(', ')}`,
                    table(
                      ['class', 'score'],
                      Object.entries(image.scores)
                        .sort((a, b) => b[1] - a[1])
                        .map(([name, score]) => [name, score.toPrecision(5)]),
                    ),
                  ].join('\n')
                : `${image.image}: cannot be read: ${image.error}`,
            ),
          ].join('\n\n'),
      );
    });

  program
    .command('gradcam')
    .description('Grad-CAM overlays of an image for some classes, one PNG per class')
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .argument('<image>', 'an image file')
    .requiredOption('--classes <names>', 'comma-separated classes of the run')
    .requiredOption('--out <dir>', 'where to write the PNG overlays')
    .option('--calibrated', "give each class's score scaled by the run's temperature, as mlw predict --calibrated (the maps are the same)")
    .action(async (image: string, options: { run: string; classes: string; out: string; calibrated?: boolean }, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) =>
          api.prediction.gradcam(
            {
              runId: options.run,
              image: { path: resolve(image) },
              classes: parseList(options.classes),
              outDir: resolve(options.out),
              calibrated: options.calibrated === true,
            },
            call,
          ),
        (r) =>
          [
            `${r.image} (${r.width}×${r.height})${r.temperature === null ? '' : `, scores scaled by temperature ${r.temperature.toFixed(4)}`}:`,
            ...r.classes.map(
              (c) => `  ${c.class}: score ${c.score.toPrecision(4)}, peak at (${c.peak.map((v) => v.toFixed(0)).join(', ')}) → ${c.png}`,
            ),
          ].join('\n'),
      );
    });
}

interface PredictOptions {
  run: string;
  threshold: number;
  perClassThresholds?: boolean;
  calibrated?: boolean;
}

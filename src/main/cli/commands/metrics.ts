import type { Command } from 'commander';
import { resolve } from 'node:path';
import { evaluate } from '../../../shared/domain/metrics';
import { formatMetrics, parseList, parseUnit, type CliContext, type GlobalOptions } from '../context';
import { readMetricsInput } from '../metrics-input';

/** `mlw metrics`: the same metrics for any model's outputs (no API: computed in this process). */
export function register(program: Command, context: CliContext): void {
  const { io } = context;

  program
    .command('metrics')
    .description("compute the same metrics for any model's outputs: label and score files, one row per image, one column per class")
    .requiredOption('--labels <file>', 'JSON array of 0/1 rows')
    .requiredOption('--scores <file>', 'JSON array of score rows')
    .option('--classes <names>', 'comma-separated class names, in column order')
    .option('--threshold <x>', 'a class is predicted when its score is at least this', parseUnit, 0.5)
    .action(async (options: { labels: string; scores: string; classes?: string; threshold: number }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const matrix = await readMetricsInput(
        resolve(options.labels),
        resolve(options.scores),
        options.classes === undefined ? undefined : parseList(options.classes),
      );
      const metrics = evaluate(matrix, options.threshold);
      io.stdout.write(globals.json ? `${JSON.stringify(metrics, null, 2)}\n` : `${formatMetrics(metrics)}\n`);
    });
}

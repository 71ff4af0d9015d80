import type { Command } from 'commander';
import { resolve } from 'node:path';
import { AppError } from '../../../shared/contract/errors';
import { formatBytes } from '../../../shared/domain/format';
import { parseCount, parseList, parseUnit, type CliContext, type GlobalOptions } from '../context';

/** `mlw report`, `export` and `import-model`: a run's HTML report, and its network out of and into the app. */
export function register(program: Command, context: CliContext): void {
  const { withApi } = context;

  program
    .command('report')
    .description('write one self-contained HTML report of a run, with its metrics as FILE.metrics.csv and FILE.metrics.json beside it')
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .option('--compare <run-ids...>', 'other runs to show beside it')
    .option('--threshold <x>', 'a class is predicted when its score is at least this', parseUnit, 0.5)
    .option('--gradcam <n>', 'Grad-CAM tiles of the most confident true positives (0 for none)', parseCount, 4)
    .option(
      '--overwrite',
      'replace existing files at --out even if this app did not write them (a server started with "mlw serve" refuses otherwise)',
    )
    .requiredOption('--out <file>', 'the HTML file to write, such as report.html')
    .action(
      async (
        options: { run: string; compare?: string[]; threshold: number; gradcam: number; out: string; overwrite?: boolean },
        command: Command,
      ) => {
        await withApi(
          command.optsWithGlobals<GlobalOptions>(),
          async (api, call) => {
            const { inline: _inline, ...result } = await api.reports.report(
              {
                runId: options.run,
                compare: (options.compare ?? []).flatMap(parseList),
                threshold: options.threshold,
                gradcamTiles: options.gradcam,
                outPath: resolve(options.out),
                overwrite: options.overwrite === true,
              },
              call,
            );
            return result;
          },
          (r) =>
            [
              `Wrote the report of run ${r.runId} at threshold ${r.threshold}: micro F1 ${r.microF1.toFixed(4)}, macro F1 ${r.macroF1.toFixed(4)}, mAP ${r.mAP === null ? '—' : r.mAP.toFixed(4)}, ${r.gradcamTiles} Grad-CAM tiles.`,
              ...(r.files ? [`  ${r.files.html}`, `  ${r.files.csv}`, `  ${r.files.json}`] : []),
              ...r.notes.map((note) => `  note: ${note}`),
            ].join('\n'),
        );
      },
    );

  program
    .command('export')
    .description(
      "write a run's whole network as one ONNX model or a TensorFlow.js Layers model, with its labels and a README of its preprocessing",
    )
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .option('--format <format>', 'onnx (model.onnx, opset 13, for ONNX Runtime anywhere) or tfjs (a TensorFlow.js Layers folder)', 'tfjs')
    .option('--threshold <x>', 'the threshold the README recommends', parseUnit, 0.5)
    .requiredOption('--out <dir>', 'a new or empty folder (an earlier export there is replaced)')
    .action(async (options: { run: string; format: string; threshold: number; out: string }, command: Command) => {
      const format = options.format;
      if (format !== 'tfjs' && format !== 'onnx') throw new AppError('INVALID_INPUT', `--format must be onnx or tfjs, not "${format}".`);
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) =>
          api.reports.exportModel({ runId: options.run, format, threshold: options.threshold, outDir: resolve(options.out) }, call),
        (r) =>
          `Exported run ${r.runId} (${r.classes.length} classes, ${r.layers} layers, ${formatBytes(r.bytes)}) to ${r.outDir}: ${r.files.join(', ')}.`,
      );
    });

  program
    .command('import-model')
    .description('record a model that "mlw export" wrote (ONNX or TensorFlow.js) as a new run, to evaluate, predict and explain with it')
    .argument('<path>', 'the exported folder (model.onnx or model.json with mlw-export.json), or a model.onnx file')
    .option('--name <name>', 'a name for the run')
    .action(async (dir: string, options: { name?: string }, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.reports.importModel({ dir: resolve(dir), ...(options.name ? { name: options.name } : {}) }, call),
        (r) => `Imported ${r.weightsDir} as run ${r.runId} ("${r.name}", ${r.backbone}, ${r.classes.length} classes).`,
      );
    });
}

import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { AppError } from '../../../shared/contract/errors';
import type { TrainRequest } from '../../../shared/contract/training';
import { formatBytes } from '../../../shared/domain/format';
import { defaultDataDir } from '../../paths';
import { parseCount, parseFloatOption, parseList, table, type CliContext, type GlobalOptions } from '../context';
import { sparseClassesSentence } from '../../../shared/domain/class-coverage';
import { settingsFromOverrides } from '../../../shared/domain/training-overrides';

/** `mlw doctor`, `train`, `models list|download` and `resume`. */
export function register(program: Command, context: CliContext): void {
  const { withApi, servicePath } = context;

  program
    .command('doctor')
    .description('which runtime runs networks forward and which backend trains, why not the better ones, threads and memory')
    .action(async (_options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.training.status({}, call),
        (s) =>
          [
            s.inference.runtime === 'onnxruntime'
              ? `Inference: ONNX Runtime ${s.inference.version ?? ''} (${s.inference.executionProviders.join(', ')}; ${s.inference.threads} thread${s.inference.threads === 1 ? '' : 's'})`
              : `Inference: TensorFlow.js, on the training backend. ${s.inference.reason ?? ''}`.trim(),
            `Training backend: ${s.backend} (${s.threads} thread${s.threads === 1 ? '' : 's'})`,
            ...s.candidates.map((c) => `  ${c.name.padEnd(15)} ${c.reason === null ? 'in use' : c.reason}`),
            `Memory: ${formatBytes(s.memory.freeBytes)} free of ${formatBytes(s.memory.totalBytes)}${s.wasmMemoryLimitBytes ? `; WebAssembly limit ${formatBytes(s.wasmMemoryLimitBytes)}` : ''}`,
            `Node ${s.node} on ${s.platform}`,
            command.optsWithGlobals<GlobalOptions>().server === undefined
              ? `Logs: ${join(resolve(command.optsWithGlobals<GlobalOptions>().cache ?? defaultDataDir()), 'logs')} (desktop.log, serve.log, cli.log; the engine's stderr and every internal error's stack)`
              : "Logs: serve.log in the logs folder of the server's data folder (the engine's stderr and every internal error's stack)",
          ].join('\n'),
      );
    });

  program
    .command('train')
    .description('train a run by transfer learning (the frozen-backbone mode trains the new layer on cached features)')
    .requiredOption('--train-annotations <file>', 'COCO instances file of the training images')
    .requiredOption('--train-images <dir>', 'folder of the training images')
    .requiredOption('--val-annotations <file>', 'COCO instances file of the validation images')
    .requiredOption('--val-images <dir>', 'folder of the validation images')
    .requiredOption('--categories <names>', 'comma-separated category names')
    .option('--backbone <id>', 'mobilenet_v1_0.75, mobilenet_v1_1.0, mobilenet_v2 or resnet50', 'mobilenet_v1_0.75')
    .option(
      '--weights <path>',
      'the backbone weights: a TensorFlow.js Layers folder (model.json), or a Keras .h5 file or a folder holding weights.h5',
    )
    .option('--mode <mode>', 'frozen (train the new layer on cached features) or finetune', 'frozen')
    .option('--epochs <n>', 'epochs (frozen: chosen on held-out training images unless given; finetune default 10)', parseCount)
    .option('--batch <n>', 'mini-batch size (default 32)', parseCount)
    .option('--learn-rate <x>', 'learn rate (frozen: chosen unless given; finetune default 0.0005)', parseFloatOption)
    .option('--l2 <x>', 'L2 regularisation of the weights (frozen: chosen unless given; finetune default 0.0001)', parseFloatOption)
    .option('--validation-frequency <n>', 'iterations between validations (early stopping checks)', parseCount)
    .option('--patience <n>', 'validations without a lower validation loss before training stops', parseCount)
    .option('--seed <n>', 'random seed of the training, so that a run can be repeated', parseCount)
    .option(
      '--no-choose',
      "frozen mode: use the mode's fixed defaults for what is not given, with the example's early stopping on the validation images, instead of choosing the learn rate, L2 and epochs on a held-out fifth of the training images",
    )
    .option('--views <n>', 'augmented views per training image in the frozen mode (default 2)', parseCount)
    .option('--name <name>', 'a name for the run')
    .option('--original-labels', 'train and validate on the labels as the files were imported, ignoring label edits ("mlw labels")')
    .option('--detach', 'with --server: start the training as a job of that server, print its id and return at once')
    .action(async (options: TrainOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const categories = parseList(options.categories);
      if (categories.length === 0) throw new AppError('INVALID_INPUT', 'Name at least one category with --categories, such as "dog,cat".');
      if (options.mode !== 'frozen' && options.mode !== 'finetune')
        throw new AppError('INVALID_INPUT', `--mode must be frozen or finetune, not "${options.mode}".`);
      if (options.detach === true && global.server === undefined) {
        throw new AppError(
          'INVALID_INPUT',
          '--detach starts the training as a job of a running "mlw serve", so it needs --server URL (the address "mlw serve" printed); without --detach, mlw trains in this process.',
        );
      }
      const request: TrainRequest = {
        trainAnnotations: servicePath(global, options.trainAnnotations),
        trainImages: servicePath(global, options.trainImages),
        valAnnotations: servicePath(global, options.valAnnotations),
        valImages: servicePath(global, options.valImages),
        categories,
        backbone: options.backbone,
        mode: options.mode as 'frozen' | 'finetune',
        ...(options.weights ? { weights: servicePath(global, options.weights) } : {}),
        ...(options.name ? { name: options.name } : {}),
        ...(options.views !== undefined ? { augmentedViews: options.views } : {}),
        settings: settingsFromOverrides({
          maxEpochs: options.epochs,
          batchSize: options.batch,
          learnRate: options.learnRate,
          l2Regularization: options.l2,
          validationFrequency: options.validationFrequency,
          validationPatience: options.patience,
          seed: options.seed,
        }),
        ...(options.choose === false ? { chooseSettings: false } : {}),
        ...(options.originalLabels === true ? { originalLabels: true } : {}),
      };
      if (options.detach === true) {
        await withApi(
          global,
          (api, call) =>
            api.jobs.start(
              { method: 'training.train', input: request, ...(options.name ? { title: `Training "${options.name}"` } : {}) },
              call,
            ),
          ({ jobId }) =>
            `Started job ${jobId}: the training runs on the server. "mlw jobs --server URL" shows its progress; "mlw jobs cancel ${jobId} --server URL" stops it.`,
        );
        return;
      }
      await withApi(
        global,
        (api, call) => api.training.train(request, call),
        (r) =>
          [
            `Run ${r.runId}: ${r.mode} on ${r.backend}, ${r.search === null ? 'best validation loss' : 'validation loss'} ${r.bestValidationLoss.toFixed(4)}, ${r.images.train} training and ${r.images.val} validation images, ${r.seconds.toFixed(1)} s.`,
            ...(r.search === null
              ? []
              : [
                  `  chosen on ${r.search.heldOutImages} held-out training images: learn rate ${r.search.chosen.learnRate}, L2 ${r.search.chosen.l2Regularization}, ${r.search.chosen.epochs} epochs (${r.search.tried.length} tried)`,
                ]),
            ...r.skipped.map((s) => `  skipped (${s.kind}) ${s.path}: ${s.reason}`),
            ...(r.sparseClasses.length > 0 ? [`  warning: ${sparseClassesSentence(r.sparseClasses, 'training images')}`] : []),
          ].join('\n'),
      );
    });

  const models = program.command('models').description('backbone weights: list them, or download one');
  models
    .command('list')
    .description('the backbones and whether their weights are in the models folder')
    .action(async (_options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.training.models({}, call),
        (rows) =>
          table(
            ['backbone', 'installed', 'folder'],
            rows.map((r) => [r.id, r.installed ? 'yes' : 'no', r.path]),
          ),
      );
    });
  models
    .command('download')
    .description('download a backbone from its official source (needs internet; an interrupted download resumes)')
    .argument('<backbone>', 'such as mobilenet_v1_0.75')
    .action(async (backbone: string, _options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.training.downloadModel({ backbone }, call),
        (r) => `Downloaded ${r.id}: ${r.files} files, ${formatBytes(r.bytes)}, into ${r.path}.`,
      );
    });

  program
    .command('resume')
    .description('continue a cancelled or crashed run from its last checkpoint')
    .argument('<run-id>', 'the run, as "mlw runs" lists it')
    .action(async (runId: string, _options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.training.resume({ runId }, call),
        (r) =>
          `Run ${r.runId} resumed and finished on ${r.backend}: best validation loss ${r.bestValidationLoss.toFixed(4)}, ${r.seconds.toFixed(1)} s.`,
      );
    });
}

interface TrainOptions {
  trainAnnotations: string;
  trainImages: string;
  valAnnotations: string;
  valImages: string;
  categories: string;
  backbone: string;
  weights?: string;
  mode: string;
  detach?: boolean;
  epochs?: number;
  batch?: number;
  learnRate?: number;
  l2?: number;
  validationFrequency?: number;
  patience?: number;
  seed?: number;
  choose?: boolean;
  views?: number;
  name?: string;
  originalLabels?: boolean;
}

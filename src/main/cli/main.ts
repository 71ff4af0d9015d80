import { Command, CommanderError, Option } from 'commander';
import { join, resolve } from 'node:path';
import type { Api } from '../../shared/contract';
import type { CallOptions } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import { noSuchRun } from '../db/runs-store';
import { defaultDataDir } from '../paths';
import { createServices, type Services } from '../services';
import { createLocalApi } from '../transport/local';
import { appVersion } from '../version';
import { stderrProgress } from './progress';
import { connectToServer } from './server-connection';
import { cancelSentence, formatJobs, jobsNeedServer, listedJob } from './jobs';
import { formatBytes } from '../../shared/domain/format';
import { evaluate, type Metrics } from '../../shared/domain/metrics';
import { writeFileAtomic } from '../files/atomic-file';
import { readMetricsInput } from './metrics-input';
import type { CompareResult } from '../../shared/contract/runs';
import type { TrainRequest } from '../../shared/contract/training';
import { comparisonColumns, comparisonRows, delimitedTable, formatDiffCell } from '../../shared/domain/run-diff';

interface GlobalOptions {
  json?: boolean;
  cache?: string;
  /** A running `mlw serve` to call instead of this process's own services. */
  server?: string;
}

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Where the built renderer is, for `serve`. */
  rendererDir: string;
}

/** Exit codes: 0 done, 1 a problem with the input or the data, 2 a usage error, 130 cancelled. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const controller = new AbortController();
  let interrupted = 0;
  const onSigint = (): void => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    io.stderr.write('\nCancelling… (press Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  let services: Services | undefined;
  let exitCode = 0;

  const withApi = async <T>(
    options: GlobalOptions,
    body: (api: Api, call: CallOptions) => Promise<T>,
    human: (value: T) => string,
  ): Promise<void> => {
    let api: Api & { dispose(): void };
    let server: string | null = null;
    if (options.server === undefined) {
      services ??= createServices({ dataDir: resolve(options.cache ?? defaultDataDir()), host: 'test', logName: 'cli' });
      api = createLocalApi(services.handlers);
    } else {
      const remote = await connectToServer(options.server);
      server = remote.host;
      api = remote;
    }
    const progress = stderrProgress(io.stderr);
    try {
      const value = await body(api, { signal: controller.signal, onProgress: progress.report });
      progress.done();
      io.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
    } catch (error) {
      const appError = AppError.from(error);
      if (server !== null && appError.code === 'TRANSPORT_CLOSED') {
        throw new AppError('TRANSPORT_CLOSED', `The connection to "mlw serve" at ${server} was lost; check that it is still running.`);
      }
      throw error;
    } finally {
      progress.done();
      api.dispose();
    }
  };

  /** A path for the services: as given to this process's own; absolute for a server, whose working folder is another. */
  const servicePath = (options: GlobalOptions, path: string): string => (options.server === undefined ? path : resolve(path));

  const program = new Command()
    .name('mlw')
    .description('Multilabel Workbench from a terminal: the same services as the desktop app.')
    .version(appVersion)
    .option('--json', 'print one JSON document on stdout (progress and messages go to stderr)')
    .option('--cache <dir>', `folder of the SQLite cache and other state (default: ${defaultDataDir()})`)
    .option(
      '--server <url>',
      'call a running "mlw serve" at this address (the URL it printed, with ?token=, or with the token in MLW_SERVE_TOKEN) instead of this machine\'s cache',
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('ingest')
    .description('import a COCO instances JSON file into the cache (unchanged files return at once)')
    .argument('<file>', 'annotation file, such as annotations/instances_train2017.json')
    .option('--images <dir>', 'the folder that holds its images, such as train2017')
    .action(async (file: string, options: { images?: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        global,
        async (api, call) => {
          const result = await api.dataset.ingest(
            { path: servicePath(global, file), ...(options.images ? { imagesDir: servicePath(global, options.images) } : {}) },
            call,
          );
          return {
            fileId: result.fileId,
            path: result.path,
            images: result.images,
            annotations: result.annotations,
            categories: result.categories,
            seconds: result.cached ? 0 : Number(result.seconds.toFixed(3)),
            cached: result.cached,
          };
        },
        (r) =>
          r.cached
            ? `${r.path} is already in the cache and unchanged: ${r.images} images, ${r.annotations} annotations, ${r.categories} categories.`
            : `Imported ${r.images.toLocaleString('en-US')} images, ${r.annotations.toLocaleString('en-US')} annotations and ${r.categories} categories in ${r.seconds.toFixed(1)} s.`,
      );
    });

  program
    .command('categories')
    .description('list the categories of an annotation file with supercategory and image count')
    .argument('<file>', 'annotation file (imported first if the cache lacks it)')
    .action(async (file: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        global,
        async (api, call) => {
          const { fileId } = await api.dataset.ingest({ path: servicePath(global, file) }, call);
          return (await api.dataset.categories({ fileId }, call)).map((c) => ({
            id: c.id,
            name: c.name,
            supercategory: c.supercategory,
            images: c.imageCount,
          }));
        },
        (rows) =>
          table(
            ['id', 'name', 'supercategory', 'images'],
            rows.map((r) => [r.id, r.name, r.supercategory, r.images]),
          ),
      );
    });

  program
    .command('stats')
    .description('images per class and labels per image of a category subset')
    .requiredOption('--annotations <file>', 'annotation file (imported first if the cache lacks it)')
    .requiredOption('--categories <names>', 'comma-separated category names, such as "dog,cat,potted plant"')
    .action(async (options: { annotations: string; categories: string }, command: Command) => {
      const categories = parseList(options.categories);
      if (categories.length === 0) throw new AppError('INVALID_INPUT', 'Name at least one category with --categories, such as "dog,cat".');
      const global = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        global,
        async (api, call) => {
          const { fileId } = await api.dataset.ingest({ path: servicePath(global, options.annotations) }, call);
          return api.dataset.stats({ fileId, categories }, call);
        },
        (s) =>
          [
            `${s.images.toLocaleString('en-US')} unique images contain at least one of the ${categories.length} categories.`,
            '',
            table(['category', 'images'], Object.entries(s.perClass)),
            '',
            table(['labels', 'images'], Object.entries(s.labelsPerImage.histogram)),
            `mean labels per image: ${s.labelsPerImage.mean.toFixed(4)}`,
          ].join('\n'),
      );
    });

  program
    .command('files')
    .description('list the annotation files in the cache')
    .action(async (_options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.dataset.files({}, call),
        (rows) =>
          rows.length === 0
            ? 'The cache has no annotation files yet. Import one with "mlw ingest FILE".'
            : table(
                ['id', 'path', 'images', 'annotations', 'imported'],
                rows.map((r) => [r.fileId, r.path, r.images, r.annotations, r.importedAt]),
              ),
      );
    });

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
    .option('--epochs <n>', 'most epochs (frozen default 300, finetune 10)', parseCount)
    .option('--batch <n>', 'mini-batch size (default 32)', parseCount)
    .option('--learn-rate <x>', 'learn rate (frozen default 0.005, finetune 0.0005)', parseFloatOption)
    .option('--views <n>', 'augmented views per training image in the frozen mode (default 2)', parseCount)
    .option('--name <name>', 'a name for the run')
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
        settings: {
          ...(options.epochs !== undefined ? { maxEpochs: options.epochs } : {}),
          ...(options.batch !== undefined ? { batchSize: options.batch } : {}),
          ...(options.learnRate !== undefined ? { learnRate: options.learnRate } : {}),
        },
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
            `Run ${r.runId}: ${r.mode} on ${r.backend}, best validation loss ${r.bestValidationLoss.toFixed(4)}, ${r.images.train} training and ${r.images.val} validation images, ${r.seconds.toFixed(1)} s.`,
            ...r.skipped.map((s) => `  skipped ${s.path}: ${s.reason}`),
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

  const runsCommand = program
    .command('runs')
    .description('list the recorded training runs (rename or delete one with "mlw runs rename|delete")')
    .action(async (_options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.runs.list({}, call),
        (rows) =>
          rows.length === 0
            ? 'No runs yet. Train one with "mlw train".'
            : table(
                ['run', 'status', 'mode', 'backbone', 'backend', 'val loss', 'micro F1', 'mAP', 'created'],
                rows.map((r) => [
                  r.runId,
                  r.status,
                  r.mode,
                  r.backbone,
                  r.backend ?? '',
                  r.bestValidationLoss?.toFixed(4) ?? '',
                  r.metrics?.microF1.toFixed(4) ?? '',
                  r.metrics === null ? '' : (r.metrics.mAP?.toFixed(4) ?? '—'),
                  r.createdAt,
                ]),
              ),
      );
    });
  runsCommand
    .command('rename')
    .description('give a run another name')
    .argument('<run-id>', 'the run, as "mlw runs" lists it')
    .argument('<name>', 'its new name')
    .action(async (runId: string, name: string, _options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.runs.rename({ runId, name }, call),
        (r) => `Run ${r.runId} is now named "${r.name}".`,
      );
    });
  runsCommand
    .command('delete')
    .description('delete a run: its record, metric history and scores, and its folder (checkpoint, head, backbone, Grad-CAM cache)')
    .argument('<run-id>', 'the run, as "mlw runs" lists it')
    .option('--yes', 'do not ask for confirmation (needed where the terminal cannot ask)')
    .action(async (runId: string, options: { yes?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        globals,
        async (api, call) => {
          if (options.yes !== true) {
            const run = (await api.runs.list({}, call)).find((r) => r.runId === runId);
            if (run === undefined) throw noSuchRun(runId);
            if (!process.stdin.isTTY) {
              throw new AppError(
                'INVALID_INPUT',
                `Not deleting run ${runId} ("${run.name}") without confirmation: this terminal cannot ask. Add --yes to delete it and its folder ${run.runDir}.`,
              );
            }
            const { createInterface } = await import('node:readline/promises');
            const ask = createInterface({ input: process.stdin, output: io.stderr });
            try {
              const answer = await ask.question(
                `Delete run ${runId} ("${run.name}"), its metric history and scores, and its folder ${run.runDir}? This cannot be undone. [y/N] `,
              );
              if (!/^y(es)?$/i.test(answer.trim())) throw new AppError('CANCELLED', 'The operation was cancelled.');
            } finally {
              ask.close();
            }
          }
          return api.runs.delete({ runId }, call);
        },
        (r) =>
          r.folder === null
            ? `Deleted run ${r.runId} ("${r.name}"); it had no folder of its own to remove.`
            : `Deleted run ${r.runId} ("${r.name}") and its folder ${r.folder} (${r.files} files, ${formatBytes(r.bytes)}).`,
      );
    });

  const jobsCommand = program
    .command('jobs')
    .description(
      'the jobs of a running "mlw serve" (with --server): training, imports, evaluations, reports; cancel one with "mlw jobs cancel"',
    )
    .action(async (_options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      if (global.server === undefined) throw jobsNeedServer();
      await withApi(
        global,
        async (api, call) => (await api.jobs.list({}, call)).map(listedJob),
        (jobs) => formatJobs(jobs, table),
      );
    });
  jobsCommand
    .command('cancel')
    .description('ask a job of the server to stop (a training run stays resumable from its last checkpoint)')
    .argument('<job-id>', 'the job, as "mlw jobs" lists it')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      if (global.server === undefined) throw jobsNeedServer();
      await withApi(
        global,
        async (api, call) => listedJob(await api.jobs.cancel({ jobId }, call)),
        (job) => cancelSentence(job),
      );
    });

  program
    .command('compare')
    .description('compare runs side by side: the settings that differ, and the metrics of each run and class at its threshold')
    .argument('<run-ids...>', '2 to 8 runs, as "mlw runs" lists them; deltas are against the first')
    .option('--threshold <x[,x…]>', 'one threshold for every run, or one per run in the same order', '0.5')
    .option('--csv <file>', 'also write the metrics table (a row per run, then per class) as CSV')
    .action(async (runIds: string[], options: { threshold: string; csv?: string }, command: Command) => {
      const thresholds = parseList(options.threshold).map(parseUnit);
      if (thresholds.length === 0) throw new AppError('INVALID_INPUT', 'Give --threshold a value between 0 and 1, such as 0.5.');
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        async (api, call) => {
          const { histories: _histories, ...result } = await api.runs.compare(
            { runIds, thresholds: thresholds.length === 1 ? thresholds[0]! : thresholds },
            call,
          );
          if (options.csv !== undefined) await writeFileAtomic(resolve(options.csv), comparisonCsv(result.runs, result.metrics));
          return result;
        },
        (r) => formatComparison(r),
      );
    });

  program
    .command('evaluate')
    .description("score a run's validation images (or another annotated set) and print the example's metrics and ours")
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .option('--threshold <x>', 'a class is predicted when its score is at least this', parseUnit, 0.5)
    .option('--per-class-thresholds', "judge each class at the threshold that maximises its F1 on the run's validation images")
    .option('--annotations <file>', 'another COCO instances file to score with the run (with --images)')
    .option('--images <dir>', 'the folder of its images')
    .option('--scores-out <file>', 'also write the scores as {"classes", "imageIds", "labels", "scores"} JSON')
    .action(async (options: EvaluateOptions, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        async (api, call) => {
          const other = options.annotations === undefined ? {} : { annotations: resolve(options.annotations) };
          const result = await api.evaluation.evaluate(
            {
              runId: options.run,
              threshold: options.threshold,
              perClassThresholds: options.perClassThresholds === true,
              ...other,
              ...(options.images === undefined ? {} : { images: resolve(options.images) }),
            },
            call,
          );
          if (options.scoresOut !== undefined) {
            const scores = await api.evaluation.scores({ runId: options.run, ...other }, call);
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
            `Run ${r.runId} on ${r.images} ${r.source.validation ? 'validation ' : ''}images (${r.source.annotations}):`,
            formatMetrics(r),
            ...r.skipped.map((s) => `  skipped ${s.path}: ${s.reason}`),
            r.tunedOnSameImages && options.perClassThresholds === true
              ? 'Per-class thresholds were tuned on these same images: the figures are optimistic.'
              : '',
          ]
            .filter((line) => line !== '')
            .join('\n'),
      );
    });

  program
    .command('predict')
    .description("scores of every class for new images with a run's network, and the predicted labels")
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .argument('<images...>', 'image files (JPEG, PNG, WebP)')
    .option('--threshold <x>', 'a class is predicted when its score is at least this', parseUnit, 0.5)
    .option('--per-class-thresholds', "each class at the threshold that maximises its F1 on the run's validation images")
    .action(async (images: string[], options: { run: string; threshold: number; perClassThresholds?: boolean }, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        async (api, call) => {
          const result = await api.prediction.predict(
            {
              runId: options.run,
              images: images.map((path) => ({ path: resolve(path) })),
              threshold: options.threshold,
              perClassThresholds: options.perClassThresholds === true,
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
          r.results
            .map((image) =>
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
            )
            .join('\n\n'),
      );
    });

  program
    .command('gradcam')
    .description('Grad-CAM overlays of an image for some classes, one PNG per class')
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .argument('<image>', 'an image file')
    .requiredOption('--classes <names>', 'comma-separated classes of the run')
    .requiredOption('--out <dir>', 'where to write the PNG overlays')
    .action(async (image: string, options: { run: string; classes: string; out: string }, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) =>
          api.prediction.gradcam(
            { runId: options.run, image: { path: resolve(image) }, classes: parseList(options.classes), outDir: resolve(options.out) },
            call,
          ),
        (r) =>
          [
            `${r.image} (${r.width}×${r.height}):`,
            ...r.classes.map(
              (c) => `  ${c.class}: score ${c.score.toPrecision(4)}, peak at (${c.peak.map((v) => v.toFixed(0)).join(', ')}) → ${c.png}`,
            ),
          ].join('\n'),
      );
    });

  program
    .command('report')
    .description('write one self-contained HTML report of a run, with its metrics as FILE.metrics.csv and FILE.metrics.json beside it')
    .requiredOption('--run <run-id>', 'the run, as "mlw runs" lists it')
    .option('--compare <run-ids...>', 'other runs to show beside it')
    .option('--threshold <x>', 'a class is predicted when its score is at least this', parseUnit, 0.5)
    .option('--gradcam <n>', 'Grad-CAM tiles of the most confident true positives (0 for none)', parseCount, 4)
    .requiredOption('--out <file>', 'the HTML file to write, such as report.html')
    .action(async (options: { run: string; compare?: string[]; threshold: number; gradcam: number; out: string }, command: Command) => {
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
    });

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

  program
    .command('serve')
    .description('serve the app to a browser: the renderer and its RPC on one port (loopback and a token by default)')
    .addOption(new Option('--port <n>', 'port, 0 for any free one').default('5178').argParser(parsePort))
    .option('--host <address>', 'address to listen on; anything but loopback exposes your data to the network', '127.0.0.1')
    .action(async (options: { port: number | string; host: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      if (global.server !== undefined) {
        throw new AppError('INVALID_INPUT', '"mlw serve" serves this machine\'s cache (--cache); it cannot be combined with --server.');
      }
      const { startServer } = await import('../server/serve');
      const dataDir = resolve(global.cache ?? defaultDataDir());
      services = createServices({ dataDir, host: 'serve', logName: 'serve' });
      const server = await startServer({
        services,
        rendererDir: io.rendererDir,
        host: options.host,
        port: typeof options.port === 'number' ? options.port : parsePort(options.port),
        ...(process.env.MLW_SERVE_TOKEN ? { token: process.env.MLW_SERVE_TOKEN } : {}),
      });
      if (!['127.0.0.1', '::1', 'localhost'].includes(options.host)) {
        io.stderr.write(`Warning: listening on ${options.host}; anyone who can reach it and has the token can read your data.\n`);
      }
      if (global.json) {
        io.stdout.write(`${JSON.stringify({ url: server.url, host: server.host, port: server.port, dataDir })}\n`);
      } else {
        io.stdout.write(`Multilabel Workbench is serving ${dataDir}\nOpen ${server.url}\nPress Ctrl-C to stop.\n`);
      }
      await new Promise<void>((resolvePromise) => controller.signal.addEventListener('abort', () => resolvePromise(), { once: true }));
      // Jobs belong to this process: say which stop with it (a training run can be resumed from its last checkpoint).
      const running = services.jobs.active();
      if (running.length > 0) {
        io.stderr.write(
          `Stopping ${running.length} job${running.length === 1 ? '' : 's'}: ${running.map((j) => `${j.title}${j.runId ? ` (run ${j.runId}; "mlw resume ${j.runId}" continues it from its last checkpoint)` : ''}`).join('; ')}.\n`,
        );
        await services.jobs.cancelAll();
      }
      await server.close();
    });

  try {
    await program.parseAsync(['node', 'mlw', ...argv]);
  } catch (error) {
    exitCode = reportError(error, program.opts<GlobalOptions>().json === true, io);
  } finally {
    process.off('SIGINT', onSigint);
    services?.close();
  }
  return exitCode;
}

function reportError(error: unknown, json: boolean, io: CliIo): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    // Commander has already explained the usage on stderr; scripts still get their one document.
    if (json) {
      const message = error.message.replace(/^error: /, '');
      io.stdout.write(`${JSON.stringify({ error: { code: 'INVALID_INPUT', message } }, null, 2)}\n`);
    }
    return 2;
  }
  const appError = AppError.from(error);
  if (json) io.stdout.write(`${JSON.stringify({ error: appError.toJSON() }, null, 2)}\n`);
  if (appError.code === 'CANCELLED') {
    io.stderr.write('Cancelled; nothing was changed.\n');
    return 130;
  }
  io.stderr.write(`mlw: ${appError.message}\n`);
  if (appError.code === 'INTERNAL') {
    io.stderr.write('This looks like a bug in Multilabel Workbench; set MLW_DEBUG=1 to see the stack trace.\n');
    if (process.env.MLW_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  }
  return 1;
}

function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

interface EvaluateOptions {
  run: string;
  threshold: number;
  perClassThresholds?: boolean;
  annotations?: string;
  images?: string;
  scoresOut?: string;
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
  views?: number;
  name?: string;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new AppError('INVALID_INPUT', `"${value}" is not a whole number.`);
  return n;
}

function parseFloatOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new AppError('INVALID_INPUT', `"${value}" is not a positive number.`);
  return n;
}

function parseUnit(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new AppError('INVALID_INPUT', `"${value}" is not a threshold between 0 and 1.`);
  return n;
}

/** The headline figures, then one line per class. */
function formatMetrics(m: Metrics): string {
  const f = (v: number | null): string => (v === null ? '—' : v.toFixed(4));
  return [
    `At threshold ${m.threshold}: micro F1 ${f(m.microF1)}, Jaccard (per class, as the example) ${f(m.jaccard)}, precision ${f(m.precision)}, recall ${f(m.recall)}`,
    `macro F1 ${f(m.macroF1)}, per-image Jaccard ${f(m.sampleJaccard)}, mAP ${f(m.mAP)}`,
    table(
      ['class', 'AP', 'precision', 'recall', 'F1', 'TP', 'FP', 'FN', 'TN'],
      m.perClass.map((c) => [c.class, f(c.ap), f(c.precision), f(c.recall), f(c.f1), c.tp, c.fp, c.fn, c.tn]),
    ),
  ].join('\n');
}

/** The metrics table of `mlw compare --csv` (and the Runs workspace's Save CSV). */
function comparisonCsv(runs: CompareResult['runs'], metrics: CompareResult['metrics']): string {
  const rows = comparisonRows(
    runs.map((run, i) => ({ runId: run.runId, name: run.name, threshold: metrics[i]?.threshold ?? 0.5, metrics: metrics[i] ?? null })),
  );
  return delimitedTable(comparisonColumns, rows, 'csv');
}

/** The runs, the settings that differ, the metrics of each run, and each class's F1 with its change against the first run. */
function formatComparison(r: Omit<CompareResult, 'histories'>): string {
  const f = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(4));
  const delta = (v: number): string => (Number(v.toFixed(4)) === 0 ? '±0.0000' : `${v > 0 ? '+' : '−'}${Math.abs(v).toFixed(4)}`);
  const ids = r.runs.map((run) => run.runId);
  const baseline = r.metrics[0];
  const classes = [...new Set(r.metrics.flatMap((m) => m?.perClass.map((c) => c.class) ?? []))];
  return [
    table(
      ['run', 'name', 'mode', 'backbone', 'backend', 'created'],
      r.runs.map((run) => [run.runId, run.name, run.mode, run.backbone, run.backend ?? '', run.createdAt]),
    ),
    '',
    r.diff.length === 0
      ? `Identical settings: all ${r.settings} are the same.`
      : [
          `Settings that differ (${r.diff.length} of ${r.settings}):`,
          table(
            ['setting', ...ids],
            r.diff.map((row) => [row.key, ...row.values.map(formatDiffCell)]),
          ),
        ].join('\n'),
    '',
    "Metrics at each run's threshold:",
    table(
      ['run', 'threshold', 'micro F1', 'Jaccard', 'precision', 'recall', 'mAP'],
      r.runs.map((run, i) => {
        const m = r.metrics[i];
        return m === null || m === undefined
          ? [run.runId, '—', '—', '—', '—', '—', 'no validation scores']
          : [run.runId, String(m.threshold), f(m.microF1), f(m.jaccard), f(m.precision), f(m.recall), f(m.mAP)];
      }),
    ),
    ...(classes.length === 0
      ? []
      : [
          '',
          `F1 per class (Δ against ${ids[0]}):`,
          table(
            ['class', ...r.runs.flatMap((run, i) => (i === 0 ? [run.runId] : [run.runId, 'Δ']))],
            classes.map((name) => {
              const base = baseline?.perClass.find((c) => c.class === name);
              return [
                name,
                ...r.metrics.flatMap((m, i) => {
                  const c = m?.perClass.find((p) => p.class === name);
                  if (i === 0) return [f(c?.f1)];
                  return [f(c?.f1), c === undefined || base === undefined ? '' : delta(c.f1 - base.f1)];
                }),
              ];
            }),
          ),
        ]),
  ].join('\n');
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AppError('INVALID_INPUT', `"${value}" is not a port number (0 to 65535).`);
  return port;
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (typeof rows[0]?.[i] === 'number' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

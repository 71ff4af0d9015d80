import { runCalibration } from './run-calibration';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { HandlerContext, Progress, ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import { trainRequest, type trainingContract, type trainResult } from '../../shared/contract/training';
import type { z } from 'zod';
import type { Db } from '../db/connection';
import type { RunsStore } from '../db/runs-store';
import {
  startEngine,
  frozenTraining,
  heldOutFraction,
  searchGrid,
  exampleTraining,
  finetuneFits,
  backbones,
  backboneSpec,
  h5WeightsFile,
  locateWeights,
  readCheckpoint,
  readStateFile,
  downloadLayersModel,
  downloadWeightsFile,
  type EngineSpawner,
  type TrainingSettings,
  type BackboneSpec,
} from '../engine';
import { writeFileAtomic } from '../files/atomic-file';
import type { DatasetService } from './dataset-service';
import { imagesPerClass, sparseClasses } from '../../shared/domain/class-coverage';
import { subsetImages, type SubsetImages } from './subset-images';

type TrainingHandlers = ServiceHandlers<typeof trainingContract>;
type ParsedTrainRequest = z.output<typeof trainRequest>;

interface Prepared {
  spec: BackboneSpec;
  weightsDir: string;
  train: SubsetImages;
  val: SubsetImages;
  settings: TrainingSettings;
  /** What the frozen mode's search chooses on held-out training images; null: nothing. */
  choose: { learnRate: boolean; l2Regularization: boolean; maxEpochs: boolean } | null;
}

/**
 * Training runs: prepares the subset (the example's prepareData on the train and validation
 * files), runs the engine in its own process, records the run, its metric history and its
 * validation scores in SQLite, and keeps the trained head in the run's folder.
 */
export class TrainingService implements TrainingHandlers {
  /** Runs this process is training now. */
  private readonly active = new Set<string>();

  constructor(
    private readonly options: { db: Db; runs: RunsStore; dataDir: string; dataset: DatasetService; spawnEngine?: EngineSpawner },
  ) {}

  defaults: TrainingHandlers['defaults'] = async () => ({
    modes: { frozen: frozenTraining, finetune: exampleTraining },
    augmentedViews: 2,
    search: { heldOutFraction, learnRate: [...searchGrid.learnRate], l2Regularization: [...searchGrid.l2Regularization] },
    backbones: Object.values(backbones).map((b) => ({ id: b.id, title: b.title, inputSize: b.preprocessing.size })),
  });

  models: TrainingHandlers['models'] = async () =>
    Object.values(backbones).map((b) => {
      const path = join(this.options.dataDir, 'models', b.id);
      // Installed as the download leaves it (model.json, or weights.h5) or as a user put it there.
      const weights = locateWeights(path);
      return { id: b.id, title: b.title, installed: weights !== null, path, source: b.source, format: weights?.format ?? b.format };
    });

  downloadModel: TrainingHandlers['downloadModel'] = async ({ backbone }, context) => {
    const spec = backboneSpec(backbone in backbones ? backbone : unknownBackbone(backbone));
    const path = join(this.options.dataDir, 'models', spec.id);
    const common = { signal: context.signal, onProgress: context.progress };
    const result =
      spec.format === 'keras-h5'
        ? await downloadWeightsFile(spec.source, path, {
            ...common,
            fileName: h5WeightsFile,
            ...(spec.digests.md5 ? { md5: spec.digests.md5 } : {}),
            ...(spec.digests.sha256?.[h5WeightsFile] ? { sha256: spec.digests.sha256[h5WeightsFile] } : {}),
          })
        : await downloadLayersModel(spec.source, path, { ...common, ...(spec.digests.sha256 ? { checksums: spec.digests.sha256 } : {}) });
    return { id: spec.id, path, ...result };
  };

  status: TrainingHandlers['status'] = async () => {
    const engine = startEngine(this.options.spawnEngine);
    try {
      return await engine.api.engine.status({});
    } finally {
      engine.close();
    }
  };

  history: TrainingHandlers['history'] = async ({ runId }) => {
    this.options.runs.get(runId);
    return this.options.runs.history(runId);
  };

  train: TrainingHandlers['train'] = async (input, context) => this.newRun(trainRequest.parse(input), context);

  /** Records a new run and trains it; `context.setRun` learns its id as soon as it has one. */
  private async newRun(request: ParsedTrainRequest, context: HandlerContext & { setRun?: (runId: string) => void }) {
    const prepared = await this.prepare(request, context);
    const engine = startEngine(this.options.spawnEngine);
    // Until execute takes the engine (and closes it when done), it is closed here.
    let handedOver = false;
    try {
      // A refusal is not a run: what the engine would refuse before training is refused before the run is recorded.
      if (request.mode === 'finetune') {
        const { backend } = await engine.api.engine.status({});
        const fit = finetuneFits(prepared.spec.id, backend, prepared.settings.batchSize);
        if (!fit.fits)
          throw new AppError('OUT_OF_MEMORY', fit.message, { largestBatch: fit.largestBatch, estimateBytes: fit.estimateBytes });
      }
      const runId = `run-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-${randomBytes(3).toString('hex')}`;
      const runDir = join(this.options.dataDir, 'runs', runId);
      await mkdir(runDir, { recursive: true });
      const { train, val, spec, settings, weightsDir } = prepared;
      const perClass = imagesPerClass(train.labels, train.classes.length);
      const sparse = sparseClasses(train.classes, (name) => perClass[train.classes.indexOf(name)] ?? 0);
      // Which label edits the run trained and was validated on (a resumed run builds its subsets again
      // and may see newer ones: the record keeps those of its start).
      const dataset = {
        train: { annotations: train.annotations, images: request.trainImages, count: train.paths.length, labelEdits: train.labelEdits },
        val: { annotations: val.annotations, images: request.valImages, count: val.paths.length, labelEdits: val.labelEdits },
        categories: train.classes,
        // The run's record keeps its warning: classes with no or very few training images.
        ...(sparse.length > 0 ? { sparseClasses: sparse } : {}),
      };
      // Augmented views are the frozen mode's (cached features of augmented copies); fine-tuning augments every batch instead.
      const { augmentedViews, ...rest } = request;
      const recorded = request.mode === 'frozen' ? { ...rest, augmentedViews } : rest;
      this.options.runs.insert({
        id: runId,
        name: request.name ?? `${spec.title}, ${request.mode}`,
        status: 'running',
        createdAt: new Date().toISOString(),
        mode: request.mode,
        backbone: spec.id,
        config: { ...recorded, weights: weightsDir, settings, choose: prepared.choose },
        dataset,
        runDir,
      });
      context.setRun?.(runId);
      handedOver = true;
      return { ...(await this.execute(runId, runDir, request, prepared, false, context, engine)), sparseClasses: sparse };
    } finally {
      if (!handedOver) engine.close();
    }
  }

  resume: TrainingHandlers['resume'] = async ({ runId }, context: HandlerContext & { setRun?: (runId: string) => void }) => {
    const row = this.options.runs.get(runId);
    context.setRun?.(runId);
    if (row.status === 'completed') throw new AppError('INVALID_INPUT', `Run ${runId} has already completed; there is nothing to resume.`);
    if (this.active.has(runId)) throw new AppError('INVALID_INPUT', `Run ${runId} is still running.`);
    const checkpointPath = join(row.runDir, 'checkpoint.json');
    if (!existsSync(checkpointPath)) {
      throw new AppError(
        'NOT_FOUND',
        `Run ${runId} stopped before its first validation, so it has no checkpoint to resume from. Start a new run with the same settings.`,
      );
    }
    const request = trainRequest.parse(row.config);
    const prepared = await this.prepare(request, context);
    const { iteration } =
      request.mode === 'finetune' ? await readStateFile<{ iteration: number }>(checkpointPath) : await readCheckpoint(checkpointPath);
    // History after the checkpoint is replayed by the resumed run.
    this.options.runs.restart(runId, iteration);
    return this.execute(runId, row.runDir, request, prepared, true, context);
  };

  /** Validates a request and builds its subsets (the example's prepareData on both files). */
  private async prepare(request: ParsedTrainRequest, context: HandlerContext): Promise<Prepared> {
    const spec = backboneSpec(request.backbone in backbones ? request.backbone : unknownBackbone(request.backbone));
    // A Layers folder (model.json), a folder holding weights.h5, or a Keras .h5 file; the engine loads either.
    const weightsDir = resolve(request.weights ?? join(this.options.dataDir, 'models', spec.id));
    const weights = locateWeights(weightsDir);
    if (weights === null) {
      const expected =
        spec.format === 'keras-h5'
          ? `a Keras .h5 weights file of ${spec.title} (${spec.source.split('/').pop()}) or a TensorFlow.js Layers folder of it`
          : 'a TensorFlow.js Layers model folder (model.json and shards), such as ../shared/models/mobilenet_v1_0.75_224';
      throw new AppError(
        'NOT_FOUND',
        `No ${spec.title} weights at ${weightsDir} (neither model.json nor ${h5WeightsFile}). With internet, run "mlw models download ${spec.id}" (or Download in the Train workspace); otherwise point --weights at ${expected}.`,
        // The message speaks to the command line; the app words its own from these (Download, or a folder to choose).
        { missingWeights: { backbone: spec.id, title: spec.title, path: weightsDir, given: request.weights !== undefined } },
      );
    }
    if (weights.format === 'keras-h5' && spec.build === undefined) {
      throw new AppError(
        'INVALID_INPUT',
        `${weights.path} is a Keras .h5 file, but ${spec.title} is only read from a TensorFlow.js Layers folder (model.json and shards). Point --weights at such a folder.`,
      );
    }
    const { db, dataset } = this.options;
    const train = await subsetImages(
      db,
      dataset,
      {
        annotations: request.trainAnnotations,
        imagesDir: request.trainImages,
        categories: request.categories,
        role: 'training',
        originalLabels: request.originalLabels,
      },
      context,
    );
    const val = await subsetImages(
      db,
      dataset,
      {
        annotations: request.valAnnotations,
        imagesDir: request.valImages,
        categories: request.categories,
        role: 'validation',
        originalLabels: request.originalLabels,
      },
      context,
    );
    const settings: TrainingSettings = { ...(request.mode === 'frozen' ? frozenTraining : exampleTraining), ...request.settings };
    return { spec, weightsDir, train, val, settings, choose: request.choose ?? choiceOf(request) };
  }

  /** Runs the engine for a recorded run, records its history and outcome. */
  private async execute(
    runId: string,
    runDir: string,
    request: ParsedTrainRequest,
    { spec, weightsDir, train, val, settings, choose }: Prepared,
    resume: boolean,
    context: HandlerContext,
    engineStarted?: ReturnType<typeof startEngine>,
  ): Promise<z.input<typeof trainResult>> {
    const runs = this.options.runs;
    const recordMetric = runs.metricWriter(runId);
    const started = performance.now();
    const engine = engineStarted ?? startEngine(this.options.spawnEngine);
    this.active.add(runId);
    try {
      const call = {
        signal: context.signal,
        onProgress: (progress: Progress) => {
          const m = progress.metrics;
          if (m?.trainLoss !== undefined && m.trainRmse !== undefined) {
            recordMetric({
              iteration: progress.done,
              epoch: m.epoch ?? 0,
              trainLoss: m.trainLoss,
              trainRmse: m.trainRmse,
              valLoss: m.valLoss ?? null,
              valRmse: m.valRmse ?? null,
            });
          }
          context.progress(progress);
        },
      };
      const common = {
        backbone: spec.id,
        weightsDir,
        classes: train.classes.length,
        train: { paths: train.paths, labels: train.labels },
        val: { paths: val.paths, labels: val.labels },
        settings,
      };
      const result =
        request.mode === 'finetune'
          ? {
              ...(await engine.api.engine.trainFinetune(
                { ...common, outputDir: join(runDir, 'backbone'), checkpointPath: join(runDir, 'checkpoint.json'), resume },
                call,
              )),
              // Fine-tuning chooses nothing on held-out images.
              search: null,
              heldOut: null,
            }
          : await engine.api.engine.trainFrozen(
              {
                ...common,
                augmentedViews: request.augmentedViews,
                cacheDir: this.options.dataDir,
                checkpointPath: join(runDir, 'checkpoint.json'),
                resume,
                choose,
              },
              call,
            );
      const c = train.classes.length;
      const keptIds = result.valKept.map((i) => val.imageIds[i]!);
      const keptLabels = new Float32Array(result.valKept.length * c);
      result.valKept.forEach((row, i) => keptLabels.set(val.labels.subarray(row * c, (row + 1) * c), i * c));
      await writeFileAtomic(
        join(runDir, 'head.json'),
        JSON.stringify({
          backbone: spec.id,
          // A fine-tuned run keeps its own backbone beside the head.
          weightsDir: request.mode === 'finetune' ? join(runDir, 'backbone') : weightsDir,
          classes: train.classes,
          featureSize: spec.featureSize,
          weights: [...result.weights],
          bias: [...result.bias],
        }),
      );
      if (result.search !== null && result.heldOut !== null) {
        // What the frozen mode chose on held-out training images, and the temperature fitted there.
        runs.saveSearch(runId, result.search, runCalibration(result.heldOut, train.classes));
      }
      runs.saveScores(runId, {
        classes: train.classes,
        imageIds: Buffer.from(Float64Array.from(keptIds).buffer),
        labels: Buffer.from(keptLabels.buffer),
        scores: Buffer.from(result.valScores.buffer, result.valScores.byteOffset, result.valScores.byteLength),
      });
      const seconds = (performance.now() - started) / 1000;
      runs.finish(runId, {
        status: 'completed',
        finishedAt: new Date().toISOString(),
        backend: result.backend,
        bestValidationLoss: result.bestValidationLoss,
        bestIteration: result.bestIteration,
        iterations: result.iterations,
        secondsFeatures: result.seconds.features,
        secondsTraining: result.seconds.training,
        secondsTotal: seconds,
        error: null,
      });
      return {
        runId,
        mode: request.mode,
        backend: result.backend,
        bestValidationLoss: result.bestValidationLoss,
        images: { train: result.trainKept, val: result.valKept.length },
        skipped: result.skipped,
        seconds,
        search: result.search,
      };
    } catch (error) {
      const appError = AppError.from(error);
      const status = appError.code === 'CANCELLED' ? 'cancelled' : 'failed';
      runs.finish(runId, {
        status,
        finishedAt: new Date().toISOString(),
        backend: null,
        bestValidationLoss: null,
        bestIteration: null,
        iterations: null,
        secondsFeatures: null,
        secondsTraining: null,
        secondsTotal: (performance.now() - started) / 1000,
        error: appError.message,
      });
      throw appError;
    } finally {
      this.active.delete(runId);
      engine.close();
    }
  }
}

function unknownBackbone(id: string): never {
  throw new AppError('INVALID_INPUT', `There is no backbone "${id}". Choose one of: ${Object.keys(backbones).join(', ')}.`);
}

/**
 * What a frozen run's search chooses: the learn rate, L2 and epochs the request leaves unset;
 * null where it sets them all, asks for none, or fine-tunes.
 */
function choiceOf(request: ParsedTrainRequest): Prepared['choose'] {
  if (request.mode !== 'frozen' || request.chooseSettings === false) return null;
  const choose = {
    learnRate: request.settings.learnRate === undefined,
    l2Regularization: request.settings.l2Regularization === undefined,
    maxEpochs: request.settings.maxEpochs === undefined,
  };
  return Object.values(choose).some(Boolean) ? choose : null;
}

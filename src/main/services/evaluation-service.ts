import { resolve } from 'node:path';
import type { HandlerContext, ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import type { evaluationContract, JudgedLabels, RunScores } from '../../shared/contract/evaluation';
import { calibrationFigures, withTemperature } from '../../shared/domain/calibration';
import { appliedThresholds, evaluate, tunedThresholds, type ScoreMatrix } from '../../shared/domain/metrics';
import { labelsOfImages } from '../coco/queries';
import type { Db } from '../db/connection';
import type { RunsStore, StoredScores } from '../db/runs-store';
import { startEngine, type EngineSpawner } from '../engine';
import type { DatasetService } from './dataset-service';
import { readRunNetwork } from './run-files';
import { temperatureAsked } from './run-temperature';
import { subsetImages } from './subset-images';

type EvaluationHandlers = ServiceHandlers<typeof evaluationContract>;

/** A stored matrix in the shape the metrics take, with where its images came from. */
export interface LoadedScores {
  matrix: ScoreMatrix & { labels: Float32Array; scores: Float32Array };
  imageIds: Float64Array;
  source: RunScores['source'];
  skipped: { path: string; reason: string }[];
}

/**
 * Evaluation of runs: reads the score matrix a run stored for its validation images and computes the
 * example's metrics and ours with the shared pure functions (the renderer uses the same ones live).
 */
export class EvaluationService implements EvaluationHandlers {
  constructor(
    private readonly options: { db: Db; runs: RunsStore; dataDir: string; dataset: DatasetService; spawnEngine?: EngineSpawner },
  ) {}

  scores: EvaluationHandlers['scores'] = async ({ runId, annotations, labels }) => {
    const loaded = this.judgedOn(annotations === undefined ? this.load(runId) : this.loadSet(runId, annotations), labels);
    const { matrix, imageIds, source } = loaded;
    const c = matrix.classes.length;
    const rows = (values: Float32Array, toNumber: (v: number) => number): number[][] =>
      Array.from({ length: matrix.rows }, (_, i) => Array.from(values.subarray(i * c, (i + 1) * c), toNumber));
    return {
      runId,
      classes: [...matrix.classes],
      imageIds: Array.from(imageIds),
      fileNames: this.fileNames(source.fileId, imageIds),
      labels: rows(matrix.labels, (v) => (v > 0 ? 1 : 0)),
      // float32 scores printed as the shortest decimal that reads back to the same float32.
      scores: rows(matrix.scores, (v) => Number(Math.fround(v).toPrecision(9))),
      source,
    };
  };

  evaluate: EvaluationHandlers['evaluate'] = async (request, context) => {
    if ((request.annotations === undefined) !== (request.images === undefined)) {
      throw new AppError(
        'INVALID_INPUT',
        'Give both --annotations and --images to score another annotated set, or neither for the validation images.',
      );
    }
    const run = this.options.runs.get(request.runId);
    const temperature = temperatureAsked(run, request.calibrated, 'Evaluate it');
    // Every figure, the tuned thresholds included, of the scores scaled by the run's temperature when asked.
    const scaled = (matrix: ScoreMatrix): ScoreMatrix => (temperature === null ? matrix : withTemperature(matrix, temperature));
    // Thresholds are tuned on the run's validation images: for another set they are held out. An
    // imported model has no validation images; it can still be judged on a set at one threshold.
    const needValidation = request.annotations === undefined || request.perClassThresholds;
    const validation = needValidation ? this.load(request.runId, request.annotations === undefined) : this.loadIfStored(request.runId);
    const loaded = this.judgedOn(
      request.annotations === undefined ? validation! : await this.scoreSet(request.runId, request.annotations, request.images!, context),
      request.labels,
    );
    const judged = scaled(loaded.matrix);
    const tuned =
      validation === null
        ? []
        : tunedThresholds(
            request.annotations === undefined ? judged : scaled(this.judgedOn(validation, request.labels).matrix),
            request.threshold,
          );
    const metrics = evaluate(
      judged,
      request.threshold,
      request.perClassThresholds ? { perClassThresholds: appliedThresholds(tuned, request.threshold) } : {},
    );
    const { ece, validationLoss, eceByClass, reliability } = calibrationFigures(judged);
    return {
      runId: request.runId,
      images: loaded.matrix.rows,
      source: loaded.source,
      labels: request.labels ?? 'run',
      metrics,
      tunedThresholds: tuned,
      tunedOnSameImages: loaded.source.validation,
      skipped: loaded.skipped,
      ece,
      validationLoss,
      eceByClass,
      reliability,
      temperature,
      calibration: run.calibration,
    };
  };

  /** Scores another annotated set with the run's network in the engine, and stores the matrix with the run. */
  private async scoreSet(runId: string, annotations: string, images: string, context: HandlerContext): Promise<LoadedScores> {
    const { db, runs, dataset, dataDir } = this.options;
    const run = runs.get(runId);
    const network = await readRunNetwork(run);
    const subset = await subsetImages(
      db,
      dataset,
      { annotations, imagesDir: images, categories: network.classes, role: 'evaluation' },
      context,
    );
    const engine = startEngine(this.options.spawnEngine);
    let scored;
    try {
      scored = await engine.api.engine.score(
        {
          network,
          paths: subset.paths,
          cacheDir: dataDir,
        },
        { signal: context.signal, onProgress: (p) => context.progress({ ...p, phase: 'Scoring the images' }) },
      );
    } finally {
      engine.close();
    }
    const c = network.classes.length;
    const imageIds = Float64Array.from(scored.kept, (i) => subset.imageIds[i]!);
    const labels = new Float32Array(scored.kept.length * c);
    scored.kept.forEach((row, i) => labels.set(subset.labels.subarray(row * c, (row + 1) * c), i * c));
    runs.saveScoreSet(runId, {
      annotations: subset.annotations,
      images: resolve(images),
      classes: network.classes,
      imageIds: Buffer.from(imageIds.buffer),
      labels: Buffer.from(labels.buffer),
      scores: Buffer.from(scored.scores.buffer, scored.scores.byteOffset, scored.scores.byteLength),
      skipped: scored.skipped,
    });
    return this.loadSet(runId, subset.annotations);
  }

  /**
   * The scores judged against other labels than those stored with them: the annotation file's as
   * imported, or its effective labels now (label edits applied); `run` leaves them as they are.
   */
  judgedOn(loaded: LoadedScores, labels: JudgedLabels | undefined): LoadedScores {
    if (labels === undefined || labels === 'run') return loaded;
    const { fileId, annotations } = loaded.source;
    if (fileId === null) {
      throw new AppError(
        'NOT_FOUND',
        `${annotations} is no longer imported, so its ${labels === 'original' ? 'original' : 'corrected'} labels are unknown. Import it again in the Dataset workspace (or with "mlw ingest").`,
      );
    }
    const { matrix } = loaded;
    const relabelled = labelsOfImages(this.options.db, fileId, matrix.classes, loaded.imageIds, { originalLabels: labels === 'original' });
    return { ...loaded, matrix: { ...matrix, labels: relabelled } };
  }

  /** The scores of another annotated set, as the last `evaluate --annotations` of it stored them. */
  loadSet(runId: string, annotations: string): LoadedScores {
    this.options.runs.get(runId);
    const path = resolve(annotations);
    const stored = this.options.runs.scoreSet(runId, path);
    if (stored === undefined) {
      throw new AppError(
        'NOT_FOUND',
        `Run ${runId} has not been evaluated on ${path}. Run "mlw evaluate --run ${runId} --annotations ${path} --images DIR" first.`,
      );
    }
    const { classes, imageIds, labels, scores } = decode(runId, stored);
    return {
      matrix: { classes, rows: imageIds.length, labels, scores },
      imageIds,
      source: { annotations: stored.annotations, images: stored.images, fileId: this.fileIdOf(stored.annotations), validation: false },
      skipped: stored.skipped,
    };
  }

  /** The run's validation scores where it has them, null otherwise. */
  private loadIfStored(runId: string): LoadedScores | null {
    return this.options.runs.hasScores(runId) ? this.load(runId) : null;
  }

  /** The run's validation scores, as stored when its training finished. */
  load(runId: string, forEvaluation = true): LoadedScores {
    const run = this.options.runs.get(runId);
    const stored = this.options.runs.scores(runId);
    if (stored === undefined && run.mode === 'imported') {
      throw new AppError(
        'NOT_FOUND',
        `Run ${runId} was imported from an exported model, so it has no validation images of its own. Judge it on an annotated set: "mlw evaluate --run ${runId} --annotations FILE --images DIR" (at one threshold; per-class thresholds need validation scores).`,
      );
    }
    if (stored === undefined) {
      const advice = run.status === 'running' ? 'Wait for it to finish.' : `Resume it with "mlw resume ${runId}" or train a new run.`;
      const what = forEvaluation ? 'validation scores' : 'validation scores to tune thresholds on';
      throw new AppError('NOT_FOUND', `Run ${runId} is ${run.status} and has no ${what} yet. ${advice}`);
    }
    const { classes, imageIds, labels, scores } = decode(runId, stored);
    const val = run.dataset.val;
    return {
      matrix: { classes, rows: imageIds.length, labels, scores },
      imageIds,
      source: { annotations: val.annotations, images: val.images, fileId: this.fileIdOf(val.annotations), validation: true },
      skipped: [],
    };
  }

  private fileIdOf(annotations: string): number | null {
    const file = this.options.db.prepare('SELECT id FROM annotation_files WHERE path = ?').get(annotations) as { id: number } | undefined;
    return file?.id ?? null;
  }

  private fileNames(fileId: number | null, imageIds: Float64Array): string[] {
    if (fileId === null) return Array.from(imageIds, () => '');
    const lookup = this.options.db.prepare('SELECT file_name FROM images WHERE file_id = ? AND id = ?');
    return Array.from(imageIds, (id) => (lookup.get(fileId, id) as { file_name: string } | undefined)?.file_name ?? '');
  }
}

function decode(runId: string, stored: StoredScores) {
  const classes = stored.classes;
  const imageIds = new Float64Array(copy(stored.imageIds));
  const labels = new Float32Array(copy(stored.labels));
  const scores = new Float32Array(copy(stored.scores));
  if (labels.length !== imageIds.length * classes.length || scores.length !== labels.length) {
    throw new AppError('INTERNAL', `The stored scores of run ${runId} do not match their shape; evaluate the run again.`);
  }
  return { classes, imageIds, labels, scores };
}

/** SQLite hands back Buffers that may share a pool: copy into an aligned buffer of their own. */
function copy(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

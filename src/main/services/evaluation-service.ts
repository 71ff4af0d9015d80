import type { ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import type { evaluationContract, RunScores } from '../../shared/contract/evaluation';
import { evaluate, tunedThresholds, type ScoreMatrix } from '../../shared/domain/metrics';
import type { Db } from '../db/connection';

type EvaluationHandlers = ServiceHandlers<typeof evaluationContract>;

interface StoredScores {
  classes: string;
  image_ids: Buffer;
  labels: Buffer;
  scores: Buffer;
}

/** A stored matrix in the shape the metrics take, with where its images came from. */
export interface LoadedScores {
  matrix: ScoreMatrix & { labels: Float32Array; scores: Float32Array };
  imageIds: Float64Array;
  source: RunScores['source'];
}

/**
 * Evaluation of runs: reads the score matrix a run stored for its validation images and computes the
 * example's metrics and ours with the shared pure functions (the renderer uses the same ones live).
 */
export class EvaluationService implements EvaluationHandlers {
  constructor(private readonly options: { db: Db }) {}

  scores: EvaluationHandlers['scores'] = async ({ runId }) => {
    const loaded = this.load(runId);
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

  evaluate: EvaluationHandlers['evaluate'] = async (request) => {
    const { matrix, source } = this.load(request.runId);
    const tuned = tunedThresholds(matrix);
    const metrics = evaluate(
      matrix,
      request.threshold,
      request.perClassThresholds ? { perClassThresholds: tuned.map((t) => t.threshold) } : {},
    );
    return {
      runId: request.runId,
      images: matrix.rows,
      source,
      metrics,
      tunedThresholds: tuned,
      tunedOnSameImages: source.validation,
      skipped: [],
    };
  };

  /** The run's validation scores, as stored when its training finished. */
  load(runId: string): LoadedScores {
    const run = this.options.db.prepare('SELECT status, dataset FROM runs WHERE id = ?').get(runId) as
      { status: string; dataset: string } | undefined;
    if (run === undefined) throw new AppError('NOT_FOUND', `There is no run ${runId}. "mlw runs" lists them.`);
    const stored = this.options.db.prepare('SELECT classes, image_ids, labels, scores FROM run_scores WHERE run_id = ?').get(runId) as
      StoredScores | undefined;
    if (stored === undefined) {
      const advice = run.status === 'running' ? 'Wait for it to finish.' : `Resume it with "mlw resume ${runId}" or train a new run.`;
      throw new AppError('NOT_FOUND', `Run ${runId} is ${run.status} and has no validation scores yet. ${advice}`);
    }
    const classes = JSON.parse(stored.classes) as string[];
    const imageIds = new Float64Array(copy(stored.image_ids));
    const labels = new Float32Array(copy(stored.labels));
    const scores = new Float32Array(copy(stored.scores));
    if (labels.length !== imageIds.length * classes.length || scores.length !== labels.length) {
      throw new AppError('INTERNAL', `The stored scores of run ${runId} do not match their shape; evaluate the run again.`);
    }
    const dataset = JSON.parse(run.dataset) as { val: { annotations: string; images: string } };
    const file = this.options.db.prepare('SELECT id FROM annotation_files WHERE path = ?').get(dataset.val.annotations) as
      { id: number } | undefined;
    return {
      matrix: { classes, rows: imageIds.length, labels, scores },
      imageIds,
      source: { annotations: dataset.val.annotations, images: dataset.val.images, fileId: file?.id ?? null, validation: true },
    };
  }

  private fileNames(fileId: number | null, imageIds: Float64Array): string[] {
    if (fileId === null) return Array.from(imageIds, () => '');
    const lookup = this.options.db.prepare('SELECT file_name FROM images WHERE file_id = ? AND id = ?');
    return Array.from(imageIds, (id) => (lookup.get(fileId, id) as { file_name: string } | undefined)?.file_name ?? '');
  }
}

/** SQLite hands back Buffers that may share a pool: copy into an aligned buffer of their own. */
function copy(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

import { z } from 'zod';
import { AppError } from '../../shared/contract/errors';
import type { JsonValue } from '../../shared/domain/run-diff';
import type { Db } from './connection';
import { headSearch, runCalibration, type HeadSearch, type RunCalibration } from '../../shared/contract/calibration';

export const runStatuses = ['running', 'completed', 'cancelled', 'failed'] as const;
export type RunStatus = (typeof runStatuses)[number];
/** frozen or finetune; imported for a model recorded by `mlw import-model`. */
export const runModes = ['frozen', 'finetune', 'imported'] as const;
export type RunMode = (typeof runModes)[number];

/** A set a run trained or validated on; what an old or damaged record lacks reads as empty. */
const storedImageSet = z
  .object({
    annotations: z.string().catch(''),
    images: z.string().catch(''),
    count: z.number().int().nonnegative().catch(0),
    /** The label edits its labels included: how many labels they changed and their digest (runs before labelling: absent). */
    labelEdits: z.object({ count: z.number().int().nonnegative(), digest: z.string().nullable() }).optional().catch(undefined),
  })
  .catch({ annotations: '', images: '', count: 0 });

/** The `dataset` column: the annotation files, image folders and counts, and the classes in score order. */
export const runDataset = z
  .object({
    train: storedImageSet,
    val: storedImageSet,
    categories: z.array(z.string()).catch([]),
    /** Classes with no or very few training images when the run was started (absent: none, or recorded before this was kept). */
    sparseClasses: z
      .array(z.object({ name: z.string(), images: z.number().int() }))
      .optional()
      .catch(undefined),
  })
  .catch({ train: { annotations: '', images: '', count: 0 }, val: { annotations: '', images: '', count: 0 }, categories: [] });
export type RunDataset = z.infer<typeof runDataset>;

/** JSON text that may be damaged: its value, or undefined (which the schemas above turn into their empty forms). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The `config` column: the request and resolved settings (or, imported, where from); {} where damaged. */
const runConfig = z.string().transform((text): Record<string, JsonValue> => {
  const value = parseJson(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, JsonValue>) : {};
});

/** A row of the runs table as SQLite gives it, parsed into the one shape every service uses. */
const runRow = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(runStatuses),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    mode: z.enum(runModes),
    backbone: z.string(),
    backend: z.string().nullable(),
    config: runConfig,
    dataset: z.string().transform((text) => runDataset.parse(parseJson(text))),
    run_dir: z.string(),
    best_validation_loss: z.number().nullable(),
    best_iteration: z.number().int().nullable(),
    iterations: z.number().int().nullable(),
    seconds_features: z.number().nullable(),
    seconds_training: z.number().nullable(),
    seconds_total: z.number().nullable(),
    error: z.string().nullable(),
    search: z
      .string()
      .nullable()
      .transform((text) => (text === null ? null : headSearch.nullable().catch(null).parse(parseJson(text)))),
    calibration: z
      .string()
      .nullable()
      .transform((text) => (text === null ? null : runCalibration.nullable().catch(null).parse(parseJson(text)))),
  })
  .transform((row) => ({
    id: row.id,
    name: row.name,
    status: row.status,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    mode: row.mode,
    backbone: row.backbone,
    backend: row.backend,
    config: row.config,
    dataset: row.dataset,
    /** The run's folder: checkpoint, trained head, fine-tuned backbone, Grad-CAM cache. */
    runDir: row.run_dir,
    bestValidationLoss: row.best_validation_loss,
    bestIteration: row.best_iteration,
    iterations: row.iterations,
    secondsFeatures: row.seconds_features,
    secondsTraining: row.seconds_training,
    /** Wall-clock seconds of the whole run; null while it runs. */
    secondsTotal: row.seconds_total,
    error: row.error,
    /** How a frozen run chose its head's settings on held-out training images; null where it chose none. */
    search: row.search,
    /** The run's temperature scaling, fitted on those held-out images; null where there is none. */
    calibration: row.calibration,
  }));

/** A recorded run. */
export type StoredRun = z.output<typeof runRow>;

/** What a new run is recorded with; the outcome comes later with `finish` (or at once, for an imported model). */
export interface NewRun {
  id: string;
  name: string;
  status: 'running' | 'completed';
  createdAt: string;
  finishedAt?: string;
  mode: RunMode;
  backbone: string;
  config: Record<string, unknown>;
  dataset: RunDataset;
  runDir: string;
}

/** How a run ended. */
export interface RunOutcome {
  status: Exclude<RunStatus, 'running'>;
  finishedAt: string;
  backend: string | null;
  bestValidationLoss: number | null;
  bestIteration: number | null;
  iterations: number | null;
  secondsFeatures: number | null;
  secondsTraining: number | null;
  secondsTotal: number | null;
  error: string | null;
}

/** One iteration of a run's recorded history; validation figures only where it validated. */
export interface HistoryPoint {
  iteration: number;
  epoch: number;
  trainLoss: number;
  trainRmse: number;
  valLoss: number | null;
  valRmse: number | null;
}

/** A score matrix as stored: float32 row-major [images, classes], with the image ids (float64) and 0/1 labels (float32). */
export interface StoredScores {
  classes: string[];
  imageIds: Buffer;
  labels: Buffer;
  scores: Buffer;
}

/** A run's scores on an annotated set other than its validation images. */
export interface StoredScoreSet extends StoredScores {
  annotations: string;
  images: string;
  skipped: { path: string; reason: string }[];
}

/** The sentence for a run id that is not recorded. */
export function noSuchRun(runId: string): AppError {
  return new AppError('NOT_FOUND', `There is no run ${runId}. "mlw runs" lists them.`);
}

/** The tables that belong to a run and go with it. */
const runChildTables = ['run_metrics', 'run_scores', 'run_score_sets'] as const;

/**
 * The one owner of run records: the runs table and what hangs off it (metric history, validation
 * scores, scores of other sets). Every service reads and writes runs here, so a run has one shape,
 * one way its dataset is read, and one message when it is not there.
 */
export class RunsStore {
  constructor(private readonly db: Db) {}

  /** Every run, newest first. */
  list(): StoredRun[] {
    return this.db
      .prepare('SELECT * FROM runs ORDER BY created_at DESC, id DESC')
      .all()
      .map((row) => parseRow(row));
  }

  find(runId: string): StoredRun | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId);
    return row === undefined ? undefined : parseRow(row);
  }

  /** The run, or NOT_FOUND saying how to list the runs. */
  get(runId: string): StoredRun {
    const run = this.find(runId);
    if (run === undefined) throw noSuchRun(runId);
    return run;
  }

  insert(run: NewRun): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, name, status, created_at, finished_at, mode, backbone, config, dataset, run_dir)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.id,
        run.name,
        run.status,
        run.createdAt,
        run.finishedAt ?? null,
        run.mode,
        run.backbone,
        JSON.stringify(run.config),
        JSON.stringify(run.dataset),
        run.runDir,
      );
  }

  rename(runId: string, name: string): StoredRun {
    this.get(runId);
    this.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(name, runId);
    return this.get(runId);
  }

  /** A resumed run runs again from its checkpoint: the history after it is dropped, to be replayed. */
  restart(runId: string, checkpointIteration: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM run_metrics WHERE run_id = ? AND iteration > ?').run(runId, checkpointIteration);
      this.db.prepare("UPDATE runs SET status = 'running', finished_at = NULL, error = NULL WHERE id = ?").run(runId);
    })();
  }

  finish(runId: string, outcome: RunOutcome): void {
    this.db
      .prepare(
        `UPDATE runs SET status = ?, finished_at = ?, backend = ?, best_validation_loss = ?, best_iteration = ?, iterations = ?,
         seconds_features = ?, seconds_training = ?, seconds_total = ?, error = ? WHERE id = ?`,
      )
      .run(
        outcome.status,
        outcome.finishedAt,
        outcome.backend,
        outcome.bestValidationLoss,
        outcome.bestIteration,
        outcome.iterations,
        outcome.secondsFeatures,
        outcome.secondsTraining,
        outcome.secondsTotal,
        outcome.error,
        runId,
      );
  }

  /**
   * Records how a frozen run chose its head's settings and the temperature fitted with them; the
   * run's configuration then shows the values it trained with (Compare lists them), while
   * `config.choose` still says which were chosen (a resumed run chooses them again, the same way).
   */
  saveSearch(runId: string, search: HeadSearch, calibration: RunCalibration | null): void {
    const { learnRate, l2Regularization, epochs } = search.chosen;
    this.db
      .prepare(
        `UPDATE runs SET search = ?, calibration = ?,
           config = json_set(config, '$.settings.learnRate', ?, '$.settings.l2Regularization', ?, '$.settings.maxEpochs', ?)
         WHERE id = ?`,
      )
      .run(
        JSON.stringify(headSearch.parse(search)),
        calibration === null ? null : JSON.stringify(runCalibration.parse(calibration)),
        learnRate,
        l2Regularization,
        epochs,
        runId,
      );
  }

  /** Deletes the record with its history and scores, in one transaction. */
  delete(runId: string): void {
    this.db.transaction(() => {
      // The foreign keys cascade; deleting the children by name keeps that true even on a connection without them.
      for (const table of runChildTables) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
      this.db.prepare('DELETE FROM runs WHERE id = ?').run(runId);
    })();
  }

  /** Records one iteration of a run's history (a replayed iteration replaces the earlier one); returns a writer for a training loop. */
  metricWriter(runId: string): (point: HistoryPoint) => void {
    const insert = this.db.prepare(
      'INSERT OR REPLACE INTO run_metrics (run_id, iteration, epoch, train_loss, train_rmse, val_loss, val_rmse) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    return (p) => insert.run(runId, p.iteration, p.epoch, p.trainLoss, p.trainRmse, p.valLoss, p.valRmse);
  }

  /** A run's metric history, in iteration order (empty for a run that recorded none). */
  history(runId: string): HistoryPoint[] {
    const rows = this.db
      .prepare('SELECT iteration, epoch, train_loss, train_rmse, val_loss, val_rmse FROM run_metrics WHERE run_id = ? ORDER BY iteration')
      .all(runId) as {
      iteration: number;
      epoch: number;
      train_loss: number;
      train_rmse: number;
      val_loss: number | null;
      val_rmse: number | null;
    }[];
    return rows.map((r) => ({
      iteration: r.iteration,
      epoch: r.epoch,
      trainLoss: r.train_loss,
      trainRmse: r.train_rmse,
      valLoss: r.val_loss,
      valRmse: r.val_rmse,
    }));
  }

  /** Keeps the validation scores of a run's best weights (replacing earlier ones). */
  saveScores(runId: string, stored: StoredScores): void {
    this.db
      .prepare('INSERT OR REPLACE INTO run_scores (run_id, classes, image_ids, labels, scores) VALUES (?, ?, ?, ?, ?)')
      .run(runId, JSON.stringify(stored.classes), stored.imageIds, stored.labels, stored.scores);
  }

  /** The run's validation scores; undefined when it stored none (it did not complete, or it was imported). */
  scores(runId: string): StoredScores | undefined {
    const row = this.db.prepare('SELECT classes, image_ids, labels, scores FROM run_scores WHERE run_id = ?').get(runId) as
      { classes: string; image_ids: Buffer; labels: Buffer; scores: Buffer } | undefined;
    return row === undefined
      ? undefined
      : { classes: classesOf(row.classes), imageIds: row.image_ids, labels: row.labels, scores: row.scores };
  }

  hasScores(runId: string): boolean {
    return this.db.prepare('SELECT 1 FROM run_scores WHERE run_id = ?').get(runId) !== undefined;
  }

  /** The runs that stored validation scores. */
  scoredRunIds(): Set<string> {
    return new Set((this.db.prepare('SELECT run_id FROM run_scores').all() as { run_id: string }[]).map((r) => r.run_id));
  }

  /** Keeps a run's scores on another annotated set, one matrix per annotation file (replacing an earlier one). */
  saveScoreSet(runId: string, set: StoredScoreSet): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO run_score_sets (run_id, annotations, images, classes, image_ids, labels, scores, skipped, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        runId,
        set.annotations,
        set.images,
        JSON.stringify(set.classes),
        set.imageIds,
        set.labels,
        set.scores,
        JSON.stringify(set.skipped),
        new Date().toISOString(),
      );
  }

  /** The scores of another annotated set, as the last evaluation on it stored them; undefined when there is none. */
  scoreSet(runId: string, annotations: string): StoredScoreSet | undefined {
    const row = this.db
      .prepare(
        'SELECT annotations, images, classes, image_ids, labels, scores, skipped FROM run_score_sets WHERE run_id = ? AND annotations = ?',
      )
      .get(runId, annotations) as
      | { annotations: string; images: string; classes: string; image_ids: Buffer; labels: Buffer; scores: Buffer; skipped: string }
      | undefined;
    if (row === undefined) return undefined;
    const skipped = z
      .array(z.object({ path: z.string(), reason: z.string() }))
      .catch([])
      .parse(parseJson(row.skipped));
    return {
      annotations: row.annotations,
      images: row.images,
      classes: classesOf(row.classes),
      imageIds: row.image_ids,
      labels: row.labels,
      scores: row.scores,
      skipped,
    };
  }
}

function parseRow(row: unknown): StoredRun {
  const parsed = runRow.safeParse(row);
  if (!parsed.success) {
    const id = typeof row === 'object' && row !== null && 'id' in row ? String(row.id) : '?';
    throw new AppError('INTERNAL', `The record of run ${id} is damaged (${parsed.error.issues[0]?.message ?? 'unreadable'}).`);
  }
  return parsed.data;
}

function classesOf(text: string): string[] {
  return z.array(z.string()).catch([]).parse(parseJson(text));
}

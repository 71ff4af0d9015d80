import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync } from 'node:fs';
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import type { ComparedHistory, HeadlineMetrics, RunEntry, runsContract } from '../../shared/contract/runs';
import { averagePrecisions, evaluate, thresholdMetrics } from '../../shared/domain/metrics';
import { configDiff, flattenConfig, type JsonValue } from '../../shared/domain/run-diff';
import { smooth } from '../../shared/domain/smoothing';
import type { Db } from '../db/connection';
import type { EvaluationService } from './evaluation-service';
import type { RunRow } from './run-files';

type RunsHandlers = ServiceHandlers<typeof runsContract>;

interface MetricRow {
  iteration: number;
  epoch: number;
  train_loss: number;
  val_loss: number | null;
  val_rmse: number | null;
}

/** The configuration keys that are not settings: a run's name says nothing about how it was trained. */
const notSettings = ['name'];
/** Training points sent per run for the overlaid curves; validations are always sent whole. */
const maxTrainingPoints = 2000;

/**
 * Runs as objects of their own: the list with headline metrics, rename, delete (record and folder),
 * and comparison of 2 to 8 runs (settings that differ, metrics at each run's threshold, histories).
 * Metrics come from the stored validation scores through the shared pure functions, as everywhere.
 */
export class RunsService implements RunsHandlers {
  constructor(private readonly options: { db: Db; evaluation: EvaluationService }) {}

  list: RunsHandlers['list'] = async () => {
    const rows = this.options.db.prepare('SELECT * FROM runs ORDER BY created_at DESC, id DESC').all() as RunRow[];
    const scored = this.scoredRuns();
    return rows.map((row) => this.entryOf(row, scored.has(row.id)));
  };

  rename: RunsHandlers['rename'] = async ({ runId, name }) => {
    this.row(runId);
    this.options.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(name, runId);
    return this.entryOf(this.row(runId), this.scoredRuns().has(runId));
  };

  delete: RunsHandlers['delete'] = async ({ runId }) => {
    const row = this.row(runId);
    if (row.status === 'running') {
      throw new AppError(
        'INVALID_INPUT',
        `Run ${runId} ("${row.name}") is still running, so it cannot be deleted. Cancel it first (Cancel in the Train workspace, or Ctrl-C where "mlw train" runs).`,
      );
    }
    const folder = ownFolder(row);
    let aside: string | null = null;
    let files = 0;
    let bytes = 0;
    if (folder !== null) {
      ({ files, bytes } = await sizeOf(folder));
      // Moved aside first: if the record cannot be deleted, the folder goes back and nothing has changed.
      aside = `${folder}.deleting-${randomBytes(3).toString('hex')}`;
      try {
        await rename(folder, aside);
      } catch (error) {
        throw new AppError('INVALID_INPUT', `Run ${runId} was not deleted: its folder ${folder} cannot be moved (${reasonOf(error)}).`, {
          path: folder,
        });
      }
    }
    const db = this.options.db;
    try {
      db.transaction(() => {
        // The foreign keys cascade; deleting the children by name keeps that true even on a connection without them.
        for (const table of ['run_metrics', 'run_scores', 'run_score_sets']) db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
        db.prepare('DELETE FROM runs WHERE id = ?').run(runId);
      })();
    } catch (error) {
      if (aside !== null && folder !== null) await rename(aside, folder).catch(() => undefined);
      throw AppError.from(error);
    }
    if (aside !== null) {
      try {
        await rm(aside, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        throw new AppError(
          'INVALID_INPUT',
          `Run ${runId} was deleted, but its folder could not be removed entirely (${reasonOf(error)}); delete ${aside} by hand.`,
          { path: aside },
        );
      }
    }
    return { runId, name: row.name, folder, files, bytes };
  };

  compare: RunsHandlers['compare'] = async ({ runIds, thresholds }) => {
    const repeated = runIds.find((id, i) => runIds.indexOf(id) !== i);
    if (repeated !== undefined) throw new AppError('INVALID_INPUT', `Run ${repeated} is named twice; name each run once.`);
    const perRun = typeof thresholds === 'number' ? runIds.map(() => thresholds) : thresholds;
    if (perRun.length !== runIds.length) {
      throw new AppError(
        'INVALID_INPUT',
        `Give one threshold for every run or one per run: ${perRun.length} thresholds for ${runIds.length} runs.`,
      );
    }
    const rows = runIds.map((id) => this.row(id));
    const scored = this.scoredRuns();
    const configs = rows.map((row) => configOf(row));
    const settings = new Set<string>();
    for (const config of configs) for (const key of flattenConfig(config).keys()) if (!notSettings.includes(key)) settings.add(key);
    return {
      runs: rows.map((row) => this.entryOf(row, scored.has(row.id))),
      configs,
      diff: configDiff(configs, { ignore: notSettings }),
      settings: settings.size,
      metrics: rows.map((row, i) =>
        scored.has(row.id) ? { runId: row.id, ...evaluate(this.options.evaluation.load(row.id).matrix, perRun[i]!) } : null,
      ),
      histories: rows.map((row) => this.historyOf(row.id)),
    };
  };

  private row(runId: string): RunRow {
    const row = this.options.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
    if (row === undefined) throw new AppError('NOT_FOUND', `There is no run ${runId}. "mlw runs" lists them.`);
    return row;
  }

  /** The runs that stored validation scores. */
  private scoredRuns(): Set<string> {
    return new Set((this.options.db.prepare('SELECT run_id FROM run_scores').all() as { run_id: string }[]).map((r) => r.run_id));
  }

  private entryOf(row: RunRow, scored: boolean): RunEntry {
    const dataset = JSON.parse(row.dataset) as Partial<RunEntry['dataset']>;
    const set = (s: Partial<RunEntry['dataset']['train']> | undefined): RunEntry['dataset']['train'] => ({
      annotations: s?.annotations ?? '',
      images: s?.images ?? '',
      count: s?.count ?? 0,
    });
    return {
      runId: row.id,
      name: row.name,
      status: row.status,
      createdAt: row.created_at,
      finishedAt: row.finished_at,
      mode: row.mode,
      backbone: row.backbone,
      backend: row.backend,
      dataset: { train: set(dataset.train), val: set(dataset.val), categories: dataset.categories ?? [] },
      seconds: row.seconds_total,
      bestValidationLoss: row.best_validation_loss,
      bestIteration: row.best_iteration,
      iterations: row.iterations,
      error: row.error,
      runDir: row.run_dir,
      metrics: scored ? this.headline(row.id) : null,
    };
  }

  private headline(runId: string): HeadlineMetrics {
    const { matrix } = this.options.evaluation.load(runId);
    const figures = thresholdMetrics(matrix, 0.5);
    const aps = averagePrecisions(matrix).filter((ap): ap is number => ap !== null);
    return { ...figures, mAP: aps.length === 0 ? null : aps.reduce((a, b) => a + b, 0) / aps.length };
  }

  private historyOf(runId: string): ComparedHistory {
    const rows = this.options.db
      .prepare('SELECT iteration, epoch, train_loss, val_loss, val_rmse FROM run_metrics WHERE run_id = ? ORDER BY iteration')
      .all(runId) as MetricRow[];
    // Smoothed over every iteration, as the Train workspace draws it, before a long history is thinned.
    const smoothed = smooth(rows.map((r) => r.train_loss));
    const picked = sample(rows.length, maxTrainingPoints);
    return {
      runId,
      iterations: rows.length,
      training: picked.map((i) => ({
        iteration: rows[i]!.iteration,
        epoch: rows[i]!.epoch,
        loss: rows[i]!.train_loss,
        smoothedLoss: smoothed[i]!,
      })),
      validation: rows
        .filter((r) => r.val_loss !== null)
        .map((r) => ({ iteration: r.iteration, epoch: r.epoch, loss: r.val_loss!, rmse: r.val_rmse ?? 0 })),
    };
  }
}

/** Indices of at most `most` evenly spaced points of `n`, the first and the last included. */
function sample(n: number, most: number): number[] {
  if (n <= most) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: most }, (_, i) => Math.round((i * (n - 1)) / (most - 1)));
}

function configOf(row: RunRow): Record<string, JsonValue> {
  try {
    const config = JSON.parse(row.config) as unknown;
    return typeof config === 'object' && config !== null && !Array.isArray(config) ? (config as Record<string, JsonValue>) : {};
  } catch {
    return {};
  }
}

/**
 * The run's folder when it exists and is the run's own: every run folder is named by its run id, so a
 * damaged record can never make a delete remove an unrelated folder.
 */
function ownFolder(row: RunRow): string | null {
  const dir = resolve(row.run_dir);
  if (basename(dir) !== row.id || !existsSync(dir)) return null;
  return lstatSync(dir).isDirectory() ? dir : null;
}

/** Files and bytes under a folder, not following links. */
async function sizeOf(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = await sizeOf(path);
      files += inner.files;
      bytes += inner.bytes;
    } else {
      files++;
      bytes += (await lstat(path)).size;
    }
  }
  return { files, bytes };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync } from 'node:fs';
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import type { ComparedHistory, HeadlineMetrics, RunEntry, runsContract } from '../../shared/contract/runs';
import { averagePrecisions, evaluate, thresholdMetrics } from '../../shared/domain/metrics';
import { configDiff, flattenConfig } from '../../shared/domain/run-diff';
import { smooth } from '../../shared/domain/smoothing';
import type { RunsStore, StoredRun } from '../db/runs-store';
import type { EvaluationService } from './evaluation-service';

type RunsHandlers = ServiceHandlers<typeof runsContract>;

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
  constructor(private readonly options: { runs: RunsStore; evaluation: EvaluationService }) {}

  list: RunsHandlers['list'] = async () => {
    const scored = this.options.runs.scoredRunIds();
    return this.options.runs.list().map((run) => this.entryOf(run, scored.has(run.id)));
  };

  rename: RunsHandlers['rename'] = async ({ runId, name }) => {
    const run = this.options.runs.rename(runId, name);
    return this.entryOf(run, this.options.runs.hasScores(runId));
  };

  delete: RunsHandlers['delete'] = async ({ runId }) => {
    const row = this.options.runs.get(runId);
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
    try {
      this.options.runs.delete(runId);
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
    const rows = runIds.map((id) => this.options.runs.get(id));
    const scored = this.options.runs.scoredRunIds();
    // Augmented views are a frozen-mode setting: fine-tune runs recorded before this was known carry it, unused.
    const configs = rows.map((row) => (row.mode === 'finetune' ? withoutAugmentedViews(row.config) : row.config));
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

  private entryOf(run: StoredRun, scored: boolean): RunEntry {
    return {
      runId: run.id,
      name: run.name,
      status: run.status,
      createdAt: run.createdAt,
      finishedAt: run.finishedAt,
      mode: run.mode,
      backbone: run.backbone,
      backend: run.backend,
      categories: run.dataset.categories,
      images: { train: run.dataset.train.count, val: run.dataset.val.count },
      bestValidationLoss: run.bestValidationLoss,
      seconds: run.secondsTotal,
      error: run.error,
      dataset: run.dataset,
      bestIteration: run.bestIteration,
      iterations: run.iterations,
      runDir: run.runDir,
      metrics: scored ? this.headline(run.id) : null,
      search: run.search,
      calibration: run.calibration,
    };
  }

  private headline(runId: string): HeadlineMetrics {
    const { matrix } = this.options.evaluation.load(runId);
    const figures = thresholdMetrics(matrix, 0.5);
    const aps = averagePrecisions(matrix).filter((ap): ap is number => ap !== null);
    return { ...figures, mAP: aps.length === 0 ? null : aps.reduce((a, b) => a + b, 0) / aps.length };
  }

  private historyOf(runId: string): ComparedHistory {
    const rows = this.options.runs.history(runId);
    // Smoothed over every iteration, as the Train workspace draws it, before a long history is thinned.
    const smoothed = smooth(rows.map((r) => r.trainLoss));
    const picked = sample(rows.length, maxTrainingPoints);
    return {
      runId,
      iterations: rows.length,
      training: picked.map((i) => ({
        iteration: rows[i]!.iteration,
        epoch: rows[i]!.epoch,
        loss: rows[i]!.trainLoss,
        smoothedLoss: smoothed[i]!,
      })),
      validation: rows
        .filter((r) => r.valLoss !== null)
        .map((r) => ({ iteration: r.iteration, epoch: r.epoch, loss: r.valLoss!, rmse: r.valRmse ?? 0 })),
    };
  }
}

/** Indices of at most `most` evenly spaced points of `n`, the first and the last included. */
function sample(n: number, most: number): number[] {
  if (n <= most) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: most }, (_, i) => Math.round((i * (n - 1)) / (most - 1)));
}

/**
 * The run's folder when it exists and is the run's own: every run folder is named by its run id, so a
 * damaged record can never make a delete remove an unrelated folder.
 */
function ownFolder(row: StoredRun): string | null {
  const dir = resolve(row.runDir);
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

/** A configuration without `augmentedViews`, which only the frozen mode uses. */
function withoutAugmentedViews<T extends Record<string, unknown>>(config: T): Omit<T, 'augmentedViews'> {
  const { augmentedViews: _unused, ...rest } = config;
  return rest;
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/contract/errors';
import type { Db } from '../db/connection';
import type { RunNetwork } from '../engine';
import type { RunSummary } from '../../shared/contract/training';

const headFile = z.object({
  backbone: z.string(),
  weightsDir: z.string(),
  classes: z.array(z.string()).min(1),
  featureSize: z.number().int().positive(),
  weights: z.array(z.number()),
  bias: z.array(z.number()),
  /** Where the trunk ends when it is not the backbone's own layer (an imported model records it). */
  featureLayer: z.string().min(1).optional(),
  /** An imported ONNX model: the whole network, which ONNX Runtime runs (weightsDir names it too). */
  onnxModel: z.string().min(1).optional(),
});

/** A row of the runs table, as `SELECT *` gives it. */
export interface RunRow {
  id: string;
  name: string;
  status: RunSummary['status'];
  created_at: string;
  finished_at: string | null;
  mode: RunSummary['mode'];
  backbone: string;
  backend: string | null;
  /** JSON: the training request's settings. */
  config: string;
  /** JSON: annotation files, image folders and counts, categories. */
  dataset: string;
  run_dir: string;
  best_validation_loss: number | null;
  best_iteration: number | null;
  iterations: number | null;
  seconds_total: number | null;
  error: string | null;
}

export interface RunRecord {
  id: string;
  status: string;
  /** frozen, finetune, or imported (a model recorded by `mlw import-model`, without validation scores). */
  mode: string;
  runDir: string;
  dataset: { train: { annotations: string; images: string }; val: { annotations: string; images: string }; categories: string[] };
}

/** A run's row, or NOT_FOUND saying how to list the runs. */
export function requireRun(db: Db, runId: string): RunRecord {
  const row = db.prepare('SELECT id, status, mode, run_dir, dataset FROM runs WHERE id = ?').get(runId) as
    { id: string; status: string; mode: string; run_dir: string; dataset: string } | undefined;
  if (row === undefined) throw new AppError('NOT_FOUND', `There is no run ${runId}. "mlw runs" lists them.`);
  return { id: row.id, status: row.status, mode: row.mode, runDir: row.run_dir, dataset: JSON.parse(row.dataset) as RunRecord['dataset'] };
}

/** The trained network of a completed run: its backbone weights and the head kept in head.json. */
export async function readRunNetwork(run: RunRecord): Promise<RunNetwork & { classes: string[] }> {
  const path = join(run.runDir, 'head.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    const advice =
      run.status === 'completed' ? 'Its folder was moved or deleted; train it again.' : `It is ${run.status}; resume or retrain it.`;
    throw new AppError('NOT_FOUND', `Run ${run.id} has no trained network at ${path}. ${advice}`, { path });
  }
  let head: z.infer<typeof headFile>;
  try {
    head = headFile.parse(JSON.parse(text));
  } catch {
    throw new AppError('INVALID_INPUT', `${path} is damaged (not the head of a run); train the run again.`, { path });
  }
  if (head.weights.length !== head.featureSize * head.classes.length || head.bias.length !== head.classes.length) {
    throw new AppError(
      'INVALID_INPUT',
      `${path} holds weights of the wrong size for ${head.classes.length} classes; train the run again.`,
      { path },
    );
  }
  return {
    backbone: head.backbone,
    weightsDir: head.weightsDir,
    classes: head.classes,
    head: {
      weights: Float32Array.from(head.weights),
      bias: Float32Array.from(head.bias),
      featureSize: head.featureSize,
      classes: head.classes.length,
    },
    ...(head.featureLayer === undefined ? {} : { featureLayer: head.featureLayer }),
    ...(head.onnxModel === undefined ? {} : { onnxModel: head.onnxModel }),
  };
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

/** A run's metric history, in iteration order (empty for a run that recorded none). */
export function runHistory(db: Db, runId: string): HistoryPoint[] {
  const rows = db
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

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/contract/errors';
import type { StoredRun } from '../db/runs-store';
import type { RunNetwork } from '../engine';

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

/** The trained network of a completed run: its backbone weights and the head kept in head.json. */
export async function readRunNetwork(run: Pick<StoredRun, 'id' | 'status' | 'runDir'>): Promise<RunNetwork & { classes: string[] }> {
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

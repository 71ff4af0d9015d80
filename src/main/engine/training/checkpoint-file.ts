import { readFile } from 'node:fs/promises';
import { AppError } from '../../../shared/contract/errors';
import { writeFileAtomic } from '../../files/atomic-file';
import type { HeadCheckpoint } from './train-head';

const encode = (values: Float32Array): string => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
const decode = (text: string): Float32Array => {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

/** Writes a checkpoint atomically: a crash while writing leaves the previous one whole. */
export async function writeCheckpoint(path: string, checkpoint: HeadCheckpoint): Promise<void> {
  const json = {
    version: 1,
    ...checkpoint,
    weights: encode(checkpoint.weights),
    bias: encode(checkpoint.bias),
    velocities: Object.fromEntries(Object.entries(checkpoint.velocities).map(([name, values]) => [name, encode(values)])),
    best: { ...checkpoint.best, weights: encode(checkpoint.best.weights), bias: encode(checkpoint.best.bias) },
  };
  await writeFileAtomic(path, JSON.stringify(json));
}

export async function readCheckpoint(path: string): Promise<HeadCheckpoint> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new AppError('NOT_FOUND', `The checkpoint ${path} is missing or damaged; the run cannot be resumed. Start it again.`);
  }
  const best = raw.best as { loss: number | null; iteration: number; weights: string; bias: string };
  return {
    iteration: raw.iteration as number,
    epoch: raw.epoch as number,
    batchInEpoch: raw.batchInEpoch as number,
    order: raw.order as number[],
    randomState: raw.randomState as number,
    weights: decode(raw.weights as string),
    bias: decode(raw.bias as string),
    velocities: Object.fromEntries(Object.entries(raw.velocities as Record<string, string>).map(([name, text]) => [name, decode(text)])),
    // JSON has no Infinity: a best loss not yet set is written as null.
    best: { loss: best.loss ?? Infinity, iteration: best.iteration, weights: decode(best.weights), bias: decode(best.bias) },
    sinceBest: raw.sinceBest as number,
  };
}

/**
 * Any state with Float32Arrays inside (a fine-tuning checkpoint), written atomically as JSON with
 * the arrays in base64 and infinities kept.
 */
export async function writeStateFile(path: string, state: unknown): Promise<void> {
  const json = JSON.stringify(state, (_key, value: unknown) => {
    if (value instanceof Float32Array) return { $f32: encode(value) };
    if (value === Infinity) return { $number: 'Infinity' };
    return value;
  });
  await writeFileAtomic(path, json);
}

export async function readStateFile<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new AppError('NOT_FOUND', `The checkpoint ${path} is missing; the run cannot be resumed. Start it again.`);
  }
  try {
    return JSON.parse(text, (_key, value: unknown) => {
      if (value !== null && typeof value === 'object' && '$f32' in value) return decode((value as { $f32: string }).$f32);
      if (value !== null && typeof value === 'object' && '$number' in value) return Infinity;
      return value;
    }) as T;
  } catch {
    throw new AppError('INVALID_INPUT', `The checkpoint ${path} is damaged; the run cannot be resumed. Start it again.`);
  }
}

import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { resolveInside } from '../../files/inside-folder';
import { AppError } from '../../../shared/contract/errors';

const manifestSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(
    z.object({
      paths: z.array(z.string().min(1)),
      weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.string().optional() })),
    }),
  ),
});

const bytesPerValue: Record<string, number> = { float32: 4, int32: 4, uint8: 1, bool: 1 };

/**
 * Reads a TensorFlow.js Layers model folder (`model.json` and its weight shards) from disk, checking
 * every shard before TensorFlow.js sees it: a missing or short shard is named, with the layer whose
 * weights it holds, instead of surfacing as a shape error deep inside loading.
 */
export async function readLayersFolder(folder: string): Promise<Tf.io.ModelArtifacts> {
  const dir = resolve(folder);
  const modelJsonPath = join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(modelJsonPath, 'utf8');
  } catch {
    throw new AppError(
      'NOT_FOUND',
      `There is no model.json in ${dir}. Choose a TensorFlow.js Layers model folder (model.json and its weight shards).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError(
      'INVALID_INPUT',
      `${modelJsonPath} is not valid JSON; the file is damaged or truncated. Copy or download the model again.`,
    );
  }
  const manifest = manifestSchema.safeParse(parsed);
  if (!manifest.success) {
    throw new AppError(
      'INVALID_INPUT',
      `${modelJsonPath} is not a TensorFlow.js Layers model (it needs "modelTopology" and "weightsManifest").`,
    );
  }

  const weightSpecs: Tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of manifest.data.weightsManifest) {
    const expected = group.weights.reduce(
      (sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * (bytesPerValue[w.dtype ?? 'float32'] ?? 4),
      0,
    );
    const layers = [...new Set(group.weights.map((w) => w.name.split('/')[0]))].join(', ');
    const shards: Buffer[] = [];
    for (const path of group.paths) {
      const shardPath = await resolveInside(dir, path);
      if (shardPath === null) {
        throw new AppError(
          'INVALID_INPUT',
          `The model in ${dir} names a weight file outside its folder ("${path}"): a model's files must all be inside its folder, so it is refused and nothing outside was read. Get the model from its source again.`,
          { entry: path },
        );
      }
      try {
        await stat(shardPath);
      } catch {
        throw new AppError(
          'NOT_FOUND',
          `The weight file ${shardPath} is missing (it holds the weights of ${layers}). Copy the whole model folder again.`,
          { file: shardPath, layers },
        );
      }
      shards.push(await readFile(shardPath));
    }
    const got = shards.reduce((sum, b) => sum + b.length, 0);
    if (got !== expected) {
      throw new AppError(
        'INVALID_INPUT',
        `The weight file${group.paths.length > 1 ? 's' : ''} ${group.paths.join(', ')} in ${dir} hold${group.paths.length > 1 ? '' : 's'} ${got} bytes but the weights of ${layers} need ${expected}: the file is truncated or belongs to another model.`,
        { files: group.paths, layers, bytes: got, expectedBytes: expected },
      );
    }
    buffers.push(...shards);
    weightSpecs.push(...(group.weights as Tf.io.WeightsManifestEntry[]));
  }
  const all = Buffer.concat(buffers);
  return {
    modelTopology: manifest.data.modelTopology,
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

/** Loads a Layers model folder into a model; a topology that does not match its weights names the layer. */
export async function loadLayersFolder(tf: typeof Tf, folder: string): Promise<Tf.LayersModel> {
  const artifacts = await readLayersFolder(folder);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AppError('INVALID_INPUT', `The model in ${resolve(folder)} could not be built from its weights: ${message}`);
  }
}

/** Writes a model as a Layers folder (model.json and one weight file), replacing the folder whole. */
export async function saveLayersFolder(tf: typeof Tf, model: Tf.LayersModel, folder: string): Promise<void> {
  const dir = resolve(folder);
  const staging = `${dir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      await writeFile(join(staging, 'weights.bin'), weights);
      const manifest = {
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(staging, 'model.json'), JSON.stringify(manifest));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    }),
  );
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
}

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
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      throw new AppError(
        'INVALID_INPUT',
        `${modelJsonPath} is a folder, not a file. Choose a TensorFlow.js Layers model folder (model.json and its weight shards).`,
      );
    }
    if (code !== undefined && code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new AppError(
        'INVALID_INPUT',
        `${modelJsonPath} cannot be read (${code}). Check that the file is readable, or copy the model again.`,
      );
    }
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
    const layers = [...new Set(group.weights.map((w) => shown(w.name.split('/')[0]!)))].join(', ');
    if (group.paths.length === 0 && expected > 0) {
      throw new AppError(
        'INVALID_INPUT',
        `${modelJsonPath} lists the weights of ${layers} (${expected} bytes) but names no weight file for them: the file is damaged. Copy or download the model again.`,
        { layers, expectedBytes: expected },
      );
    }
    const shards: Buffer[] = [];
    for (const path of group.paths) {
      const shardPath = await resolveInside(dir, path);
      if (shardPath === null) {
        throw new AppError(
          'INVALID_INPUT',
          `The model in ${dir} names a weight file outside its folder ("${shown(path)}"): a model's files must all be inside its folder, so it is refused and nothing outside was read. Get the model from its source again.`,
          { entry: path },
        );
      }
      shards.push(await readShard(shardPath, join(dir, shown(path)), layers));
    }
    const got = shards.reduce((sum, b) => sum + b.length, 0);
    if (got !== expected) {
      throw new AppError(
        'INVALID_INPUT',
        `The weight file${group.paths.length > 1 ? 's' : ''} ${group.paths.map(shown).join(', ')} in ${dir} hold${group.paths.length > 1 ? '' : 's'} ${got} bytes but the weights of ${layers} need ${expected}: the file is truncated or belongs to another model.`,
        { files: group.paths, layers, bytes: got, expectedBytes: expected },
      );
    }
    buffers.push(...shards);
    weightSpecs.push(...(group.weights as Tf.io.WeightsManifestEntry[]));
  }
  const values = weightSpecs.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
  checkLayerSizes(modelJsonPath, manifest.data.modelTopology, values);
  const all = Buffer.concat(buffers);
  return {
    modelTopology: manifest.data.modelTopology,
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

/** A name from model.json as a message shows it: control characters escaped, at most 120 characters. */
function shown(name: string): string {
  let escaped = '';
  for (const c of name.slice(0, 121)) escaped += c === '\u007f' ? '\\u007f' : c < ' ' ? JSON.stringify(c).slice(1, -1) : c;
  return escaped.length > 120 ? `${escaped.slice(0, 120)}…` : escaped;
}

/** Layer settings that a layer's weights hold at least as many values as (a Dense layer's units: its bias). */
const sizeKeys = new Set(['units', 'filters', 'depth_multiplier', 'kernel_size', 'input_dim', 'output_dim']);

/**
 * A topology that makes a layer larger than all the model's weights together cannot match them, and
 * TensorFlow.js would spend minutes and gigabytes initialising that layer before finding out (a
 * convolution with 16777216 filters, say): refused here instead, naming the layer. The walk is
 * iterative: a damaged topology may be nested far deeper than the call stack allows.
 */
function checkLayerSizes(modelJsonPath: string, topology: unknown, values: number): void {
  const stack: { node: unknown; layer: string | null }[] = [{ node: topology, layer: null }];
  while (stack.length > 0) {
    const { node, layer } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    const isObject = !Array.isArray(node);
    const name = isObject ? (node as { name?: unknown }).name : undefined;
    const here = typeof name === 'string' ? name : layer;
    for (const [key, value] of Object.entries(node)) {
      if (isObject && sizeKeys.has(key)) {
        const sizes = typeof value === 'number' ? [value] : Array.isArray(value) ? value : [];
        const largest = sizes.reduce((max: number, v: unknown) => (typeof v === 'number' && v > max ? v : max), 0);
        if (largest > values) {
          throw new AppError(
            'INVALID_INPUT',
            `${modelJsonPath} gives ${here === null ? 'a layer' : `layer "${shown(here)}"`} a ${key} of ${largest}, more than the ${values} weight values the model holds in all, so it cannot match its weights: the file is damaged. Copy or download the model again.`,
            { layer: here, [key]: largest, values },
          );
        }
      }
      if (typeof value === 'object' && value !== null) stack.push({ node: value, layer: here });
    }
  }
}

/**
 * One weight file of a model; a missing one, a folder in its place or one that cannot be read is
 * named (as `display`) with the layers whose weights it holds.
 */
async function readShard(shardPath: string, display: string, layers: string): Promise<Buffer> {
  let isFile: boolean;
  try {
    isFile = (await stat(shardPath)).isFile();
  } catch {
    throw new AppError(
      'NOT_FOUND',
      `The weight file ${display} is missing (it holds the weights of ${layers}). Copy the whole model folder again.`,
      { file: shardPath, layers },
    );
  }
  if (!isFile) {
    throw new AppError(
      'INVALID_INPUT',
      `The weight file ${display} is a folder, not a file (it should hold the weights of ${layers}). Copy the whole model folder again.`,
      { file: shardPath, layers },
    );
  }
  try {
    return await readFile(shardPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an unknown error';
    throw new AppError(
      'INVALID_INPUT',
      `The weight file ${display} cannot be read (${code}; it holds the weights of ${layers}). Check that it is readable, or copy the whole model folder again.`,
      { file: shardPath, layers },
    );
  }
}

/**
 * Loads a Layers model folder into a model. A topology TensorFlow.js cannot build, or that does not
 * match its weights, is refused with TensorFlow.js's reason (which names the layer) in one sentence.
 */
export async function loadLayersFolder(tf: typeof Tf, folder: string): Promise<Tf.LayersModel> {
  const artifacts = await readLayersFolder(folder);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new AppError(
      'INVALID_INPUT',
      `The model in ${resolve(folder)} could not be built from its model.json and weights (TensorFlow.js: "${buildFailure(error)}"). The folder is damaged or holds another kind of model; copy or download it again.`,
    );
  }
}

/**
 * TensorFlow.js's reason for not building a model, as a clause: its first sentence on one line, at
 * most 200 characters, with single quotes for double ones (its messages can quote the whole
 * config, over several lines, with advice for JavaScript programmers).
 */
export function buildFailure(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'the configuration is nested too deeply to be read';
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split(/\n|(?<=\.)\s/)[0]!;
  const clause = first
    .replace(/\[object Object\]/g, '{…}')
    .replace(/"/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s.:;,]+$/, '');
  if (clause === '') return 'no reason given';
  return clause.length > 200 ? `${clause.slice(0, 200)}…` : clause;
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

import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import type { Progress } from '../../../shared/contract/define';
import { AppError, cancelled } from '../../../shared/contract/errors';
import { writeFileAtomic } from '../../files/atomic-file';
import {
  damagedImageError,
  decodeResizedChecked,
  decoderVersion,
  normalise,
  type Augmentation,
  type ImageDamage,
} from '../images/preprocess';
import { skipKindOf, type SkipKind } from '../../../shared/contract/skipped';
import { seededRandom } from '../training/seeded-random';
import type { BackboneSpec } from '../models/zoo';
import { OnnxUnsupportedError } from '../models/onnx-export';
import { inferenceStatus, loadOnnxRuntime } from './onnx-runtime';
import { embedOnnx, onnxTrunkOfModel, type OnnxTrunk } from './onnx-trunk';

/** Which runtime computes features: part of the cache key, as the two differ in the last bits. */
export type FeatureRuntime = 'onnxruntime' | 'tfjs';

export interface FeatureExtractor {
  spec: BackboneSpec;
  /** Identifies the weights, so cached features of other weights are never reused. */
  weightsKey: string;
  runtime: FeatureRuntime;
  /** `count` preprocessed images, NHWC one after another → `[count, featureSize]`: the trunk and global average pooling. */
  embed(input: Float32Array, count: number): Promise<Float32Array>;
  /** Why ONNX Runtime is not the runtime, where it is not. */
  fallbackReason?: string;
  /** The ONNX Runtime trunk behind `embed`, where that is the runtime (its feature map serves Grad-CAM). */
  onnx?: OnnxTrunk;
}

/** The layer of a loaded classifier where the spec's trunk ends, or a refusal that says so. */
function featureLayerOf(model: Tf.LayersModel, spec: BackboneSpec): Tf.layers.Layer {
  try {
    return model.getLayer(spec.featureLayer);
  } catch {
    throw new AppError(
      'INVALID_INPUT',
      `The model has no layer named ${spec.featureLayer}, where the ${spec.title} trunk ends: these weights are of another network.`,
    );
  }
}

/** Features on TensorFlow.js: the loaded classifier cut at the spec's feature layer, then global average pooling. */
export function featureExtractor(tf: typeof Tf, model: Tf.LayersModel, spec: BackboneSpec, weightsKey: string): FeatureExtractor {
  const trunk = tf.model({ inputs: model.inputs, outputs: featureLayerOf(model, spec).output as Tf.SymbolicTensor });
  const size = spec.preprocessing.size;
  return {
    spec,
    weightsKey,
    runtime: 'tfjs',
    embed: async (input, count) =>
      tf.tidy(() =>
        (trunk.predict(tf.tensor4d(input.subarray(0, count * size * size * 3), [count, size, size, 3])) as Tf.Tensor4D)
          .mean([1, 2])
          .dataSync()
          .slice(),
      ) as Float32Array,
  };
}

/** Features on ONNX Runtime, from the trunk exported to ONNX. */
export function onnxFeatureExtractor(trunk: OnnxTrunk, spec: BackboneSpec, weightsKey: string): FeatureExtractor {
  const size = spec.preprocessing.size;
  return {
    spec,
    weightsKey,
    runtime: 'onnxruntime',
    onnx: trunk,
    embed: (input, count) => embedOnnx(trunk, input.subarray(0, count * size * size * 3), count),
  };
}

/**
 * The fastest extractor this machine has: ONNX Runtime where it loads, the network translates (every
 * network of the zoo does) and the session opens (an execution provider in `MLW_ORT_PROVIDERS` that
 * is not installed fails there), else TensorFlow.js, with the reason kept and written to the engine's
 * stderr.
 */
export async function bestFeatureExtractor(
  tf: typeof Tf,
  model: Tf.LayersModel,
  spec: BackboneSpec,
  weightsKey: string,
): Promise<FeatureExtractor> {
  const fallBack = (reason: string): FeatureExtractor => {
    console.error(`${spec.title} runs on TensorFlow.js: ${reason}`);
    return { ...featureExtractor(tf, model, spec, weightsKey), fallbackReason: reason };
  };
  const runtime = loadOnnxRuntime();
  if (runtime === null) return fallBack(inferenceStatus().reason ?? 'ONNX Runtime did not load.');
  featureLayerOf(model, spec); // the same refusal as TensorFlow.js's for a network without the layer
  try {
    return onnxFeatureExtractor(await onnxTrunkOfModel(runtime, model, spec.featureLayer), spec, weightsKey);
  } catch (error) {
    if (error instanceof OnnxUnsupportedError) return fallBack(error.message);
    const providers = runtime.status.executionProviders.join(', ');
    return fallBack(
      `ONNX Runtime could not open it with the execution providers ${providers}${process.env.MLW_ORT_PROVIDERS ? ' (MLW_ORT_PROVIDERS)' : ''}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
}

export interface FeatureRequest {
  paths: readonly string[];
  /** Augmented views per image (0: only the plain image). */
  augmentedViews: number;
  augmentation: Augmentation;
  seed: number;
  cacheDir: string;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /**
   * Score damaged images (see ImageDamage) as the decoder could make them, and list them in
   * `damaged`, rather than skip them (Predict's choice; training never does). Their features are
   * not cached, so a damaged image never reaches training through the cache.
   */
  acceptDamaged?: boolean;
}

export interface FeatureResult {
  /** [images * views, featureSize]; row = image * views + view, view 0 the plain image. */
  features: Float32Array;
  views: number;
  /** Images that could not be read, with why; their rows are zero and callers drop them. */
  failed: { index: number; path: string; reason: string; kind: SkipKind }[];
  /** With acceptDamaged: the damaged images that were scored all the same. */
  damaged: { index: number; path: string; damage: ImageDamage }[];
  fromCache: number;
}

/**
 * Backbone features of every image (and of `augmentedViews` augmented copies), computed once and
 * cached on disk by weights, preprocessing, view and image (path, size, time). A missing or
 * corrupt image is recorded and skipped; the rest go on.
 */
export async function extractFeatures(extractor: FeatureExtractor, request: FeatureRequest): Promise<FeatureResult> {
  const { spec } = extractor;
  const d = spec.featureSize;
  const size = spec.preprocessing.size;
  const views = 1 + request.augmentedViews;
  const features = new Float32Array(request.paths.length * views * d);
  const failed: FeatureResult['failed'] = [];
  const damaged: FeatureResult['damaged'] = [];
  const batchSize = request.batchSize ?? 16;
  const cacheRoot = join(
    request.cacheDir,
    'features',
    // Features of the two runtimes differ in the last bits: each has its own cache (TensorFlow.js's keeps its old name).
    `${spec.id}-${extractor.weightsKey.slice(0, 16)}-${spec.preprocessing.normalisation}${size}-${decoderVersion}${extractor.runtime === 'onnxruntime' ? '-ort' : ''}`,
  );
  await mkdir(cacheRoot, { recursive: true });
  let fromCache = 0;
  const jobs: { image: number; view: number }[] = [];
  for (let image = 0; image < request.paths.length; image++) for (let view = 0; view < views; view++) jobs.push({ image, view });
  const total = jobs.length;
  let done = 0;
  const failedImages = new Set<number>();

  const keyOf = async (path: string, view: number): Promise<string | null> => {
    try {
      const info = await stat(path);
      // View 0 is the plain image; other views also depend on how they were augmented.
      const augmentation = view === 0 ? '' : JSON.stringify(request.augmentation);
      return createHash('sha256').update(`${path}\0${info.size}\0${info.mtimeMs}\0${view}\0${request.seed}\0${augmentation}`).digest('hex');
    } catch {
      return null;
    }
  };

  type Prepared = { image: number; view: number; key: string | null; pixels: Float32Array | null; cached: Float32Array | null };
  const prepare = async (slice: typeof jobs): Promise<Prepared[]> =>
    Promise.all(
      slice.map(async ({ image, view }): Promise<Prepared> => {
        const path = request.paths[image]!;
        if (failedImages.has(image)) return { image, view, key: null, pixels: null, cached: null };
        const key = await keyOf(path, view);
        if (key !== null) {
          try {
            const buffer = await readFile(join(cacheRoot, key.slice(0, 2), `${key}.f32`));
            if (buffer.length === d * 4) {
              return { image, view, key, pixels: null, cached: new Float32Array(buffer.buffer, buffer.byteOffset, d).slice() };
            }
          } catch {
            // not cached yet
          }
        }
        try {
          // Each view has its own seeded randomness, so a cached view and a recomputed one agree.
          const random = seededRandom(request.seed * 1_000_003 + image * 97 + view);
          const augment = view === 0 ? undefined : request.augmentation;
          const { rgb, damage } = await decodeResizedChecked(path, size, augment, random);
          if (damage !== null && request.acceptDamaged !== true) throw damagedImageError(path, damage);
          if (damage !== null && view === 0) damaged.push({ index: image, path, damage });
          const pixels = new Float32Array(size * size * 3);
          normalise(rgb, spec.preprocessing.normalisation, pixels);
          return { image, view, key: damage === null ? key : null, pixels, cached: null };
        } catch (error) {
          if (!failedImages.has(image)) {
            failedImages.add(image);
            failed.push({ index: image, path, reason: error instanceof Error ? error.message : String(error), kind: skipKindOf(error) });
          }
          return { image, view, key: null, pixels: null, cached: null };
        }
      }),
    );

  // Decode the next batch while the backbone runs on this one.
  let next = prepare(jobs.slice(0, batchSize));
  for (let start = 0; start < total; start += batchSize) {
    if (request.signal?.aborted) throw cancelled();
    const prepared = await next;
    next = start + batchSize < total ? prepare(jobs.slice(start + batchSize, start + 2 * batchSize)) : Promise.resolve([]);
    const toEmbed = prepared.filter((p) => p.pixels !== null);
    for (const p of prepared) {
      if (p.cached !== null) {
        features.set(p.cached, (p.image * views + p.view) * d);
        fromCache++;
      }
    }
    if (toEmbed.length > 0) {
      const input = new Float32Array(toEmbed.length * size * size * 3);
      toEmbed.forEach((p, i) => input.set(p.pixels!, i * size * size * 3));
      // ONNX Runtime computes on its own threads: the decode pool goes on with the next batch meanwhile.
      const embedded = await extractor.embed(input, toEmbed.length);
      await Promise.all(
        toEmbed.map(async (p, i) => {
          const row = embedded.subarray(i * d, (i + 1) * d);
          features.set(row, (p.image * views + p.view) * d);
          if (p.key !== null) await writeFileAtomic(join(cacheRoot, p.key.slice(0, 2), `${p.key}.f32`), new Uint8Array(row.slice().buffer));
        }),
      );
    }
    done += prepared.length;
    request.onProgress?.({ phase: 'Computing backbone features', done, total, unit: 'images' });
  }
  return { features, views, failed, damaged, fromCache };
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type * as Tf from '@tensorflow/tfjs';
import type { Progress } from '../../../shared/contract/define';
import { AppError } from '../../../shared/contract/errors';
import { loadBackbone } from '../models/architectures/load-backbone';
import { bestFeatureExtractor, extractFeatures, onnxFeatureExtractor, type FeatureExtractor, type FeatureRuntime } from './features';
import { inferenceStatus, loadOnnxRuntime } from './onnx-runtime';
import { onnxGradCam, onnxTrunkOfFile, type OnnxTrunk } from './onnx-trunk';
import { gradCam, type Head } from './gradcam';
import { decodeResized, decodeResizedChecked, exampleAugmentation, normalise } from '../images/preprocess';
import type { SkipKind } from '../../../shared/contract/skipped';
import { backboneSpec, type BackboneSpec } from '../models/zoo';

/** A trained run's network: its backbone (the original weights, or the fine-tuned ones) and its head. */
export interface RunNetwork {
  backbone: string;
  /** The backbone's weights: a Layers folder or a Keras .h5 file. */
  weightsDir: string;
  head: Head;
  /**
   * The layer the trunk ends at, where it is not the backbone's own (`featureLayer` of its spec): an
   * imported model records it. Global average pooling follows it.
   */
  featureLayer?: string;
  /** An imported ONNX model (`mlw export --format onnx`): the whole network, run by ONNX Runtime; `weightsDir` is unused. */
  onnxModel?: string;
}

/** A run's network ready to run forward: features (for scores) and Grad-CAM, on the fastest runtime at hand. */
interface LoadedNetwork {
  key: string;
  spec: BackboneSpec;
  extractor: FeatureExtractor;
  gradCam(input: Float32Array, head: Head, classIndices: number[]): Promise<ImageGradCam>;
  release(): void;
}

/** The network of the last call, kept for the next (one engine process serves one run at a time). */
let loaded: LoadedNetwork | null = null;

async function networkOf(tf: typeof Tf, network: RunNetwork): Promise<LoadedNetwork> {
  const key = [network.backbone, network.weightsDir, network.featureLayer ?? '', network.onnxModel ?? ''].join('\0');
  if (loaded?.key === key) return loaded;
  loaded?.release();
  loaded = null;
  const base = backboneSpec(network.backbone);
  const spec = network.featureLayer === undefined ? base : { ...base, featureLayer: network.featureLayer };
  const next = network.onnxModel === undefined ? await fromBackbone(tf, network, spec, key) : await fromOnnxFile(network, spec, key);
  if (network.head.featureSize !== next.extractor.spec.featureSize) {
    next.release();
    throw new AppError(
      'INVALID_INPUT',
      `The run's head takes ${network.head.featureSize} features but ${spec.title} gives ${next.extractor.spec.featureSize}.`,
    );
  }
  loaded = next;
  return next;
}

/** A backbone with its weights (Layers folder or .h5): exported to ONNX Runtime where it can be, else run on TensorFlow.js. */
async function fromBackbone(tf: typeof Tf, network: RunNetwork, spec: BackboneSpec, key: string): Promise<LoadedNetwork> {
  if (network.head.featureSize !== spec.featureSize) {
    throw new AppError(
      'INVALID_INPUT',
      `The run's head takes ${network.head.featureSize} features but ${spec.title} gives ${spec.featureSize}.`,
    );
  }
  const { model, weightsKey } = await loadBackbone(tf, spec, network.weightsDir);
  let extractor: FeatureExtractor;
  try {
    extractor = await bestFeatureExtractor(tf, model, spec, weightsKey);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const onnx = extractor.onnx;
  if (onnx !== undefined) {
    model.dispose(); // ONNX Runtime holds its own copy of the weights
    return {
      key,
      spec,
      extractor,
      gradCam: (input, head, classIndices) => onnxGradCam(onnx, head, input, classIndices),
      release: () => void onnx.session.release(),
    };
  }
  const trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(spec.featureLayer).output as Tf.SymbolicTensor });
  return {
    key,
    spec,
    extractor,
    gradCam: async (input, head, classIndices) => gradCam(tf, trunk, head, input, spec.preprocessing.size, classIndices),
    release: () => model.dispose(),
  };
}

/** An imported ONNX model (our export): ONNX Runtime runs it, or nothing can. */
async function fromOnnxFile(network: RunNetwork, spec: BackboneSpec, key: string): Promise<LoadedNetwork> {
  const path = network.onnxModel!;
  const runtime = loadOnnxRuntime();
  if (runtime === null) {
    throw new AppError(
      'UNSUPPORTED',
      `This run is the ONNX model ${path}, which only ONNX Runtime runs, and it did not load here: ${inferenceStatus().reason ?? ''}`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new AppError('NOT_FOUND', `The run's model ${path} is gone; import it again or restore the file.`, { path });
  }
  let trunk: OnnxTrunk;
  try {
    trunk = await onnxTrunkOfFile(runtime, bytes);
  } catch (error) {
    throw new AppError(
      'INVALID_INPUT',
      `${path} does not run as this run's network: ${error instanceof Error ? error.message : String(error)}.`,
      { path },
    );
  }
  if (trunk.size !== spec.preprocessing.size) {
    void trunk.session.release();
    throw new AppError(
      'INVALID_INPUT',
      `${path} takes ${trunk.size}-pixel images, but ${spec.title} is preprocessed at ${spec.preprocessing.size}.`,
      { path },
    );
  }
  const weightsKey = createHash('sha256').update(bytes).digest('hex');
  return {
    key,
    spec: { ...spec, featureSize: trunk.featureSize },
    extractor: onnxFeatureExtractor(trunk, { ...spec, featureSize: trunk.featureSize }, weightsKey),
    gradCam: (input, head, classIndices) => onnxGradCam(trunk, head, input, classIndices),
    release: () => void trunk.session.release(),
  };
}

export interface ScoredImages {
  /** Row-major [kept images, classes] sigmoid scores. */
  scores: Float32Array;
  /** Indices into the request's paths of the rows of `scores`. */
  kept: number[];
  skipped: { path: string; reason: string; kind: SkipKind }[];
  /** Damaged images scored all the same (with acceptDamaged), by index into the request's paths. */
  damaged: { index: number; message: string; library: string }[];
  /** Which runtime computed the features. */
  runtime: FeatureRuntime;
}

/**
 * Scores images with a run's network, preprocessed exactly as in training (the same decoder, size
 * and normalisation). Features are the trunk's, pooled, so they come from (and go to) the same disk
 * cache as training's: scoring a run's own validation images again costs only the head.
 */
export async function scoreImages(
  tf: typeof Tf,
  network: RunNetwork,
  request: {
    paths: string[];
    cacheDir: string;
    acceptDamaged?: boolean;
    signal?: AbortSignal;
    onProgress?: (progress: Progress) => void;
  },
): Promise<ScoredImages> {
  const { extractor } = await networkOf(tf, network);
  const { features, failed, damaged } = await extractFeatures(extractor, {
    paths: request.paths,
    acceptDamaged: request.acceptDamaged === true,
    augmentedViews: 0,
    augmentation: exampleAugmentation,
    seed: 0,
    cacheDir: request.cacheDir,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
  const bad = new Set(failed.map((f) => f.index));
  const kept = request.paths.map((_, i) => i).filter((i) => !bad.has(i));
  const { featureSize: d, classes: c } = network.head;
  const rows = new Float32Array(kept.length * d);
  kept.forEach((image, row) => rows.set(features.subarray(image * d, (image + 1) * d), row * d));
  const scores = tf.tidy(() =>
    tf
      .sigmoid(
        tf
          .tensor2d(rows, [kept.length, d])
          .matMul(tf.tensor2d(network.head.weights, [d, c]))
          .add(tf.tensor1d(network.head.bias)),
      )
      .dataSync()
      .slice(),
  ) as Float32Array;
  return {
    scores,
    kept,
    skipped: failed.map((f) => ({ path: f.path, reason: f.reason, kind: f.kind })),
    damaged: damaged.map((d) => ({ index: d.index, ...d.damage })),
    runtime: extractor.runtime,
  };
}

export interface ImageGradCam {
  scores: number[];
  maps: { width: number; height: number; values: Float32Array }[];
}

/** Grad-CAM of one image for some classes, with the run's own preprocessing. */
export async function gradCamOfImage(
  tf: typeof Tf,
  network: RunNetwork,
  path: string,
  classIndices: number[],
  acceptDamaged = false,
): Promise<ImageGradCam> {
  const loadedNetwork = await networkOf(tf, network);
  const { size, normalisation } = loadedNetwork.spec.preprocessing;
  const input = new Float32Array(size * size * 3);
  normalise(acceptDamaged ? (await decodeResizedChecked(path, size)).rgb : await decodeResized(path, size), normalisation, input);
  return loadedNetwork.gradCam(input, network.head, classIndices);
}

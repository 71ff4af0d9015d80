import type * as Tf from '@tensorflow/tfjs';
import type { Progress } from '../../../shared/contract/define';
import { AppError } from '../../../shared/contract/errors';
import { loadBackbone } from '../models/architectures/load-backbone';
import { extractFeatures, featureExtractor } from './features';
import { gradCam, type Head } from './gradcam';
import { decodeResized, exampleAugmentation, normalise } from '../images/preprocess';
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
}

/** The trunk of a run's backbone, loaded once per engine process and kept for the next call. */
let loaded: { key: string; spec: BackboneSpec; trunk: Tf.LayersModel; weightsKey: string; model: Tf.LayersModel } | null = null;

async function trunkOf(tf: typeof Tf, network: RunNetwork) {
  const key = `${network.backbone}\0${network.weightsDir}\0${network.featureLayer ?? ''}`;
  if (loaded?.key === key) return loaded;
  loaded?.model.dispose();
  loaded = null;
  const base = backboneSpec(network.backbone);
  const spec = network.featureLayer === undefined ? base : { ...base, featureLayer: network.featureLayer };
  const { model, weightsKey } = await loadBackbone(tf, spec, network.weightsDir);
  const trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(spec.featureLayer).output as Tf.SymbolicTensor });
  if (network.head.featureSize !== spec.featureSize) {
    throw new AppError(
      'INVALID_INPUT',
      `The run's head takes ${network.head.featureSize} features but ${spec.title} gives ${spec.featureSize}.`,
    );
  }
  loaded = { key, spec, trunk, weightsKey, model };
  return loaded;
}

export interface ScoredImages {
  /** Row-major [kept images, classes] sigmoid scores. */
  scores: Float32Array;
  /** Indices into the request's paths of the rows of `scores`. */
  kept: number[];
  skipped: { path: string; reason: string }[];
}

/**
 * Scores images with a run's network, preprocessed exactly as in training (the same decoder, size
 * and normalisation). Features are the trunk's, pooled, so they come from (and go to) the same disk
 * cache as training's: scoring a run's own validation images again costs only the head.
 */
export async function scoreImages(
  tf: typeof Tf,
  network: RunNetwork,
  request: { paths: string[]; cacheDir: string; signal?: AbortSignal; onProgress?: (progress: Progress) => void },
): Promise<ScoredImages> {
  const { spec, model, weightsKey } = await trunkOf(tf, network);
  const extractor = featureExtractor(tf, model, spec, weightsKey);
  const { features, failed } = await extractFeatures(tf, extractor, {
    paths: request.paths,
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
  return { scores, kept, skipped: failed.map((f) => ({ path: f.path, reason: f.reason })) };
}

export interface ImageGradCam {
  scores: number[];
  maps: { width: number; height: number; values: Float32Array }[];
}

/** Grad-CAM of one image for some classes, with the run's own preprocessing. */
export async function gradCamOfImage(tf: typeof Tf, network: RunNetwork, path: string, classIndices: number[]): Promise<ImageGradCam> {
  const { spec, trunk } = await trunkOf(tf, network);
  const size = spec.preprocessing.size;
  const input = new Float32Array(size * size * 3);
  normalise(await decodeResized(path, size), spec.preprocessing.normalisation, input);
  return gradCam(tf, trunk, network.head, input, size, classIndices);
}

import type { SkipKind } from '../../../shared/contract/skipped';
import type { Progress } from '../../../shared/contract/define';
import { exampleAugmentation, type Augmentation } from '../images/preprocess';
import { loadEngine } from '../process/backend';
import type * as Tf from '@tensorflow/tfjs';
import { bestFeatureExtractor, extractFeatures, type FeatureExtractor } from '../inference/features';
import { loadBackbone } from '../models/architectures/load-backbone';
import { AppError } from '../../../shared/contract/errors';
import { trainHead, type HeadCheckpoint, type HeadResult } from './train-head';
import { searchHeadSettings, type HeadSearchResult, type SearchChoice } from './head-search';
import type { IterationReport, TrainingSettings } from './types';
import { backboneSpec } from '../models/zoo';

export interface LabelledImages {
  paths: string[];
  /** Row-major [images, classes], 0 or 1. */
  labels: Float32Array;
}

export interface FrozenRunRequest {
  backbone: string;
  weightsDir: string;
  classes: number;
  train: LabelledImages;
  val: LabelledImages;
  settings: TrainingSettings;
  augmentedViews: number;
  augmentation?: Augmentation;
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  onIteration?: (report: IterationReport) => void;
  onCheckpoint?: (checkpoint: HeadCheckpoint) => Promise<void> | void;
  resumeFrom?: HeadCheckpoint;
  /** Settings to choose on held-out training images (searchHeadSettings); null: train with `settings` as given. */
  choose?: SearchChoice | null;
}

export interface FrozenRunResult extends HeadResult {
  /** The backend the head trained on, and where the features came from when not from it. */
  backend: string;
  skipped: { path: string; reason: string; kind: SkipKind }[];
  /** Indices (into the request's val images) of the rows of valScores. */
  valKept: number[];
  trainKept: number;
  seconds: { features: number; training: number };
  /** How the head's settings were chosen, and the held-out logits with their temperature; null where nothing was chosen. */
  search: HeadSearchResult['search'] | null;
  heldOut: HeadSearchResult['heldOut'] | null;
}

/** Fewer training images than this leave too few to hold out: the settings are then used as given. */
const smallestSearch = 10;

/**
 * The frozen-backbone mode: backbone features once per image (and per augmented view, cached on
 * disk), then only the new head trains. Unreadable images are skipped and reported.
 */
export async function trainFrozen(request: FrozenRunRequest): Promise<FrozenRunResult> {
  const { tf, status } = await loadEngine();
  const spec = backboneSpec(request.backbone);
  // A Layers folder or a Keras .h5 file; the key is the weights' SHA-256, as the feature cache was keyed before.
  const { model, weightsKey } = await loadBackbone(tf, spec, request.weightsDir);
  let extractor: FeatureExtractor | undefined;
  try {
    extractor = await bestFeatureExtractor(tf, model, spec, weightsKey);
    return await featuresThenHead(tf, status.backend, request, extractor);
  } finally {
    model.dispose();
    await extractor?.onnx?.session.release();
  }
}

async function featuresThenHead(
  tf: typeof Tf,
  backend: string,
  request: FrozenRunRequest,
  extractor: FeatureExtractor,
): Promise<FrozenRunResult> {
  const { spec } = extractor;
  const started = performance.now();
  const common = {
    augmentation: request.augmentation ?? exampleAugmentation,
    seed: request.settings.seed,
    cacheDir: request.cacheDir,
    ...(request.signal ? { signal: request.signal } : {}),
  };
  const report = (phase: string) => (p: Progress) => request.onProgress?.({ ...p, phase });
  const train = await extractFeatures(extractor, {
    ...common,
    paths: request.train.paths,
    augmentedViews: request.augmentedViews,
    onProgress: report('Computing features of the training images'),
  });
  const val = await extractFeatures(extractor, {
    ...common,
    paths: request.val.paths,
    augmentedViews: 0,
    onProgress: report('Computing features of the validation images'),
  });
  const featureSeconds = (performance.now() - started) / 1000;

  const d = spec.featureSize;
  const c = request.classes;
  const keep = (count: number, failed: { index: number }[]): number[] => {
    const bad = new Set(failed.map((f) => f.index));
    return Array.from({ length: count }, (_, i) => i).filter((i) => !bad.has(i));
  };
  const trainKept = keep(request.train.paths.length, train.failed);
  const valKept = keep(request.val.paths.length, val.failed);
  if (trainKept.length === 0) throw new AppError('INVALID_INPUT', 'None of the training images could be read. Check the images folder.');
  if (valKept.length === 0) throw new AppError('INVALID_INPUT', 'None of the validation images could be read. Check the images folder.');
  const gather = (source: Float32Array, rows: number[], width: number, views: number): Float32Array => {
    const out = new Float32Array(rows.length * views * width);
    rows.forEach((row, i) => out.set(source.subarray(row * views * width, (row + 1) * views * width), i * views * width));
    return out;
  };

  const trainingStarted = performance.now();
  const trainData = {
    trainFeatures: gather(train.features, trainKept, d, train.views),
    trainViews: train.views,
    trainLabels: gather(request.train.labels, trainKept, c, 1),
    featureSize: d,
    classes: c,
  };
  let settings = request.settings;
  let found: HeadSearchResult | null = null;
  if (request.choose && trainKept.length >= smallestSearch) {
    const phase = 'Choosing the new layer’s settings on held-out training images';
    request.onProgress?.({ phase, done: 0, total: 1, unit: 'items' });
    found = await searchHeadSettings(tf, trainData, settings, request.choose, {
      ...(request.signal ? { signal: request.signal } : {}),
      onTried: (done, total) => request.onProgress?.({ phase, done, total, unit: 'items' }),
    });
    settings = found.settings;
  }
  const result = await trainHead(
    tf,
    { ...trainData, valFeatures: gather(val.features, valKept, d, 1), valLabels: gather(request.val.labels, valKept, c, 1) },
    settings,
    {
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.onIteration ? { onIteration: request.onIteration } : {}),
      ...(request.onCheckpoint ? { onCheckpoint: request.onCheckpoint } : {}),
      ...(request.resumeFrom ? { resumeFrom: request.resumeFrom } : {}),
      // Settings chosen on held-out training images: the validation images only measure.
      keep: found === null ? 'best' : 'last',
    },
  );
  return {
    ...result,
    search: found?.search ?? null,
    heldOut: found?.heldOut ?? null,
    // The head trains on the backend; the features may come from ONNX Runtime.
    backend: extractor.runtime === 'onnxruntime' ? `${backend}, features on onnxruntime` : backend,
    skipped: [...train.failed, ...val.failed].map(({ path, reason, kind }) => ({ path, reason, kind })),
    valKept,
    trainKept: trainKept.length,
    seconds: { features: featureSeconds, training: (performance.now() - trainingStarted) / 1000 },
  };
}

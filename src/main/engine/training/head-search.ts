import type * as Tf from '@tensorflow/tfjs';
import { cancelled } from '../../../shared/contract/errors';
import type { HeadSearch } from '../../../shared/contract/calibration';
import { heldOutSplit } from './held-out-split';
import { fitTemperature } from './temperature';
import { trainHead, type HeadData } from './train-head';
import type { TrainingSettings } from './types';

/** The share of the training images a search holds out. */
export const heldOutFraction = 0.2;

/**
 * The values a search tries where the user left them to it: the example's head learn rate and ten
 * times it (each times the head's factor of 10), and L2 in decades from the example's 1e-4 up to 1,
 * where a head on a few dozen images stops memorising them.
 */
export const searchGrid = { learnRate: [5e-4, 5e-3], l2Regularization: [1e-4, 1e-3, 1e-2, 1e-1, 1] } as const;

/** Which settings the search chooses; the others are the user's. */
export interface SearchChoice {
  learnRate: boolean;
  l2Regularization: boolean;
  maxEpochs: boolean;
}

export interface HeadSearchResult {
  search: HeadSearch;
  /** The settings to train the head with on every training image (maxEpochs: the chosen epochs). */
  settings: TrainingSettings;
  /** The held-out images' logits from the head the chosen values trained without them, for temperature scaling. */
  heldOut: { logits: Float32Array; labels: Float32Array; temperature: number };
}

/**
 * Chooses the head's learn rate, L2 and epochs on the training images alone: a seeded part held
 * out (every class keeping examples: heldOutSplit), each combination of the free values trained on
 * the rest with the example's early stopping on the held-out part, the lowest held-out loss taken,
 * its epochs the number to train for. The validation images are never looked at. The held-out
 * images' logits under the chosen head also fit the run's temperature.
 */
export async function searchHeadSettings(
  tf: typeof Tf,
  data: Omit<HeadData, 'valFeatures' | 'valLabels'>,
  settings: TrainingSettings,
  choose: SearchChoice,
  options: { signal?: AbortSignal; onTried?: (done: number, total: number) => void } = {},
): Promise<HeadSearchResult> {
  const started = performance.now();
  const { featureSize: d, classes: c, trainViews: views } = data;
  const { fit, heldOut } = heldOutSplit(data.trainLabels, c, heldOutFraction, settings.seed);
  const rows = (images: number[], source: Float32Array, width: number, viewsPerImage: number, onlyFirstView = false): Float32Array => {
    const per = onlyFirstView ? 1 : viewsPerImage;
    const out = new Float32Array(images.length * per * width);
    images.forEach((image, i) =>
      out.set(source.subarray(image * viewsPerImage * width, (image * viewsPerImage + per) * width), i * per * width),
    );
    return out;
  };
  const split: HeadData = {
    trainFeatures: rows(fit, data.trainFeatures, d, views),
    trainViews: views,
    trainLabels: rows(fit, data.trainLabels, c, 1),
    // The plain view of each held-out image, as validation images are scored.
    valFeatures: rows(heldOut, data.trainFeatures, d, views, true),
    valLabels: rows(heldOut, data.trainLabels, c, 1),
    featureSize: d,
    classes: c,
  };
  const candidates = (choose.learnRate ? searchGrid.learnRate : [settings.learnRate]).flatMap((learnRate) =>
    (choose.l2Regularization ? searchGrid.l2Regularization : [settings.l2Regularization]).map((l2Regularization) => ({
      learnRate,
      l2Regularization,
    })),
  );
  const iterationsPerEpoch = Math.max(1, Math.floor(fit.length / settings.batchSize));
  const tried: HeadSearch['tried'] = [];
  let best: { index: number; weights: Float32Array; bias: Float32Array } | null = null;
  for (const [index, candidate] of candidates.entries()) {
    if (options.signal?.aborted) throw cancelled();
    const result = await trainHead(tf, split, { ...settings, ...candidate }, options.signal ? { signal: options.signal } : {});
    const epochs = Math.max(1, Math.ceil(result.bestIteration / iterationsPerEpoch));
    tried.push({ ...candidate, heldOutLoss: result.bestValidationLoss, epochs: choose.maxEpochs ? epochs : settings.maxEpochs });
    if (best === null || result.bestValidationLoss < tried[best.index]!.heldOutLoss)
      best = { index, weights: result.weights, bias: result.bias };
    options.onTried?.(index + 1, candidates.length);
  }
  const chosen = tried[best!.index]!;
  const logits = tf.tidy(() =>
    tf
      .tensor2d(split.valFeatures, [heldOut.length, d])
      .matMul(tf.tensor2d(best!.weights, [d, c]))
      .add(tf.tensor1d(best!.bias))
      .dataSync()
      .slice(),
  ) as Float32Array;
  return {
    search: {
      heldOutFraction,
      fitImages: fit.length,
      heldOutImages: heldOut.length,
      tried,
      chosen: { learnRate: chosen.learnRate, l2Regularization: chosen.l2Regularization, epochs: chosen.epochs },
      seconds: (performance.now() - started) / 1000,
    },
    settings: { ...settings, learnRate: chosen.learnRate, l2Regularization: chosen.l2Regularization, maxEpochs: chosen.epochs },
    heldOut: { logits, labels: split.valLabels, temperature: fitTemperature(logits, split.valLabels, c) },
  };
}

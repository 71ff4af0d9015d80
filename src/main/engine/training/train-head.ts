import type * as Tf from '@tensorflow/tfjs';
import { SgdMomentum } from './sgd-momentum';
import { SeededRandom } from './seeded-random';
import { runTrainingLoop, type LoopPosition } from './training-loop';
import type { IterationReport, TrainingSettings } from './types';

/** The reference example's options (trainingOptions "sgdm" and its new fully connected layer). */
export const exampleTraining: TrainingSettings = {
  learnRate: 5e-4,
  momentum: 0.9,
  l2Regularization: 1e-4,
  batchSize: 32,
  maxEpochs: 10,
  validationFrequency: 100,
  validationPatience: 5,
  headLearnRateFactor: 10,
  seed: 1,
};

/**
 * Defaults for the frozen-backbone mode: only the head learns, and an epoch over cached features
 * costs milliseconds, so it gets many more epochs, a larger learn rate and frequent validation,
 * keeping the example's momentum, batch, factor and patience rule (in validations).
 */
export const frozenTraining: TrainingSettings = {
  ...exampleTraining,
  learnRate: 5e-3,
  maxEpochs: 300,
  validationFrequency: 20,
  validationPatience: 10,
};

export interface HeadData {
  /** Row-major [rows, featureSize]; with several augmented views, row = image * views + view. */
  trainFeatures: Float32Array;
  trainViews: number;
  /** Row-major [images, classes], 0 or 1. */
  trainLabels: Float32Array;
  valFeatures: Float32Array;
  valLabels: Float32Array;
  featureSize: number;
  classes: number;
}

export interface HeadResult {
  weights: Float32Array;
  bias: Float32Array;
  bestValidationLoss: number;
  bestIteration: number;
  iterations: number;
  stoppedEarly: boolean;
  /** Sigmoid scores of the validation images with the best weights, row-major [images, classes]. */
  valScores: Float32Array;
}

/**
 * Everything training needs to continue exactly where it was: written at each validation, so a
 * cancelled or crashed run resumed from it reaches the same result as an uninterrupted one.
 */
export interface HeadCheckpoint {
  /** Iterations done; the next one is iteration + 1. */
  iteration: number;
  epoch: number;
  /** Mini-batches of this epoch already done, and the epoch's order. */
  batchInEpoch: number;
  order: number[];
  randomState: number;
  weights: Float32Array;
  bias: Float32Array;
  velocities: Record<string, Float32Array>;
  best: { loss: number; iteration: number; weights: Float32Array; bias: Float32Array };
  sinceBest: number;
}

/**
 * Binary cross-entropy from logits, computed stably as max(z, 0) - z*y + log(1 + exp(-|z|)),
 * summed over classes and averaged over the batch (MATLAB's "binary-crossentropy" normalised by
 * batch size).
 */
export function bceFromLogits(tf: typeof Tf, logits: Tf.Tensor2D, labels: Tf.Tensor2D): Tf.Scalar {
  return tf.tidy(() => {
    const perElement = tf
      .relu(logits)
      .sub(logits.mul(labels))
      .add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return perElement.sum().div(logits.shape[0]) as Tf.Scalar;
  });
}

/** Root mean squared error between sigmoid scores and labels, over every element. */
export function rmse(tf: typeof Tf, logits: Tf.Tensor2D, labels: Tf.Tensor2D): Tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.sigmoid(logits).sub(labels).square().mean()) as Tf.Scalar);
}

/**
 * Trains the new fully connected layer on cached backbone features: logits = features · W + b,
 * sigmoid at the end, binary cross-entropy from logits, SGD with momentum and the head's learn-rate
 * factor, validation every `validationFrequency` iterations, early stop after `validationPatience`
 * validations without a lower loss, best weights kept.
 */
export async function trainHead(
  tf: typeof Tf,
  data: HeadData,
  settings: TrainingSettings,
  options: {
    signal?: AbortSignal;
    onIteration?: (report: IterationReport) => void;
    /** Called after each validation with the state to resume from; training waits for it. */
    onCheckpoint?: (checkpoint: HeadCheckpoint) => Promise<void> | void;
    resumeFrom?: HeadCheckpoint;
    /**
     * 'best' (the example's rule): stop after `validationPatience` validations without a lower
     * loss and keep the weights of the best one. 'last': train every epoch and keep the last
     * weights, so the validation images only measure (settings chosen on held-out training images).
     */
    keep?: 'best' | 'last';
    /** Given the weights as they are when training ends (trainHeadToTheEnd's way to them). */
    lastWeights?: (weights: Float32Array, bias: Float32Array) => void;
  } = {},
): Promise<HeadResult> {
  if (options.keep === 'last') return trainHeadToTheEnd(tf, data, settings, options);
  const { featureSize: d, classes: c } = data;
  const trainImages = data.trainLabels.length / c;
  const valImages = data.valLabels.length / c;
  const generator = new SeededRandom(settings.seed);
  const random = (): number => generator.next();
  // Glorot-uniform weights and zero bias, as MATLAB initialises a new fully connected layer.
  const limit = Math.sqrt(6 / (d + c));
  const initial = new Float32Array(d * c).map(() => (random() * 2 - 1) * limit);
  const resume = options.resumeFrom;
  if (resume) initial.set(resume.weights);
  const weights = tf.tidy(() => tf.variable(tf.tensor2d(initial, [d, c]), true, 'head/kernel'));
  const bias = tf.tidy(() => tf.variable(resume ? tf.tensor1d(resume.bias) : tf.zeros([c]), true, 'head/bias'));
  const optimiser = new SgdMomentum(
    tf,
    [
      { variable: weights, learnRateFactor: settings.headLearnRateFactor, l2Factor: 1 },
      { variable: bias, learnRateFactor: settings.headLearnRateFactor, l2Factor: 0 },
    ],
    settings.learnRate,
    settings.momentum,
    settings.l2Regularization,
  );
  const valX = tf.tensor2d(data.valFeatures, [valImages, d]);
  const valY = tf.tensor2d(data.valLabels, [valImages, c]);
  if (resume) optimiser.restore(resume.velocities);
  try {
    const { best, iterations, stoppedEarly } = await runTrainingLoop({
      settings,
      images: trainImages,
      generator,
      initialBest: { loss: Infinity, iteration: 0, weights: new Float32Array(d * c), bias: new Float32Array(c) },
      ...(resume ? { resumeFrom: { ...resume, best: { ...resume.best } } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      // The views are drawn from the run's generator as each batch is built, so no prefetching.
      prefetch: false,
      load: (batch) => {
        const xs = new Float32Array(batch.length * d);
        const ys = new Float32Array(batch.length * c);
        batch.forEach((image, row) => {
          const view = data.trainViews > 1 ? Math.floor(random() * data.trainViews) : 0;
          const from = (image * data.trainViews + view) * d;
          xs.set(data.trainFeatures.subarray(from, from + d), row * d);
          ys.set(data.trainLabels.subarray(image * c, (image + 1) * c), row * c);
        });
        return { xs, ys, rows: batch.length };
      },
      step: ({ xs, ys, rows }) =>
        tf.tidy(() => {
          const x = tf.tensor2d(xs, [rows, d]);
          const y = tf.tensor2d(ys, [rows, c]);
          const { value, grads } = tf.variableGrads(
            () => bceFromLogits(tf, x.matMul(weights).add(bias) as Tf.Tensor2D, y),
            [weights, bias],
          );
          optimiser.apply(grads);
          const logits = x.matMul(weights).add(bias) as Tf.Tensor2D;
          return { loss: value.dataSync()[0]!, rmse: rmse(tf, logits, y).dataSync()[0]! };
        }),
      validate: () =>
        tf.tidy(() => {
          const logits = valX.matMul(weights).add(bias) as Tf.Tensor2D;
          return { loss: bceFromLogits(tf, logits, valY).dataSync()[0]!, rmse: rmse(tf, logits, valY).dataSync()[0]! };
        }),
      keepBest: (validation, iteration) => ({
        loss: validation.loss,
        iteration,
        weights: weights.dataSync().slice() as Float32Array,
        bias: bias.dataSync().slice() as Float32Array,
      }),
      ...(options.onIteration ? { onIteration: options.onIteration } : {}),
      ...(options.onCheckpoint
        ? {
            onCheckpoint: async ({ best, ...position }: LoopPosition & { best: HeadCheckpoint['best'] }) =>
              options.onCheckpoint!({
                ...position,
                weights: weights.dataSync().slice() as Float32Array,
                bias: bias.dataSync().slice() as Float32Array,
                velocities: await optimiser.state(),
                best: { ...best },
              }),
          }
        : {}),
    });
    options.lastWeights?.(weights.dataSync().slice() as Float32Array, bias.dataSync().slice() as Float32Array);
    const valScores = tf.tidy(() =>
      tf
        .sigmoid(valX.matMul(tf.tensor2d(best.weights, [d, c])).add(tf.tensor1d(best.bias)))
        .dataSync()
        .slice(),
    ) as Float32Array;
    return {
      weights: best.weights,
      bias: best.bias,
      bestValidationLoss: best.loss,
      bestIteration: best.iteration,
      iterations,
      stoppedEarly,
      valScores,
    };
  } finally {
    optimiser.dispose();
    weights.dispose();
    bias.dispose();
    valX.dispose();
    valY.dispose();
  }
}

/**
 * trainHead with the last weights kept: every epoch runs, and what is reported as the best
 * validation is the last one (the loop validates at the last iteration).
 */
async function trainHeadToTheEnd(
  tf: typeof Tf,
  data: HeadData,
  settings: TrainingSettings,
  options: Parameters<typeof trainHead>[3] & object,
): Promise<HeadResult> {
  const { featureSize: d, classes: c } = data;
  // A best that no validation beats keeps the loop going; the weights come from the last step.
  let last: { loss: number; iteration: number } = { loss: Number.NaN, iteration: 0 };
  let weights: Float32Array | null = null;
  let bias: Float32Array | null = null;
  const result = await trainHead(
    tf,
    data,
    { ...settings, validationPatience: Number.MAX_SAFE_INTEGER },
    {
      ...options,
      keep: 'best',
      onIteration: (report) => {
        if (report.valLoss !== undefined) last = { loss: report.valLoss, iteration: report.iteration };
        options.onIteration?.(report);
      },
      lastWeights: (w, b) => {
        weights = w;
        bias = b;
      },
    },
  );
  const finalWeights = weights ?? result.weights;
  const finalBias = bias ?? result.bias;
  const valImages = data.valLabels.length / c;
  const valScores = tf.tidy(() =>
    tf
      .sigmoid(
        tf
          .tensor2d(data.valFeatures, [valImages, d])
          .matMul(tf.tensor2d(finalWeights, [d, c]))
          .add(tf.tensor1d(finalBias)),
      )
      .dataSync()
      .slice(),
  ) as Float32Array;
  return {
    ...result,
    weights: finalWeights,
    bias: finalBias,
    bestValidationLoss: Number.isNaN(last.loss) ? result.bestValidationLoss : last.loss,
    bestIteration: last.iteration,
    stoppedEarly: false,
    valScores,
  };
}

import type * as Tf from '@tensorflow/tfjs';
import { skipKindOf, type SkipKind } from '../../../shared/contract/skipped';
import { decodeResized, normalise, type Augmentation, type Preprocessing } from '../images/preprocess';
import { SgdMomentum, type TrainableVariable } from './sgd-momentum';
import { runTrainingLoop, type LoopPosition } from './training-loop';
import { SeededRandom, seededRandom } from './seeded-random';
import { bceFromLogits, rmse, type HeadResult } from './train-head';
import type { IterationReport, TrainingSettings } from './types';

export interface FinetuneNetwork {
  /** The backbone up to its last feature map; every trainable weight in it learns. */
  trunk: Tf.LayersModel;
  featureSize: number;
  preprocessing: Preprocessing;
}

export interface FinetuneData {
  trainPaths: readonly string[];
  /** Row-major [images, classes]. */
  trainLabels: Float32Array;
  valPaths: readonly string[];
  valLabels: Float32Array;
  classes: number;
}

/** Everything a fine-tuning run needs to continue exactly where it was (see HeadCheckpoint). */
export interface FinetuneCheckpoint {
  iteration: number;
  epoch: number;
  batchInEpoch: number;
  order: number[];
  randomState: number;
  /** Every weight of the network (trunk, including batch-norm statistics, then the head). */
  values: Float32Array[];
  /** In the optimiser's variable order. */
  velocities: Float32Array[];
  best: { loss: number; iteration: number; values: Float32Array[]; scores: Float32Array; kept: number[] };
  sinceBest: number;
  /** Images left out so far: index, why, and (from checkpoints that record it) which kind of problem. */
  skipped: [number, string, SkipKind?][];
}

/** Why an image was left out. */
interface Skipped {
  reason: string;
  kind: SkipKind;
}

export interface FinetuneResult extends HeadResult {
  /** Images that could not be read, with why; they were left out. */
  skipped: { path: string; reason: string; kind: SkipKind }[];
  /** Indices into valPaths of the rows of valScores. */
  valKept: number[];
  trainKept: number;
}

/**
 * The example's recipe: every layer learns. The backbone's weights learn at the global learn rate,
 * the new layer's ten times faster; images are decoded (and augmented) batch by batch while the
 * previous batch trains. The trunk is left holding the best weights.
 */
export async function trainFinetune(
  tf: typeof Tf,
  network: FinetuneNetwork,
  data: FinetuneData,
  settings: TrainingSettings,
  options: {
    augmentation: Augmentation;
    signal?: AbortSignal;
    onIteration?: (report: IterationReport) => void;
    /** Called after each validation with the state to resume from; training waits for it. */
    onCheckpoint?: (checkpoint: FinetuneCheckpoint) => Promise<void> | void;
    resumeFrom?: FinetuneCheckpoint;
  },
): Promise<FinetuneResult> {
  const { trunk, featureSize: d, preprocessing } = network;
  const c = data.classes;
  const size = preprocessing.size;
  const pixels = size * size * 3;
  const generator = new SeededRandom(settings.seed);
  const random = (): number => generator.next();
  const skipped = new Map<number, Skipped>();
  const valSkipped = new Map<number, Skipped>();

  const limit = Math.sqrt(6 / (d + c));
  const initial = new Float32Array(d * c).map(() => (random() * 2 - 1) * limit);
  const weights = tf.tidy(() => tf.variable(tf.tensor2d(initial, [d, c]), true, 'finetune/head/kernel'));
  const bias = tf.tidy(() => tf.variable(tf.zeros([c]), true, 'finetune/head/bias'));
  const trunkVariables = trunk.trainableWeights.map((w) => (w as unknown as { val: Tf.Variable }).val);
  const variables: TrainableVariable[] = [
    // MATLAB's defaults: weights regularised, biases not; the new layer learns ten times faster.
    ...trunkVariables.map((variable) => ({ variable, learnRateFactor: 1, l2Factor: /bias|beta/.test(variable.name) ? 0 : 1 })),
    { variable: weights, learnRateFactor: settings.headLearnRateFactor, l2Factor: 1 },
    { variable: bias, learnRateFactor: settings.headLearnRateFactor, l2Factor: 0 },
  ];
  const optimiser = new SgdMomentum(tf, variables, settings.learnRate, settings.momentum, settings.l2Regularization);
  const logitsOf = (x: Tf.Tensor4D, training: boolean): Tf.Tensor2D =>
    (trunk.apply(x, { training }) as Tf.Tensor4D).mean([1, 2]).matMul(weights).add(bias) as Tf.Tensor2D;

  /** Decodes a batch; unreadable images are recorded in `failures` and left out. */
  const load = async (
    paths: readonly string[],
    indices: readonly number[],
    labels: Float32Array,
    /** The training epoch (images are augmented), or 0 for validation. */
    epoch: number,
    failures: Map<number, Skipped>,
  ) => {
    const decoded = await Promise.all(
      indices.map(async (index) => {
        if (failures.has(index)) return null;
        try {
          // Each image's augmentation in an epoch has its own seeded draws, so a resumed run decodes
          // exactly what an uninterrupted one would, whatever was prefetched at the checkpoint.
          const random = seededRandom(settings.seed * 1_000_003 + epoch * 65_537 + index);
          return await decodeResized(paths[index]!, size, epoch > 0 ? options.augmentation : undefined, random);
        } catch (error) {
          failures.set(index, { reason: error instanceof Error ? error.message : String(error), kind: skipKindOf(error) });
          return null;
        }
      }),
    );
    const kept = indices.filter((_, k) => decoded[k] !== null);
    const x = new Float32Array(kept.length * pixels);
    const y = new Float32Array(kept.length * c);
    let row = 0;
    decoded.forEach((rgb, k) => {
      if (rgb === null) return;
      normalise(rgb, preprocessing.normalisation, x, row * pixels);
      y.set(labels.subarray(indices[k]! * c, (indices[k]! + 1) * c), row * c);
      row++;
    });
    return { x, y, kept };
  };

  const validate = async (): Promise<{ loss: number; rmse: number; scores: Float32Array; kept: number[] }> => {
    const all = Array.from({ length: data.valPaths.length }, (_, i) => i);
    const scores: number[] = [];
    const kept: number[] = [];
    let lossSum = 0;
    let squares = 0;
    for (let start = 0; start < all.length; start += settings.batchSize) {
      const batch = await load(data.valPaths, all.slice(start, start + settings.batchSize), data.valLabels, 0, valSkipped);
      if (batch.kept.length === 0) continue;
      const [loss, err, s] = tf.tidy(() => {
        const x = tf.tensor4d(batch.x, [batch.kept.length, size, size, 3]);
        const y = tf.tensor2d(batch.y, [batch.kept.length, c]);
        const logits = logitsOf(x, false);
        return [bceFromLogits(tf, logits, y).dataSync()[0]!, rmse(tf, logits, y).dataSync()[0]!, tf.sigmoid(logits).dataSync()];
      }) as [number, number, Float32Array];
      lossSum += loss * batch.kept.length;
      squares += err * err * batch.kept.length * c;
      scores.push(...s);
      kept.push(...batch.kept);
    }
    return {
      loss: lossSum / Math.max(1, kept.length),
      rmse: Math.sqrt(squares / Math.max(1, kept.length * c)),
      scores: Float32Array.from(scores),
      kept,
    };
  };

  const trainImages = data.trainPaths.length;
  // The best weights include what training does not learn but changes: batch normalisation's moving statistics.
  const kept = [...trunk.weights.map((w) => (w as unknown as { val: Tf.Variable }).val), weights, bias];
  const snapshot = (): Float32Array[] => kept.map((variable) => variable.dataSync().slice() as Float32Array);
  const resume = options.resumeFrom;
  if (resume) {
    kept.forEach((variable, i) => tf.tidy(() => variable.assign(tf.tensor(resume.values[i]!, variable.shape))));
    optimiser.restoreInOrder(resume.velocities);
    for (const [index, reason, kind = 'unreadable'] of resume.skipped) skipped.set(index, { reason, kind });
  }
  try {
    const { best, iterations, stoppedEarly } = await runTrainingLoop({
      settings,
      images: trainImages,
      generator,
      initialBest: { loss: Infinity, iteration: 0, values: snapshot(), scores: new Float32Array(0), kept: [] as number[] },
      ...(resume ? { resumeFrom: { ...resume, best: { ...resume.best } } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      // Each image's augmentation has its own seeded draws, so decoding ahead changes nothing.
      prefetch: true,
      load: (indices, epoch) => load(data.trainPaths, indices, data.trainLabels, epoch, skipped),
      step: (batch) => {
        if (batch.kept.length === 0) return null;
        return tf.tidy(() => {
          const x = tf.tensor4d(batch.x, [batch.kept.length, size, size, 3]);
          const y = tf.tensor2d(batch.y, [batch.kept.length, c]);
          const { value, grads } = tf.variableGrads(
            () => bceFromLogits(tf, logitsOf(x, true), y),
            variables.map((v) => v.variable),
          );
          optimiser.apply(grads);
          return { loss: value.dataSync()[0]!, rmse: rmse(tf, logitsOf(x, false), y).dataSync()[0]! };
        });
      },
      validate,
      keepBest: (v, iteration) => ({ loss: v.loss, iteration, values: snapshot(), scores: v.scores, kept: v.kept }),
      ...(options.onIteration ? { onIteration: options.onIteration } : {}),
      ...(options.onCheckpoint
        ? {
            onCheckpoint: async ({ best, ...position }: LoopPosition & { best: FinetuneCheckpoint['best'] }) =>
              options.onCheckpoint!({
                ...position,
                values: snapshot(),
                velocities: await optimiser.stateInOrder(),
                best: { ...best },
                skipped: [...skipped].map(([index, { reason, kind }]): [number, string, SkipKind] => [index, reason, kind]),
              }),
          }
        : {}),
    });
    // Leave the network holding its best weights.
    kept.forEach((variable, i) => tf.tidy(() => variable.assign(tf.tensor(best.values[i]!, variable.shape))));
    const headIndex = kept.length - 2;
    return {
      weights: best.values[headIndex]!,
      bias: best.values[headIndex + 1]!,
      bestValidationLoss: best.loss,
      bestIteration: best.iteration,
      iterations,
      stoppedEarly,
      valScores: best.scores,
      valKept: best.kept,
      trainKept: trainImages - skipped.size,
      skipped: [
        ...[...skipped].map(([index, why]) => ({ path: data.trainPaths[index]!, ...why })),
        ...[...valSkipped].map(([index, why]) => ({ path: data.valPaths[index]!, ...why })),
      ],
    };
  } finally {
    optimiser.dispose();
    weights.dispose();
    bias.dispose();
  }
}

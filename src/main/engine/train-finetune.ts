import type * as Tf from '@tensorflow/tfjs';
import { cancelled } from '../../shared/contract/errors';
import { decodeResized, normalise, type Augmentation, type Preprocessing } from './preprocess';
import { SgdMomentum, type TrainableVariable } from './sgd-momentum';
import {
  bceFromLogits,
  rmse,
  SeededRandom,
  seededRandom,
  type HeadResult,
  type IterationReport,
  type TrainingSettings,
} from './train-head';

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
  skipped: [number, string][];
}

export interface FinetuneResult extends HeadResult {
  /** Images that could not be read, with why; they were left out. */
  skipped: { path: string; reason: string }[];
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
  const skipped = new Map<number, string>();
  const valSkipped = new Map<number, string>();

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
    failures: Map<number, string>,
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
          failures.set(index, error instanceof Error ? error.message : String(error));
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
  const iterationsPerEpoch = Math.max(1, Math.floor(trainImages / settings.batchSize));
  const iterationsTotal = iterationsPerEpoch * settings.maxEpochs;
  // The best weights include what training does not learn but changes: batch normalisation's moving statistics.
  const kept = [...trunk.weights.map((w) => (w as unknown as { val: Tf.Variable }).val), weights, bias];
  const snapshot = (): Float32Array[] => kept.map((variable) => variable.dataSync().slice() as Float32Array);
  let best: { loss: number; iteration: number; values: Float32Array[]; scores: Float32Array; kept: number[] } = {
    loss: Infinity,
    iteration: 0,
    values: snapshot(),
    scores: new Float32Array(0),
    kept: [],
  };
  let sinceBest = 0;
  let iteration = 0;
  let stoppedEarly = false;
  const resume = options.resumeFrom;
  if (resume) {
    kept.forEach((variable, i) => tf.tidy(() => variable.assign(tf.tensor(resume.values[i]!, variable.shape))));
    optimiser.restoreInOrder(resume.velocities);
    generator.state = resume.randomState;
    iteration = resume.iteration;
    best = { ...resume.best };
    sinceBest = resume.sinceBest;
    for (const [index, reason] of resume.skipped) skipped.set(index, reason);
  }
  const started = performance.now();
  const startIteration = iteration;
  try {
    let order = resume?.order.slice() ?? [];
    const firstEpoch = resume === undefined ? 1 : resume.batchInEpoch >= iterationsPerEpoch ? resume.epoch + 1 : resume.epoch;
    training: for (let epoch = firstEpoch; epoch <= settings.maxEpochs; epoch++) {
      const continuing = resume !== undefined && epoch === resume.epoch && resume.batchInEpoch < iterationsPerEpoch;
      if (!continuing) {
        order = Array.from({ length: trainImages }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
      }
      const batchOf = (k: number): number[] => order.slice(k * settings.batchSize, (k + 1) * settings.batchSize);
      const firstBatch = continuing ? resume.batchInEpoch : 0;
      let next = load(data.trainPaths, batchOf(firstBatch), data.trainLabels, epoch, skipped);
      for (let k = firstBatch; k < iterationsPerEpoch; k++) {
        if (options.signal?.aborted) throw cancelled();
        const batch = await next;
        // Decode the next batch while this one trains.
        next =
          k + 1 < iterationsPerEpoch
            ? load(data.trainPaths, batchOf(k + 1), data.trainLabels, epoch, skipped)
            : Promise.resolve({ x: new Float32Array(0), y: new Float32Array(0), kept: [] });
        iteration++;
        if (batch.kept.length === 0) continue;
        const [lossValue, rmseValue] = tf.tidy(() => {
          const x = tf.tensor4d(batch.x, [batch.kept.length, size, size, 3]);
          const y = tf.tensor2d(batch.y, [batch.kept.length, c]);
          const { value, grads } = tf.variableGrads(
            () => bceFromLogits(tf, logitsOf(x, true), y),
            variables.map((v) => v.variable),
          );
          optimiser.apply(grads);
          return [value.dataSync()[0]!, rmse(tf, logitsOf(x, false), y).dataSync()[0]!];
        });
        const report: IterationReport = {
          epoch,
          iteration,
          iterationsTotal,
          trainLoss: lossValue,
          trainRmse: rmseValue,
          imagesPerSecond: ((iteration - startIteration) * settings.batchSize) / ((performance.now() - started) / 1000),
        };
        if (iteration % settings.validationFrequency === 0 || iteration === iterationsTotal) {
          const v = await validate();
          report.valLoss = v.loss;
          report.valRmse = v.rmse;
          if (v.loss < best.loss) {
            best = { loss: v.loss, iteration, values: snapshot(), scores: v.scores, kept: v.kept };
            sinceBest = 0;
          } else if (++sinceBest >= settings.validationPatience) {
            stoppedEarly = true;
            options.onIteration?.(report);
            break training;
          }
          if (options.onCheckpoint) {
            // Report first: a cancel can arrive while the checkpoint is written.
            options.onIteration?.(report);
            await options.onCheckpoint({
              iteration,
              epoch,
              batchInEpoch: k + 1,
              order: order.slice(),
              randomState: generator.state,
              values: snapshot(),
              velocities: await optimiser.stateInOrder(),
              best: { ...best },
              sinceBest,
              skipped: [...skipped],
            });
            continue;
          }
        }
        options.onIteration?.(report);
      }
    }
    // Leave the network holding its best weights.
    kept.forEach((variable, i) => tf.tidy(() => variable.assign(tf.tensor(best.values[i]!, variable.shape))));
    const headIndex = kept.length - 2;
    return {
      weights: best.values[headIndex]!,
      bias: best.values[headIndex + 1]!,
      bestValidationLoss: best.loss,
      bestIteration: best.iteration,
      iterations: iteration,
      stoppedEarly,
      valScores: best.scores,
      valKept: best.kept,
      trainKept: trainImages - skipped.size,
      skipped: [
        ...[...skipped].map(([index, reason]) => ({ path: data.trainPaths[index]!, reason })),
        ...[...valSkipped].map(([index, reason]) => ({ path: data.valPaths[index]!, reason })),
      ],
    };
  } finally {
    optimiser.dispose();
    weights.dispose();
    bias.dispose();
  }
}

import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/contract/errors';
import { loadEngine } from '../process/backend';
import { seededRandom } from './seeded-random';
import {
  bceFromLogits,
  exampleTraining,
  frozenTraining,
  rmse,
  trainHead,
  type HeadCheckpoint,
  type HeadData,
  type HeadResult,
} from './train-head';
import type { IterationReport, TrainingSettings } from './types';

let tf: typeof Tf;
beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
});

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** -[y log σ(z) + (1-y) log(1-σ(z))], summed over classes and averaged over the batch, in doubles. */
function naiveBce(logits: number[][], labels: number[][]): number {
  let sum = 0;
  logits.forEach((row, i) =>
    row.forEach((z, j) => {
      const y = labels[i]![j]!;
      sum -= y * Math.log(sigmoid(z)) + (1 - y) * Math.log(1 - sigmoid(z));
    }),
  );
  return sum / logits.length;
}

function scalar(make: () => Tf.Scalar): number {
  const s = make();
  const value = s.dataSync()[0]!;
  s.dispose();
  return value;
}

function bce(logits: number[][], labels: number[][]): number {
  return scalar(() => tf.tidy(() => bceFromLogits(tf, tf.tensor2d(logits), tf.tensor2d(labels))));
}

describe('bceFromLogits', () => {
  it('equals -[y log σ(z) + (1-y) log(1-σ(z))] summed over classes and averaged over the batch, for moderate logits', () => {
    const logits = [
      [0.3, -1.2, 2.5, 0],
      [-3, 4.2, -0.7, 1.1],
      [6, -6, 0.01, -2],
    ];
    const labels = [
      [1, 0, 1, 0],
      [0, 1, 1, 1],
      [1, 1, 0, 0],
    ];
    const expected = naiveBce(logits, labels);
    expect(bce(logits, labels)).toBeCloseTo(expected, 5);
    // Summed over the classes, not averaged: a batch of one with the logits repeated twice doubles it.
    expect(bce([[0.3, 0.3]], [[1, 1]])).toBeCloseTo(2 * naiveBce([[0.3]], [[1]]), 6);
    // Averaged over the batch: the same row twice gives the one-row value.
    expect(bce([[0.3], [0.3]], [[1], [1]])).toBeCloseTo(naiveBce([[0.3]], [[1]]), 6);
  });

  it('stays finite and correct for logits of ±100, where the naive formula overflows', () => {
    const logits = [
      [100, -100, 100, -100],
      [100, -100, 0, 50],
    ];
    const labels = [
      [1, 0, 0, 1],
      [0, 1, 1, 0],
    ];
    // Naive in float32 is infinite (log(1 - σ(100)) = log 0), so this is the point of the stable form.
    const naiveFloat32 = scalar(() =>
      tf.tidy(() => {
        const z = tf.tensor2d(logits);
        const y = tf.tensor2d(labels);
        const p = tf.sigmoid(z);
        return y
          .mul(tf.log(p))
          .add(
            tf
              .scalar(1)
              .sub(y)
              .mul(tf.log(tf.scalar(1).sub(p))),
          )
          .sum()
          .neg()
          .div(2) as Tf.Scalar;
      }),
    );
    expect(Number.isFinite(naiveFloat32)).toBe(false);
    const value = bce(logits, labels);
    expect(Number.isFinite(value)).toBe(true);
    // Right answers cost ~0; each wrong one costs |z| (+ log 2 for z = 0; 50 + ~0 for z = 50, y = 0).
    const expected = (0 + 0 + 100 + 100 + (100 + 100 + Math.LN2 + 50)) / 2;
    expect(value).toBeCloseTo(expected, 3);
  });

  it('has the right gradient, σ(z) - y over the batch size, even at ±100', () => {
    const logits = tf.tensor2d([
      [100, -100, 0.5],
      [-100, 100, -0.5],
    ]);
    const labels = tf.tensor2d([
      [0, 1, 1],
      [0, 1, 0],
    ]);
    const grad = tf.grad((z: Tf.Tensor) => bceFromLogits(tf, z as Tf.Tensor2D, labels))(logits);
    const expected = [
      [1, -1, sigmoid(0.5) - 1],
      [0, 0, sigmoid(-0.5)],
    ].map((row) => row.map((g) => g / 2));
    const got = grad.arraySync() as number[][];
    got.flat().forEach((g, i) => expect(g).toBeCloseTo(expected.flat()[i]!, 5));
    tf.dispose([logits, labels, grad]);
  });
});

describe('rmse', () => {
  it('is the root mean squared difference between σ(logits) and the labels over every element', () => {
    const logits = [
      [0, 2, -1],
      [3, -4, 0.5],
    ];
    const labels = [
      [1, 1, 0],
      [0, 0, 1],
    ];
    let sum = 0;
    logits.forEach((row, i) => row.forEach((z, j) => (sum += (sigmoid(z) - labels[i]![j]!) ** 2)));
    const expected = Math.sqrt(sum / 6);
    const got = scalar(() => tf.tidy(() => rmse(tf, tf.tensor2d(logits), tf.tensor2d(labels))));
    expect(got).toBeCloseTo(expected, 6);
    // Logits of 0 are scores of 0.5: half off everywhere.
    expect(scalar(() => tf.tidy(() => rmse(tf, tf.zeros([3, 2]) as Tf.Tensor2D, tf.ones([3, 2]) as Tf.Tensor2D)))).toBeCloseTo(0.5, 6);
  });
});

describe('seededRandom', () => {
  it('gives the same sequence for the same seed, another for another seed, all in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const seqA = Array.from({ length: 1000 }, a);
    const seqB = Array.from({ length: 1000 }, b);
    const seqC = Array.from({ length: 1000 }, c);
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    for (const x of [...seqA, ...seqC]) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    // Not degenerate: roughly uniform.
    const mean = seqA.reduce((s, x) => s + x, 0) / seqA.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Set(seqA).size).toBe(1000);
  });
});

describe('training settings', () => {
  it('frozenTraining keeps the example’s momentum, batch, head factor, L2 and seed, with more epochs and a larger learn rate', () => {
    expect(exampleTraining).toMatchObject({ learnRate: 5e-4, momentum: 0.9, batchSize: 32, maxEpochs: 10, headLearnRateFactor: 10 });
    for (const key of ['momentum', 'batchSize', 'headLearnRateFactor', 'l2Regularization', 'seed'] as const) {
      expect(frozenTraining[key]).toBe(exampleTraining[key]);
    }
    expect(frozenTraining.maxEpochs).toBeGreaterThan(exampleTraining.maxEpochs);
    expect(frozenTraining.learnRate).toBeGreaterThan(exampleTraining.learnRate);
  });
});

// ---- trainHead on a generated multi-label problem ----

interface Problem {
  data: HeadData;
  /** The same problem with each validation label flipped (training makes validation worse). */
  flippedVal: HeadData;
}

/**
 * Features = sum of the prototypes of the labels an image has + Gaussian noise; each training image
 * has `views` noisy copies. Labels are present with probability 0.4, independently.
 */
function generateProblem(options: {
  classes: number;
  featureSize: number;
  train: number;
  val: number;
  views: number;
  noise: number;
  seed: number;
}): Problem {
  const { classes: c, featureSize: d, views } = options;
  const random = seededRandom(options.seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const prototypes = Array.from({ length: c }, () => Array.from({ length: d }, () => gaussian() * 1.5));
  const make = (images: number, copies: number): { features: Float32Array; labels: Float32Array } => {
    const features = new Float32Array(images * copies * d);
    const labels = new Float32Array(images * c);
    for (let i = 0; i < images; i++) {
      for (let k = 0; k < c; k++) labels[i * c + k] = random() < 0.4 ? 1 : 0;
      for (let v = 0; v < copies; v++) {
        for (let j = 0; j < d; j++) {
          let x = gaussian() * options.noise;
          for (let k = 0; k < c; k++) if (labels[i * c + k] === 1) x += prototypes[k]![j]!;
          features[(i * copies + v) * d + j] = x;
        }
      }
    }
    return { features, labels };
  };
  const train = make(options.train, views);
  const val = make(options.val, 1);
  const data: HeadData = {
    trainFeatures: train.features,
    trainViews: views,
    trainLabels: train.labels,
    valFeatures: val.features,
    valLabels: val.labels,
    featureSize: d,
    classes: c,
  };
  return { data, flippedVal: { ...data, valLabels: val.labels.map((y) => 1 - y) } };
}

function microF1(scores: Float32Array, labels: Float32Array): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  scores.forEach((s, i) => {
    const predicted = s >= 0.5;
    const actual = labels[i] === 1;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
  });
  return tp / (tp + 0.5 * (fp + fn));
}

/** σ(valFeatures · W + b) and the BCE of those logits, in doubles. */
function evaluate(data: HeadData, weights: Float32Array, bias: Float32Array): { scores: number[]; loss: number } {
  const { featureSize: d, classes: c } = data;
  const images = data.valLabels.length / c;
  const scores: number[] = [];
  let loss = 0;
  for (let i = 0; i < images; i++) {
    for (let k = 0; k < c; k++) {
      let z = bias[k]!;
      for (let j = 0; j < d; j++) z += data.valFeatures[i * d + j]! * weights[j * c + k]!;
      const y = data.valLabels[i * c + k]!;
      scores.push(sigmoid(z));
      loss += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    }
  }
  return { scores, loss: loss / images };
}

const problem = generateProblem({ classes: 4, featureSize: 24, train: 320, val: 160, views: 3, noise: 1, seed: 7 });

const settings: TrainingSettings = {
  ...frozenTraining,
  maxEpochs: 40,
  validationFrequency: 10,
  validationPatience: 10,
};

async function train(
  data: HeadData,
  s: TrainingSettings,
  signal?: AbortSignal,
): Promise<{ result: HeadResult; reports: IterationReport[] }> {
  const reports: IterationReport[] = [];
  const result = await trainHead(tf, data, s, { onIteration: (r) => reports.push(r), ...(signal ? { signal } : {}) });
  return { result, reports };
}

describe('trainHead', () => {
  it('learns a generated multi-label problem (4 classes, prototypes + noise, 3 views) to validation micro-F1 above 0.9', async () => {
    const { result, reports } = await train(problem.data, settings);
    expect(result.weights).toHaveLength(24 * 4);
    expect(result.bias).toHaveLength(4);
    expect(result.valScores).toHaveLength(160 * 4);
    const f1 = microF1(result.valScores, problem.data.valLabels);
    expect(f1).toBeGreaterThan(0.9);
    // Untrained (a random head) it is nowhere near: the score measures learning.
    const validations = reports.filter((r) => r.valLoss !== undefined);
    expect(validations.at(-1)!.valLoss!).toBeLessThan(validations[0]!.valLoss! * 0.7);
    expect(reports[0]!.trainLoss).toBeGreaterThan(reports.at(-1)!.trainLoss);
    // Every iteration is reported, in order, with the configured total.
    const iterationsPerEpoch = Math.floor(320 / settings.batchSize);
    expect(reports.map((r) => r.iteration)).toEqual(Array.from({ length: result.iterations }, (_, i) => i + 1));
    expect(reports[0]!.iterationsTotal).toBe(iterationsPerEpoch * settings.maxEpochs);
    expect(reports.at(-1)!.epoch).toBe(Math.ceil(result.iterations / iterationsPerEpoch));
    for (const r of reports) {
      expect(Number.isFinite(r.trainLoss)).toBe(true);
      expect(r.trainRmse).toBeGreaterThanOrEqual(0);
      expect(r.trainRmse).toBeLessThanOrEqual(1);
    }
  });

  it('draws training rows from every augmented view (row = image * views + view)', async () => {
    // View 0 of every image is all zeros; only views 1 and 2 carry the features. Trained on view 0
    // alone, the head could learn nothing but the bias.
    const { featureSize: d, trainViews: views } = problem.data;
    const trainFeatures = problem.data.trainFeatures.slice();
    const images = problem.data.trainLabels.length / problem.data.classes;
    for (let image = 0; image < images; image++) trainFeatures.fill(0, image * views * d, (image * views + 1) * d);
    const { result } = await train({ ...problem.data, trainFeatures }, settings);
    expect(microF1(result.valScores, problem.data.valLabels)).toBeGreaterThan(0.9);
  });

  it('scales the head’s learn rate by headLearnRateFactor: (lr, factor 8) trains exactly like (8 lr, factor 1), unlike (lr, factor 1)', async () => {
    const s: TrainingSettings = { ...settings, maxEpochs: 2, validationFrequency: 5, learnRate: 0.125 / 8, momentum: 0.5 };
    const withFactor = await train(problem.data, { ...s, headLearnRateFactor: 8 });
    const scaledRate = await train(problem.data, { ...s, learnRate: 0.125, headLearnRateFactor: 1 });
    const withoutFactor = await train(problem.data, { ...s, headLearnRateFactor: 1 });
    expect(withFactor.result.weights).toEqual(scaledRate.result.weights);
    expect(withFactor.result.weights).not.toEqual(withoutFactor.result.weights);
  });

  it('keeps the best weights: bestValidationLoss/bestIteration are the lowest reported validation loss, and the weights and valScores reproduce it', async () => {
    const { result, reports } = await train(problem.data, settings);
    const validations = reports.filter((r) => r.valLoss !== undefined);
    expect(validations.length).toBeGreaterThan(3);
    // Validation every validationFrequency iterations, and at the last one.
    for (const r of validations) expect(r.iteration % settings.validationFrequency === 0 || r.iteration === r.iterationsTotal).toBe(true);
    const lowest = Math.min(...validations.map((r) => r.valLoss!));
    expect(result.bestValidationLoss).toBe(lowest);
    expect(result.bestIteration).toBe(validations.find((r) => r.valLoss === lowest)!.iteration);
    const { scores, loss } = evaluate(problem.data, result.weights, result.bias);
    expect(loss).toBeCloseTo(result.bestValidationLoss, 3);
    scores.forEach((s, i) => expect(result.valScores[i]).toBeCloseTo(s, 4));
  });

  it('keeps the best weights, not the last, when validation gets worse (validation labels flipped)', async () => {
    const s: TrainingSettings = { ...settings, maxEpochs: 3, validationFrequency: 2, validationPatience: 1000 };
    const { result, reports } = await train(problem.flippedVal, s);
    const validations = reports.filter((r) => r.valLoss !== undefined);
    expect(result.stoppedEarly).toBe(false);
    expect(result.iterations).toBe(reports[0]!.iterationsTotal);
    // The last validation is much worse than the best one...
    expect(validations.at(-1)!.valLoss!).toBeGreaterThan(result.bestValidationLoss * 1.5);
    expect(result.bestIteration).toBeLessThan(result.iterations);
    // ...and the weights returned are those of the best one.
    expect(evaluate(problem.flippedVal, result.weights, result.bias).loss).toBeCloseTo(result.bestValidationLoss, 3);
  });

  it('stops early after validationPatience validations without a lower validation loss', async () => {
    const patience = 3;
    const s: TrainingSettings = { ...settings, maxEpochs: 50, validationFrequency: 2, validationPatience: patience };
    const { result, reports } = await train(problem.flippedVal, s);
    expect(result.stoppedEarly).toBe(true);
    expect(result.iterations).toBeLessThan(reports[0]!.iterationsTotal);
    // The last report is the validation that ran out of patience, and training stopped there.
    expect(reports.at(-1)!.iteration).toBe(result.iterations);
    expect(reports.at(-1)!.valLoss).toBeDefined();
    const validations = reports.filter((r) => r.valLoss !== undefined);
    const after = validations.filter((r) => r.iteration > result.bestIteration);
    expect(after).toHaveLength(patience);
    for (const r of after) expect(r.valLoss!).toBeGreaterThanOrEqual(result.bestValidationLoss);
  });

  it('stops early when a huge learn rate makes the validation loss diverge', async () => {
    const s: TrainingSettings = { ...settings, learnRate: 10, maxEpochs: 50, validationFrequency: 1, validationPatience: 4 };
    const { result, reports } = await train(problem.data, s);
    expect(result.stoppedEarly).toBe(true);
    expect(result.iterations).toBeLessThan(reports[0]!.iterationsTotal);
    const after = reports.filter((r) => r.valLoss !== undefined && r.iteration > result.bestIteration);
    expect(after).toHaveLength(4);
    expect(Number.isFinite(result.bestValidationLoss)).toBe(true);
  });

  it('does not stop early while the validation loss keeps improving', async () => {
    const s: TrainingSettings = { ...settings, maxEpochs: 5, validationFrequency: 5, validationPatience: 1 };
    const { result } = await train(problem.data, s);
    expect(result.stoppedEarly).toBe(false);
    expect(result.iterations).toBe(Math.floor(320 / s.batchSize) * 5);
  });

  it('is deterministic for a seed: two runs give identical weights, another seed other weights', async () => {
    const s: TrainingSettings = { ...settings, maxEpochs: 4, validationFrequency: 5 };
    const a = await train(problem.data, s);
    const b = await train(problem.data, s);
    expect(b.result.weights).toEqual(a.result.weights);
    expect(b.result.bias).toEqual(a.result.bias);
    expect(b.result.valScores).toEqual(a.result.valScores);
    expect(b.reports.map((r) => r.trainLoss)).toEqual(a.reports.map((r) => r.trainLoss));
    const c = await train(problem.data, { ...s, seed: 2 });
    expect(c.result.weights).not.toEqual(a.result.weights);
  });

  it('rejects with a CANCELLED AppError when the signal is already aborted, and frees its variables', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(train(problem.data, settings, controller.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(train(problem.data, settings, controller.signal)).rejects.toBeInstanceOf(AppError);
    // The head's variables are gone: a new run can create them again.
    const { result } = await train(problem.data, { ...settings, maxEpochs: 1 });
    expect(result.iterations).toBe(10);
  });

  it('stops at the next iteration once the signal is aborted during training', async () => {
    const controller = new AbortController();
    const reports: IterationReport[] = [];
    const run = trainHead(tf, problem.data, settings, {
      signal: controller.signal,
      onIteration: (r) => {
        reports.push(r);
        if (r.iteration === 5) controller.abort();
      },
    });
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CANCELLED');
    expect(reports.at(-1)!.iteration).toBe(5);
    await expect(train(problem.data, { ...settings, maxEpochs: 1 })).resolves.toBeDefined();
  });
  // by tf.variable(...) are never disposed, so each run leaks four tensors, 2 x (featureSize x
  it('frees every tensor it made: tf.memory() is the same before and after a run', async () => {
    const before = tf.memory();
    await train(problem.data, { ...settings, maxEpochs: 1 });
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});

describe('trainHead checkpoints', () => {
  it('a run cancelled after a checkpoint and resumed from it ends with exactly the weights of an uninterrupted run', async () => {
    const resumable: TrainingSettings = { ...settings, maxEpochs: 12, validationFrequency: 7, validationPatience: 50 };
    const uninterrupted = await trainHead(tf, problem.data, resumable);

    // Interrupted mid-epoch, a few iterations after its third checkpoint.
    const checkpoints: HeadCheckpoint[] = [];
    const controller = new AbortController();
    await expect(
      trainHead(tf, problem.data, resumable, {
        signal: controller.signal,
        onCheckpoint: (checkpoint) => void checkpoints.push(checkpoint),
        onIteration: (report) => {
          if (report.iteration === 3 * 7 + 4) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(checkpoints.map((c) => c.iteration)).toEqual([7, 14, 21]);

    const resumedReports: IterationReport[] = [];
    const resumed = await trainHead(tf, problem.data, resumable, {
      resumeFrom: checkpoints.at(-1)!,
      onIteration: (r) => resumedReports.push(r),
    });
    expect(resumedReports[0]!.iteration).toBe(22);
    expect(resumed.iterations).toBe(uninterrupted.iterations);
    expect(resumed.bestIteration).toBe(uninterrupted.bestIteration);
    expect(resumed.bestValidationLoss).toBe(uninterrupted.bestValidationLoss);
    expect(Array.from(resumed.weights)).toEqual(Array.from(uninterrupted.weights));
    expect(Array.from(resumed.bias)).toEqual(Array.from(uninterrupted.bias));
  });

  it('a checkpoint taken at the end of an epoch resumes with the next epoch and the same result', async () => {
    // 320 images in batches of 32: 10 iterations an epoch, a validation (and checkpoint) at each epoch's end.
    const atEpochEnds: TrainingSettings = { ...settings, maxEpochs: 6, validationFrequency: 10, validationPatience: 50 };
    const uninterrupted = await trainHead(tf, problem.data, atEpochEnds);
    const checkpoints: HeadCheckpoint[] = [];
    const controller = new AbortController();
    await expect(
      trainHead(tf, problem.data, atEpochEnds, {
        signal: controller.signal,
        onCheckpoint: (checkpoint) => void checkpoints.push(checkpoint),
        onIteration: (report) => {
          if (report.iteration === 23) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    const last = checkpoints.at(-1)!;
    expect([last.iteration, last.epoch, last.batchInEpoch]).toEqual([20, 2, 10]);
    const reports: IterationReport[] = [];
    const resumed = await trainHead(tf, problem.data, atEpochEnds, { resumeFrom: last, onIteration: (r) => reports.push(r) });
    expect([reports[0]!.iteration, reports[0]!.epoch]).toEqual([21, 3]);
    expect(Array.from(resumed.weights)).toEqual(Array.from(uninterrupted.weights));
  });
});

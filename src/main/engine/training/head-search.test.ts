import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../process/backend';
import { searchGrid, searchHeadSettings } from './head-search';
import { seededRandom } from './seeded-random';
import { frozenTraining, trainHead } from './train-head';
import { scaledLoss } from './temperature';

let tf: typeof Tf;
beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
});

const d = 64;
const c = 3;

/**
 * A problem whose best head is known to need regularisation: Gaussian features, labels from a
 * logistic model, then 20% of them flipped (label noise an unregularised head learns as if it were
 * signal). Training and test images come from the same draw.
 */
function noisyProblem(images: number, seed: number): { features: Float32Array; labels: Float32Array } {
  const random = seededRandom(seed);
  const truth = seededRandom(1); // the same true weights for every set
  const weights = Array.from({ length: d * c }, () => (truth() * 2 - 1) * 0.8);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const features = new Float32Array(images * d).map(() => normal());
  const labels = new Float32Array(images * c);
  for (let i = 0; i < images; i++) {
    for (let k = 0; k < c; k++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += features[i * d + j]! * weights[j * c + k]!;
      const y = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      labels[i * c + k] = random() < 0.2 ? 1 - y : y;
    }
  }
  return { features, labels };
}

/** The example's loss of a head on a set. */
function lossOn(head: { weights: Float32Array; bias: Float32Array }, set: { features: Float32Array; labels: Float32Array }): number {
  const logits = tf.tidy(
    () =>
      tf
        .tensor2d(set.features, [set.labels.length / c, d])
        .matMul(tf.tensor2d(head.weights, [d, c]))
        .add(tf.tensor1d(head.bias))
        .dataSync()
        .slice() as Float32Array,
  );
  return scaledLoss(logits, set.labels, c);
}

describe('searchHeadSettings', () => {
  it('chooses, on held-out training images alone, settings whose test loss is within 10% of the best of a fine grid', async () => {
    const train = noisyProblem(160, 2);
    const test = noisyProblem(2000, 3);
    const settings = { ...frozenTraining, maxEpochs: 60 };
    const data = { trainFeatures: train.features, trainViews: 1, trainLabels: train.labels, featureSize: d, classes: c };
    const found = await searchHeadSettings(tf, data, settings, { learnRate: true, l2Regularization: true, maxEpochs: true });
    // It records every value tried, and chose the lowest held-out loss among them.
    expect(found.search.tried).toHaveLength(searchGrid.learnRate.length * searchGrid.l2Regularization.length);
    const lowest = Math.min(...found.search.tried.map((t) => t.heldOutLoss));
    expect(found.search.tried.find((t) => t.heldOutLoss === lowest)).toMatchObject(found.search.chosen);
    expect(found.search).toMatchObject({ fitImages: 128, heldOutImages: 32, heldOutFraction: 0.2 });

    // The head the chosen values give on every training image, judged on a large test set.
    const asTrained = (
      trainSettings: typeof settings,
      keep: 'best' | 'last',
      val = test,
    ): Promise<{ weights: Float32Array; bias: Float32Array }> =>
      trainHead(tf, { ...data, valFeatures: val.features, valLabels: val.labels }, trainSettings, { keep });
    const chosenLoss = lossOn(await asTrained(found.settings, 'last'), test);

    // The fine grid, each point stopped at its best epoch on the test set itself (an oracle no user has).
    let best = Infinity;
    for (const learnRate of [2e-4, 5e-4, 1e-3, 2e-3, 5e-3]) {
      for (const l2Regularization of [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1]) {
        best = Math.min(best, lossOn(await asTrained({ ...settings, learnRate, l2Regularization }, 'best'), test));
      }
    }
    // An unregularised head at the old default learn rate is far worse: the problem does need the search.
    const unregularised = lossOn(
      await asTrained({ ...settings, learnRate: 5e-3, l2Regularization: 0, validationPatience: 1e9 }, 'last'),
      test,
    );
    console.log(
      `noisy problem: chosen ${JSON.stringify(found.search.chosen)} test loss ${chosenLoss.toFixed(3)}, best of the fine grid ${best.toFixed(3)}, unregularised ${unregularised.toFixed(3)}`,
    );
    expect(unregularised).toBeGreaterThan(best * 1.15);
    expect(chosenLoss).toBeLessThan(best * 1.1);
  }, 240_000);
});

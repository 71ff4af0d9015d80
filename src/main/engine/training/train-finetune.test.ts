import type * as Tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallTrunk } from '../../../../test/fixtures/small-trunk';
import { loadEngine } from '../process/backend';
import { trainFinetune, type FinetuneCheckpoint } from './train-finetune';
import { seededRandom } from './seeded-random';
import { exampleTraining } from './train-head';

let tf: typeof Tf;
let dir: string;
const size = 32;
const colours = [
  [255, 40, 40],
  [40, 255, 40],
  [60, 60, 255],
] as const;

/** Images with a square of each present colour at a random place: the labels are the colours present. */
async function writeImages(count: number, seed: number, prefix: string): Promise<{ paths: string[]; labels: Float32Array }> {
  const random = seededRandom(seed);
  const paths: string[] = [];
  const labels = new Float32Array(count * colours.length);
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(size * size * 3, 20);
    let any = false;
    colours.forEach((colour, c) => {
      const present = random() < 0.45 || (c === colours.length - 1 && !any);
      if (!present) return;
      any = true;
      labels[i * colours.length + c] = 1;
      const x0 = Math.floor(random() * (size - 10));
      const y0 = Math.floor(random() * (size - 10));
      for (let y = y0; y < y0 + 10; y++) for (let x = x0; x < x0 + 10; x++) pixels.set(colour, (y * size + x) * 3);
    });
    const path = join(dir, `${prefix}-${i}.png`);
    await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toFile(path);
    paths.push(path);
  }
  return { paths, labels };
}

beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
  dir = mkdtempSync(join(tmpdir(), 'mlw-finetune-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trainFinetune', () => {
  it('fine-tunes a small convolutional network on generated multi-label images to validation micro-F1 above 0.9, skipping a corrupt image', async () => {
    const train = await writeImages(160, 11, 'train');
    const val = await writeImages(48, 12, 'val');
    writeFileSync(train.paths[5]!, 'not an image');
    const trunk = smallTrunk(tf, size, 8);
    const result = await trainFinetune(
      tf,
      { trunk, featureSize: 16, preprocessing: { size, normalisation: 'mobilenet' } },
      { trainPaths: train.paths, trainLabels: train.labels, valPaths: val.paths, valLabels: val.labels, classes: 3 },
      { ...exampleTraining, learnRate: 0.02, maxEpochs: 60, batchSize: 16, validationFrequency: 20, validationPatience: 10 },
      { augmentation: { maxRotation: 0, horizontalFlip: true } },
    );
    let tp = 0;
    let fp = 0;
    let fn = 0;
    result.valKept.forEach((image, row) => {
      for (let c = 0; c < 3; c++) {
        const y = val.labels[image * 3 + c]!;
        const p = result.valScores[row * 3 + c]! >= 0.5 ? 1 : 0;
        if (p && y) tp++;
        else if (p) fp++;
        else if (y) fn++;
      }
    });
    expect(tp / (tp + 0.5 * (fp + fn))).toBeGreaterThan(0.9);
    expect(result.skipped.map((s) => s.path)).toEqual([train.paths[5]]);
    expect(result.trainKept).toBe(159);
    trunk.dispose();
  }, 240_000);
});

describe('trainFinetune checkpoints', () => {
  it('a fine-tuning run cancelled after a checkpoint and resumed from it ends with the weights of an uninterrupted run', async () => {
    const train = await writeImages(48, 21, 'ck-train');
    const val = await writeImages(16, 22, 'ck-val');
    const network = () => ({
      trunk: tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [size, size, 3],
            filters: 4,
            kernelSize: 3,
            strides: 2,
            activation: 'relu',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
          }),
          tf.layers.batchNormalization({}),
          tf.layers.conv2d({
            filters: 8,
            kernelSize: 1,
            activation: 'relu',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
          }),
        ],
      }),
      featureSize: 8,
      preprocessing: { size, normalisation: 'mobilenet' as const },
    });
    const data = { trainPaths: train.paths, trainLabels: train.labels, valPaths: val.paths, valLabels: val.labels, classes: 3 };
    const settings = { ...exampleTraining, learnRate: 0.01, maxEpochs: 4, batchSize: 8, validationFrequency: 4, validationPatience: 50 };
    const augmentation = { maxRotation: 10, horizontalFlip: true };

    const whole = network();
    const uninterrupted = await trainFinetune(tf, whole, data, settings, { augmentation });

    const checkpoints: FinetuneCheckpoint[] = [];
    const controller = new AbortController();
    const first = network();
    await expect(
      trainFinetune(tf, first, data, settings, {
        augmentation,
        signal: controller.signal,
        onCheckpoint: (checkpoint) => void checkpoints.push(checkpoint),
        onIteration: (report) => {
          if (report.iteration === 10) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(checkpoints.at(-1)!.iteration).toBe(8);

    const second = network();
    const resumed = await trainFinetune(tf, second, data, settings, { augmentation, resumeFrom: checkpoints.at(-1)! });
    expect(resumed.iterations).toBe(uninterrupted.iterations);
    expect(resumed.bestValidationLoss).toBeCloseTo(uninterrupted.bestValidationLoss, 6);
    const a = Array.from(resumed.weights);
    const b = Array.from(uninterrupted.weights);
    a.forEach((value, i) => expect(value).toBeCloseTo(b[i]!, 5));
    for (const n of [whole, first, second]) n.trunk.dispose();
  }, 240_000);
});

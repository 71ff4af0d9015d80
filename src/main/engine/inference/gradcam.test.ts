import type * as Tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallTrunk } from '../../../../test/fixtures/small-trunk';
import { normaliseMap, peakOf, resample } from '../../../shared/domain/heatmap';
import { loadEngine } from '../process/backend';
import { gradCam } from './gradcam';
import { gradCamFromFeatureMap } from './gradcam-closed-form';
import { loadOnnxRuntime } from './onnx-runtime';
import { onnxGradCam, onnxTrunkOfModel } from './onnx-trunk';
import { decodeResized, normalise } from '../images/preprocess';
import { trainFinetune } from '../training/train-finetune';
import { seededRandom } from '../training/seeded-random';
import { exampleTraining } from '../training/train-head';

let tf: typeof Tf;
let dir: string;
const size = 32;
const side = 9;
const colours = [
  [255, 40, 40],
  [40, 255, 40],
  [60, 60, 255],
] as const;

interface Box {
  x: number;
  y: number;
}

/** Images with a square of each present colour at a known random place, and those places. */
async function writeImages(count: number, seed: number, prefix: string) {
  const random = seededRandom(seed);
  const paths: string[] = [];
  const labels = new Float32Array(count * colours.length);
  const boxes: (Box | null)[][] = [];
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(size * size * 3, 20);
    const placed: (Box | null)[] = [];
    const taken: Box[] = [];
    colours.forEach((colour, c) => {
      // Each colour independently, so no class can be told by the absence of the others.
      if (random() >= 0.5) return void placed.push(null);
      // Squares do not overlap, so "inside its box" is unambiguous.
      let box: Box;
      do box = { x: Math.floor(random() * (size - side)), y: Math.floor(random() * (size - side)) };
      while (taken.some((t) => Math.abs(t.x - box.x) < side && Math.abs(t.y - box.y) < side));
      taken.push(box);
      placed.push(box);
      labels[i * colours.length + c] = 1;
      for (let y = box.y; y < box.y + side; y++) for (let x = box.x; x < box.x + side; x++) pixels.set(colour, (y * size + x) * 3);
    });
    boxes.push(placed);
    const path = join(dir, `${prefix}-${i}.png`);
    await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toFile(path);
    paths.push(path);
  }
  return { paths, labels, boxes };
}

beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
  dir = mkdtempSync(join(tmpdir(), 'mlw-gradcam-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gradCam', () => {
  it('points inside the object’s box for at least 90% of true classes once a network is trained', async () => {
    const train = await writeImages(160, 21, 'train');
    const test = await writeImages(40, 22, 'test');
    const trunk = smallTrunk(tf, size, 16);
    const trained = await trainFinetune(
      tf,
      { trunk, featureSize: 16, preprocessing: { size, normalisation: 'mobilenet' } },
      { trainPaths: train.paths, trainLabels: train.labels, valPaths: test.paths, valLabels: test.labels, classes: 3 },
      { ...exampleTraining, learnRate: 0.05, maxEpochs: 40, batchSize: 16, validationFrequency: 20, validationPatience: 10 },
      { augmentation: { maxRotation: 0, horizontalFlip: false } },
    );
    const head = { weights: trained.weights, bias: trained.bias, featureSize: 16, classes: 3 };
    let pairs = 0;
    let hits = 0;
    for (let i = 0; i < test.paths.length; i++) {
      const input = new Float32Array(size * size * 3);
      normalise(await decodeResized(test.paths[i]!, size), 'mobilenet', input);
      const present = test.boxes[i]!.map((box, c) => (box === null ? -1 : c)).filter((c) => c >= 0);
      const { maps, scores } = gradCam(tf, trunk, head, input, size, present);
      expect(scores).toHaveLength(3);
      maps.forEach((map, k) => {
        expect(map).toMatchObject({ width: 16, height: 16 });
        const [x, y] = peakOf(normaliseMap(resample(map, size, size)));
        const box = test.boxes[i]![present[k]!]!;
        pairs++;
        if (x >= box.x && x < box.x + side && y >= box.y && y < box.y + side) hits++;
      });
    }
    expect(pairs).toBeGreaterThan(40);
    expect(hits / pairs).toBeGreaterThanOrEqual(0.9);
  });

  it('from the feature map alone (W[k,c] / (H·W) as the channel weight) equals autodiff, and on ONNX Runtime too', async () => {
    const random = seededRandom(31);
    const trunk = smallTrunk(tf, size, 16);
    const head = {
      weights: new Float32Array(16 * 3).map(() => random() - 0.5),
      bias: Float32Array.of(0.2, -0.1, 0),
      featureSize: 16,
      classes: 3,
    };
    const input = new Float32Array(size * size * 3).map(() => random() * 2 - 1);
    const expected = gradCam(tf, trunk, head, input, size, [0, 1, 2]);
    const map = tf.tidy(() => (trunk.predict(tf.tensor4d(input, [1, size, size, 3])) as Tf.Tensor4D).dataSync().slice()) as Float32Array;
    const closed = gradCamFromFeatureMap(map, 16, 16, head, [0, 1, 2]);
    const onnx = await onnxGradCam(await onnxTrunkOfModel(loadOnnxRuntime()!, trunk, trunk.layers.at(-1)!.name), head, input, [0, 1, 2]);
    for (const got of [closed, onnx]) {
      got.scores.forEach((score, c) => expect(Math.abs(score - expected.scores[c]!)).toBeLessThan(1e-5));
      got.maps.forEach((m, c) => {
        expect(m).toMatchObject({ width: 16, height: 16 });
        const a = normaliseMap(m).values;
        const b = normaliseMap(expected.maps[c]!).values;
        // A class whose map is all zero (every channel sum negative) has nothing to compare.
        expect(b.some((v) => v > 0)).toBe(true);
        a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-5));
      });
    }
  });

  it('refuses a head whose feature size does not match the trunk', () => {
    const trunk = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 1 })] });
    const head = { weights: new Float32Array(6), bias: new Float32Array(2), featureSize: 3, classes: 2 };
    expect(() => gradCam(tf, trunk, head, new Float32Array(8 * 8 * 3), 8, [0])).toThrow(/4 channels but the head expects 3/);
  });
});

import type * as Tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../process/backend';
import { buildMobileNetV2 } from './architectures/mobilenet-v2';
import { buildResNet50 } from './architectures/resnet50';
import { loadBackbone } from './architectures/load-backbone';
import { decodeResized, normalise } from '../images/preprocess';
import { seededRandom } from '../training/seeded-random';
import { backboneSpec } from './zoo';
import { createSession, loadOnnxRuntime, runBatch, type OnnxRuntime } from '../inference/onnx-runtime';
import { exportOnnx, OnnxUnsupportedError } from './onnx-export';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const mobilenetDir = resolve(projectRoot, '../shared/models/mobilenet_v1_0.75_224');
const cocoDir = resolve(projectRoot, '../shared/data/coco128/train2017');
const hasShared = existsSync(join(mobilenetDir, 'model.json')) && existsSync(cocoDir);
const note = hasShared ? '' : ' (skipped because ../shared is absent)';

let tf: typeof Tf;
let runtime: OnnxRuntime;

beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
  const loaded = loadOnnxRuntime();
  if (loaded === null) throw new Error('ONNX Runtime did not load; the engine needs onnxruntime-node.');
  runtime = loaded;
});

/**
 * Gives every weight seeded random values, batch norm statistics included (a fresh network's are
 * 0 and 1, which would leave the folding untested), scaled so that activations stay near 1.
 */
function randomise(model: Tf.LayersModel, seed: number) {
  const random = seededRandom(seed);
  for (const layer of model.layers) {
    const values = layer.weights.map((variable) => {
      const name = variable.originalName;
      const shape = variable.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const fan = shape.length === 4 ? shape[0]! * shape[1]! * shape[2]! : 1;
      const data = new Float32Array(n).map(() => {
        const u = random();
        if (/gamma$/.test(name)) return 0.5 + u;
        if (/moving_variance$/.test(name)) return 0.5 + u;
        if (/moving_mean$/.test(name) || /beta$/.test(name) || /bias$/.test(name)) return (u - 0.5) * 0.4;
        return (u * 2 - 1) * Math.sqrt(3 / fan);
      });
      return tf.tensor(data, shape);
    });
    if (values.length > 0) layer.setWeights(values);
    values.forEach((value) => value.dispose());
  }
}

/** TensorFlow.js's trunk output (NHWC) and its spatial mean, for a batch. */
function reference(model: Tf.LayersModel, end: string, input: Float32Array, count: number, size: number) {
  const trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(end).output as Tf.SymbolicTensor });
  return tf.tidy(() => {
    const map = trunk.predict(tf.tensor4d(input, [count, size, size, 3])) as Tf.Tensor4D;
    return { map: map.dataSync().slice() as Float32Array, features: map.mean([1, 2]).dataSync().slice() as Float32Array };
  });
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function randomInput(count: number, size: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return new Float32Array(count * size * size * 3).map(() => random() * 2 - 1);
}

async function expectSameAsTfjs(model: Tf.LayersModel, end: string, size: number, options: { fold?: boolean } = {}) {
  const count = 2;
  const input = randomInput(count, size, 7);
  const session = await createSession(runtime, exportOnnx(model, { trunkEnd: end, featureMap: true, foldBatchNorm: options.fold ?? true }));
  const onnx = await runBatch(runtime, session, input, count, size, ['features', 'feature_map']);
  await session.release();
  const expected = reference(model, end, input, count, size);
  // A network whose activations died would agree trivially.
  expect(maxAbs(expected.features)).toBeGreaterThan(0.05);
  expect(maxAbsDifference(onnx.feature_map!.data, expected.map)).toBeLessThan(1e-4);
  expect(maxAbsDifference(onnx.features!.data, expected.features)).toBeLessThan(1e-4);
}

describe('exportOnnx: ONNX Runtime computes what TensorFlow.js computes', () => {
  it('on a small network with every layer kind the exporter translates', async () => {
    const input = tf.input({ shape: [23, 23, 3], name: 'image' });
    const apply = (layer: Tf.layers.Layer, x: Tf.SymbolicTensor | Tf.SymbolicTensor[]) => layer.apply(x) as Tf.SymbolicTensor;
    // Odd sizes with stride 2 and "same" padding: TensorFlow puts the extra pixel at the end.
    let x = apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'c1' }), input);
    x = apply(tf.layers.batchNormalization({ name: 'c1_bn' }), x);
    x = apply(tf.layers.reLU({ maxValue: 6, name: 'c1_relu' }), x);
    const padded = apply(
      tf.layers.zeroPadding2d({
        padding: [
          [0, 1],
          [1, 0],
        ],
        name: 'pad',
      }),
      x,
    );
    let y = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'valid', name: 'dw' }), padded);
    y = apply(tf.layers.batchNormalization({ name: 'dw_bn', scale: false }), y);
    y = apply(tf.layers.activation({ activation: 'relu', name: 'dw_relu' }), y);
    let z = apply(tf.layers.conv2d({ filters: 16, kernelSize: 1, dilationRate: 1, activation: 'relu6', name: 'pw' }), y);
    // Batch norm after an activation (not foldable), and a pooled branch rejoined by Add and Concatenate.
    z = apply(tf.layers.batchNormalization({ name: 'pw_bn' }), z);
    const pooled = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'max' }), z);
    const averaged = apply(tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'avg' }), z);
    const sum = apply(tf.layers.add({ name: 'sum' }), [z, pooled, averaged]);
    const product = apply(tf.layers.multiply({ name: 'product' }), [sum, z]);
    const joined = apply(tf.layers.concatenate({ name: 'joined' }), [product, sum]);
    const dilated = apply(tf.layers.conv2d({ filters: 12, kernelSize: 3, dilationRate: 2, padding: 'same', name: 'dilated' }), joined);
    const out = apply(
      tf.layers.dropout({ rate: 0.5, name: 'drop' }),
      apply(tf.layers.activation({ activation: 'tanh', name: 'out' }), dilated),
    );
    const model = tf.model({ inputs: input, outputs: out });
    randomise(model, 3);
    await expectSameAsTfjs(model, 'drop', 23);
    await expectSameAsTfjs(model, 'drop', 23, { fold: false });
    await expectSameAsTfjs(model, 'pad', 23);
  });

  it('on MobileNetV2 with random weights', async () => {
    const model = buildMobileNetV2(tf);
    randomise(model, 11);
    await expectSameAsTfjs(model, 'out_relu', 224);
    model.dispose();
  }, 120_000);

  it('on ResNet-50 with random weights', async () => {
    const model = buildResNet50(tf);
    randomise(model, 13);
    await expectSameAsTfjs(model, 'conv5_block3_out', 224);
    model.dispose();
  }, 240_000);

  it('refuses a layer it cannot translate, naming it', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const out = tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'elu', name: 'odd' }).apply(input) as Tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    expect(() => exportOnnx(model, { trunkEnd: 'odd' })).toThrow(OnnxUnsupportedError);
    expect(() => exportOnnx(model, { trunkEnd: 'odd' })).toThrow(/odd \(activation elu\)/);
  });
});

describe.skipIf(!hasShared)(`exportOnnx with the real MobileNet v1 0.75 and a head${note}`, () => {
  it('gives the same features and scores on real COCO images, with metadata kept', async () => {
    const spec = backboneSpec('mobilenet_v1_0.75');
    const { model } = await loadBackbone(tf, spec, mobilenetDir);
    const files = (await readdir(cocoDir)).filter((f) => f.endsWith('.jpg')).slice(0, 4);
    const size = 224;
    const input = new Float32Array(files.length * size * size * 3);
    for (const [i, file] of files.entries()) {
      const pixels = new Float32Array(size * size * 3);
      normalise(await decodeResized(join(cocoDir, file), size), 'mobilenet', pixels);
      input.set(pixels, i * size * size * 3);
    }
    const classes = 3;
    const random = seededRandom(5);
    const head = {
      weights: new Float32Array(spec.featureSize * classes).map(() => (random() - 0.5) * 0.2),
      bias: Float32Array.of(0.1, -0.2, 0.3),
      featureSize: spec.featureSize,
      classes,
    };
    const bytes = exportOnnx(model, { trunkEnd: spec.featureLayer, head, metadata: { classes: '["a","b","c"]' } });
    const session = await createSession(runtime, bytes);
    const onnx = await runBatch(runtime, session, input, files.length, size, ['features', 'scores']);
    await session.release();
    const expected = reference(model, spec.featureLayer, input, files.length, size);
    expect(maxAbsDifference(onnx.features!.data, expected.features)).toBeLessThan(1e-4);
    const scores = tf.tidy(() =>
      tf
        .sigmoid(
          tf
            .tensor2d(expected.features, [files.length, spec.featureSize])
            .matMul(tf.tensor2d(head.weights, [spec.featureSize, classes]))
            .add(tf.tensor1d(head.bias)),
        )
        .dataSync()
        .slice(),
    ) as Float32Array;
    expect(maxAbsDifference(onnx.scores!.data, scores)).toBeLessThan(1e-4);
    expect(new TextDecoder().decode(bytes)).toContain('["a","b","c"]');
    model.dispose();
  }, 120_000);
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kerasLayersOf, writeKerasWeightsFile, type FixtureLayer } from './architectures/keras-weights-fixture';
import { loadBackbone } from './architectures/load-backbone';
import { loadEngine } from '../process/backend';
import { assignKerasWeights, readKerasWeights } from './keras-h5';
import { backboneSpec } from './zoo';

let tf: typeof Tf;
let dir: string;
let count = 0;
const next = (name = 'weights.h5') => join(dir, `${++count}-${name}`);

beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
  dir = mkdtempSync(join(tmpdir(), 'mlw-keras-h5-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small network with Keras-style names: a convolution, batch normalisation and a dense layer. */
function smallModel(): Tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 3], name: 'input_1' });
  let x = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'conv1_conv' }).apply(input) as Tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv1_bn' }).apply(x) as Tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'conv1_relu' }).apply(x) as Tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as Tf.SymbolicTensor;
  x = tf.layers.dense({ units: 3, name: 'fc' }).apply(x) as Tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

/** The small network's layers with distinct, recognisable values. */
function smallLayers(): FixtureLayer[] {
  let seed = 0;
  return kerasLayersOf(smallModel()).map((layer) => ({
    ...layer,
    weights: layer.weights.map((w) => ({ ...w, values: w.values.map(() => ++seed / 100) })),
  }));
}

const values = (model: Tf.LayersModel, layer: string) =>
  model
    .getLayer(layer)
    .getWeights()
    .map((w) => [...w.dataSync()]);

describe('readKerasWeights and assignKerasWeights', () => {
  it('load a save_weights file into a model by layer name and weight name', async () => {
    const layers = smallLayers();
    const path = next();
    await writeKerasWeightsFile(path, layers);
    const saved = await readKerasWeights(path);
    // Layers without weights (input, activation, flatten) are listed by Keras but hold nothing.
    expect([...saved.layers.keys()]).toEqual(['conv1_conv', 'conv1_bn', 'fc']);
    expect(saved.layers.get('conv1_bn')!.map((w) => w.name)).toEqual([
      'conv1_bn/gamma:0',
      'conv1_bn/beta:0',
      'conv1_bn/moving_mean:0',
      'conv1_bn/moving_variance:0',
    ]);
    const model = smallModel();
    assignKerasWeights(tf, model, saved, 'the small network');
    for (const name of ['conv1_conv', 'conv1_bn', 'fc']) {
      const expected = layers.find((l) => l.name === name)!.weights.map((w) => [...w.values]);
      expect(values(model, name)).toEqual(expected);
    }
  });

  it('reads a whole saved model (model_weights) and a layer list Keras split over several attributes', async () => {
    const layers = smallLayers();
    const path = next();
    await writeKerasWeightsFile(path, layers, { layout: 'model', chunked: true });
    const saved = await readKerasWeights(path);
    expect([...saved.layers.keys()]).toEqual(['conv1_conv', 'conv1_bn', 'fc']);
    expect([...saved.layers.get('fc')![1]!.values]).toEqual([...layers.at(-1)!.weights[1]!.values]);
  });

  it('names the file and the layer when the file lacks a layer of the model, and leaves the model untouched', async () => {
    const path = next();
    await writeKerasWeightsFile(
      path,
      smallLayers().filter((l) => l.name !== 'conv1_bn'),
    );
    const model = smallModel();
    const before = values(model, 'conv1_conv');
    const saved = await readKerasWeights(path);
    expect(() => assignKerasWeights(tf, model, saved, 'the small network')).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(new RegExp(`${path}.*no weights for layer "conv1_bn" of the small network.*not a Keras`)),
      }),
    );
    expect(values(model, 'conv1_conv')).toEqual(before);
  });

  it('names the layer, the weight and both shapes when a shape differs', async () => {
    const layers = smallLayers();
    const kernel = layers.find((l) => l.name === 'fc')!.weights[0]!;
    kernel.shape = [4, 6];
    kernel.values = new Float32Array(24);
    const path = next();
    await writeKerasWeightsFile(path, layers);
    const saved = await readKerasWeights(path);
    expect(() => assignKerasWeights(tf, smallModel(), saved, 'the small network')).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: `In ${path}, weight "fc/kernel:0" of layer "fc" has shape [4, 6] but the small network needs [8, 3]: the file is of another variant (width or input size) of the network. Use the file for the small network.`,
      }),
    );
  });

  it('names a weight the layer lacks in the file', async () => {
    const layers = smallLayers();
    layers.find((l) => l.name === 'conv1_bn')!.weights[2]!.name = 'conv1_bn/running_mean:0';
    const path = next();
    await writeKerasWeightsFile(path, layers);
    const savedPath = await readKerasWeights(path);
    expect(() => assignKerasWeights(tf, smallModel(), savedPath, 'the small network')).toThrow(
      /has no weight "moving_mean" for layer "conv1_bn" of the small network \(it has conv1_bn\/gamma:0, conv1_bn\/beta:0, conv1_bn\/running_mean:0/,
    );
  });

  it('ignores the ImageNet classifier but not other layers the model lacks', async () => {
    const classifier: FixtureLayer = {
      name: 'predictions',
      weights: [{ name: 'predictions/kernel:0', shape: [3, 2], values: new Float32Array(6) }],
    };
    const withTop = next();
    await writeKerasWeightsFile(withTop, [...smallLayers(), classifier]);
    const savedWithtop = await readKerasWeights(withTop);
    expect(() => assignKerasWeights(tf, smallModel(), savedWithtop, 'the small network')).not.toThrow();

    const other = next();
    await writeKerasWeightsFile(other, [...smallLayers(), { ...classifier, name: 'block_99_expand' }]);
    const savedOther = await readKerasWeights(other);
    expect(() => assignKerasWeights(tf, smallModel(), savedOther, 'the small network')).toThrow(
      /holds weights for layer block_99_expand that the small network does not have/,
    );
  });

  it('says a truncated file is truncated, and another file is not HDF5, without crashing', async () => {
    const whole = next();
    await writeKerasWeightsFile(whole, smallLayers());
    const bytes = readFileSync(whole);
    const truncated = next();
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(readKerasWeights(truncated)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(
        new RegExp(`${truncated} is truncated: it holds ${Math.floor(bytes.length * 0.6)} bytes but its header says ${bytes.length}`),
      ),
    });
    const html = next('weights.h5');
    writeFileSync(html, '<html>Access denied</html>');
    await expect(readKerasWeights(html)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: `${html} is not an HDF5 file, so not Keras .h5 weights.`,
    });
    await expect(readKerasWeights(join(dir, 'missing.h5'))).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Damage inside a file of the right length: HDF5 fails, and the error says the file is damaged.
    const damaged = next();
    const copy = Buffer.from(bytes);
    copy.fill(0xab, 600, bytes.length - 100);
    writeFileSync(damaged, copy);
    await expect(readKerasWeights(damaged)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('damaged') });
    // h5wasm still works afterwards.
    expect((await readKerasWeights(whole)).layers.size).toBe(3);
  });

  it('says an HDF5 file that is not Keras weights is not', async () => {
    await h5wasm.ready;
    const path = next();
    const file = new h5wasm.File(path, 'w');
    file.create_dataset({ name: 'data', data: new Float32Array([1, 2]) });
    file.close();
    await expect(readKerasWeights(path)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('is an HDF5 file but not Keras weights'),
    });
  });
});

describe('loadBackbone', () => {
  it('builds MobileNetV2 and loads a whole-model .h5 with its classifier into it (round trip)', async () => {
    const spec = backboneSpec('mobilenet_v2');
    const source = spec.build!(tf);
    // Give the batch-norm statistics values of their own: a fresh model has them at 0 and 1.
    for (const layer of source.layers.filter((l) => l.name.endsWith('_BN') || l.name.endsWith('_bn') || l.name === 'bn_Conv1')) {
      layer.setWeights(layer.getWeights().map((w, i) => (i < 2 ? w : tf.randomUniform(w.shape, 0.5, 1.5))));
    }
    const layers = kerasLayersOf(source);
    layers.push({
      name: 'predictions',
      weights: [
        { name: 'predictions/kernel:0', shape: [1280, 1000], values: new Float32Array(1_280_000) },
        { name: 'predictions/bias:0', shape: [1000], values: new Float32Array(1000) },
      ],
    });
    const path = next('mobilenet_v2.h5');
    await writeKerasWeightsFile(path, layers, { layout: 'model' });

    const { model, weightsKey, weights } = await loadBackbone(tf, spec, path);
    expect(weights).toEqual({ format: 'keras-h5', path });
    expect(weightsKey).toMatch(/^[0-9a-f]{64}$/);
    for (const name of ['Conv1', 'block_16_project_BN', 'Conv_1_bn']) expect(values(model, name)).toEqual(values(source, name));
    const x = tf.randomUniform([1, 224, 224, 3], -1, 1);
    const difference = tf.tidy(
      () =>
        (model.predict(x) as Tf.Tensor)
          .sub(source.predict(x) as Tf.Tensor)
          .abs()
          .max()
          .dataSync()[0],
    );
    expect(difference).toBeLessThan(1e-4);
    x.dispose();
    model.dispose();
    source.dispose();
  });

  it('refuses an .h5 file for a backbone that only comes as a Layers folder', async () => {
    const path = next();
    await writeKerasWeightsFile(path, smallLayers());
    await expect(loadBackbone(tf, backboneSpec('mobilenet_v1_0.75'), path)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('is only read from a TensorFlow.js Layers folder'),
    });
    await expect(loadBackbone(tf, backboneSpec('resnet50'), join(dir, 'nothing-here'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('names the ResNet-50 layer, weight and shapes where a file of another network differs', async () => {
    const path = next();
    await writeKerasWeightsFile(path, smallLayers());
    await expect(loadBackbone(tf, backboneSpec('resnet50'), path)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(
        `In ${path}, weight "conv1_conv/kernel:0" of layer "conv1_conv" has shape [3, 3, 3, 2] but ResNet-50 (224) needs [7, 7, 3, 64]`,
      ),
    });
  });
});

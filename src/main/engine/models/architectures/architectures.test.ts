import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../../process/backend';
import { backbones } from '../zoo';
import { buildMobileNetV2, mobilenetV2ParamCount } from './mobilenet-v2';
import { buildResNet50, resnet50ParamCount } from './resnet50';

let tf: typeof Tf;
let resnet: Tf.LayersModel;
let mobilenet: Tf.LayersModel;

beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
  resnet = buildResNet50(tf);
  mobilenet = buildMobileNetV2(tf);
});

const config = (model: Tf.LayersModel, name: string) => model.getLayer(name).getConfig();

describe('ResNet-50 (Keras ResNet50, include_top=False)', () => {
  it("has Keras's parameter count, layer count and output", () => {
    // Keras: ResNet50(include_top=False).count_params() == 23,587,712; len(model.layers) == 175.
    expect(resnet50ParamCount).toBe(23_587_712);
    expect(resnet.countParams()).toBe(resnet50ParamCount);
    expect(resnet.layers).toHaveLength(175);
    expect(resnet.outputs[0]!.shape).toEqual([null, 7, 7, 2048]);
    expect(resnet.layers.at(-1)!.name).toBe('conv5_block3_out');
  });

  it("names and orders the stem and the first block's layers as Keras does", () => {
    expect(resnet.layers.slice(0, 21).map((l) => l.name)).toEqual([
      'input_1',
      'conv1_pad',
      'conv1_conv',
      'conv1_bn',
      'conv1_relu',
      'pool1_pad',
      'pool1_pool',
      'conv2_block1_1_conv',
      'conv2_block1_1_bn',
      'conv2_block1_1_relu',
      'conv2_block1_2_conv',
      'conv2_block1_2_bn',
      'conv2_block1_2_relu',
      'conv2_block1_0_conv',
      'conv2_block1_3_conv',
      'conv2_block1_0_bn',
      'conv2_block1_3_bn',
      'conv2_block1_add',
      'conv2_block1_out',
      'conv2_block2_1_conv',
      'conv2_block2_1_bn',
    ]);
    const names = new Set(resnet.layers.map((l) => l.name));
    // Blocks per stage 3, 4, 6, 3; only each stage's first block projects its shortcut.
    for (const [stage, blocks] of [
      [2, 3],
      [3, 4],
      [4, 6],
      [5, 3],
    ] as const) {
      expect(names.has(`conv${stage}_block${blocks}_out`)).toBe(true);
      expect(names.has(`conv${stage}_block${blocks + 1}_out`)).toBe(false);
      expect(names.has(`conv${stage}_block1_0_conv`)).toBe(true);
      expect(names.has(`conv${stage}_block2_0_conv`)).toBe(false);
    }
  });

  it('strides on the 1×1 convolution and shortcut of each later stage, with epsilon 1.001e-5', () => {
    expect(config(resnet, 'conv1_pad').padding).toEqual([
      [3, 3],
      [3, 3],
    ]);
    expect(config(resnet, 'conv1_conv')).toMatchObject({ kernelSize: [7, 7], strides: [2, 2], padding: 'valid', useBias: true });
    expect(config(resnet, 'pool1_pool')).toMatchObject({ poolSize: [3, 3], strides: [2, 2] });
    expect(config(resnet, 'conv2_block1_1_conv').strides).toEqual([1, 1]);
    for (const stage of [3, 4, 5]) {
      expect(config(resnet, `conv${stage}_block1_1_conv`).strides).toEqual([2, 2]);
      expect(config(resnet, `conv${stage}_block1_0_conv`).strides).toEqual([2, 2]);
      expect(config(resnet, `conv${stage}_block1_2_conv`)).toMatchObject({ strides: [1, 1], padding: 'same' });
    }
    expect(config(resnet, 'conv3_block2_2_bn').epsilon).toBe(1.001e-5);
    expect(resnet.getLayer('conv4_block6_out').output).toMatchObject({ shape: [null, 14, 14, 1024] });
  });
});

describe('MobileNetV2 (Keras MobileNetV2, alpha 1.0, include_top=False)', () => {
  it("has Keras's parameter count, layer count and output", () => {
    // Keras: MobileNetV2(include_top=False).count_params() == 2,257,984; len(model.layers) == 154.
    expect(mobilenetV2ParamCount).toBe(2_257_984);
    expect(mobilenet.countParams()).toBe(mobilenetV2ParamCount);
    expect(mobilenet.layers).toHaveLength(154);
    expect(mobilenet.outputs[0]!.shape).toEqual([null, 7, 7, 1280]);
    expect(mobilenet.layers.slice(-3).map((l) => l.name)).toEqual(['Conv_1', 'Conv_1_bn', 'out_relu']);
  });

  it('names the stem, block 0 and block 1 as Keras does, with its padding for stride 2', () => {
    expect(mobilenet.layers.slice(0, 19).map((l) => l.name)).toEqual([
      'input_1',
      'Conv1',
      'bn_Conv1',
      'Conv1_relu',
      'expanded_conv_depthwise',
      'expanded_conv_depthwise_BN',
      'expanded_conv_depthwise_relu',
      'expanded_conv_project',
      'expanded_conv_project_BN',
      'block_1_expand',
      'block_1_expand_BN',
      'block_1_expand_relu',
      'block_1_pad',
      'block_1_depthwise',
      'block_1_depthwise_BN',
      'block_1_depthwise_relu',
      'block_1_project',
      'block_1_project_BN',
      'block_2_expand',
    ]);
    expect(config(mobilenet, 'block_1_pad').padding).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(config(mobilenet, 'block_1_depthwise')).toMatchObject({ strides: [2, 2], padding: 'valid', useBias: false });
    expect(config(mobilenet, 'Conv1')).toMatchObject({ strides: [2, 2], padding: 'same', useBias: false });
    expect(config(mobilenet, 'bn_Conv1')).toMatchObject({ epsilon: 1e-3, momentum: 0.999 });
    expect(config(mobilenet, 'out_relu').maxValue).toBe(6);
    const names = new Set(mobilenet.layers.map((l) => l.name));
    // Residual adds where the block keeps its width and resolution.
    expect([...names].filter((n) => n.endsWith('_add'))).toEqual([
      'block_2_add',
      'block_4_add',
      'block_5_add',
      'block_7_add',
      'block_8_add',
      'block_9_add',
      'block_11_add',
      'block_12_add',
      'block_14_add',
      'block_15_add',
    ]);
    expect(names.has('block_16_project_BN')).toBe(true);
  });
});

describe('the zoo', () => {
  it('builds every network it can build with the feature layer and size its spec names', () => {
    const built: Record<string, Tf.LayersModel> = { resnet50: resnet, mobilenet_v2: mobilenet };
    for (const spec of Object.values(backbones).filter((b) => b.build !== undefined)) {
      const model = built[spec.id]!;
      expect(spec.format).toBe('keras-h5');
      expect(model.countParams()).toBe(spec.paramCount);
      expect(model.getLayer(spec.featureLayer).outputShape).toEqual([null, 7, 7, spec.featureSize]);
    }
    expect(backbones.resnet50!.preprocessing).toEqual({ size: 224, normalisation: 'caffe' });
    expect(backbones.mobilenet_v2!.preprocessing).toEqual({ size: 224, normalisation: 'mobilenet' });
  });
});

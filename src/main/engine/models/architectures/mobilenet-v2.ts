import type * as Tf from '@tensorflow/tfjs';

/** Keras's batch normalisation settings for MobileNetV2 (keras/src/applications/mobilenet_v2.py). */
const bn = { axis: -1, epsilon: 1e-3, momentum: 0.999 } as const;

/** Parameters (trainable and batch-norm statistics) of Keras's `MobileNetV2(alpha=1.0, include_top=False)`. */
export const mobilenetV2ParamCount = 2_257_984;

/** The inverted residual blocks of MobileNetV2 (alpha 1.0): output channels, stride, expansion. */
const blocks: readonly { filters: number; stride: number; expansion: number }[] = [
  { filters: 16, stride: 1, expansion: 1 },
  { filters: 24, stride: 2, expansion: 6 },
  { filters: 24, stride: 1, expansion: 6 },
  { filters: 32, stride: 2, expansion: 6 },
  { filters: 32, stride: 1, expansion: 6 },
  { filters: 32, stride: 1, expansion: 6 },
  { filters: 64, stride: 2, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 160, stride: 2, expansion: 6 },
  { filters: 160, stride: 1, expansion: 6 },
  { filters: 160, stride: 1, expansion: 6 },
  { filters: 320, stride: 1, expansion: 6 },
];

/**
 * MobileNetV2 (alpha 1.0) without its classifier, layer for layer as Keras Applications builds it
 * (`keras.applications.MobileNetV2(include_top=False)`), so that Keras's published ImageNet weights
 * load into it by layer name. Its output is `out_relu`, [batch, 7, 7, 1280] at 224×224. It expects
 * MobileNet preprocessing (pixels scaled to [-1, 1]). Only alpha 1.0 is built: with alpha 1.0 every
 * channel count is already a multiple of 8, so Keras's _make_divisible leaves them unchanged.
 */
export function buildMobileNetV2(tf: typeof Tf, inputSize = 224): Tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = apply(tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }), input);
  x = apply(tf.layers.batchNormalization({ ...bn, name: 'bn_Conv1' }), x);
  x = apply(tf.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }), x);
  blocks.forEach((b, id) => {
    x = invertedResidual(tf, x, b.filters, b.stride, b.expansion, id);
  });
  // Keras applies no width multiplier to the last convolution when alpha <= 1.
  x = apply(tf.layers.conv2d({ filters: 1280, kernelSize: 1, useBias: false, name: 'Conv_1' }), x);
  x = apply(tf.layers.batchNormalization({ ...bn, name: 'Conv_1_bn' }), x);
  x = apply(tf.layers.reLU({ maxValue: 6, name: 'out_relu' }), x);
  return tf.model({ inputs: input, outputs: x, name: `mobilenetv2_1.00_${inputSize}` });
}

/** Keras's _inverted_res_block; block 0 has no expansion and is named `expanded_conv_…`. */
function invertedResidual(
  tf: typeof Tf,
  input: Tf.SymbolicTensor,
  filters: number,
  stride: number,
  expansion: number,
  id: number,
): Tf.SymbolicTensor {
  const inChannels = input.shape[3]!;
  const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`;
  let x = input;
  if (id !== 0) {
    x = apply(
      tf.layers.conv2d({ filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}expand` }),
      x,
    );
    x = apply(tf.layers.batchNormalization({ ...bn, name: `${prefix}expand_BN` }), x);
    x = apply(tf.layers.reLU({ maxValue: 6, name: `${prefix}expand_relu` }), x);
  }
  if (stride === 2) {
    // Keras's correct_pad for a 3×3 kernel: ((1 - adjust, 1), …) with adjust = 1 - size % 2, so an
    // even-sized map gets one row and column at the bottom and right only.
    const padding: [[number, number], [number, number]] = [
      [x.shape[1]! % 2, 1],
      [x.shape[2]! % 2, 1],
    ];
    x = apply(tf.layers.zeroPadding2d({ padding, name: `${prefix}pad` }), x);
  }
  x = apply(
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      useBias: false,
      padding: stride === 1 ? 'same' : 'valid',
      name: `${prefix}depthwise`,
    }),
    x,
  );
  x = apply(tf.layers.batchNormalization({ ...bn, name: `${prefix}depthwise_BN` }), x);
  x = apply(tf.layers.reLU({ maxValue: 6, name: `${prefix}depthwise_relu` }), x);
  x = apply(tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` }), x);
  x = apply(tf.layers.batchNormalization({ ...bn, name: `${prefix}project_BN` }), x);
  if (inChannels === filters && stride === 1) return apply(tf.layers.add({ name: `${prefix}add` }), [input, x]);
  return x;
}

function apply(layer: Tf.layers.Layer, input: Tf.SymbolicTensor | Tf.SymbolicTensor[]): Tf.SymbolicTensor {
  return layer.apply(input) as Tf.SymbolicTensor;
}

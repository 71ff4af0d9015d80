import type * as Tf from '@tensorflow/tfjs';

/** Keras's batch-normalisation epsilon for the ResNet family (keras/src/applications/resnet.py). */
const bnEpsilon = 1.001e-5;

/** Parameters (trainable and batch-norm statistics) of Keras's `ResNet50(include_top=False)`. */
export const resnet50ParamCount = 23_587_712;

/**
 * ResNet-50 without its classifier, layer for layer as Keras Applications builds it
 * (`keras.applications.ResNet50(include_top=False)`): the same layer names, order, paddings and
 * strides, so that Keras's published ImageNet weights load into it by layer name. Its output is
 * `conv5_block3_out`, [batch, 7, 7, 2048] at 224×224. It expects caffe preprocessing (BGR minus
 * the ImageNet mean).
 */
export function buildResNet50(tf: typeof Tf, inputSize = 224): Tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = apply(
    tf.layers.zeroPadding2d({
      padding: [
        [3, 3],
        [3, 3],
      ],
      name: 'conv1_pad',
    }),
    input,
  );
  x = apply(tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, name: 'conv1_conv' }), x);
  x = apply(tf.layers.batchNormalization({ axis: 3, epsilon: bnEpsilon, name: 'conv1_bn' }), x);
  x = apply(tf.layers.activation({ activation: 'relu', name: 'conv1_relu' }), x);
  x = apply(
    tf.layers.zeroPadding2d({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: 'pool1_pad',
    }),
    x,
  );
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }), x);
  // Keras's stack_fn for ResNet50: conv2 keeps the resolution, the later stages halve it.
  x = stack(tf, x, 64, 3, 1, 'conv2');
  x = stack(tf, x, 128, 4, 2, 'conv3');
  x = stack(tf, x, 256, 6, 2, 'conv4');
  x = stack(tf, x, 512, 3, 2, 'conv5');
  return tf.model({ inputs: input, outputs: x, name: 'resnet50' });
}

/** Keras's stack_residual_blocks_v1: the first block projects the shortcut (and strides), the rest add the identity. */
function stack(tf: typeof Tf, x: Tf.SymbolicTensor, filters: number, blocks: number, stride1: number, name: string): Tf.SymbolicTensor {
  let y = block(tf, x, filters, stride1, true, `${name}_block1`);
  for (let i = 2; i <= blocks; i++) y = block(tf, y, filters, 1, false, `${name}_block${i}`);
  return y;
}

/**
 * Keras's residual_block_v1. As in Keras (and Caffe's original ResNet), the stride sits on the
 * first 1×1 convolution and on the shortcut projection, not on the 3×3 convolution.
 */
function block(
  tf: typeof Tf,
  x: Tf.SymbolicTensor,
  filters: number,
  stride: number,
  convShortcut: boolean,
  name: string,
): Tf.SymbolicTensor {
  const bn = (suffix: string) => tf.layers.batchNormalization({ axis: 3, epsilon: bnEpsilon, name: `${name}_${suffix}` });
  let shortcut = x;
  if (convShortcut) {
    shortcut = apply(tf.layers.conv2d({ filters: 4 * filters, kernelSize: 1, strides: stride, name: `${name}_0_conv` }), x);
    shortcut = apply(bn('0_bn'), shortcut);
  }
  let y = apply(tf.layers.conv2d({ filters, kernelSize: 1, strides: stride, name: `${name}_1_conv` }), x);
  y = apply(bn('1_bn'), y);
  y = apply(tf.layers.activation({ activation: 'relu', name: `${name}_1_relu` }), y);
  y = apply(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', name: `${name}_2_conv` }), y);
  y = apply(bn('2_bn'), y);
  y = apply(tf.layers.activation({ activation: 'relu', name: `${name}_2_relu` }), y);
  y = apply(tf.layers.conv2d({ filters: 4 * filters, kernelSize: 1, name: `${name}_3_conv` }), y);
  y = apply(bn('3_bn'), y);
  y = apply(tf.layers.add({ name: `${name}_add` }), [shortcut, y]);
  return apply(tf.layers.activation({ activation: 'relu', name: `${name}_out` }), y);
}

function apply(layer: Tf.layers.Layer, input: Tf.SymbolicTensor | Tf.SymbolicTensor[]): Tf.SymbolicTensor {
  return layer.apply(input) as Tf.SymbolicTensor;
}

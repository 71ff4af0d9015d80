import type * as Tf from '@tensorflow/tfjs';
import type { HeatMap } from '../../../shared/domain/heatmap';

/** The new layer of a run: global average pooling of the feature map, then logits = features · W + b. */
export interface Head {
  /** Row-major [featureSize, classes]. */
  weights: Float32Array;
  bias: Float32Array;
  featureSize: number;
  classes: number;
}

export interface GradCamResult {
  /** Sigmoid scores of every class. */
  scores: number[];
  /**
   * One map per requested class, at the feature map's resolution: ReLU of the gradient-weighted
   * channels, up to a positive factor per class (normalise before showing).
   */
  maps: HeatMap[];
}

/**
 * Grad-CAM as the example computes it with `gradCAM(net, img, classes, ReductionLayer="sigmoid")`:
 * the gradient of each class's sigmoid score with respect to the last convolutional feature map
 * (the trunk's output), averaged over space to weigh each channel, then the weighted sum of the
 * channels through a ReLU. The same for both training modes: a frozen backbone with its trained head,
 * or a fine-tuned trunk with its head.
 *
 * `input` is one preprocessed image, HWC float32 of `size × size × 3`.
 */
export function gradCam(
  tf: typeof Tf,
  trunk: Tf.LayersModel,
  head: Head,
  input: Float32Array,
  size: number,
  classIndices: number[],
): GradCamResult {
  return tf.tidy(() => {
    const x = tf.tensor4d(input, [1, size, size, 3]);
    const features = trunk.predict(x) as Tf.Tensor4D;
    const [, height, width, channels] = features.shape;
    if (channels !== head.featureSize) {
      throw new Error(`The trunk gives ${channels} channels but the head expects ${head.featureSize}.`);
    }
    const w = tf.tensor2d(head.weights, [head.featureSize, head.classes]);
    const b = tf.tensor1d(head.bias);
    const logitsOf = (a: Tf.Tensor4D): Tf.Tensor2D => a.mean([1, 2]).matMul(w).add(b) as Tf.Tensor2D;
    const logits = Array.from(logitsOf(features).dataSync());
    const scores = logits.map((z) => 1 / (1 + Math.exp(-z)));
    const maps = classIndices.map((c) => {
      // d sigmoid(z)/dA = sigmoid'(z) · dz/dA: the factor is positive and the same for every channel,
      // so it only scales the map, which is then normalised. But in float32 it is exactly 0 once a
      // score saturates (z > ~17), which would erase the maps of the most confident classes. So the
      // gradient is taken at the logit: the example's map up to that factor, without the underflow.
      const gradient = tf.grad((a: Tf.Tensor) =>
        logitsOf(a as Tf.Tensor4D)
          .slice([0, c], [1, 1])
          .sum(),
      )(features);
      const channelWeights = gradient.mean([1, 2]).reshape([1, 1, 1, channels]);
      const cam = tf.relu(features.mul(channelWeights).sum(3));
      return { width, height, values: cam.dataSync().slice() as Float32Array };
    });
    return { scores, maps };
  });
}

import type { HeatMap } from '../../../shared/domain/heatmap';
import type { Head } from './gradcam';

/**
 * Grad-CAM of a global-average-pooling + dense head, from the feature map alone. The logit of class
 * c is `z_c = Σ_k W[k,c] · mean_ij A[i,j,k] + b_c`, so its gradient with respect to `A[i,j,k]` is
 * `W[k,c] / (H·W)` at every position: Grad-CAM's channel weight (that gradient averaged over space)
 * is exactly `W[k,c] / (H·W)`, and the map is `ReLU(Σ_k W[k,c] / (H·W) · A[:,:,k])`. This is what
 * TensorFlow.js's autodiff computes (gradcam.ts), without a backward pass, so any runtime that gives
 * the feature map gives Grad-CAM. As there, the gradient is taken at the logit, not the sigmoid score:
 * the two differ by a positive factor per class that normalisation removes.
 *
 * `map` is one image's NHWC feature map, `height × width × featureSize`.
 */
export function gradCamFromFeatureMap(
  map: Float32Array,
  height: number,
  width: number,
  head: Head,
  classIndices: readonly number[],
): { scores: number[]; maps: HeatMap[] } {
  const { featureSize: k, classes, weights, bias } = head;
  if (map.length !== height * width * k) {
    throw new Error(`The feature map has ${map.length} values, not ${height}×${width}×${k}.`);
  }
  const cells = height * width;
  const pooled = new Float64Array(k);
  for (let p = 0; p < cells; p++) for (let j = 0; j < k; j++) pooled[j]! += map[p * k + j]!;
  const scores: number[] = [];
  for (let c = 0; c < classes; c++) {
    let z = bias[c]!;
    for (let j = 0; j < k; j++) z += (pooled[j]! / cells) * weights[j * classes + c]!;
    scores.push(1 / (1 + Math.exp(-z)));
  }
  const maps = classIndices.map((c) => {
    if (c < 0 || c >= classes) throw new Error(`There is no class ${c}; the head has ${classes}.`);
    const values = new Float32Array(cells);
    for (let p = 0; p < cells; p++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += map[p * k + j]! * weights[j * classes + c]!;
      values[p] = Math.max(0, sum / cells);
    }
    return { width, height, values };
  });
  return { scores, maps };
}

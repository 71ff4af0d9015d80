import { clipProbability } from '../../../shared/domain/calibration';

/**
 * Temperature scaling (Guo et al., 2017) for a multilabel head: one temperature T for every class,
 * score = sigmoid(logit / T), fitted by minimising the example's loss on images the head did not
 * train on. T > 1 softens over-confident scores; it never changes their order, so ranking figures
 * (mAP, each class's precision–recall curve) stay as they were.
 */

/** The example's loss of sigmoid(logits · s): per image, the binary cross-entropy summed over classes, averaged over images. */
export function scaledLoss(logits: Float32Array, labels: Float32Array, classes: number, s = 1): number {
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = clipProbability(1 / (1 + Math.exp(-logits[i]! * s)));
    total -= labels[i]! > 0.5 ? Math.log(p) : Math.log(1 - p);
  }
  return total / (logits.length / classes);
}

/**
 * The T in [0.05, 20] with the lowest scaledLoss at s = 1/T. The loss is convex in s (a logistic
 * loss of s·z), so a golden-section search over log s finds its minimum.
 */
export function fitTemperature(logits: Float32Array, labels: Float32Array, classes: number): number {
  const loss = (u: number): number => scaledLoss(logits, labels, classes, Math.exp(u));
  let [a, b] = [Math.log(1 / 20), Math.log(1 / 0.05)];
  const ratio = (Math.sqrt(5) - 1) / 2;
  let x1 = b - ratio * (b - a);
  let x2 = a + ratio * (b - a);
  let f1 = loss(x1);
  let f2 = loss(x2);
  for (let step = 0; step < 60; step++) {
    if (f1 <= f2) {
      [b, x2, f2] = [x2, x1, f1];
      x1 = b - ratio * (b - a);
      f1 = loss(x1);
    } else {
      [a, x1, f1] = [x1, x2, f2];
      x2 = a + ratio * (b - a);
      f2 = loss(x2);
    }
  }
  return 1 / Math.exp((a + b) / 2);
}

import { SeededRandom } from './seeded-random';

/**
 * A seeded split of a training set's images into a part to fit on and a part held out (about
 * `fraction` of them), such that every class keeps examples where it has any: a class with at
 * least two positive images has one on each side, and a class's only positive image stays in the
 * fit part. Images are indices 0..n-1; `labels` is row-major [images, classes], 0 or 1.
 */
export function heldOutSplit(labels: Float32Array, classes: number, fraction: number, seed: number): { fit: number[]; heldOut: number[] } {
  const images = labels.length / classes;
  const target = Math.round(images * fraction);
  const generator = new SeededRandom(seed);
  const order = Array.from({ length: images }, (_, i) => i);
  for (let i = images - 1; i > 0; i--) {
    const j = Math.floor(generator.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const positives = (image: number): number[] => {
    const found: number[] = [];
    for (let k = 0; k < classes; k++) if (labels[image * classes + k]! > 0.5) found.push(k);
    return found;
  };
  // Positive images of each class still in the fit part, and in the held-out part.
  const inFit = Array.from({ length: classes }, () => 0);
  const inHeldOut = Array.from({ length: classes }, () => 0);
  for (let image = 0; image < images; image++) for (const k of positives(image)) inFit[k]! += 1;
  const held = new Set<number>();
  // Moving an image out must leave each of its classes at least one fit example.
  const canHoldOut = (image: number): boolean => !held.has(image) && positives(image).every((k) => inFit[k]! >= 2);
  const holdOut = (image: number): void => {
    held.add(image);
    for (const k of positives(image)) {
      inFit[k]! -= 1;
      inHeldOut[k]! += 1;
    }
  };
  // First one example of each class that can spare one, rarest classes first, then any images.
  const byRarity = Array.from({ length: classes }, (_, k) => k).sort((a, b) => inFit[a]! - inFit[b]! || a - b);
  for (const k of byRarity) {
    if (inHeldOut[k]! > 0 || held.size >= target) continue;
    const image = order.find((i) => labels[i * classes + k]! > 0.5 && canHoldOut(i));
    if (image !== undefined) holdOut(image);
  }
  for (const image of order) {
    if (held.size >= target) break;
    if (canHoldOut(image)) holdOut(image);
  }
  const fit = order.filter((i) => !held.has(i)).sort((a, b) => a - b);
  return { fit, heldOut: [...held].sort((a, b) => a - b) };
}

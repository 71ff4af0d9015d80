/**
 * Classes with no or very few images: a network cannot learn a class it never sees, and one it
 * sees a handful of times gets scores that mean little. The Dataset workspace, the Train form and
 * a run's record warn about them with the same rule and the same sentence.
 */

/** Fewer images than this is "very few". */
export const fewImages = 5;

export interface SparseClass {
  name: string;
  images: number;
}

/** The classes (in the given order) with fewer than `least` images. */
export function sparseClasses(classes: readonly string[], imagesOf: (name: string) => number, least = fewImages): SparseClass[] {
  return classes.map((name) => ({ name, images: imagesOf(name) })).filter((c) => c.images < least);
}

/** Images per class from a row-major multi-hot label matrix (rows: images, columns: classes). */
export function imagesPerClass(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) if (labels[i]! > 0) counts[i % classes]! += 1;
  return counts;
}

function list(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

/**
 * One warning for the sparse classes, `what` naming the images counted ("training images",
 * "images in this file"); empty when there are none.
 */
export function sparseClassesSentence(sparse: readonly SparseClass[], what: string, least = fewImages): string {
  if (sparse.length === 0) return '';
  const none = sparse.filter((c) => c.images === 0).map((c) => c.name);
  const few = sparse.filter((c) => c.images > 0).map((c) => `${c.name} (${c.images})`);
  const parts = [
    none.length > 0 ? `${list(none)} ${none.length === 1 ? 'has' : 'have'} no ${what}` : '',
    few.length > 0 ? `${list(few)} ${few.length === 1 ? 'has' : 'have'} fewer than ${least}` : '',
  ].filter((p) => p !== '');
  const sentence = parts.join('; ');
  return (
    `${sentence[0]!.toUpperCase()}${sentence.slice(1)}. ` +
    'A network cannot learn a class it never sees, and its scores for a class seen a few times mean little: add images of them or leave them out.'
  );
}

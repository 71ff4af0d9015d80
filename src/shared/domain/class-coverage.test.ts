import { describe, expect, it } from 'vitest';
import { imagesPerClass, sparseClasses, sparseClassesSentence } from './class-coverage';

describe('sparse classes', () => {
  it('lists, in the classes’ order, those with no images or fewer than five', () => {
    const counts: Record<string, number> = { dog: 12, sheep: 0, cat: 4, cow: 0, bird: 5 };
    expect(sparseClasses(['dog', 'sheep', 'cat', 'cow', 'bird'], (name) => counts[name] ?? 0)).toEqual([
      { name: 'sheep', images: 0 },
      { name: 'cat', images: 4 },
      { name: 'cow', images: 0 },
    ]);
  });

  it('counts the images of each class in a multi-hot label matrix', () => {
    // Three images, three classes: [1,0,1], [1,0,0], [0,0,1].
    expect(imagesPerClass(Float32Array.from([1, 0, 1, 1, 0, 0, 0, 0, 1]), 3)).toEqual([2, 0, 2]);
  });

  it('says which classes have none and which have few, in one sentence with what to do', () => {
    expect(
      sparseClassesSentence(
        [
          { name: 'sheep', images: 0 },
          { name: 'cow', images: 0 },
          { name: 'bear', images: 2 },
        ],
        'training images',
      ),
    ).toBe(
      'Sheep and cow have no training images; bear (2) has fewer than 5. A network cannot learn a class it never sees, and its scores for a class seen a few times mean little: add images of them or leave them out.',
    );
    expect(sparseClassesSentence([{ name: 'couch', images: 3 }], 'images in this file')).toMatch(/^Couch \(3\) has fewer than 5\. /);
    expect(sparseClassesSentence([], 'training images')).toBe('');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsId, lowerBound, mergeImageLists, positionsOf } from './subset-merge';

const u32 = (...ids: number[]): Uint32Array => Uint32Array.from(ids);

describe('mergeImageLists', () => {
  it('gives the union ascending and how many lists hold each image (dog, cat, potted plant, couch of the fixture)', () => {
    // dog: 9, 34, 49, 61; cat: 9, 36, 61; potted plant: 49; couch: 30, 36.
    const merged = mergeImageLists([u32(9, 34, 49, 61), u32(9, 36, 61), u32(49), u32(30, 36)]);
    expect([...merged.imageIds]).toEqual([9, 30, 34, 36, 49, 61]);
    expect([...merged.labelCounts]).toEqual([2, 1, 1, 2, 2, 2]);
  });

  it('gives the same answer by sorting when the ids are too large to count into an array', () => {
    const lists = [u32(5, 4_000_000_000), u32(5, 70_000, 4_000_000_000), u32(4_294_967_295)];
    for (const idLimit of [1 << 22, 0]) {
      const merged = mergeImageLists(lists, idLimit);
      expect([...merged.imageIds]).toEqual([5, 70_000, 4_000_000_000, 4_294_967_295]);
      expect([...merged.labelCounts]).toEqual([2, 1, 2, 1]);
    }
  });

  it('is empty for no lists or empty lists, and counts image id 0', () => {
    expect(mergeImageLists([])).toEqual({ imageIds: new Uint32Array(0), labelCounts: new Uint16Array(0) });
    expect(mergeImageLists([u32(), u32()]).imageIds).toHaveLength(0);
    expect([...mergeImageLists([u32(0, 2), u32(0)]).labelCounts]).toEqual([2, 1]);
  });

  it('counting and sorting agree with a set union on random lists', () => {
    const list = fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 60 }).map((ids) => u32(...ids.sort((a, b) => a - b)));
    fc.assert(
      fc.property(fc.array(list, { maxLength: 12 }), (lists) => {
        const expected = new Map<number, number>();
        for (const l of lists) for (const id of l) expected.set(id, (expected.get(id) ?? 0) + 1);
        const ids = [...expected.keys()].sort((a, b) => a - b);
        for (const idLimit of [1 << 22, 0]) {
          const merged = mergeImageLists(lists, idLimit);
          expect([...merged.imageIds]).toEqual(ids);
          expect([...merged.labelCounts]).toEqual(ids.map((id) => expected.get(id)));
        }
      }),
    );
  });
});

describe('searches in ascending ids', () => {
  const ids = u32(9, 30, 34, 36, 49, 61);

  it('lowerBound finds the first id not less than the one sought', () => {
    expect(lowerBound(ids, 9)).toBe(0);
    expect(lowerBound(ids, 35)).toBe(3);
    expect(lowerBound(ids, 61)).toBe(5);
    expect(lowerBound(ids, 62)).toBe(6);
    expect(lowerBound(ids, 1)).toBe(0);
    expect(lowerBound(ids, 30, 3)).toBe(3);
  });

  it('containsId says whether an id is there', () => {
    expect(containsId(ids, 36)).toBe(true);
    expect(containsId(ids, 35)).toBe(false);
    expect(containsId(ids, 100)).toBe(false);
    expect(containsId(u32(), 1)).toBe(false);
  });

  it('positionsOf gives each id its position, and -1 for an id that is not there', () => {
    expect([...positionsOf(ids, [9, 36, 61])]).toEqual([0, 3, 5]);
    expect([...positionsOf(ids, [30, 31, 49])]).toEqual([1, -1, 4]);
    expect([...positionsOf(ids, [])]).toEqual([]);
  });
});

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCocoFixture, fixtureExpected, serializeCoco } from '../../../test/fixtures/coco-fixture';
import { AppError } from '../../shared/contract/errors';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { openCache, type Db } from '../db/connection';
import { ingestCocoFile } from './ingest';
import {
  allImageFiles,
  fileNamesOf,
  imageDetail,
  imagePage,
  listCategories,
  listFiles,
  resolveCategories,
  subsetLabels,
  subsetMatrix,
  subsetStats,
} from './queries';

const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const coco128 = resolve(projectRoot, '../shared/data/coco128');
const coco128Annotations = join(coco128, 'annotations', 'instances_train2017.json');
const hasCoco128 = existsSync(coco128Annotations);
/** Where the real data is absent, the skipped tests say why in their names. */
const coco128Note = hasCoco128 ? '' : ' (skipped because ../shared/data/coco128 is absent)';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an error');
}

const pets = fixtureExpected.petsSubset;
const personCat = fixtureExpected.personCatSubset;

describe('queries on the fixture', () => {
  let dir: string;
  let db: Db;
  let fileId: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mlw-'));
    db = openCache(join(dir, 'cache'));
    const path = join(dir, 'instances.json');
    // Categories last, as in the full COCO file.
    writeFileSync(path, serializeCoco(buildCocoFixture(), { categories: 'last' }));
    fileId = (await ingestCocoFile(db, path)).fileId;
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('listCategories', () => {
    it('lists every category by ascending id with its supercategory and number of images', () => {
      expect(listCategories(db, fileId)).toEqual([
        { id: 1, name: 'person', supercategory: 'person', imageCount: 3 },
        { id: 16, name: 'bird', supercategory: 'animal', imageCount: 0 },
        { id: 17, name: 'cat', supercategory: 'animal', imageCount: 3 },
        { id: 18, name: 'dog', supercategory: 'animal', imageCount: 4 },
        { id: 63, name: 'couch', supercategory: 'furniture', imageCount: 2 },
        { id: 64, name: 'potted plant', supercategory: 'furniture', imageCount: 1 },
      ]);
    });

    it('gives NOT_FOUND for a file id that was never imported', () => {
      const error = thrown(() => listCategories(db, 999));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toMatch(/No imported annotation file has id 999/);
    });
  });

  describe('subsetStats', () => {
    it('counts unique images, images per class, the labels-per-image histogram and mean (dog, cat, potted plant, couch)', () => {
      const stats = subsetStats(db, fileId, pets.names);
      expect(stats).toEqual({
        images: 6,
        perClass: { dog: 4, cat: 3, 'potted plant': 1, couch: 2 },
        labelsPerImage: { histogram: { '1': 2, '2': 4 }, mean: 10 / 6 },
      });
      // Per-class keys keep the order the categories were given in.
      expect(Object.keys(stats.perClass)).toEqual(['dog', 'cat', 'potted plant', 'couch']);
    });

    it('counts an image once however many instances of a class it has (3 potted plants, 2 dogs in one image)', () => {
      expect(subsetStats(db, fileId, ['potted plant'])).toEqual({
        images: 1,
        perClass: { 'potted plant': 1 },
        labelsPerImage: { histogram: { '1': 1 }, mean: 1 },
      });
      expect(subsetStats(db, fileId, ['dog']).perClass).toEqual({ dog: 4 });
    });

    it('counts crowd annotations as labels (image 34 has only a crowd dog)', () => {
      expect(subsetMatrix(db, fileId, ['dog']).imageIds).toContain(34);
    });

    it('gives the same numbers for another subset (person, cat)', () => {
      expect(subsetStats(db, fileId, personCat.names)).toEqual({
        images: personCat.images,
        perClass: personCat.perClass,
        labelsPerImage: { histogram: personCat.histogram, mean: personCat.mean },
      });
    });

    it('reports 0 for a category no image has, without changing the others', () => {
      expect(subsetStats(db, fileId, ['bird', 'cat'])).toEqual({
        images: 3,
        perClass: { bird: 0, cat: 3 },
        labelsPerImage: { histogram: { '1': 3 }, mean: 1 },
      });
    });

    it('counts all categories together: every image with any annotation, histogram of distinct labels', () => {
      const all = listCategories(db, fileId).map((c) => c.name);
      // Images 9:2, 25:1, 30:2, 34:1, 36:3, 49:2, 61:2 distinct labels; image 42 has none.
      expect(subsetStats(db, fileId, all).labelsPerImage).toEqual({ histogram: { '1': 2, '2': 4, '3': 1 }, mean: 13 / 7 });
      expect(subsetStats(db, fileId, all).images).toBe(7);
    });

    it('gives an empty result for no categories', () => {
      expect(subsetStats(db, fileId, [])).toEqual({ images: 0, perClass: {}, labelsPerImage: { histogram: {}, mean: 0 } });
    });

    it('accepts names with surrounding spaces and other letter case, and answers with the names the file uses', () => {
      expect(subsetStats(db, fileId, ['  Dog ', 'CAT']).perClass).toEqual({ dog: 4, cat: 3 });
    });
  });

  describe("subsetMatrix (the example's prepareData)", () => {
    it('gives unique ascending image ids, their file names and multi-hot rows in the order of the given categories', () => {
      expect(subsetMatrix(db, fileId, pets.names)).toEqual({
        classes: ['dog', 'cat', 'potted plant', 'couch'],
        imageIds: [9, 30, 34, 36, 49, 61],
        fileNames: pets.fileNames,
        labels: [
          [1, 1, 0, 0],
          [0, 0, 0, 1],
          [1, 0, 0, 0],
          [0, 1, 0, 1],
          [1, 0, 1, 0],
          [1, 1, 0, 0],
        ],
      });
    });

    it('permutes the columns, not the rows, when the categories are given in another order', () => {
      const reordered = subsetMatrix(db, fileId, ['couch', 'potted plant', 'cat', 'dog']);
      expect(reordered.classes).toEqual(['couch', 'potted plant', 'cat', 'dog']);
      expect(reordered.imageIds).toEqual(pets.imageIds);
      expect(reordered.labels).toEqual(pets.labels.map((row) => [...row].reverse()));
    });

    it('agrees with subsetStats: column sums are the per-class counts and row sums the histogram', () => {
      const { labels } = subsetMatrix(db, fileId, personCat.names);
      expect(labels.length).toBe(personCat.images);
      expect([0, 1].map((c) => labels.reduce((s, row) => s + row[c]!, 0))).toEqual([3, 3]);
      expect(labels.map((row) => row[0]! + row[1]!).sort()).toEqual([1, 1, 1, 1, 2]);
    });
  });

  describe('subsetLabels (the same matrix in typed arrays, for training)', () => {
    it('gives the ids, file names and a row-major 0/1 matrix equal to subsetMatrix', () => {
      const typed = subsetLabels(db, fileId, pets.names);
      expect(typed.classes).toEqual(['dog', 'cat', 'potted plant', 'couch']);
      expect([...typed.imageIds]).toEqual([9, 30, 34, 36, 49, 61]);
      expect(typed.fileNames).toEqual([
        '000000000009.jpg',
        '000000000030.jpg',
        '000000000034.jpg',
        '000000000036.jpg',
        '000000000049.jpg',
        '000000000061.jpg',
      ]);
      // Rows: 9 dog cat; 30 couch; 34 dog; 36 cat couch; 49 dog potted plant; 61 dog cat.
      expect([...typed.labels]).toEqual([1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0]);
    });

    it('is empty for a category no image has', () => {
      expect(subsetLabels(db, fileId, ['bird'])).toEqual({
        classes: ['bird'],
        categories: [{ id: 16, name: 'bird' }],
        imageIds: new Uint32Array(0),
        fileNames: [],
        labels: new Uint8Array(0),
        overrides: null,
      });
    });
  });

  describe('file names', () => {
    it('allImageFiles lists every image of the file by ascending id, with or without annotations', () => {
      const all = allImageFiles(db, fileId);
      expect([...all.ids]).toEqual([9, 25, 30, 34, 36, 42, 49, 61]);
      expect(all.fileNames).toEqual([9, 25, 30, 34, 36, 42, 49, 61].map((id) => `${String(id).padStart(12, '0')}.jpg`));
    });

    it('fileNamesOf gives the same names whether it looks them up one by one or reads them in one pass', () => {
      const ids = Uint32Array.from([25, 42, 61]);
      const expected = ['000000000025.jpg', '000000000042.jpg', '000000000061.jpg'];
      expect(fileNamesOf(db, fileId, ids, 'lookup')).toEqual(expected);
      expect(fileNamesOf(db, fileId, ids, 'scan')).toEqual(expected);
      expect(fileNamesOf(db, fileId, ids)).toEqual(expected);
      expect(fileNamesOf(db, fileId, new Uint32Array(0))).toEqual([]);
    });
  });

  describe('unknown category names', () => {
    it('are an INVALID_INPUT error that suggests the close match ("dgo" → "dog")', () => {
      const error = thrown(() => subsetStats(db, fileId, ['cat', 'dgo']));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain('There is no category named "dgo"');
      expect(error.message).toContain('Did you mean "dog"');
      expect(error.details).toMatchObject({ unknown: 'dgo' });
      expect(error.details?.suggestions).toContain('dog');
    });

    it('suggest "potted plant" for "plant" and "couch" for "cuoch"', () => {
      expect(thrown(() => subsetMatrix(db, fileId, ['plant'])).message).toContain('"potted plant"');
      expect(thrown(() => imagePage(db, fileId, ['cuoch'], undefined, 0, 10)).message).toContain('Did you mean "couch"');
    });

    it('suggest nothing when no name is close', () => {
      const error = thrown(() => resolveCategories(db, fileId, ['xylophone']));
      expect(error.message).toContain('There is no category named "xylophone"');
      expect(error.message).not.toContain('Did you mean');
      expect(error.details?.suggestions).toEqual([]);
    });

    it('refuse a category listed twice', () => {
      expect(thrown(() => subsetStats(db, fileId, ['dog', 'cat', 'Dog'])).message).toMatch(/"Dog" is listed twice/);
    });

    it('resolve known names to ids in the order given', () => {
      expect(resolveCategories(db, fileId, ['couch', 'person', 'dog'])).toEqual([63, 1, 18]);
    });
  });

  describe('imagePage', () => {
    it('pages through the subset images in ascending id order with their labels in selection order', () => {
      const first = imagePage(db, fileId, pets.names, undefined, 0, 4);
      expect(first.total).toBe(6);
      expect(first.items.map((i) => i.id)).toEqual([9, 30, 34, 36]);
      const unedited = { edited: false, reviewed: false };
      expect(first.items[0]).toEqual({ id: 9, fileName: '000000000009.jpg', width: 640, height: 480, labels: ['dog', 'cat'], ...unedited });
      expect(first.items[3]).toEqual({
        id: 36,
        fileName: '000000000036.jpg',
        width: 481,
        height: 640,
        labels: ['cat', 'couch'],
        ...unedited,
      });
      const second = imagePage(db, fileId, pets.names, undefined, 4, 4);
      expect(second.total).toBe(6);
      expect(second.items.map((i) => [i.id, i.labels])).toEqual([
        [49, ['dog', 'potted plant']],
        [61, ['dog', 'cat']],
      ]);
      expect(imagePage(db, fileId, pets.names, undefined, 6, 4)).toEqual({ total: 6, items: [] });
    });

    it('pages of size 1 visit every subset image exactly once', () => {
      const ids: number[] = [];
      for (let offset = 0; offset < 6; offset++)
        ids.push(...imagePage(db, fileId, pets.names, undefined, offset, 1).items.map((i) => i.id));
      expect(ids).toEqual(pets.imageIds);
    });

    it('with filterCategory keeps only the images with that category, still labelled with the whole selection', () => {
      const cats = imagePage(db, fileId, pets.names, 'cat', 0, 10);
      expect(cats.total).toBe(3);
      expect(cats.items.map((i) => [i.id, i.labels])).toEqual([
        [9, ['dog', 'cat']],
        [36, ['cat', 'couch']],
        [61, ['dog', 'cat']],
      ]);
      const page = imagePage(db, fileId, pets.names, 'dog', 1, 2);
      expect(page.total).toBe(4);
      expect(page.items.map((i) => i.id)).toEqual([34, 49]);
    });

    it('with a filterCategory outside the selection gives nothing, and an unknown one an error', () => {
      expect(imagePage(db, fileId, pets.names, 'person', 0, 10)).toEqual({ total: 0, items: [] });
      expect(thrown(() => imagePage(db, fileId, pets.names, 'dgo', 0, 10)).message).toContain('Did you mean "dog"');
    });

    it('is empty for an empty selection', () => {
      expect(imagePage(db, fileId, [], undefined, 0, 10)).toEqual({ total: 0, items: [] });
    });
  });

  describe('imageDetail', () => {
    it('gives every box of the image (all categories, crowd flagged), its labels in selection order and license', () => {
      const seen: string[] = [];
      const detail = imageDetail(db, fileId, 36, pets.names, (name) => {
        seen.push(name);
        return true;
      });
      expect(seen).toEqual(['000000000036.jpg']);
      expect({ ...detail, boxes: [...detail.boxes].sort((a, b) => a.annotationId - b.annotationId) }).toEqual({
        id: 36,
        fileName: '000000000036.jpg',
        width: 481,
        height: 640,
        labels: ['cat', 'couch'],
        license: 1,
        present: true,
        edits: [],
        edited: false,
        reviewed: false,
        boxes: [
          { annotationId: 107, category: 'cat', bbox: [50, 60, 70, 80], area: 4200, iscrowd: false },
          { annotationId: 108, category: 'couch', bbox: [0, 300, 481, 340], area: 150000, iscrowd: false },
          { annotationId: 109, category: 'person', bbox: [10, 10, 40, 100], area: 3000, iscrowd: false },
          { annotationId: 900100000258, category: 'person', bbox: [100, 100, 200, 300], area: 52000, iscrowd: true },
        ],
      });
    });

    it('keeps fractional box coordinates and areas exactly', () => {
      const detail = imageDetail(db, fileId, 9, ['dog'], () => false);
      expect(detail.present).toBe(false);
      expect(detail.labels).toEqual(['dog']);
      const byId = new Map(detail.boxes.map((b) => [b.annotationId, b]));
      expect(byId.get(101)).toEqual({ annotationId: 101, category: 'dog', bbox: [10, 20, 100.5, 80.25], area: 6000.125, iscrowd: false });
      expect(byId.get(103)?.bbox).toEqual([300.75, 40.125, 60, 70]);
      expect(detail.boxes).toHaveLength(3);
    });

    it('gives a null license and no boxes where the file has none', () => {
      expect(imageDetail(db, fileId, 30, [], () => true).license).toBeNull();
      expect(imageDetail(db, fileId, 42, pets.names, () => true)).toMatchObject({ id: 42, labels: [], boxes: [], license: 2 });
    });

    it('gives NOT_FOUND for an image id that is not in the file', () => {
      const error = thrown(() => imageDetail(db, fileId, 12345, pets.names, () => true));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain('Image 12345 is not in this annotation file');
    });
  });
});

describe('queries on real COCO data (coco128)', () => {
  let dir: string;
  let db: Db;
  let fileId: number;

  beforeAll(async () => {
    if (!hasCoco128) return;
    dir = mkdtempSync(join(tmpdir(), 'mlw-'));
    db = openCache(join(dir, 'cache'));
    fileId = (await ingestCocoFile(db, coco128Annotations, { imagesDir: join(coco128, 'train2017') })).fileId;
  });
  afterAll(() => {
    if (!hasCoco128) return;
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasCoco128)(`imports 128 images, 939 annotations and 80 categories${coco128Note}`, () => {
    const categories = listCategories(db, fileId);
    expect(categories).toHaveLength(80);
    const images = imagePage(
      db,
      fileId,
      categories.map((c) => c.name),
      undefined,
      0,
      1000,
    );
    // 2 of the 128 images have no annotation.
    expect(images.total).toBe(126);
    const annotations = images.items.reduce((sum, item) => sum + imageDetail(db, fileId, item.id, [], () => true).boxes.length, 0);
    expect(annotations).toBe(939);
    expect(listFiles(db).find((f) => f.fileId === fileId)).toMatchObject({ images: 128, annotations: 939, categories: 80 });
  });

  it.skipIf(!hasCoco128)(`gives the reference example's 12 categories: 35 images and the known per-class counts${coco128Note}`, () => {
    const stats = subsetStats(db, fileId, referenceExampleCategories);
    expect(stats.images).toBe(35);
    expect(stats.perClass).toEqual({
      dog: 9,
      cat: 4,
      bird: 2,
      horse: 1,
      sheep: 0,
      cow: 0,
      bear: 1,
      giraffe: 4,
      zebra: 2,
      elephant: 4,
      'potted plant': 9,
      couch: 5,
    });
    // Worked out from the JSON with Python: 30 images with 1 label, 4 with 2, 1 with 3.
    expect(stats.labelsPerImage).toEqual({ histogram: { '1': 30, '2': 4, '3': 1 }, mean: 41 / 35 });
    const matrix = subsetMatrix(db, fileId, referenceExampleCategories);
    expect(matrix.imageIds).toHaveLength(35);
    expect(matrix.imageIds.slice(0, 5)).toEqual([25, 30, 34, 42, 49]);
    expect(matrix.fileNames[0]).toBe('000000000025.jpg');
    expect(matrix.imageIds).toEqual([...matrix.imageIds].sort((a, b) => a - b));
    // Image 25 has only giraffes.
    expect(matrix.labels[0]).toEqual(referenceExampleCategories.map((name) => (name === 'giraffe' ? 1 : 0)));
  });
});

import type { Db } from '../db/connection';
import { BatchInsert } from '../db/batch-insert';
import { encodeImageIds, recordLength } from './annotation-records';
import { CocoFormatError, imageLabelsKey } from './coco-json-reader';
import type { CocoRecords } from './coco-records';

/** A Uint32Array that grows by doubling: the ascending image ids of one category. */
class GrowableUint32 {
  values = new Uint32Array(256);
  length = 0;

  /** Appends `value` unless it is already the last one (an image with two boxes of a category). */
  pushIfNotLast(value: number): void {
    if (this.length > 0 && this.values[this.length - 1] === value) return;
    if (this.length === this.values.length) {
      const next = new Uint32Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.length++] = value;
  }
}

/**
 * Dense indices in the order of their ids. Image ids are below 2^32 and dense indices below 2^21
 * (two million images), so id × 2^21 + index is an exact double and one native numeric sort of
 * those keys orders them (several times faster than sorting indices with a comparator).
 */
function byId(ids: readonly number[]): Int32Array {
  if (ids.length > 2 ** 21) return Int32Array.from(ids.map((_, i) => i).sort((a, b) => ids[a]! - ids[b]!));
  const keyed = new Float64Array(ids.length);
  ids.forEach((id, dense) => (keyed[dense] = id * 2 ** 21 + dense));
  keyed.sort();
  const order = new Int32Array(ids.length);
  for (let k = 0; k < keyed.length; k++) order[k] = keyed[k]! % 2 ** 21;
  return order;
}

/**
 * Id to dense index (-1 when unknown) for `ids` (whose dense index is their position): a flat table
 * when the ids are small, as COCO's are, else `map`.
 */
function denseLookup(ids: readonly number[], map: ReadonlyMap<number, number>): (id: number) => number {
  let maxId = 0;
  for (const id of ids) if (id > maxId) maxId = id;
  if (maxId >= 1 << 24) return (id) => map.get(id) ?? -1;
  const table = new Int32Array(maxId + 1).fill(-1);
  ids.forEach((id, dense) => (table[id] = dense));
  return (id) => (id >= 0 && id <= maxId ? table[id]! : -1);
}

/**
 * Writes an import's records into the cache. At the end it checks that every annotation points
 * at a known image and category (categories may come last in the file) and that annotation ids
 * are unique, groups annotations by image, derives image-level labels, and writes everything in
 * primary-key order, which is what makes SQLite's inserts cheap.
 */
export class CacheWriter {
  private fileId = 0;

  constructor(
    private readonly db: Db,
    private readonly collected: CocoRecords,
  ) {}

  /**
   * Removes the previous import of this path (inside the transaction) and returns a new file id:
   * a new id for new content, so nothing keyed by the old id (views, caches) can show stale data.
   */
  begin(previousId: number | null): number {
    const max = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM annotation_files').get() as { id: number };
    this.fileId = max.id + 1;
    if (previousId !== null) {
      for (const table of ['image_annotations', 'category_images', 'images', 'categories']) {
        this.db.prepare(`DELETE FROM ${table} WHERE file_id = ?`).run(previousId);
      }
      this.db.prepare('DELETE FROM annotation_files WHERE id = ?').run(previousId);
    }
    return this.fileId;
  }

  /**
   * Duplicate annotation ids. Ids below 2^27 (all of COCO's but crowd ones) are checked against a
   * bitmap, the rest by sorting them: a Set of 860k ids, or sorting them all, costs far more.
   */
  private checkAnnotationIdsUnique(count: number): void {
    const values = this.collected.records.values;
    const bitmapLimit = 2 ** 27;
    let maxSmall = 0;
    let large = 0;
    for (let a = 0; a < count; a++) {
      const id = values[a * recordLength]!;
      if (id < bitmapLimit) {
        if (id > maxSmall) maxSmall = id;
      } else {
        large++;
      }
    }
    const seen = new Uint8Array((maxSmall >>> 3) + 1);
    const largeIds = new Float64Array(large);
    let duplicate: number | null = null;
    large = 0;
    for (let a = 0; a < count && duplicate === null; a++) {
      const id = values[a * recordLength]!;
      if (id >= bitmapLimit) {
        largeIds[large++] = id;
        continue;
      }
      const bit = 1 << (id & 7);
      if ((seen[id >>> 3]! & bit) !== 0) duplicate = id;
      seen[id >>> 3]! |= bit;
    }
    if (duplicate === null) {
      largeIds.sort();
      for (let i = 1; i < largeIds.length && duplicate === null; i++) if (largeIds[i] === largeIds[i - 1]) duplicate = largeIds[i]!;
    }
    if (duplicate === null) return;
    let seenOnce = false;
    for (let a = 0; a < count; a++) {
      if (values[a * recordLength] !== duplicate) continue;
      if (!seenOnce) {
        seenOnce = true;
        continue;
      }
      throw new CocoFormatError(
        `Annotation id ${duplicate} is used twice`,
        `$.annotations[${a}].id`,
        null,
        'Each annotation needs its own id; the file may have been merged incorrectly.',
      );
    }
  }

  /**
   * Image-level labels without a box (our export's "mlw_image_labels") join their categories' image
   * lists; each must name a known image and category.
   */
  private addImageLabels(
    imageIndexOf: (id: number) => number,
    categoryIndexOf: (id: number) => number,
    labelLists: GrowableUint32[],
  ): void {
    const pairs = this.collected.imageLabels;
    if (pairs.length === 0) return;
    const extra = new Map<number, number[]>();
    for (let k = 0; k < pairs.length; k += 2) {
      const imageId = pairs.values[k]!;
      const categoryId = pairs.values[k + 1]!;
      if (imageIndexOf(imageId) < 0) {
        throw new CocoFormatError(
          `An image label refers to image ${imageId}, which is not in "images"`,
          `$.${imageLabelsKey}[${k / 2}].image_id`,
          null,
          'Every image label must belong to an image listed in the file.',
        );
      }
      const category = categoryIndexOf(categoryId);
      if (category < 0) {
        throw new CocoFormatError(
          `An image label refers to category ${categoryId}, which is not in "categories"`,
          `$.${imageLabelsKey}[${k / 2}].category_id`,
          null,
          'Every image label must name a category listed in the file.',
        );
      }
      const list = extra.get(category) ?? [];
      list.push(imageId);
      extra.set(category, list);
    }
    for (const [category, ids] of extra) {
      const list = labelLists[category]!;
      const merged = [...list.values.subarray(0, list.length), ...ids].sort((a, b) => a - b);
      const next = new GrowableUint32();
      for (const id of merged) next.pushIfNotLast(id);
      labelLists[category] = next;
    }
  }

  finish(): void {
    const annotationCount = this.collected.annotationImages.length;
    const imageCount = this.collected.imageIds.length;
    const records = this.collected.records.values;
    this.checkAnnotationIdsUnique(annotationCount);

    // Check references, and give each annotation its image's and its category's dense index.
    const imageIndexOf = denseLookup(this.collected.imageIds, this.collected.imageIndex);
    const categoryIds = [...this.collected.categories.keys()].sort((a, b) => a - b);
    const categoryIndexOf = denseLookup(categoryIds, new Map(categoryIds.map((id, index) => [id, index])));
    const imageOf = new Int32Array(annotationCount);
    const categoryOf = new Int32Array(annotationCount);
    const perImage = new Int32Array(imageCount + 1);
    for (let a = 0; a < annotationCount; a++) {
      const imageId = this.collected.annotationImages.values[a]!;
      const dense = imageIndexOf(imageId);
      if (dense < 0) {
        throw new CocoFormatError(
          `An annotation refers to image ${imageId}, which is not in "images"`,
          `$.annotations[${a}].image_id`,
          null,
          'Every annotation must belong to an image listed in the file.',
        );
      }
      const categoryId = records[a * recordLength + 1]!;
      const category = categoryIndexOf(categoryId);
      if (category < 0) {
        throw new CocoFormatError(
          `An annotation refers to category ${categoryId}, which is not in "categories"`,
          `$.annotations[${a}].category_id`,
          null,
          'Every annotation must name a category listed in the file.',
        );
      }
      imageOf[a] = dense;
      categoryOf[a] = category;
      perImage[dense + 1]!++;
    }
    // Group annotations by image, keeping file order within an image (a counting sort).
    for (let i = 0; i < imageCount; i++) perImage[i + 1]! += perImage[i]!;
    const start = perImage.slice(0, imageCount);
    const byImage = new Int32Array(annotationCount);
    for (let a = 0; a < annotationCount; a++) byImage[start[imageOf[a]!]!++] = a;

    const imageOrder = byId(this.collected.imageIds);
    // Per category (dense index): the images that contain it, ascending, and its instance count.
    const labelLists = categoryIds.map(() => new GrowableUint32());
    const instances = new Int32Array(categoryIds.length);
    const insertImages = new BatchInsert(this.db, 'images', [
      'file_id',
      'id',
      'file_name',
      'width',
      'height',
      'license',
      'annotation_count',
    ]);
    const insertRecords = new BatchInsert(this.db, 'image_annotations', ['file_id', 'image_id', 'records']);
    // The records of the images whose rows wait in `insertRecords`, one after the other.
    let scratch = new Float64Array(1 << 16);
    let used = 0;
    for (const dense of imageOrder) {
      const imageId = this.collected.imageIds[dense]!;
      const first = perImage[dense]!;
      const count = perImage[dense + 1]! - first;
      insertImages.add(
        this.fileId,
        imageId,
        this.collected.imageFileNames[dense]!,
        this.collected.imageSizes[2 * dense]!,
        this.collected.imageSizes[2 * dense + 1]!,
        this.collected.imageLicenses[dense]!,
        count,
      );
      if (count === 0) continue;
      if (insertRecords.pending === 0) used = 0;
      // A new scratch when this one is full: the rows still waiting keep views of the old one.
      if (used + count * recordLength > scratch.length) {
        scratch = new Float64Array(Math.max(scratch.length, count * recordLength));
        used = 0;
      }
      for (let k = 0; k < count; k++) {
        const a = byImage[first + k]!;
        for (let f = 0; f < recordLength; f++) scratch[used + k * recordLength + f] = records[a * recordLength + f]!;
        const category = categoryOf[a]!;
        instances[category]!++;
        labelLists[category]!.pushIfNotLast(imageId);
      }
      insertRecords.add(this.fileId, imageId, Buffer.from(scratch.buffer, used * 8, count * recordLength * 8));
      used += count * recordLength;
    }
    insertImages.flush();
    insertRecords.flush();
    this.addImageLabels(imageIndexOf, categoryIndexOf, labelLists);

    const insertCategory = this.db.prepare(
      'INSERT INTO categories (file_id, id, name, supercategory, image_count, instance_count) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertLabels = this.db.prepare('INSERT INTO category_images (file_id, category_id, image_ids) VALUES (?, ?, ?)');
    categoryIds.forEach((id, index) => {
      const c = this.collected.categories.get(id)!;
      const list = labelLists[index]!;
      insertCategory.run(this.fileId, id, c.name, c.supercategory, list.length, instances[index]!);
      insertLabels.run(this.fileId, id, encodeImageIds(list.values.subarray(0, list.length)));
    });
  }
}

import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Progress } from '../../shared/contract/define';
import { AppError, cancelled } from '../../shared/contract/errors';
import type { IngestResult } from '../../shared/contract/dataset';
import type { Db } from '../db/connection';
import { CocoFormatError, CocoJsonReader, type AnnotationRecord, type CategoryRecord, type ImageRecord } from './coco-json-reader';
import { encodeImageIds, recordLength } from './annotation-records';
import { sha256OfFileOnThread } from './file-digest';
import { BatchInsert } from '../db/batch-insert';
import { fileRowToImported, type FileRow } from './queries';

export interface IngestOptions {
  imagesDir?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
  /** Bytes per read; large reads keep the per-chunk overhead negligible. */
  chunkBytes?: number;
  /** The least time between two progress reports. */
  progressIntervalMs?: number;
}

/**
 * Imports a COCO instances file into the cache in one transaction. A file whose path, size and
 * modification time are unchanged since its last import returns at once. A failed or cancelled
 * import rolls back and leaves the cache exactly as it was.
 */
export async function ingestCocoFile(db: Db, filePath: string, options: IngestOptions = {}): Promise<IngestResult> {
  const path = resolve(filePath);
  const info = await statFile(path);
  const existing = db.prepare('SELECT * FROM annotation_files WHERE path = ?').get(path) as FileRow | undefined;
  const imagesDir = options.imagesDir === undefined ? (existing?.images_dir ?? null) : resolve(options.imagesDir);
  if (existing && existing.size_bytes === info.size && existing.mtime_ms === info.mtimeMs) {
    if (imagesDir !== existing.images_dir) {
      db.prepare('UPDATE annotation_files SET images_dir = ? WHERE id = ?').run(imagesDir, existing.id);
    }
    const row = db.prepare('SELECT * FROM annotation_files WHERE id = ?').get(existing.id) as FileRow;
    return { ...fileRowToImported(row), cached: true };
  }

  const started = performance.now();
  const writer = new CacheWriter(db);
  const reader = new CocoJsonReader(writer);
  // The digest is computed on another thread while this one parses; stopped if the import fails.
  const stopHashing = new AbortController();
  const digest = sha256OfFileOnThread(path, AbortSignal.any([stopHashing.signal, ...(options.signal ? [options.signal] : [])]));
  digest.catch(() => undefined);
  // The commit would otherwise also copy ~100 MB from the WAL into the database before returning;
  // the copy happens later, when a connection next checkpoints or the last one closes.
  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  let handle: FileHandle | undefined;
  /** The read in flight, settled before the file is closed. */
  let next: Promise<Buffer> | undefined;
  let committed = false;
  try {
    handle = await open(path, 'r');
    db.pragma('wal_autocheckpoint = 0');
    beginWrite(db);
    const fileId = writer.begin(existing?.id ?? null);
    const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
    // Two buffers: the next read runs on libuv's thread pool while this thread parses the last one
    // (the reader copies what it keeps between chunks, so a buffer can be read into again).
    const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)] as const;
    const file = handle;
    const readInto = (buffer: Buffer): Promise<Buffer> =>
      file.read(buffer, 0, chunkBytes, null).then(({ bytesRead }) => buffer.subarray(0, bytesRead));
    next = readInto(buffers[0]);
    let done = 0;
    let lastProgress = 0;
    for (let k = 1; ; k++) {
      const chunk = await next;
      if (chunk.length === 0) break;
      if (options.signal?.aborted) throw cancelled();
      next = readInto(buffers[k % 2]!);
      reader.push(chunk);
      done += chunk.length;
      const now = performance.now();
      if (options.onProgress && now - lastProgress >= (options.progressIntervalMs ?? 100)) {
        lastProgress = now;
        // Image records read slower per byte than the polygon-heavy annotations after them: the
        // pace of the file's head does not predict the rest.
        const estimable = reader.currentSection !== 'images';
        options.onProgress({ phase: 'Reading annotations', done, total: info.size, unit: 'bytes', estimable });
      }
    }
    const counts = reader.finish();
    if (options.signal?.aborted) throw cancelled();
    // The last phase has no measure of its own: an indeterminate bar.
    options.onProgress?.({ phase: 'Indexing labels', done: 0, total: 0 });
    if (options.signal?.aborted) throw cancelled();
    writer.finish();
    const sha256 = await digest;
    await requireUnchanged(path, info, done);
    const seconds = (performance.now() - started) / 1000;
    db.prepare(
      `INSERT INTO annotation_files (id, path, images_dir, size_bytes, mtime_ms, sha256, imported_at, image_count, annotation_count, category_count, seconds)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      fileId,
      path,
      imagesDir,
      info.size,
      info.mtimeMs,
      sha256,
      new Date().toISOString(),
      counts.images,
      counts.annotations,
      counts.categories,
      seconds,
    );
    db.exec('COMMIT');
    committed = true;
    const row = db.prepare('SELECT * FROM annotation_files WHERE id = ?').get(fileId) as FileRow;
    return { ...fileRowToImported(row), cached: false };
  } finally {
    stopHashing.abort();
    if (!committed && db.inTransaction) db.exec('ROLLBACK');
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    await next?.catch(() => undefined);
    await handle?.close();
  }
}

/**
 * The file was read twice (parsed here, hashed on another thread): both readings are the same
 * bytes only if nothing wrote to it meanwhile.
 */
async function requireUnchanged(path: string, before: { size: number; mtimeMs: number }, bytesRead: number): Promise<void> {
  const after = await statFile(path);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || bytesRead !== before.size) {
    throw new AppError(
      'INVALID_INPUT',
      `${path} changed while it was being imported. Wait until whatever is writing it (a download, an editor) has finished, then import it again.`,
      { path },
    );
  }
}

/** Starts the import's write transaction; another writer on the cache becomes a sentence, not a crash. */
function beginWrite(db: Db): void {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new AppError('INVALID_INPUT', `Another import is writing to the cache at ${db.name}. Wait for it to finish, then try again.`);
    }
    throw error;
  }
}

async function statFile(path: string): Promise<{ size: number; mtimeMs: number }> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new AppError(
        'INVALID_INPUT',
        `${path} is a folder, not a file. Choose the annotation JSON file inside it, such as annotations/instances_train2017.json.`,
      );
    }
    return { size: info.size, mtimeMs: Math.floor(info.mtimeMs) };
  } catch (error) {
    if (error instanceof AppError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new AppError(
        'NOT_FOUND',
        `There is no file at ${path}. Check the path, or download the COCO annotations first (see the README).`,
        { path },
      );
    if (code === 'EACCES') throw new AppError('INVALID_INPUT', `${path} cannot be read: permission denied.`, { path });
    throw error;
  }
}

/** A Float64Array that grows by doubling, for records whose number is not known in advance. */
class GrowableFloat64 {
  values = new Float64Array(1 << 16);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.values.length) return;
    const next = new Float64Array(Math.max(this.values.length * 2, this.length + extra));
    next.set(this.values.subarray(0, this.length));
    this.values = next;
  }
}

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
 * Receives parsed records and keeps them in compact columns; ids are checked for duplicates as
 * they arrive. At the end it checks that every annotation points at a known image and category
 * (categories may come last in the file), groups annotations by image, derives image-level labels,
 * and writes everything in primary-key order, which is what makes SQLite's inserts cheap.
 */
class CacheWriter {
  private fileId = 0;
  private readonly imageIndex = new Map<number, number>();
  private readonly imageIds: number[] = [];
  private readonly imageFileNames: string[] = [];
  private readonly imageSizes: number[] = [];
  private readonly imageLicenses: (number | null)[] = [];
  /** Per annotation: the image id, then the stored record (see annotation-records.ts). */
  private readonly annotationImages = new GrowableFloat64();
  private readonly records = new GrowableFloat64();
  private readonly categories = new Map<number, { name: string; supercategory: string; index: number }>();
  private readonly categoryNames = new Map<string, number>();

  constructor(private readonly db: Db) {}

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

  image(r: ImageRecord, index: number): void {
    const previous = this.imageIndex.get(r.id);
    if (previous !== undefined) {
      throw new CocoFormatError(
        `Image id ${r.id} is used twice, first at $.images[${previous}]`,
        `$.images[${index}].id`,
        null,
        'Each image needs its own id; the file may have been merged incorrectly.',
      );
    }
    this.imageIndex.set(r.id, this.imageIds.length);
    this.imageIds.push(r.id);
    this.imageFileNames.push(r.fileName);
    this.imageSizes.push(Math.round(r.width), Math.round(r.height));
    this.imageLicenses.push(r.license);
  }

  annotation(r: AnnotationRecord): void {
    const images = this.annotationImages;
    images.reserve(1);
    images.values[images.length++] = r.imageId;
    const records = this.records;
    records.reserve(recordLength);
    const v = records.values;
    let k = records.length;
    v[k++] = r.id;
    v[k++] = r.categoryId;
    v[k++] = r.x;
    v[k++] = r.y;
    v[k++] = r.w;
    v[k++] = r.h;
    v[k++] = r.area;
    v[k++] = r.iscrowd;
    records.length = k;
  }

  category(r: CategoryRecord, index: number): void {
    const previous = this.categories.get(r.id);
    if (previous !== undefined) {
      throw new CocoFormatError(
        `Category id ${r.id} is used twice, first at $.categories[${previous.index}]`,
        `$.categories[${index}].id`,
        null,
      );
    }
    const sameName = this.categoryNames.get(r.name);
    if (sameName !== undefined) {
      throw new CocoFormatError(
        `Two categories are named "${r.name}" (ids ${sameName} and ${r.id})`,
        `$.categories[${index}].name`,
        null,
        'Category names must be unique so that a subset can be chosen by name.',
      );
    }
    this.categories.set(r.id, { name: r.name, supercategory: r.supercategory, index });
    this.categoryNames.set(r.name, r.id);
  }

  /**
   * Duplicate annotation ids. Ids below 2^27 (all of COCO's but crowd ones) are checked against a
   * bitmap, the rest by sorting them: a Set of 860k ids, or sorting them all, costs far more.
   */
  private checkAnnotationIdsUnique(count: number): void {
    const values = this.records.values;
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

  finish(): void {
    const annotationCount = this.annotationImages.length;
    const imageCount = this.imageIds.length;
    const records = this.records.values;
    this.checkAnnotationIdsUnique(annotationCount);

    // Check references, and give each annotation its image's and its category's dense index.
    const imageIndexOf = denseLookup(this.imageIds, this.imageIndex);
    const categoryIds = [...this.categories.keys()].sort((a, b) => a - b);
    const categoryIndexOf = denseLookup(categoryIds, new Map(categoryIds.map((id, index) => [id, index])));
    const imageOf = new Int32Array(annotationCount);
    const categoryOf = new Int32Array(annotationCount);
    const perImage = new Int32Array(imageCount + 1);
    for (let a = 0; a < annotationCount; a++) {
      const imageId = this.annotationImages.values[a]!;
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

    const imageOrder = Array.from({ length: imageCount }, (_, i) => i).sort((a, b) => this.imageIds[a]! - this.imageIds[b]!);
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
      const imageId = this.imageIds[dense]!;
      const first = perImage[dense]!;
      const count = perImage[dense + 1]! - first;
      insertImages.add(
        this.fileId,
        imageId,
        this.imageFileNames[dense]!,
        this.imageSizes[2 * dense]!,
        this.imageSizes[2 * dense + 1]!,
        this.imageLicenses[dense]!,
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

    const insertCategory = this.db.prepare(
      'INSERT INTO categories (file_id, id, name, supercategory, image_count, instance_count) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertLabels = this.db.prepare('INSERT INTO category_images (file_id, category_id, image_ids) VALUES (?, ?, ?)');
    categoryIds.forEach((id, index) => {
      const c = this.categories.get(id)!;
      const list = labelLists[index]!;
      insertCategory.run(this.fileId, id, c.name, c.supercategory, list.length, instances[index]!);
      insertLabels.run(this.fileId, id, encodeImageIds(list.values.subarray(0, list.length)));
    });
  }
}

import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Progress } from '../../shared/contract/define';
import { AppError, cancelled } from '../../shared/contract/errors';
import type { IngestResult } from '../../shared/contract/dataset';
import type { Db } from '../db/connection';
import { CocoFormatError, CocoJsonReader, type AnnotationRecord, type CategoryRecord, type ImageRecord } from './coco-json-reader';
import { fileRowToImported, type FileRow } from './queries';

export interface IngestOptions {
  imagesDir?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
  /** Bytes per read; large reads keep the per-chunk overhead negligible. */
  chunkBytes?: number;
}

/** Rows per multi-row INSERT: one statement call per batch instead of per row. */
const batchRows = 128;
const progressIntervalMs = 100;

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
  const hash = createHash('sha256');
  const reader = new CocoJsonReader(writer);
  const handle = await open(path, 'r');
  db.exec('BEGIN IMMEDIATE');
  let committed = false;
  try {
    const fileId = writer.begin(existing?.id ?? null, path);
    const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
    let done = 0;
    let lastProgress = 0;
    for (;;) {
      if (options.signal?.aborted) throw cancelled();
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const bytes = bytesRead === chunkBytes ? chunk : chunk.subarray(0, bytesRead);
      hash.update(bytes);
      reader.push(bytes);
      done += bytesRead;
      const now = performance.now();
      if (options.onProgress && now - lastProgress >= progressIntervalMs) {
        lastProgress = now;
        options.onProgress({ phase: 'Reading annotations', done, total: info.size, unit: 'bytes' });
      }
    }
    const counts = reader.finish();
    if (options.signal?.aborted) throw cancelled();
    options.onProgress?.({ phase: 'Indexing labels', done: info.size, total: info.size, unit: 'bytes' });
    writer.finish();
    const seconds = (performance.now() - started) / 1000;
    db.prepare(
      `INSERT INTO annotation_files (id, path, images_dir, size_bytes, mtime_ms, sha256, imported_at, image_count, annotation_count, category_count, seconds)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(fileId, path, imagesDir, info.size, info.mtimeMs, hash.digest('hex'), new Date().toISOString(), counts.images, counts.annotations, counts.categories, seconds);
    db.exec('COMMIT');
    committed = true;
    const row = db.prepare('SELECT * FROM annotation_files WHERE id = ?').get(fileId) as FileRow;
    return { ...fileRowToImported(row), cached: false };
  } finally {
    if (!committed && db.inTransaction) db.exec('ROLLBACK');
    await handle.close();
  }
}

async function statFile(path: string): Promise<{ size: number; mtimeMs: number }> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new AppError('INVALID_INPUT', `${path} is a folder, not a file. Choose the annotation JSON file inside it, such as annotations/instances_train2017.json.`);
    }
    return { size: info.size, mtimeMs: Math.floor(info.mtimeMs) };
  } catch (error) {
    if (error instanceof AppError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('NOT_FOUND', `There is no file at ${path}. Check the path, or download the COCO annotations first (see the README).`, { path });
    if (code === 'EACCES') throw new AppError('INVALID_INPUT', `${path} cannot be read: permission denied.`, { path });
    throw error;
  }
}

/**
 * Receives parsed records and writes them with batched multi-row INSERTs. Ids are checked for
 * duplicates as they arrive; references from annotations to images and categories are checked at
 * the end, since categories may come after annotations in the file.
 */
class CacheWriter {
  private fileId = 0;
  private readonly imageIds = new Map<number, number>();
  private readonly annotationIds = new Set<number>();
  private readonly categories = new Map<number, { name: string; supercategory: string; index: number }>();
  private readonly categoryNames = new Map<string, number>();
  /** Key: categoryId * 2^32 + imageId. Value: instances * 2^32 + index of the first annotation. */
  private readonly labels = new Map<number, number>();
  private imageBatch: unknown[] = [];
  private annotationBatch: unknown[] = [];
  private readonly insertImages;
  private readonly insertAnnotations;
  private readonly insertImage;
  private readonly insertAnnotation;

  constructor(private readonly db: Db) {
    this.insertImages = db.prepare(`INSERT INTO images (file_id, id, file_name, width, height, license) VALUES ${rows(6, batchRows)}`);
    this.insertImage = db.prepare('INSERT INTO images (file_id, id, file_name, width, height, license) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertAnnotations = db.prepare(`INSERT INTO annotations (file_id, id, image_id, category_id, x, y, w, h, area, iscrowd) VALUES ${rows(10, batchRows)}`);
    this.insertAnnotation = db.prepare('INSERT INTO annotations (file_id, id, image_id, category_id, x, y, w, h, area, iscrowd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  }

  /** Removes the previous import of this path (inside the transaction) and returns the file id to use. */
  begin(previousId: number | null, path: string): number {
    if (previousId !== null) {
      for (const table of ['annotations', 'images', 'image_labels', 'categories']) {
        this.db.prepare(`DELETE FROM ${table} WHERE file_id = ?`).run(previousId);
      }
      this.db.prepare('DELETE FROM annotation_files WHERE id = ?').run(previousId);
      this.fileId = previousId;
    } else {
      const max = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM annotation_files').get() as { id: number };
      this.fileId = max.id + 1;
    }
    void path;
    return this.fileId;
  }

  image(r: ImageRecord, index: number): void {
    if (this.imageIds.has(r.id)) {
      throw new CocoFormatError(`Image id ${r.id} is used twice, first at $.images[${this.imageIds.get(r.id)!}]`, `$.images[${index}].id`, null, 'Each image needs its own id; the file may have been merged incorrectly.');
    }
    this.imageIds.set(r.id, index);
    this.imageBatch.push(this.fileId, r.id, r.fileName, Math.round(r.width), Math.round(r.height), r.license);
    if (this.imageBatch.length === 6 * batchRows) {
      this.insertImages.run(this.imageBatch);
      this.imageBatch = [];
    }
  }

  annotation(r: AnnotationRecord, index: number): void {
    const ids = this.annotationIds;
    const before = ids.size;
    ids.add(r.id);
    if (ids.size === before) {
      throw new CocoFormatError(`Annotation id ${r.id} is used twice`, `$.annotations[${index}].id`, null, 'Each annotation needs its own id; the file may have been merged incorrectly.');
    }
    const key = r.categoryId * 4294967296 + r.imageId;
    const previous = this.labels.get(key);
    this.labels.set(key, previous === undefined ? 4294967296 + index : previous + 4294967296);
    this.annotationBatch.push(this.fileId, r.id, r.imageId, r.categoryId, r.x, r.y, r.w, r.h, r.area, r.iscrowd);
    if (this.annotationBatch.length === 10 * batchRows) {
      this.insertAnnotations.run(this.annotationBatch);
      this.annotationBatch = [];
    }
  }

  category(r: CategoryRecord, index: number): void {
    const previous = this.categories.get(r.id);
    if (previous !== undefined) {
      throw new CocoFormatError(`Category id ${r.id} is used twice, first at $.categories[${previous.index}]`, `$.categories[${index}].id`, null);
    }
    const sameName = this.categoryNames.get(r.name);
    if (sameName !== undefined) {
      throw new CocoFormatError(`Two categories are named "${r.name}" (ids ${sameName} and ${r.id})`, `$.categories[${index}].name`, null, 'Category names must be unique so that a subset can be chosen by name.');
    }
    this.categories.set(r.id, { name: r.name, supercategory: r.supercategory, index });
    this.categoryNames.set(r.name, r.id);
  }

  /** Flushes batches, checks references and writes categories and image-level labels. */
  finish(): void {
    for (let i = 0; i < this.imageBatch.length; i += 6) this.insertImage.run(this.imageBatch.slice(i, i + 6));
    for (let i = 0; i < this.annotationBatch.length; i += 10) this.insertAnnotation.run(this.annotationBatch.slice(i, i + 10));
    this.imageBatch = [];
    this.annotationBatch = [];

    const keys = [...this.labels.keys()].sort((a, b) => a - b);
    const imageCounts = new Map<number, number>();
    for (const key of keys) {
      const categoryId = Math.floor(key / 4294967296);
      const imageId = key - categoryId * 4294967296;
      const packed = this.labels.get(key)!;
      const firstIndex = packed % 4294967296;
      if (!this.categories.has(categoryId)) {
        throw new CocoFormatError(`An annotation refers to category ${categoryId}, which is not in "categories"`, `$.annotations[${firstIndex}].category_id`, null, 'Every annotation must name a category listed in the file.');
      }
      if (!this.imageIds.has(imageId)) {
        throw new CocoFormatError(`An annotation refers to image ${imageId}, which is not in "images"`, `$.annotations[${firstIndex}].image_id`, null, 'Every annotation must belong to an image listed in the file.');
      }
      imageCounts.set(categoryId, (imageCounts.get(categoryId) ?? 0) + 1);
    }

    const insertCategory = this.db.prepare('INSERT INTO categories (file_id, id, name, supercategory, image_count) VALUES (?, ?, ?, ?, ?)');
    for (const [id, c] of this.categories) insertCategory.run(this.fileId, id, c.name, c.supercategory, imageCounts.get(id) ?? 0);

    const insertLabels = this.db.prepare(`INSERT INTO image_labels (file_id, category_id, image_id, instances) VALUES ${rows(4, batchRows)}`);
    const insertLabel = this.db.prepare('INSERT INTO image_labels (file_id, category_id, image_id, instances) VALUES (?, ?, ?, ?)');
    let batch: number[] = [];
    for (const key of keys) {
      const categoryId = Math.floor(key / 4294967296);
      batch.push(this.fileId, categoryId, key - categoryId * 4294967296, Math.floor(this.labels.get(key)! / 4294967296));
      if (batch.length === 4 * batchRows) {
        insertLabels.run(batch);
        batch = [];
      }
    }
    for (let i = 0; i < batch.length; i += 4) insertLabel.run(batch.slice(i, i + 4));
  }
}

function rows(columns: number, count: number): string {
  const row = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(count).fill(row).join(', ');
}

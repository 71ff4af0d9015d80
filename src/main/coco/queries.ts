import type { CategoryInfo, ImageDetail, ImageSummary, ImportedFile, SubsetStats } from '../../shared/contract/dataset';
import { AppError } from '../../shared/contract/errors';
import { closeMatches } from '../../shared/domain/close-matches';
import { labelsPerImage } from '../../shared/domain/labels';
import type { Db } from '../db/connection';
import { decodeAnnotations, decodeImageIds } from './annotation-records';

export interface FileRow {
  id: number;
  path: string;
  images_dir: string | null;
  size_bytes: number;
  mtime_ms: number;
  sha256: string;
  imported_at: string;
  image_count: number;
  annotation_count: number;
  category_count: number;
  seconds: number;
}

export function fileRowToImported(row: FileRow): ImportedFile {
  return {
    fileId: row.id,
    path: row.path,
    imagesDir: row.images_dir,
    sizeBytes: row.size_bytes,
    mtimeMs: row.mtime_ms,
    sha256: row.sha256,
    importedAt: row.imported_at,
    images: row.image_count,
    annotations: row.annotation_count,
    categories: row.category_count,
    seconds: row.seconds,
  };
}

export function getFile(db: Db, fileId: number): FileRow {
  const row = db.prepare('SELECT * FROM annotation_files WHERE id = ?').get(fileId) as FileRow | undefined;
  if (row === undefined) throw new AppError('NOT_FOUND', `No imported annotation file has id ${fileId}. Import the file first.`);
  return row;
}

export function listFiles(db: Db): ImportedFile[] {
  return (db.prepare('SELECT * FROM annotation_files ORDER BY imported_at DESC, id DESC').all() as FileRow[]).map(fileRowToImported);
}

export function listCategories(db: Db, fileId: number): CategoryInfo[] {
  getFile(db, fileId);
  return db
    .prepare('SELECT id, name, supercategory, image_count AS imageCount FROM categories WHERE file_id = ? ORDER BY id')
    .all(fileId) as CategoryInfo[];
}

/** Category ids for names, in the order given; unknown names are an error listing close matches. */
export function resolveCategories(db: Db, fileId: number, names: readonly string[]): number[] {
  return resolveNamedCategories(db, fileId, names).map((c) => c.id);
}

/** Like resolveCategories, with each category's name as the file spells it ("Dog" finds "dog"). */
export function resolveNamedCategories(db: Db, fileId: number, names: readonly string[]): { id: number; name: string }[] {
  const rows = db.prepare('SELECT id, name FROM categories WHERE file_id = ?').all(fileId) as { id: number; name: string }[];
  const byName = new Map(rows.map((r) => [r.name, r.id]));
  const byLowerName = new Map(rows.map((r) => [r.name.toLowerCase(), r.id]));
  const nameOf = new Map(rows.map((r) => [r.id, r.name]));
  const seen = new Set<string>();
  return names.map((raw) => {
    const name = raw.trim();
    const id = byName.get(name) ?? byLowerName.get(name.toLowerCase());
    if (id === undefined) {
      const suggestions = closeMatches(
        name,
        rows.map((r) => r.name),
      );
      const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
      throw new AppError('INVALID_INPUT', `There is no category named "${name}" in this file.${hint}`, { unknown: name, suggestions });
    }
    if (seen.has(name.toLowerCase())) throw new AppError('INVALID_INPUT', `The category "${name}" is listed twice.`);
    seen.add(name.toLowerCase());
    return { id, name: nameOf.get(id)! };
  });
}

/** For each category id (in the order given), the ascending ids of the images that contain it. */
function categoryImageLists(db: Db, fileId: number, categoryIds: readonly number[]): Uint32Array[] {
  const read = db.prepare('SELECT image_ids FROM category_images WHERE file_id = ? AND category_id = ?').pluck();
  return categoryIds.map((id) => {
    const blob = read.get(fileId, id) as Uint8Array | undefined;
    return blob === undefined ? new Uint32Array(0) : decodeImageIds(blob);
  });
}

/**
 * The subset as a merge of the per-category image lists: unique image ids ascending and, per image,
 * a bit mask of the categories (by position) it contains.
 */
function mergeSubset(lists: readonly Uint32Array[]): { imageIds: number[]; masks: number[][] } {
  const cursors = new Array<number>(lists.length).fill(0);
  const imageIds: number[] = [];
  const masks: number[][] = [];
  for (;;) {
    let next = Infinity;
    for (let c = 0; c < lists.length; c++) {
      const list = lists[c]!;
      if (cursors[c]! < list.length && list[cursors[c]!]! < next) next = list[cursors[c]!]!;
    }
    if (next === Infinity) break;
    const row = new Array<number>(lists.length).fill(0);
    for (let c = 0; c < lists.length; c++) {
      const list = lists[c]!;
      if (cursors[c]! < list.length && list[cursors[c]!] === next) {
        row[c] = 1;
        cursors[c]!++;
      }
    }
    imageIds.push(next);
    masks.push(row);
  }
  return { imageIds, masks };
}

export function subsetStats(db: Db, fileId: number, names: readonly string[]): SubsetStats {
  getFile(db, fileId);
  const categories = resolveNamedCategories(db, fileId, names);
  const lists = categoryImageLists(
    db,
    fileId,
    categories.map((c) => c.id),
  );
  const { masks } = mergeSubset(lists);
  const perClass: Record<string, number> = {};
  categories.forEach((c, i) => (perClass[c.name] = lists[i]!.length));
  const labelCounts = masks.map((row) => row.reduce((sum, bit) => sum + bit, 0));
  return { images: masks.length, perClass, labelsPerImage: labelsPerImage(labelCounts) };
}

/** The example's prepareData: unique image ids (ascending) and the multi-hot label matrix. */
export function subsetMatrix(
  db: Db,
  fileId: number,
  names: readonly string[],
): { classes: string[]; imageIds: number[]; fileNames: string[]; labels: number[][] } {
  getFile(db, fileId);
  const categories = resolveNamedCategories(db, fileId, names);
  const { imageIds, masks } = mergeSubset(
    categoryImageLists(
      db,
      fileId,
      categories.map((c) => c.id),
    ),
  );
  const fileNameOf = db.prepare('SELECT file_name FROM images WHERE file_id = ? AND id = ?').pluck();
  const fileNames = imageIds.map((id) => fileNameOf.get(fileId, id) as string);
  return { classes: categories.map((c) => c.name), imageIds, fileNames, labels: masks };
}

export function imagePage(
  db: Db,
  fileId: number,
  names: readonly string[],
  filterCategory: string | undefined,
  offset: number,
  limit: number,
): { total: number; items: ImageSummary[] } {
  getFile(db, fileId);
  const categories = resolveNamedCategories(db, fileId, names);
  const ids = categories.map((c) => c.id);
  const { imageIds, masks } = mergeSubset(categoryImageLists(db, fileId, ids));
  let rows = imageIds.map((id, i) => ({ id, mask: masks[i]! }));
  if (filterCategory !== undefined) {
    const filterId = resolveCategories(db, fileId, [filterCategory])[0]!;
    const column = ids.indexOf(filterId);
    rows = column < 0 ? [] : rows.filter((row) => row.mask[column] === 1);
  }
  const imageRow = db.prepare('SELECT id, file_name, width, height FROM images WHERE file_id = ? AND id = ?');
  const items = rows.slice(offset, offset + limit).map(({ id, mask }) => {
    const row = imageRow.get(fileId, id) as { id: number; file_name: string; width: number; height: number };
    return {
      id,
      fileName: row.file_name,
      width: row.width,
      height: row.height,
      labels: categories.flatMap((category, c) => (mask[c] === 1 ? [category.name] : [])),
    };
  });
  return { total: rows.length, items };
}

export function imageDetail(
  db: Db,
  fileId: number,
  imageId: number,
  names: readonly string[],
  present: (fileName: string) => boolean,
): ImageDetail {
  getFile(db, fileId);
  const categories = resolveNamedCategories(db, fileId, names);
  const row = db.prepare('SELECT id, file_name, width, height, license FROM images WHERE file_id = ? AND id = ?').get(fileId, imageId) as
    { id: number; file_name: string; width: number; height: number; license: number | null } | undefined;
  if (row === undefined) throw new AppError('NOT_FOUND', `Image ${imageId} is not in this annotation file.`);
  const blob = db.prepare('SELECT records FROM image_annotations WHERE file_id = ? AND image_id = ?').pluck().get(fileId, imageId) as
    Uint8Array | undefined;
  const annotations = blob === undefined ? [] : decodeAnnotations(blob);
  const categoryNames = new Map(
    (db.prepare('SELECT id, name FROM categories WHERE file_id = ?').all(fileId) as { id: number; name: string }[]).map((c) => [
      c.id,
      c.name,
    ]),
  );
  const present_ = new Set(annotations.map((a) => a.categoryId));
  return {
    id: row.id,
    fileName: row.file_name,
    width: row.width,
    height: row.height,
    labels: categories.flatMap((c) => (present_.has(c.id) ? [c.name] : [])),
    license: row.license,
    boxes: annotations.map((a) => ({
      annotationId: a.id,
      category: categoryNames.get(a.categoryId) ?? String(a.categoryId),
      bbox: a.bbox,
      area: a.area,
      iscrowd: a.iscrowd,
    })),
    present: present(row.file_name),
  };
}

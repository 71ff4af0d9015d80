import type { CategoryInfo, ImageDetail, ImageSummary, ImportedFile, SubsetStats } from '../../shared/contract/dataset';
import { AppError } from '../../shared/contract/errors';
import { closeMatches } from '../../shared/domain/close-matches';
import { labelsPerImage } from '../../shared/domain/labels';
import type { Db } from '../db/connection';
import { LabelsStore } from '../db/labels-store';
import { decodeAnnotations, decodeImageIds } from './annotation-records';
import { applyOverrides, labelOverrides, type LabelOverrides } from './label-overrides';
import { containsId, mergeImageLists, positionsOf, type MergedLists } from './subset-merge';

/** Which labels a query reads: the effective ones (imported, with the file's label edits applied; the default) or the imported ones. */
export interface LabelOptions {
  /** Ignore label edits: the labels as the file was imported. */
  originalLabels?: boolean | undefined;
}

/** The overrides a query applies: none when asked for the original labels or when no edit changes a label. */
function overridesFor(db: Db, fileId: number, options: LabelOptions): LabelOverrides | null {
  return options.originalLabels === true ? null : labelOverrides(db, fileId);
}

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

/** The file's categories with the number of images labelled with each (effective labels unless `originalLabels`). */
export function listCategories(db: Db, fileId: number, options: LabelOptions = {}): CategoryInfo[] {
  getFile(db, fileId);
  const rows = db
    .prepare('SELECT id, name, supercategory, image_count AS imageCount FROM categories WHERE file_id = ? ORDER BY id')
    .all(fileId) as CategoryInfo[];
  const overrides = overridesFor(db, fileId, options);
  if (overrides === null) return rows;
  return rows.map((row) => {
    const change = overrides.byCategory.get(row.id);
    return change === undefined ? row : { ...row, imageCount: row.imageCount + change.added.length - change.removed.length };
  });
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

/** For each category id (in the order given), the ascending ids of the images labelled with it, edits applied when given. */
function categoryImageLists(db: Db, fileId: number, categoryIds: readonly number[], overrides: LabelOverrides | null): Uint32Array[] {
  const read = db.prepare('SELECT image_ids FROM category_images WHERE file_id = ? AND category_id = ?').pluck();
  return categoryIds.map((id) => {
    const blob = read.get(fileId, id) as Uint8Array | undefined;
    const imported = blob === undefined ? new Uint32Array(0) : decodeImageIds(blob);
    return overrides === null ? imported : applyOverrides(imported, overrides.byCategory.get(id));
  });
}

/** A subset's categories (as the file names them), their image lists and the union of those lists. */
export interface SelectedSubset {
  categories: { id: number; name: string }[];
  /** Per category, in the order given: the ascending ids of its images. */
  lists: Uint32Array[];
  merged: MergedLists;
  /** The label edits applied to the lists; null: the imported labels (none change a label, or `originalLabels`). */
  overrides: LabelOverrides | null;
}

/** Resolves the names (unknown ones are an error) and merges their image lists (effective labels unless `originalLabels`). */
export function selectSubset(db: Db, fileId: number, names: readonly string[], options: LabelOptions = {}): SelectedSubset {
  getFile(db, fileId);
  const categories = resolveNamedCategories(db, fileId, names);
  const overrides = overridesFor(db, fileId, options);
  const lists = categoryImageLists(
    db,
    fileId,
    categories.map((c) => c.id),
    overrides,
  );
  return { categories, lists, merged: mergeImageLists(lists), overrides };
}

export function subsetStats(db: Db, fileId: number, names: readonly string[], options: LabelOptions = {}): SubsetStats {
  return statsOf(selectSubset(db, fileId, names, options));
}

/** The statistics of a subset already selected. */
export function statsOf({ categories, lists, merged }: SelectedSubset): SubsetStats {
  const perClass: Record<string, number> = {};
  categories.forEach((c, i) => (perClass[c.name] = lists[i]!.length));
  return { images: merged.imageIds.length, perClass, labelsPerImage: labelsPerImage(merged.labelCounts) };
}

/** Every image of a file, ascending by id, with its file name (two column reads, no object per row). */
export function allImageFiles(db: Db, fileId: number): { ids: Uint32Array; fileNames: string[] } {
  return db.transaction(() => {
    const ids = db.prepare('SELECT id FROM images WHERE file_id = ? ORDER BY id').pluck().all(fileId) as number[];
    const fileNames = db.prepare('SELECT file_name FROM images WHERE file_id = ? ORDER BY id').pluck().all(fileId) as string[];
    return { ids: Uint32Array.from(ids), fileNames };
  })();
}

/**
 * The file names of images (ascending ids, all in the file), in the same order: looked up one by
 * one for a few, read in one pass over the file's images for many.
 */
export function fileNamesOf(db: Db, fileId: number, ids: Uint32Array, how: 'auto' | 'lookup' | 'scan' = 'auto'): string[] {
  if (ids.length === 0) return [];
  // A lookup costs about as much as reading six rows in order.
  const lookup = how === 'lookup' || (how === 'auto' && ids.length * 6 < getFile(db, fileId).image_count);
  if (lookup) {
    const fileNameOf = db.prepare('SELECT file_name FROM images WHERE file_id = ? AND id = ?').pluck();
    return Array.from(ids, (id) => fileNameOf.get(fileId, id) as string);
  }
  const all = allImageFiles(db, fileId);
  return Array.from(positionsOf(all.ids, ids), (at) => all.fileNames[at]!);
}

/** The example's prepareData in typed arrays: unique image ids (ascending) and a row-major [images, classes] 0/1 matrix. */
export function subsetLabels(
  db: Db,
  fileId: number,
  names: readonly string[],
  options: LabelOptions = {},
): {
  classes: string[];
  categories: { id: number; name: string }[];
  imageIds: Uint32Array;
  fileNames: string[];
  labels: Uint8Array;
  overrides: LabelOverrides | null;
} {
  const { categories, lists, merged, overrides } = selectSubset(db, fileId, names, options);
  const { imageIds } = merged;
  const width = categories.length;
  const labels = new Uint8Array(imageIds.length * width);
  lists.forEach((list, c) => {
    for (const at of positionsOf(imageIds, list)) labels[at * width + c] = 1;
  });
  return { classes: categories.map((c) => c.name), categories, imageIds, fileNames: fileNamesOf(db, fileId, imageIds), labels, overrides };
}

/**
 * The labels of given images (any order, every one in the file) for classes named as the file names
 * its categories: row-major [images, classes], 0 or 1 (effective labels unless `originalLabels`).
 */
export function labelsOfImages(
  db: Db,
  fileId: number,
  classes: readonly string[],
  imageIds: ArrayLike<number>,
  options: LabelOptions = {},
): Float32Array {
  const { lists } = selectSubset(db, fileId, classes, options);
  const width = classes.length;
  const labels = new Float32Array(imageIds.length * width);
  lists.forEach((list, c) => {
    for (let i = 0; i < imageIds.length; i++) if (containsId(list, imageIds[i]!)) labels[i * width + c] = 1;
  });
  return labels;
}

/** The example's prepareData: unique image ids (ascending) and the multi-hot label matrix. */
export function subsetMatrix(
  db: Db,
  fileId: number,
  names: readonly string[],
  options: LabelOptions = {},
): { classes: string[]; imageIds: number[]; fileNames: string[]; labels: number[][] } {
  const { classes, imageIds, fileNames, labels } = subsetLabels(db, fileId, names, options);
  const width = classes.length;
  return {
    classes,
    imageIds: Array.from(imageIds),
    fileNames,
    labels: Array.from({ length: imageIds.length }, (_, row) => {
      const values = new Array<number>(width);
      for (let c = 0; c < width; c++) values[c] = labels[row * width + c]!;
      return values;
    }),
  };
}

/** Which images of a subset a page shows, beyond the subset itself. */
export interface ImageFilter {
  /** Only the images labelled with this category. */
  filterCategory?: string | undefined;
  /** Only the images marked reviewed, or only those not. */
  reviewed?: 'reviewed' | 'unreviewed' | undefined;
  /** Only the images with a label edit that changes a label. */
  edited?: boolean | undefined;
}

export function imagePage(
  db: Db,
  fileId: number,
  names: readonly string[],
  filterCategory: string | undefined,
  offset: number,
  limit: number,
): { total: number; items: ImageSummary[] } {
  return imagePageOf(db, fileId, selectSubset(db, fileId, names), { filterCategory }, offset, limit);
}

/** The ids of ascending `ids` that are (or, `keep` false, are not) in ascending `set`. */
function intersect(ids: Uint32Array, set: ArrayLike<number>, keep: boolean): Uint32Array {
  const out = new Uint32Array(ids.length);
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (containsId(set, ids[i]!) === keep) out[n++] = ids[i]!;
  return out.subarray(0, n);
}

/** The subset's images a filter keeps, ascending. */
export function filteredImages(
  db: Db,
  fileId: number,
  { categories, lists, merged, overrides }: SelectedSubset,
  filter: ImageFilter,
): Uint32Array {
  let shown = merged.imageIds;
  if (filter.filterCategory !== undefined) {
    // Every image of the filter's list is in the subset: the list is the filtered subset.
    const filterId = resolveCategories(db, fileId, [filter.filterCategory])[0]!;
    const column = categories.findIndex((c) => c.id === filterId);
    shown = column < 0 ? new Uint32Array(0) : lists[column]!;
  }
  if (filter.reviewed !== undefined) shown = intersect(shown, LabelsStore.of(db).reviewedIds(fileId), filter.reviewed === 'reviewed');
  if (filter.edited === true) shown = intersect(shown, Uint32Array.from(overrides?.byImage.keys() ?? []).sort(), true);
  return shown;
}

/** A page of a subset already selected, optionally filtered (see ImageFilter). */
export function imagePageOf(
  db: Db,
  fileId: number,
  subset: SelectedSubset,
  filter: ImageFilter,
  offset: number,
  limit: number,
): { total: number; items: ImageSummary[] } {
  const { categories, lists, overrides } = subset;
  const shown = filteredImages(db, fileId, subset, filter);
  const imageRow = db.prepare('SELECT id, file_name, width, height FROM images WHERE file_id = ? AND id = ?');
  const page = shown.subarray(offset, offset + limit);
  // Reviewed marks are read only for files that have some.
  const reviewed = page.length > 0 && LabelsStore.of(db).hasReviews(fileId) ? LabelsStore.of(db).reviewedIds(fileId) : null;
  const items = Array.from(page, (id) => {
    const row = imageRow.get(fileId, id) as { id: number; file_name: string; width: number; height: number };
    return {
      id,
      fileName: row.file_name,
      width: row.width,
      height: row.height,
      labels: categories.flatMap((category, c) => (containsId(lists[c]!, id) ? [category.name] : [])),
      edited: overrides?.byImage.has(id) ?? false,
      reviewed: reviewed !== null && containsId(reviewed, id),
    };
  });
  return { total: shown.length, items };
}

export function imageDetail(
  db: Db,
  fileId: number,
  imageId: number,
  names: readonly string[],
  present: (fileName: string) => boolean,
  options: LabelOptions = {},
): ImageDetail {
  return imageDetailOf(db, fileId, imageId, selectSubset(db, fileId, names, options), present);
}

/** One image with its labels among a subset already selected, its boxes and its label edits. */
export function imageDetailOf(
  db: Db,
  fileId: number,
  imageId: number,
  { categories, lists, overrides }: SelectedSubset,
  present: (fileName: string) => boolean,
): ImageDetail {
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
  const edited = overrides?.byImage.get(imageId);
  return {
    id: row.id,
    fileName: row.file_name,
    width: row.width,
    height: row.height,
    labels: categories.flatMap((c, k) => (containsId(lists[k]!, imageId) ? [c.name] : [])),
    edits: [...(edited ?? new Map<number, boolean>())].map(([categoryId, on]) => ({
      category: categoryNames.get(categoryId) ?? String(categoryId),
      present: on,
    })),
    edited: edited !== undefined,
    reviewed: LabelsStore.of(db).isReviewed(fileId, imageId),
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

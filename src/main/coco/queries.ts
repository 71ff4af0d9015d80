import type { CategoryInfo, ImageDetail, ImageSummary, ImportedFile, SubsetStats } from '../../shared/contract/dataset';
import { AppError } from '../../shared/contract/errors';
import { closeMatches } from '../../shared/domain/close-matches';
import { labelsPerImage } from '../../shared/domain/labels';
import type { Db } from '../db/connection';

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
  const rows = db.prepare('SELECT id, name FROM categories WHERE file_id = ?').all(fileId) as { id: number; name: string }[];
  const byName = new Map(rows.map((r) => [r.name, r.id]));
  const byLowerName = new Map(rows.map((r) => [r.name.toLowerCase(), r.id]));
  const seen = new Set<string>();
  return names.map((raw) => {
    const name = raw.trim();
    const id = byName.get(name) ?? byLowerName.get(name.toLowerCase());
    if (id === undefined) {
      const suggestions = closeMatches(name, rows.map((r) => r.name));
      const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
      throw new AppError('INVALID_INPUT', `There is no category named "${name}" in this file.${hint}`, { unknown: name, suggestions });
    }
    if (seen.has(name.toLowerCase())) throw new AppError('INVALID_INPUT', `The category "${name}" is listed twice.`);
    seen.add(name.toLowerCase());
    return id;
  });
}

interface LabelRow {
  image_id: number;
  category_id: number;
}

/** (image, category) pairs of the subset, ordered by image id. */
function subsetPairs(db: Db, fileId: number, categoryIds: readonly number[]): LabelRow[] {
  if (categoryIds.length === 0) return [];
  const placeholders = categoryIds.map(() => '?').join(', ');
  return db
    .prepare(
      `SELECT image_id, category_id FROM image_labels WHERE file_id = ? AND category_id IN (${placeholders}) ORDER BY image_id`,
    )
    .raw(false)
    .all(fileId, ...categoryIds) as LabelRow[];
}

export function subsetStats(db: Db, fileId: number, names: readonly string[]): SubsetStats {
  getFile(db, fileId);
  const ids = resolveCategories(db, fileId, names);
  const column = new Map(ids.map((id, i) => [id, i]));
  const perClassCounts = new Array<number>(ids.length).fill(0);
  const labelCounts: number[] = [];
  let currentImage = -1;
  for (const row of subsetPairs(db, fileId, ids)) {
    perClassCounts[column.get(row.category_id)!]!++;
    if (row.image_id !== currentImage) {
      labelCounts.push(0);
      currentImage = row.image_id;
    }
    labelCounts[labelCounts.length - 1]!++;
  }
  const perClass: Record<string, number> = {};
  names.forEach((name, i) => (perClass[name.trim()] = perClassCounts[i]!));
  return { images: labelCounts.length, perClass, labelsPerImage: labelsPerImage(labelCounts) };
}

/** The example's prepareData: unique image ids (ascending) and the multi-hot label matrix. */
export function subsetMatrix(
  db: Db,
  fileId: number,
  names: readonly string[],
): { classes: string[]; imageIds: number[]; fileNames: string[]; labels: number[][] } {
  getFile(db, fileId);
  const ids = resolveCategories(db, fileId, names);
  const column = new Map(ids.map((id, i) => [id, i]));
  const imageIds: number[] = [];
  const labels: number[][] = [];
  for (const row of subsetPairs(db, fileId, ids)) {
    if (imageIds[imageIds.length - 1] !== row.image_id) {
      imageIds.push(row.image_id);
      labels.push(new Array<number>(ids.length).fill(0));
    }
    labels[labels.length - 1]![column.get(row.category_id)!] = 1;
  }
  const fileNameOf = db.prepare('SELECT file_name FROM images WHERE file_id = ? AND id = ?').pluck();
  const fileNames = imageIds.map((id) => fileNameOf.get(fileId, id) as string);
  return { classes: names.map((n) => n.trim()), imageIds, fileNames, labels };
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
  const ids = resolveCategories(db, fileId, names);
  if (ids.length === 0) return { total: 0, items: [] };
  const placeholders = ids.map(() => '?').join(', ');
  let where = `l.file_id = ? AND l.category_id IN (${placeholders})`;
  const params: number[] = [fileId, ...ids];
  if (filterCategory !== undefined) {
    const filterId = resolveCategories(db, fileId, [filterCategory])[0]!;
    if (!ids.includes(filterId)) return { total: 0, items: [] };
    where = `l.file_id = ? AND l.category_id = ?`;
    params.splice(0, params.length, fileId, filterId);
  }
  const total = (db.prepare(`SELECT COUNT(DISTINCT l.image_id) FROM image_labels l WHERE ${where}`).pluck().get(...params) as number) ?? 0;
  const pageIds = db
    .prepare(`SELECT DISTINCT l.image_id FROM image_labels l WHERE ${where} ORDER BY l.image_id LIMIT ? OFFSET ?`)
    .pluck()
    .all(...params, limit, offset) as number[];
  return { total, items: pageIds.map((imageId) => imageSummary(db, fileId, imageId, ids, names)) };
}

function imageSummary(db: Db, fileId: number, imageId: number, categoryIds: readonly number[], names: readonly string[]): ImageSummary {
  const row = db.prepare('SELECT id, file_name, width, height FROM images WHERE file_id = ? AND id = ?').get(fileId, imageId) as
    | { id: number; file_name: string; width: number; height: number }
    | undefined;
  if (row === undefined) throw new AppError('NOT_FOUND', `Image ${imageId} is not in this annotation file.`);
  const present = new Set(
    db.prepare('SELECT category_id FROM image_labels WHERE file_id = ? AND image_id = ?').pluck().all(fileId, imageId) as number[],
  );
  const labels = categoryIds.flatMap((id, i) => (present.has(id) ? [names[i]!.trim()] : []));
  return { id: row.id, fileName: row.file_name, width: row.width, height: row.height, labels };
}

export function imageDetail(db: Db, fileId: number, imageId: number, names: readonly string[], present: (fileName: string) => boolean): ImageDetail {
  getFile(db, fileId);
  const ids = resolveCategories(db, fileId, names);
  const summary = imageSummary(db, fileId, imageId, ids, names);
  const license = db.prepare('SELECT license FROM images WHERE file_id = ? AND id = ?').pluck().get(fileId, imageId) as number | null;
  const boxes = (
    db
      .prepare(
        `SELECT a.id, c.name, a.x, a.y, a.w, a.h, a.area, a.iscrowd FROM annotations a
         JOIN categories c ON c.file_id = a.file_id AND c.id = a.category_id
         WHERE a.file_id = ? AND a.image_id = ? ORDER BY a.id`,
      )
      .all(fileId, imageId) as { id: number; name: string; x: number; y: number; w: number; h: number; area: number; iscrowd: number }[]
  ).map((b) => ({ annotationId: b.id, category: b.name, bbox: [b.x, b.y, b.w, b.h] as [number, number, number, number], area: b.area, iscrowd: b.iscrowd === 1 }));
  return { ...summary, license, boxes, present: present(summary.fileName) };
}

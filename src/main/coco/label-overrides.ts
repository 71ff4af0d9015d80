import { createHash } from 'node:crypto';
import type { Db } from '../db/connection';
import { LabelsStore } from '../db/labels-store';
import { decodeImageIds } from './annotation-records';
import { containsId } from './subset-merge';

/**
 * What a file's label edits change, against its imported labels: only pairs whose effective label
 * differs from the imported one. Effective labels = imported labels, less `removed`, plus `added`.
 */
export interface LabelOverrides {
  /** The file's edit version these were computed at (labels-store.ts bumps it on every change). */
  version: number;
  /** Per category id: ascending ids of images it was added to (not imported) and removed from (imported). */
  byCategory: Map<number, { added: Uint32Array; removed: Uint32Array }>;
  /** Per edited image: category id → effective presence, for the pairs that differ from the import. */
  byImage: Map<number, Map<number, boolean>>;
  /** Pairs that differ from the import. */
  changes: number;
}

/** A category's imported image list (ascending ids); empty when it has none. */
export function importedImageList(db: Db, fileId: number, categoryId: number): Uint32Array {
  const blob = db.prepare('SELECT image_ids FROM category_images WHERE file_id = ? AND category_id = ?').pluck().get(fileId, categoryId) as
    Uint8Array | undefined;
  return blob === undefined ? new Uint32Array(0) : decodeImageIds(blob);
}

const cache = new WeakMap<Db, Map<number, { version: number; overrides: LabelOverrides | null }>>();

/**
 * The file's label overrides, or null when no edit changes a label (a file never edited costs one
 * primary-key lookup). Computed once per edit version and kept per connection.
 */
export function labelOverrides(db: Db, fileId: number): LabelOverrides | null {
  const state = LabelsStore.of(db).state(fileId);
  if (state === null) return null;
  let perDb = cache.get(db);
  if (perDb === undefined) {
    perDb = new Map();
    cache.set(db, perDb);
  }
  const known = perDb.get(fileId);
  if (known !== undefined && known.version === state.version) return known.overrides;
  const overrides = computeOverrides(db, fileId, state.version);
  perDb.set(fileId, { version: state.version, overrides });
  return overrides;
}

function computeOverrides(db: Db, fileId: number, version: number): LabelOverrides | null {
  const edits = LabelsStore.of(db).effectiveEdits(fileId);
  const perCategory = new Map<number, { imageId: number; present: boolean }[]>();
  for (const edit of edits) {
    const list = perCategory.get(edit.categoryId) ?? [];
    list.push(edit);
    perCategory.set(edit.categoryId, list);
  }
  const byCategory = new Map<number, { added: Uint32Array; removed: Uint32Array }>();
  const byImage = new Map<number, Map<number, boolean>>();
  let changes = 0;
  for (const [categoryId, list] of perCategory) {
    const imported = importedImageList(db, fileId, categoryId);
    const added: number[] = [];
    const removed: number[] = [];
    for (const { imageId, present } of list) {
      if (present === containsId(imported, imageId)) continue;
      (present ? added : removed).push(imageId);
      const ofImage = byImage.get(imageId) ?? new Map<number, boolean>();
      ofImage.set(categoryId, present);
      byImage.set(imageId, ofImage);
      changes++;
    }
    if (added.length + removed.length > 0) {
      byCategory.set(categoryId, { added: Uint32Array.from(added).sort(), removed: Uint32Array.from(removed).sort() });
    }
  }
  return changes === 0 ? null : { version, byCategory, byImage, changes };
}

/** An ascending image list with the overrides of its category applied (the list itself when there are none). */
export function applyOverrides(list: Uint32Array, change: { added: Uint32Array; removed: Uint32Array } | undefined): Uint32Array {
  if (change === undefined) return list;
  const out = new Uint32Array(list.length + change.added.length);
  let n = 0;
  let a = 0;
  let r = 0;
  const { added, removed } = change;
  for (let i = 0; i < list.length; i++) {
    const id = list[i]!;
    while (a < added.length && added[a]! < id) out[n++] = added[a++]!;
    while (r < removed.length && removed[r]! < id) r++;
    if (r < removed.length && removed[r] === id) continue;
    out[n++] = id;
  }
  while (a < added.length) out[n++] = added[a++]!;
  return out.subarray(0, n);
}

/**
 * The label changes a subset of categories uses (as a run records them): their count, and a SHA-256
 * of them sorted, one `imageId<TAB>category<TAB>present|absent` line each; null digest for none.
 */
export function overridesDigest(
  overrides: LabelOverrides | null,
  categories: readonly { id: number; name: string }[],
): { count: number; digest: string | null } {
  if (overrides === null) return { count: 0, digest: null };
  const lines: string[] = [];
  for (const { id, name } of categories) {
    const change = overrides.byCategory.get(id);
    if (change === undefined) continue;
    for (const imageId of change.added) lines.push(`${imageId}\t${name}\tpresent`);
    for (const imageId of change.removed) lines.push(`${imageId}\t${name}\tabsent`);
  }
  if (lines.length === 0) return { count: 0, digest: null };
  lines.sort();
  return { count: lines.length, digest: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

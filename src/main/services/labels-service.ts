import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { HandlerContext, ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import type { EditBatchInfo, EditRecordInfo, labelsContract, Suspect } from '../../shared/contract/labels';
import type { GradCamResult, ImageInput } from '../../shared/contract/prediction';
import { closeMatches } from '../../shared/domain/close-matches';
import { rankSuspects } from '../../shared/domain/suspects';
import { labelTable, writeCocoWithLabels, type ExportFigures } from '../coco/export-labels';
import { importedImageList, labelOverrides } from '../coco/label-overrides';
import { getFile, labelsOfImages, resolveNamedCategories } from '../coco/queries';
import { containsId, lowerBound } from '../coco/subset-merge';
import type { Db } from '../db/connection';
import { LabelsStore, type EditBatch, type EditRecord, type LabelEdit } from '../db/labels-store';
import type { RunsStore } from '../db/runs-store';
import type { EvaluationService } from './evaluation-service';
import { imagePath } from './image-path';

type LabelsHandlers = ServiceHandlers<typeof labelsContract>;

/** The most text an export sends back inline (to a browser); larger files are written on the service's machine. */
export const maxInlineExportBytes = 64 * 1024 * 1024;

export interface LabelsServiceOptions {
  db: Db;
  runs: RunsStore;
  evaluation: EvaluationService;
  /** Grad-CAM of an image on the service's machine (the prediction service's, without the path guard: the path is the service's own). */
  gradcam: (input: { runId: string; image: ImageInput; classes: string[] }, context: HandlerContext) => Promise<GradCamResult>;
}

function batchInfo(batch: EditBatch): EditBatchInfo {
  return {
    batch: batch.batch,
    client: batch.client,
    source: batch.source,
    note: batch.note,
    createdAt: batch.createdAt,
    edits: batch.edits.map(editInfo),
  };
}

function editInfo(edit: LabelEdit): EditBatchInfo['edits'][number] {
  return { imageId: edit.imageId, fileName: edit.fileName, category: edit.categoryName, present: edit.present };
}

function recordInfo(record: EditRecord): EditRecordInfo {
  return {
    ...editInfo(record),
    seq: record.seq,
    batch: record.batch,
    client: record.client,
    source: record.source,
    note: record.note,
    createdAt: record.createdAt,
    undone: record.undone,
    stale: record.stale,
  };
}

/**
 * Labelling: edits of image-level labels over an imported annotation file (the file is never
 * changed; labels-store.ts keeps the log and says which edit wins), reviewed marks, a run's suspects
 * (likely missing or wrong labels, ranked by its validation scores) with their review, and the
 * export of the effective labels as COCO, CSV or JSON Lines.
 */
export class LabelsService implements LabelsHandlers {
  private readonly db: Db;
  private readonly store: LabelsStore;

  constructor(private readonly options: LabelsServiceOptions) {
    this.db = options.db;
    this.store = LabelsStore.of(options.db);
  }

  set: LabelsHandlers['set'] = async ({ fileId, imageRefs, add, remove, note, client }) => {
    getFile(this.db, fileId);
    if (add.length + remove.length === 0) {
      throw new AppError('INVALID_INPUT', 'Name at least one label to add or to remove (--add CLASS or --remove CLASS).');
    }
    const added = resolveNamedCategories(this.db, fileId, add);
    const removed = resolveNamedCategories(this.db, fileId, remove);
    const both = added.filter((a) => removed.some((r) => r.id === a.id));
    if (both.length > 0) {
      throw new AppError('INVALID_INPUT', `"${both[0]!.name}" is both added and removed; name each label once.`);
    }
    const targets = this.resolveImages(fileId, imageRefs);
    const edits: LabelEdit[] = targets.flatMap((image) => [
      ...added.map((c) => ({ imageId: image.id, categoryId: c.id, present: true, fileName: image.fileName, categoryName: c.name })),
      ...removed.map((c) => ({ imageId: image.id, categoryId: c.id, present: false, fileName: image.fileName, categoryName: c.name })),
    ]);
    const before = this.presence(fileId, edits);
    const batch = this.store.record(fileId, { client, source: 'manual', note: note?.trim() || null }, edits);
    return {
      batch: batchInfo(batch),
      changed: edits.filter((edit, k) => before[k] !== edit.present).length,
      undo: this.store.undoState(fileId, client),
    };
  };

  undo: LabelsHandlers['undo'] = async ({ fileId, client }) => {
    getFile(this.db, fileId);
    const batch = this.store.undo(fileId, client);
    return { batch: batch === null ? null : batchInfo(batch), undo: this.store.undoState(fileId, client) };
  };

  redo: LabelsHandlers['redo'] = async ({ fileId, client }) => {
    getFile(this.db, fileId);
    const batch = this.store.redo(fileId, client);
    return { batch: batch === null ? null : batchInfo(batch), undo: this.store.undoState(fileId, client) };
  };

  list: LabelsHandlers['list'] = async ({ fileId, imageId, limit, offset, client }) => {
    const file = getFile(this.db, fileId);
    const overrides = labelOverrides(this.db, fileId);
    const names = this.categoryNames(fileId);
    const changes: EditBatchInfo['edits'] = [];
    for (const [id, byCategory] of [...(overrides?.byImage ?? [])].sort((a, b) => a[0] - b[0])) {
      if (imageId !== undefined && id !== imageId) continue;
      const fileName = this.fileNameOf(fileId, id) ?? String(id);
      for (const [categoryId, present] of [...byCategory].sort((a, b) => a[0] - b[0])) {
        changes.push({ imageId: id, fileName, category: names.get(categoryId) ?? String(categoryId), present });
      }
    }
    const history = this.store.history(fileId, { ...(imageId === undefined ? {} : { imageId }), limit, offset });
    return {
      fileId,
      annotations: file.path,
      changes,
      history: { total: history.total, rows: history.rows.map(recordInfo) },
      notCarried: this.store.staleEdits(fileId).map(recordInfo),
      reviewed: this.store.reviewedIds(fileId).length,
      undo: client === undefined ? null : this.store.undoState(fileId, client),
    };
  };

  image: LabelsHandlers['image'] = async ({ fileId, imageId, categories, client }) => {
    getFile(this.db, fileId);
    const fileName = this.fileNameOf(fileId, imageId);
    if (fileName === null) throw this.unknownImage(fileId, imageId);
    const overrides = labelOverrides(this.db, fileId);
    const resolved = resolveNamedCategories(this.db, fileId, categories);
    return {
      imageId,
      fileName,
      labels: resolved.map(({ id, name }) => {
        const imported = containsId(importedImageList(this.db, fileId, id), imageId);
        return { category: name, imported, present: overrides?.byImage.get(imageId)?.get(id) ?? imported };
      }),
      reviewed: this.store.isReviewed(fileId, imageId),
      history: this.store.history(fileId, { imageId, limit: 200, offset: 0 }).rows.map(recordInfo),
      undo: client === undefined ? null : this.store.undoState(fileId, client),
    };
  };

  review: LabelsHandlers['review'] = async ({ fileId, imageIds, reviewed, client }) => {
    getFile(this.db, fileId);
    for (const id of imageIds) if (this.fileNameOf(fileId, id) === null) throw this.unknownImage(fileId, id);
    this.store.setReviewed(fileId, imageIds, reviewed, client);
    return { reviewed: this.store.reviewedIds(fileId).length };
  };

  suspects: LabelsHandlers['suspects'] = async ({ runId, kind, class: className, limit, offset }) => {
    const started = performance.now();
    const { fileId, annotations, classes, categoryIds, imageIds, scores, labels } = this.judged(runId);
    if (className !== undefined && !classes.includes(className)) throw this.unknownClass(runId, className, classes);
    const rejected = this.store.rejectedPairs(fileId);
    const ranked = rankSuspects({
      classes,
      imageIds,
      scores,
      labels,
      skip: (row, c) => rejected.has(`${imageIds[row]!}:${categoryIds[c]!}`),
      ...(kind === undefined ? {} : { kind }),
      ...(className === undefined ? {} : { classIndex: classes.indexOf(className) }),
      offset,
      limit,
    });
    const items: Suspect[] = ranked.items.map((item) => ({
      ...item,
      fileName: this.fileNameOf(fileId, item.imageId) ?? String(item.imageId),
    }));
    return {
      runId,
      fileId,
      annotations,
      measure: 'binary cross-entropy' as const,
      totals: ranked.totals,
      matching: ranked.matching,
      items,
      rejected: ranked.skipped,
      counts: this.store.decisionCounts(fileId, runId),
      durationMs: performance.now() - started,
    };
  };

  decide: LabelsHandlers['decide'] = async ({ runId, imageId, class: className, kind, decision, client }) => {
    const { fileId, classes, categoryIds, imageIds, scores } = this.judged(runId);
    const c = classes.indexOf(className);
    if (c < 0) throw this.unknownClass(runId, className, classes);
    const row = imageIds.indexOf(imageId);
    if (row < 0) {
      throw new AppError(
        'NOT_FOUND',
        `Image ${imageId} is not one of run ${runId}'s validation images, so it has no suspect to decide on.`,
      );
    }
    const categoryId = categoryIds[c]!;
    const fileName = this.fileNameOf(fileId, imageId) ?? String(imageId);
    const pair = { imageId, categoryId };
    if (decision === 'reject') {
      this.store.decide(fileId, pair, runId, 'rejected', client);
      return { batch: null, counts: this.store.decisionCounts(fileId, runId), undo: this.store.undoState(fileId, client) };
    }
    // Accepting sets the label the suspect's kind says (a missing label present, a wrong one absent),
    // whatever it is now: two clients accepting the same suspect agree, and neither undoes the other.
    const score = scores[row * classes.length + c]!;
    const present = kind === 'missing';
    const batch = this.store.record(
      fileId,
      { client, source: 'suspect', note: `Suspect (${kind} label) of run ${runId}, score ${score.toFixed(3)}, accepted` },
      [{ imageId, categoryId, present, fileName, categoryName: className }],
    );
    this.store.decide(fileId, pair, runId, 'accepted', client);
    return { batch: batchInfo(batch), counts: this.store.decisionCounts(fileId, runId), undo: this.store.undoState(fileId, client) };
  };

  explain: LabelsHandlers['explain'] = async ({ runId, imageId, class: className }, context) => {
    const { fileId, classes, imageIds, scores } = this.judged(runId);
    const c = classes.indexOf(className);
    if (c < 0) throw this.unknownClass(runId, className, classes);
    const row = imageIds.indexOf(imageId);
    if (row < 0) throw new AppError('NOT_FOUND', `Image ${imageId} is not one of run ${runId}'s validation images.`);
    const file = getFile(this.db, fileId);
    const fileName = this.fileNameOf(fileId, imageId) ?? String(imageId);
    const dir = file.images_dir ?? this.options.runs.get(runId).dataset.val.images;
    const path = dir === '' ? null : imagePath(dir, fileName);
    if (path === null) {
      throw new AppError('NOT_FOUND', `No images folder is known for ${file.path}; set it in the Dataset workspace to see the image.`);
    }
    const cam = await this.options.gradcam({ runId, image: { path }, classes: [className] }, context);
    const map = cam.classes[0]!;
    return {
      imageId,
      fileName,
      class: className,
      score: scores[row * classes.length + c]!,
      width: cam.width,
      height: cam.height,
      overlay: map.png,
      peak: map.peak,
    };
  };

  export: LabelsHandlers['export'] = async ({ fileId, format, outPath: out }, context) => {
    const file = getFile(this.db, fileId);
    if (out !== undefined && resolve(out) === resolve(file.path)) {
      throw new AppError('INVALID_INPUT', `The export would replace the imported file ${file.path}; choose another name.`);
    }
    context.progress({ phase: 'Exporting labels', done: 0, total: 0 });
    let figures: ExportFigures;
    let inline: string | null = null;
    let bytes = 0;
    if (format === 'coco') {
      const parts: Buffer[] = [];
      const target = out === undefined ? null : await this.openTarget(resolve(out));
      try {
        figures = await writeCocoWithLabels(
          this.db,
          fileId,
          async (chunk) => {
            bytes += chunk.length;
            if (target !== null) {
              await target.handle.write(chunk);
            } else {
              if (bytes > maxInlineExportBytes) throw tooLargeInline(bytes);
              parts.push(chunk);
            }
          },
          { signal: context.signal, onProgress: context.progress },
        );
        await target?.commit();
      } catch (error) {
        await target?.discard();
        throw error;
      }
      if (target === null) inline = Buffer.concat(parts).toString('utf8');
    } else {
      const table = labelTable(this.db, fileId, format);
      figures = table.figures;
      bytes = Buffer.byteLength(table.text);
      if (out === undefined) {
        if (bytes > maxInlineExportBytes) throw tooLargeInline(bytes);
        inline = table.text;
      } else {
        const target = await this.openTarget(resolve(out));
        try {
          await target.handle.write(table.text);
          await target.commit();
        } catch (error) {
          await target.discard();
          throw error;
        }
      }
    }
    context.progress({ phase: 'Exporting labels', done: 1, total: 1 });
    return { format, path: out === undefined ? null : resolve(out), inline, bytes, ...figures };
  };

  /** A temporary file beside `path`, renamed onto it once complete (readers never see half a file). */
  private async openTarget(path: string) {
    await mkdir(dirname(path), { recursive: true });
    const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temporary, 'w');
    let closed = false;
    const close = async (): Promise<void> => {
      if (!closed) await handle.close();
      closed = true;
    };
    return {
      handle,
      commit: async () => {
        await close();
        await rename(temporary, path);
      },
      discard: async () => {
        await close();
        await rm(temporary, { force: true });
      },
    };
  }

  /**
   * A completed run's validation scores with the effective labels of its validation file now (so an
   * accepted suspect is no longer one), and each class's category id in that file.
   */
  private judged(runId: string) {
    const run = this.options.runs.get(runId);
    if (run.status !== 'completed') {
      throw new AppError('INVALID_INPUT', `Run ${runId} is ${run.status}; suspects come from a completed run's validation scores.`);
    }
    const loaded = this.options.evaluation.load(runId);
    const { fileId, annotations } = loaded.source;
    if (fileId === null) {
      throw new AppError(
        'NOT_FOUND',
        `The validation annotations of run ${runId}, ${annotations}, are no longer imported; import them again in the Dataset workspace (or with "mlw ingest").`,
      );
    }
    const classes = [...loaded.matrix.classes];
    const categoryIds = resolveNamedCategories(this.db, fileId, classes).map((c) => c.id);
    const imageIds = Array.from(loaded.imageIds);
    const labels = labelsOfImages(this.db, fileId, classes, imageIds);
    return { fileId, annotations, classes, categoryIds, imageIds, scores: loaded.matrix.scores, labels };
  }

  private categoryNames(fileId: number): Map<number, string> {
    const rows = this.db.prepare('SELECT id, name FROM categories WHERE file_id = ?').all(fileId) as { id: number; name: string }[];
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  private fileNameOf(fileId: number, imageId: number): string | null {
    return (
      (this.db.prepare('SELECT file_name FROM images WHERE file_id = ? AND id = ?').pluck().get(fileId, imageId) as string | undefined) ??
      null
    );
  }

  /** The current labels of edits' pairs, in order. */
  private presence(fileId: number, edits: readonly LabelEdit[]): boolean[] {
    const overrides = labelOverrides(this.db, fileId);
    const lists = new Map<number, Uint32Array>();
    return edits.map(({ imageId, categoryId }) => {
      const edited = overrides?.byImage.get(imageId)?.get(categoryId);
      if (edited !== undefined) return edited;
      let list = lists.get(categoryId);
      if (list === undefined) {
        list = importedImageList(this.db, fileId, categoryId);
        lists.set(categoryId, list);
      }
      return containsId(list, imageId);
    });
  }

  /** Images by id or file name (a path's last part counts); unknown ones are refused with the closest. */
  private resolveImages(fileId: number, references: readonly (number | string)[]): { id: number; fileName: string }[] {
    const seen = new Set<number>();
    const out: { id: number; fileName: string }[] = [];
    for (const reference of references) {
      let id: number;
      let fileName: string | null;
      if (typeof reference === 'number') {
        id = reference;
        fileName = this.fileNameOf(fileId, id);
        if (fileName === null) throw this.unknownImage(fileId, id);
      } else {
        const name = reference.trim();
        const row = (this.db.prepare('SELECT id, file_name FROM images WHERE file_id = ? AND file_name = ?').get(fileId, name) ??
          this.db.prepare('SELECT id, file_name FROM images WHERE file_id = ? AND file_name = ?').get(fileId, basename(name))) as
          { id: number; file_name: string } | undefined;
        if (row === undefined) {
          const names = this.db.prepare('SELECT file_name FROM images WHERE file_id = ?').pluck().all(fileId) as string[];
          const suggestions = closeMatches(basename(name), names);
          const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
          throw new AppError('INVALID_INPUT', `There is no image named "${name}" in this file.${hint}`, { unknown: name, suggestions });
        }
        id = row.id;
        fileName = row.file_name;
      }
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ id, fileName });
    }
    return out;
  }

  /** An unknown image id, refused with the nearest ids the file has. */
  private unknownImage(fileId: number, imageId: number): AppError {
    const ids = Uint32Array.from(this.db.prepare('SELECT id FROM images WHERE file_id = ? ORDER BY id').pluck().all(fileId) as number[]);
    const at = lowerBound(ids, imageId);
    const suggestions = [ids[at - 1], ids[at]].filter((id): id is number => id !== undefined);
    const hint = suggestions.length > 0 ? ` The nearest ids it has are ${suggestions.join(' and ')}.` : '';
    return new AppError('INVALID_INPUT', `There is no image with id ${imageId} in this file.${hint}`, { unknown: imageId, suggestions });
  }

  private unknownClass(runId: string, name: string, classes: readonly string[]): AppError {
    const suggestions = closeMatches(name, classes);
    const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
    return new AppError('INVALID_INPUT', `Run ${runId} has no class "${name}".${hint} Its classes are ${classes.join(', ')}.`, {
      unknown: name,
      suggestions,
    });
  }
}

function tooLargeInline(bytes: number): AppError {
  return new AppError(
    'INVALID_INPUT',
    `The export is larger than ${maxInlineExportBytes / 1024 / 1024} MB (${Math.round(bytes / 1024 / 1024)} MB so far), too large to send to the browser. Export it from the desktop app or with "mlw labels export --out FILE".`,
  );
}

import { join, resolve } from 'node:path';
import type { HandlerContext } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import { overridesDigest } from '../coco/label-overrides';
import { getFile, subsetLabels } from '../coco/queries';
import type { Db } from '../db/connection';
import type { DatasetService } from './dataset-service';
import { imagePath } from './image-path';

/** The example's prepareData on one annotation file: the images with any of the classes, their files and multi-hot labels. */
export interface SubsetImages {
  annotations: string;
  fileId: number;
  classes: string[];
  imageIds: number[];
  paths: string[];
  /** Row-major [images, classes], 0 or 1. */
  labels: Float32Array;
  /**
   * The label edits these labels include (of the subset's categories): how many labels they change
   * and a digest of them (see overridesDigest); 0 and null for none or with `originalLabels`.
   */
  labelEdits: { count: number; digest: string | null };
}

/**
 * Imports an annotation file (at once when unchanged) and builds the subset of `categories`, for
 * training, validation or evaluation. `role` names the file in messages ("training", "validation").
 */
export async function subsetImages(
  db: Db,
  dataset: DatasetService,
  request: { annotations: string; imagesDir: string; categories: string[]; role: string; originalLabels?: boolean | undefined },
  context: HandlerContext,
): Promise<SubsetImages> {
  const imported = await dataset.ingest(
    { path: request.annotations, imagesDir: request.imagesDir },
    { signal: context.signal, progress: (p) => context.progress({ ...p, phase: `${p.phase} (${request.role} annotations)` }) },
  );
  const matrix = subsetLabels(db, imported.fileId, request.categories, { originalLabels: request.originalLabels });
  if (matrix.imageIds.length === 0) {
    throw new AppError(
      'INVALID_INPUT',
      `No ${request.role} image contains any of the chosen categories; choose other categories or another annotation file.`,
    );
  }
  const dir = getFile(db, imported.fileId).images_dir ?? resolve(request.imagesDir);
  return {
    annotations: imported.path,
    fileId: imported.fileId,
    classes: matrix.classes,
    imageIds: Array.from(matrix.imageIds),
    paths: matrix.fileNames.map((name) => imagePath(dir, name) ?? join(dir, '__outside_images_folder__')),
    labels: Float32Array.from(matrix.labels),
    labelEdits: overridesDigest(matrix.overrides, matrix.categories),
  };
}

import { z } from 'zod';
import { method } from './define';

const categoryNames = z.array(z.string().min(1)).max(1000);
const fileId = z.number().int().positive();

export const importedFile = z.object({
  fileId,
  path: z.string(),
  imagesDir: z.string().nullable(),
  sizeBytes: z.number(),
  mtimeMs: z.number(),
  sha256: z.string(),
  importedAt: z.string(),
  images: z.number().int(),
  annotations: z.number().int(),
  categories: z.number().int(),
  seconds: z.number(),
});
export type ImportedFile = z.infer<typeof importedFile>;

export const ingestResult = importedFile.extend({
  /** True when the file was unchanged since its last import and nothing was read. */
  cached: z.boolean(),
  /**
   * A changed file imported again under a new id, whose previous import had label edits: how many
   * followed it, and those that did not because the new file lacks their image or category (kept,
   * listed by labels.list, never applied). Absent when there were none.
   */
  labelEdits: z
    .object({
      carried: z.number().int(),
      notCarried: z.array(z.object({ imageId: z.number().int(), fileName: z.string(), category: z.string(), present: z.boolean() })),
    })
    .optional(),
});
export type IngestResult = z.infer<typeof ingestResult>;

export const categoryInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  supercategory: z.string(),
  imageCount: z.number().int(),
});
export type CategoryInfo = z.infer<typeof categoryInfo>;

export const subsetStats = z.object({
  images: z.number().int(),
  perClass: z.record(z.string(), z.number().int()),
  labelsPerImage: z.object({
    histogram: z.record(z.string(), z.number().int()),
    mean: z.number(),
  }),
});
export type SubsetStats = z.infer<typeof subsetStats>;

export const bbox = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const imageSummary = z.object({
  id: z.number().int(),
  fileName: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** Names of the selected categories present in the image, in selection order (effective labels: label edits applied). */
  labels: z.array(z.string()),
  /** A label edit changes one of the image's labels (of any category) from the imported ones. */
  edited: z.boolean().optional(),
  /** The image was marked reviewed. */
  reviewed: z.boolean().optional(),
});
export type ImageSummary = z.infer<typeof imageSummary>;

export const imageDetail = imageSummary.extend({
  license: z.number().int().nullable(),
  /** Every COCO box in the image, of every category, so the viewer can show them all. */
  boxes: z.array(z.object({ annotationId: z.number(), category: z.string(), bbox, area: z.number(), iscrowd: z.boolean() })),
  /** Absolute path of the image file, or null when the file is not in the images folder. */
  present: z.boolean(),
  /** The image's labels (of any category) that label edits changed from the imported ones. */
  edits: z.array(z.object({ category: z.string(), present: z.boolean() })),
});
export type ImageDetail = z.infer<typeof imageDetail>;

export const imageFilesCheck = z.object({
  /** The folder checked (null: none is set, nothing was checked). */
  imagesDir: z.string().nullable(),
  /** Images of the subset. */
  checked: z.number().int(),
  /** Of those, how many have no file in the folder. */
  missing: z.number().int(),
  /** The first `listLimit` missing file names, by ascending image id. */
  files: z.array(z.string()),
  /** What the folder holds, from its listing; null when no folder is set. */
  folder: z
    .object({
      /** False when nothing is at the folder's path any more. */
      exists: z.boolean(),
      /** Entries directly in the folder that are not folders, and of those the image files. */
      files: z.number().int(),
      imageFiles: z.number().int(),
      /** Subfolders directly in it, and the first names (sorted). */
      folderCount: z.number().int(),
      folders: z.array(z.string()),
      /** When the folder was listed (ISO 8601). */
      listedAt: z.string(),
    })
    .nullable(),
  /** Images of the whole annotation file, and of those how many have their file in the folder. */
  fileImages: z.number().int(),
  fileImagesPresent: z.number().int(),
});
export type ImageFilesCheck = z.infer<typeof imageFilesCheck>;

/** Ignore label edits: the labels as the file was imported (absent: the effective labels, edits applied). */
const originalLabels = z.boolean().optional();

/** A subset is at least one category; an empty one would answer every question with zero. */
const subsetQuery = z.object({ fileId, categories: categoryNames.min(1, 'Choose at least one category'), originalLabels });

export const datasetContract = {
  ingest: method({
    summary: 'Import a COCO instances JSON file into the cache (streaming; unchanged files return at once).',
    input: z.object({ path: z.string().min(1), imagesDir: z.string().min(1).optional() }),
    output: ingestResult,
    progress: true,
  }),
  files: method({
    summary: 'Annotation files in the cache, newest import first.',
    input: z.object({}),
    output: z.array(importedFile),
  }),
  setImagesDir: method({
    summary: 'Set or change the images folder of an imported annotation file.',
    input: z.object({ fileId, imagesDir: z.string().min(1) }),
    output: importedFile,
  }),
  checkPath: method({
    summary: 'Say whether a path on the server is a readable file or folder (the browser form has no file dialog).',
    /** `weights`: a backbone's weights, a TensorFlow.js Layers folder or a Keras .h5 file (or a folder holding weights.h5). */
    input: z.object({ path: z.string(), kind: z.enum(['file', 'annotations', 'directory', 'weights']) }),
    output: z.object({ ok: z.boolean(), resolved: z.string(), message: z.string() }),
  }),
  categories: method({
    summary: 'Categories of a file with supercategory and number of images labelled with each (effective labels unless originalLabels).',
    input: z.object({ fileId, originalLabels }),
    output: z.array(categoryInfo),
  }),
  stats: method({
    summary: 'Unique images, images per class and the labels-per-image histogram of a category subset.',
    input: subsetQuery,
    output: subsetStats,
  }),
  subset: method({
    summary: "The subset's unique image ids (ascending) and multi-hot label matrix (the example's prepareData).",
    input: subsetQuery,
    output: z.object({
      classes: z.array(z.string()),
      imageIds: z.array(z.number().int()),
      fileNames: z.array(z.string()),
      labels: z.array(z.array(z.number().int())),
    }),
  }),
  images: method({
    summary: 'A page of the subset images, optionally only those with one category.',
    input: subsetQuery.extend({
      filterCategory: z.string().optional(),
      /** Only the images marked reviewed, or only those not. */
      reviewed: z.enum(['reviewed', 'unreviewed']).optional(),
      /** Only the images whose labels were changed by label edits. */
      edited: z.boolean().optional(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(1000),
    }),
    output: z.object({ total: z.number().int(), items: z.array(imageSummary) }),
  }),
  image: method({
    summary: 'One image with its labels (effective unless originalLabels), its COCO boxes and its label edits.',
    input: z.object({ fileId, imageId: z.number().int(), categories: categoryNames, originalLabels }),
    output: imageDetail,
  }),
  thumbnail: method({
    summary: 'A JPEG of an image scaled to fit a square (thumbnails are cached on disk).',
    input: z.object({ fileId, imageId: z.number().int(), size: z.number().int().min(16).max(2048) }),
    output: z.object({ mime: z.string(), base64: z.string(), width: z.number(), height: z.number() }),
  }),
  missingImages: method({
    summary:
      'Which images of a subset have no file in the images folder. The folder is listed once and remembered until it changes; `recheck` lists it again.',
    input: subsetQuery.extend({
      listLimit: z.number().int().min(0).max(10000).default(200),
      recheck: z.boolean().default(false),
    }),
    output: imageFilesCheck,
    progress: true,
  }),
  missingImageNames: method({
    summary: 'The file names of every image of a subset that is missing from the images folder (ascending image id), to save as a list.',
    input: subsetQuery,
    output: z.object({ imagesDir: z.string().nullable(), names: z.array(z.string()) }),
    progress: true,
  }),
  getSelection: method({
    summary: 'The saved category selection (file and categories) of the Dataset workspace.',
    input: z.object({}),
    output: z.object({ fileId: fileId.nullable(), categories: z.array(z.string()) }),
  }),
  setSelection: method({
    summary: 'Save the category selection of the Dataset workspace.',
    input: z.object({ fileId: fileId.nullable(), categories: categoryNames }),
    output: z.object({ fileId: fileId.nullable(), categories: z.array(z.string()) }),
  }),
} as const;

import { z } from 'zod';
import { method } from './define';

const fileId = z.number().int().positive();
const imageId = z.number().int().nonnegative();
const categoryNames = z.array(z.string().min(1)).max(1000);

/**
 * Who makes an edit: one id per window or browser tab (the renderer makes one per tab), `cli` for
 * the command line. Undo and redo take back and put back that client's own edits only.
 */
export const labelClient = z.string().min(1).max(100);

/** An image by id, or by its file name as the annotation file gives it. */
export const imageReference = z.union([imageId, z.string().min(1).max(1000)]);

export const editSources = ['manual', 'suspect'] as const;

/** One label of one image set present or absent. */
export const labelEdit = z.object({
  imageId,
  fileName: z.string(),
  category: z.string(),
  present: z.boolean(),
});
export type LabelEditInfo = z.infer<typeof labelEdit>;

/** One action (a toggle, a label added to many images, an accepted suspect): its edits, who made it and when. */
export const editBatch = z.object({
  batch: z.number().int(),
  client: z.string(),
  source: z.enum(editSources),
  note: z.string().nullable(),
  createdAt: z.string(),
  edits: z.array(labelEdit),
});
export type EditBatchInfo = z.infer<typeof editBatch>;

/** A row of the edit log. */
export const editRecord = labelEdit.extend({
  seq: z.number().int(),
  batch: z.number().int(),
  client: z.string(),
  source: z.enum(editSources),
  note: z.string().nullable(),
  createdAt: z.string(),
  /** Its batch was undone (and not redone): it no longer counts. */
  undone: z.boolean(),
  /** The file was imported again without its image or category: kept and listed, never applied. */
  stale: z.boolean(),
});
export type EditRecordInfo = z.infer<typeof editRecord>;

/** What the client's undo and redo would do next (batch ids), null where nothing. */
export const undoState = z.object({ undo: z.number().int().nullable(), redo: z.number().int().nullable() });

/** Suspects of the file accepted and rejected in review, in all and from one run. */
export const decisionCounts = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  acceptedFromRun: z.number().int(),
  rejectedFromRun: z.number().int(),
});
export type DecisionCounts = z.infer<typeof decisionCounts>;

export const suspectKinds = ['missing', 'wrong'] as const;
export type SuspectKind = (typeof suspectKinds)[number];

/**
 * A pair whose score disagrees with its label. `loss` is the per-label binary cross-entropy
 * −[y·ln p + (1 − y)·ln(1 − p)] (p clipped to [1e-7, 1 − 1e-7]): `missing` pairs (label absent) rank
 * by −ln(1 − p), `wrong` ones (label present) by −ln p.
 */
export const suspect = z.object({
  /** 1 for the strongest disagreement of its kind over every class. */
  rank: z.number().int(),
  /** 1 for the strongest disagreement of its kind and class. */
  classRank: z.number().int(),
  kind: z.enum(suspectKinds),
  imageId,
  fileName: z.string(),
  class: z.string(),
  score: z.number(),
  /** The effective label now (0 or 1). */
  label: z.number().int().min(0).max(1),
  loss: z.number(),
});
export type Suspect = z.infer<typeof suspect>;

export const suspectsResult = z.object({
  runId: z.string(),
  fileId,
  annotations: z.string(),
  measure: z.literal('binary cross-entropy'),
  /** Pairs of each kind after rejected ones are left out; `disagreeing`: of those, the ones on the other side of 0.5. */
  totals: z.object({
    missing: z.number().int(),
    wrong: z.number().int(),
    disagreeing: z.object({ missing: z.number().int(), wrong: z.number().int() }),
  }),
  /** Pairs matching the query (kind, class), before offset and limit. */
  matching: z.number().int(),
  items: z.array(suspect),
  /** Rejected pairs left out. */
  rejected: z.number().int(),
  counts: decisionCounts,
  /** How long ranking took, in milliseconds. */
  durationMs: z.number(),
});
export type SuspectsResult = z.infer<typeof suspectsResult>;

export const labelExportFormats = ['coco', 'csv', 'jsonl'] as const;
export type LabelExportFormat = (typeof labelExportFormats)[number];

export const labelExportResult = z.object({
  format: z.enum(labelExportFormats),
  /** The file written; null when the text came back inline (no `outPath`). */
  path: z.string().nullable(),
  /** The file's text when no `outPath` was given (the browser downloads it); null otherwise. */
  inline: z.string().nullable(),
  bytes: z.number().int(),
  images: z.number().int(),
  /** Image-level labels written (effective labels, every category). */
  labels: z.number().int(),
  /** Labels that differ from the imported file: added, removed. */
  added: z.number().int(),
  removed: z.number().int(),
  /** COCO only: annotations kept as they were, and dropped with a removed label; labels without a box written to mlw_image_labels. */
  annotationsKept: z.number().int(),
  annotationsDropped: z.number().int(),
  imageLabels: z.number().int(),
});
export type LabelExportResult = z.infer<typeof labelExportResult>;

export const labelsContract = {
  set: method({
    summary:
      'Add or remove labels of one or more images (one action, undone as one). Every edit is appended to the log; the latest in effect decides a label.',
    input: z.object({
      fileId,
      /** The images, each by id or by file name. */
      imageRefs: z.array(imageReference).min(1).max(100_000),
      add: categoryNames.default([]),
      remove: categoryNames.default([]),
      note: z.string().max(2000).optional(),
      client: labelClient,
    }),
    output: z.object({
      batch: editBatch,
      /** Of the batch's edits, how many changed a label (the others set it as it already was). */
      changed: z.number().int(),
      undo: undoState,
    }),
  }),
  undo: method({
    summary: "Take back the client's latest action on the file; null when it has none left.",
    input: z.object({ fileId, client: labelClient }),
    output: z.object({ batch: editBatch.nullable(), undo: undoState }),
  }),
  redo: method({
    summary: 'Put back the action the client undid last (unless it edited since); null when there is none.',
    input: z.object({ fileId, client: labelClient }),
    output: z.object({ batch: editBatch.nullable(), undo: undoState }),
  }),
  list: method({
    summary:
      "The file's label changes in effect (labels that differ from the import), its edit log newest first, edits a re-import could not carry over, and review counts.",
    input: z.object({
      fileId,
      /** Only this image's changes and history. */
      imageId: imageId.optional(),
      limit: z.number().int().min(0).max(100_000).default(200),
      offset: z.number().int().min(0).default(0),
      /** Whose undo and redo state to give. */
      client: labelClient.optional(),
    }),
    output: z.object({
      fileId,
      annotations: z.string(),
      changes: z.array(labelEdit),
      history: z.object({ total: z.number().int(), rows: z.array(editRecord) }),
      notCarried: z.array(editRecord),
      reviewed: z.number().int(),
      undo: undoState.nullable(),
    }),
  }),
  image: method({
    summary: "One image's labels of the chosen categories, imported and effective, whether it was reviewed, and its edit history.",
    input: z.object({ fileId, imageId, categories: categoryNames, client: labelClient.optional() }),
    output: z.object({
      imageId,
      fileName: z.string(),
      labels: z.array(z.object({ category: z.string(), imported: z.boolean(), present: z.boolean() })),
      reviewed: z.boolean(),
      history: z.array(editRecord),
      undo: undoState.nullable(),
    }),
  }),
  review: method({
    summary: 'Mark images reviewed, or not.',
    input: z.object({ fileId, imageIds: z.array(imageId).min(1).max(100_000), reviewed: z.boolean(), client: labelClient }),
    output: z.object({ reviewed: z.number().int() }),
  }),
  suspects: method({
    summary:
      "A completed run's likely label errors on its validation images: (image, class) pairs ranked by how strongly its scores disagree with the effective labels (per-label binary cross-entropy); rejected pairs are never proposed again.",
    input: z.object({
      runId: z.string().min(1),
      kind: z.enum(suspectKinds).optional(),
      class: z.string().min(1).optional(),
      limit: z.number().int().min(0).max(100_000).default(50),
      offset: z.number().int().min(0).default(0),
    }),
    output: suspectsResult,
  }),
  decide: method({
    summary:
      "Accept a run's suspect (its label is changed, as an edit of source 'suspect') or reject it (never proposed again for the file).",
    input: z.object({
      runId: z.string().min(1),
      imageId,
      class: z.string().min(1),
      /** The suspect's kind as it was shown: accepting a missing label adds it, a wrong one removes it. */
      kind: z.enum(suspectKinds),
      decision: z.enum(['accept', 'reject']),
      client: labelClient,
    }),
    output: z.object({ batch: editBatch.nullable(), counts: decisionCounts, undo: undoState }),
  }),
  explain: method({
    summary: "Grad-CAM of one class on one of a run's validation images, with the run's score, to review a suspect.",
    input: z.object({ runId: z.string().min(1), imageId, class: z.string().min(1) }),
    output: z.object({
      imageId,
      fileName: z.string(),
      class: z.string(),
      score: z.number(),
      width: z.number().int(),
      height: z.number().int(),
      /** The overlay (jet at 50% over the image) as a data: URL. */
      overlay: z.string(),
      /** Where the map peaks, in the image's pixels. */
      peak: z.tuple([z.number(), z.number()]),
    }),
    progress: true,
  }),
  export: method({
    summary:
      'Write the effective labels: a COCO instances file keeping every original field (removed labels drop their annotations; added ones, which have no box, go in the top-level "mlw_image_labels" list), or CSV (file_name,labels) or JSON Lines.',
    input: z.object({
      fileId,
      format: z.enum(labelExportFormats).default('coco'),
      /** Where to write it (.json, .csv or .jsonl); absent: the text comes back inline. */
      outPath: z.string().min(1).optional(),
      /** Replace a file this app did not write. */
      overwrite: z.boolean().default(false),
    }),
    output: labelExportResult,
    progress: true,
  }),
} as const;

import { z } from 'zod';
import { method } from './define';

export const reportRequest = z.object({
  runId: z.string().min(1),
  /** Other runs shown beside it (configuration and headline figures). */
  compare: z.array(z.string().min(1)).max(8).default([]),
  threshold: z.number().min(0).max(1).default(0.5),
  /**
   * Where the HTML goes, on the machine that runs the service; the metrics are written beside it as
   * FILE.metrics.csv and FILE.metrics.json. Without it nothing is written and the three documents come
   * back inline (the browser form downloads them).
   */
  outPath: z.string().min(1).optional(),
  /** Replace files at outPath that this app did not write (`mlw serve` refuses to otherwise). */
  overwrite: z.boolean().default(false),
  /** Grad-CAM tiles of the most confident true positives; 0 leaves them out. */
  gradcamTiles: z.number().int().min(0).max(24).default(4),
});
export type ReportRequest = z.input<typeof reportRequest>;

export const reportResult = z.object({
  runId: z.string(),
  threshold: z.number(),
  /** The files written, or null where the documents came back inline. */
  files: z.object({ html: z.string(), csv: z.string(), json: z.string() }).nullable(),
  /** The documents themselves when no outPath was given. */
  inline: z.object({ html: z.string(), csv: z.string(), json: z.string() }).nullable(),
  bytes: z.number().int(),
  /** The report's headline figures (as `mlw evaluate` prints them for the run and threshold). */
  microF1: z.number(),
  macroF1: z.number(),
  mAP: z.number().nullable(),
  /** Expected calibration error (15 bins) and the example's loss of the run's scores; null where it scored no images. */
  ece: z.number().nullable(),
  validationLoss: z.number().nullable(),
  gradcamTiles: z.number().int(),
  /** What the report had to leave out, and why (missing images, no training history…). */
  notes: z.array(z.string()),
});
export type ReportResult = z.infer<typeof reportResult>;

export const exportFormats = ['tfjs', 'onnx'] as const;

/** What `mlw export` writes beside the model as mlw-export.json, and `mlw import-model` reads. */
export const exportManifest = z.object({
  /** A TensorFlow.js Layers folder, or one ONNX model (model.onnx). */
  format: z.enum(['mlw-tfjs-layers', 'mlw-onnx']),
  version: z.literal(1),
  backbone: z.string(),
  /** The last layer of the trunk (global average pooling follows it), and how many features it gives. */
  featureLayer: z.string(),
  featureSize: z.number().int().positive(),
  /** The pooling and the dense sigmoid layer after it. */
  poolLayer: z.string(),
  headLayer: z.string(),
  classes: z.array(z.string()).min(1),
  inputSize: z.number().int().positive(),
  normalisation: z.enum(['mobilenet', 'caffe']),
  threshold: z.number(),
  source: z.object({
    runId: z.string(),
    name: z.string(),
    mode: z.string(),
    exportedAt: z.string(),
    /** The run's annotation files and image counts, as it recorded them. */
    dataset: z.unknown(),
  }),
});
export type ExportManifest = z.infer<typeof exportManifest>;

export const reportsContract = {
  report: method({
    summary:
      'One self-contained HTML report of a run (configuration, dataset, training curves, metrics, calibration, sweep, per-class table, confusion tiles, Grad-CAM), with its metrics as CSV and JSON beside it.',
    input: reportRequest,
    output: reportResult,
    progress: true,
  }),
  pdf: method({
    summary: "Print an HTML report to PDF with the desktop app's own browser (desktop only).",
    input: z.object({
      htmlPath: z.string().min(1),
      outPath: z.string().min(1).optional(),
      /** Replace a PDF this app did not write (`mlw serve` refuses to otherwise). */
      overwrite: z.boolean().default(false),
    }),
    output: z.object({ path: z.string(), bytes: z.number().int() }),
  }),
  exportModel: method({
    summary:
      "Write a run's whole network (trunk, global average pooling, the dense sigmoid head) as a TensorFlow.js Layers model (labels.json, README.md) or one ONNX model (model.onnx, README.txt), with its preprocessing.",
    input: z.object({
      runId: z.string().min(1),
      format: z.enum(exportFormats).default('tfjs'),
      outDir: z.string().min(1),
      /** The threshold the README recommends. */
      threshold: z.number().min(0).max(1).default(0.5),
    }),
    output: z.object({
      runId: z.string(),
      outDir: z.string(),
      files: z.array(z.string()),
      bytes: z.number().int(),
      classes: z.array(z.string()),
      layers: z.number().int(),
    }),
    progress: true,
  }),
  importModel: method({
    summary:
      'Record a model `exportModel` wrote as a new completed run (mode "imported"), so it predicts and explains like the run it came from.',
    input: z.object({ dir: z.string().min(1), name: z.string().min(1).optional() }),
    output: z.object({ runId: z.string(), name: z.string(), backbone: z.string(), classes: z.array(z.string()), weightsDir: z.string() }),
  }),
} as const;

import { z } from 'zod';
import { runCalibration } from './calibration';
import { method } from './define';
import { skippedImage } from './skipped';

const unit = z.number().min(0).max(1);

export const thresholdMetrics = z.object({
  threshold: z.number(),
  microF1: unit,
  jaccard: unit,
  precision: unit,
  recall: unit,
});

export const classMetrics = z.object({
  class: z.string(),
  ap: unit.nullable(),
  precision: unit,
  recall: unit,
  f1: unit,
  tp: z.number().int(),
  fp: z.number().int(),
  fn: z.number().int(),
  tn: z.number().int(),
  threshold: z.number(),
  positives: z.number().int(),
});

/** The metrics object of `mlw evaluate`, `mlw metrics` and the Evaluate workspace (see domain/metrics.ts). */
export const metricsSchema = thresholdMetrics.extend({
  macroPrecision: unit,
  macroRecall: unit,
  macroF1: unit,
  sampleJaccard: unit,
  mAP: unit.nullable(),
  perClass: z.array(classMetrics),
  sweep: z.array(thresholdMetrics),
});

/** One of the 15 equal-width score bins of the reliability diagram (see domain/calibration.ts). */
export const reliabilityBin = z.object({
  lower: z.number(),
  upper: z.number(),
  /** (image, class) pairs whose score falls in the bin. */
  count: z.number().int(),
  /** Null where the bin is empty. */
  meanScore: z.number().nullable(),
  /** The fraction of the bin's pairs labelled with their class; null where the bin is empty. */
  fractionPositive: z.number().nullable(),
});
export type ReliabilityBin = z.infer<typeof reliabilityBin>;

/** How well the scores are calibrated, and the example's loss (see domain/calibration.ts); null figures where there are no images. */
export const calibrationMetrics = z.object({
  /** Expected calibration error over every (image, class) pair, 15 equal-width bins. */
  ece: z.number().min(0).nullable(),
  /** The example's loss: per image the sum over classes of the binary cross-entropy (scores clipped to [1e-7, 1 − 1e-7]), averaged over images. */
  validationLoss: z.number().min(0).nullable(),
  /** Each class's ECE over its own scores, in class order (the order of `metrics.perClass`). */
  eceByClass: z.array(z.number().min(0).nullable()),
  reliability: z.array(reliabilityBin),
});

export const tunedThreshold = z.object({ class: z.string(), threshold: z.number(), f1: unit, tuned: z.boolean() });

/** Where a score matrix's images come from. */
export const scoreSource = z.object({
  /** The annotation file and images folder the images were scored from. */
  annotations: z.string(),
  images: z.string(),
  /** The file's id in the annotation cache (for thumbnails and boxes), null when it is no longer imported. */
  fileId: z.number().int().nullable(),
  /** True for the run's own validation images. */
  validation: z.boolean(),
});

/** A run's scores: one row per image, one column per class, as `--scores-out` writes them. */
export const runScores = z.object({
  runId: z.string(),
  classes: z.array(z.string()),
  imageIds: z.array(z.number().int()),
  fileNames: z.array(z.string()),
  labels: z.array(z.array(z.number().int().min(0).max(1))),
  scores: z.array(z.array(z.number())),
  source: scoreSource,
});
export type RunScores = z.infer<typeof runScores>;

/**
 * Which labels a run's scores are judged against: those stored with the scores when they were
 * computed ('run'), the annotation file's labels as imported ('original'), or its effective labels
 * now, label edits applied ('corrected').
 */
export const judgedLabels = z.enum(['run', 'original', 'corrected']);
export type JudgedLabels = z.infer<typeof judgedLabels>;

export const evaluateRequest = z.object({
  runId: z.string().min(1),
  threshold: unit.default(0.5),
  /** Another annotated set to score with the run's network; the run's validation set when absent. */
  annotations: z.string().min(1).optional(),
  images: z.string().min(1).optional(),
  /** Judge each class at its tuned threshold instead of the global one. */
  perClassThresholds: z.boolean().default(false),
  /**
   * Scale every score by the run's temperature (fitted on held-out training images) before every
   * figure, the tuned thresholds included; refused for a run without one.
   */
  calibrated: z.boolean().default(false),
  /** Absent: 'run'. */
  labels: judgedLabels.optional(),
});
export type EvaluateRequest = z.input<typeof evaluateRequest>;

export const evaluateResult = z.object({
  runId: z.string(),
  images: z.number().int(),
  source: scoreSource,
  /** The labels the scores were judged against. */
  labels: judgedLabels,
  metrics: metricsSchema,
  /**
   * The threshold that maximises each class's F1 on the run's validation images. When the evaluated
   * images are those same images, the gain they show is optimistic (`tunedOnSameImages`).
   */
  tunedThresholds: z.array(tunedThreshold),
  tunedOnSameImages: z.boolean(),
  skipped: z.array(skippedImage),
  ...calibrationMetrics.shape,
  /** The temperature the scores were scaled by (`calibrated`), or null where they are the network's own. */
  temperature: z.number().positive().nullable(),
  /** The run's temperature scaling with its held-out ECE and loss before and after; null where the run has none. */
  calibration: runCalibration.nullable(),
});
export type EvaluateResult = z.infer<typeof evaluateResult>;

export const evaluationContract = {
  scores: method({
    summary: "A run's score matrix on its validation images (or the annotated set it was last evaluated on), with labels.",
    input: z.object({ runId: z.string().min(1), annotations: z.string().min(1).optional(), labels: judgedLabels.optional() }),
    output: runScores,
  }),
  evaluate: method({
    summary: "Score a run's validation images (or another annotated set), store the scores with the run, and compute every metric.",
    input: evaluateRequest,
    output: evaluateResult,
    progress: true,
  }),
} as const;

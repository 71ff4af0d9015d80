import { z } from 'zod';
import { headSearch, runCalibration } from './calibration';
import { method } from './define';
import { metricsSchema } from './evaluation';
import { runSummary } from './training';

const unit = z.number().min(0).max(1);

/** The set a run trained or validated on. */
export const runImageSet = z.object({
  annotations: z.string(),
  images: z.string(),
  count: z.number().int(),
  /** The label edits its labels included: how many labels they changed, and a SHA-256 of them (null: none). Absent for runs before labelling. */
  labelEdits: z.object({ count: z.number().int(), digest: z.string().nullable() }).optional(),
});

/** A run's headline figures on its validation images, from its stored scores. */
export const headlineMetrics = z.object({
  threshold: z.number(),
  microF1: unit,
  jaccard: unit,
  precision: unit,
  recall: unit,
  /** Null where no class has a positive label. */
  mAP: unit.nullable(),
});
export type HeadlineMetrics = z.infer<typeof headlineMetrics>;

/** A run as `runs.list` gives it: its summary (what the Train workspace's list and the run pickers show), then the rest. */
export const runEntry = runSummary.extend({
  dataset: z.object({ train: runImageSet, val: runImageSet, categories: z.array(z.string()) }),
  bestIteration: z.number().int().nullable(),
  iterations: z.number().int().nullable(),
  /** The run's folder (checkpoint, trained head, fine-tuned backbone, Grad-CAM cache). */
  runDir: z.string(),
  /** At threshold 0.5 from the stored validation scores; null when the run has none (it did not complete). */
  metrics: headlineMetrics.nullable(),
  /** How a frozen run chose its head's learn rate, L2 and epochs on held-out training images; null where the user gave them. */
  search: headSearch.nullable(),
  /** The temperature fitted on those held-out images, with their calibration before and after; null where there is none. */
  calibration: runCalibration.nullable(),
});
export type RunEntry = z.infer<typeof runEntry>;

/** A setting's value in one run, or its absence. */
export const diffCell = z.union([z.object({ missing: z.literal(true) }), z.object({ missing: z.literal(false), value: z.json() })]);

export const diffRow = z.object({
  /** The setting's path in the configuration, such as `settings.learnRate`. */
  key: z.string(),
  values: z.array(diffCell),
});

/** A run's history for overlaid curves: training loss (raw and smoothed over every iteration) at sampled iterations, every validation. */
export const comparedHistory = z.object({
  runId: z.string(),
  /** How many iterations the run recorded. */
  iterations: z.number().int(),
  training: z.array(z.object({ iteration: z.number().int(), epoch: z.number().int(), loss: z.number(), smoothedLoss: z.number() })),
  validation: z.array(z.object({ iteration: z.number().int(), epoch: z.number().int(), loss: z.number(), rmse: z.number() })),
});
export type ComparedHistory = z.infer<typeof comparedHistory>;

export const compareRequest = z.object({
  runIds: z.array(z.string().min(1)).min(2, 'Name at least 2 runs to compare').max(8, 'Compare at most 8 runs at a time'),
  /** One threshold for every run, or one per run in the same order; 0.5 by default. */
  thresholds: z.union([unit, z.array(unit)]).default(0.5),
});
export type CompareRequest = z.input<typeof compareRequest>;

export const compareResult = z.object({
  /** The runs in the order asked for; the first is the one deltas are measured against. */
  runs: z.array(runEntry),
  /** Each run's whole configuration (its request and resolved settings), as recorded. */
  configs: z.array(z.record(z.string(), z.json())),
  /** Only the settings whose values differ across the runs (the run's name is not a setting); empty when they are identical. */
  diff: z.array(diffRow),
  /** How many settings were compared. */
  settings: z.number().int(),
  /** Each run's figures at its threshold (`evaluate` of its stored validation scores); null where it has no scores. */
  metrics: z.array(metricsSchema.extend({ runId: z.string() }).nullable()),
  histories: z.array(comparedHistory),
});
export type CompareResult = z.infer<typeof compareResult>;

export const runsContract = {
  list: method({
    summary: 'Every recorded run, newest first, with its dataset, timings and headline metrics at 0.5 from its validation scores.',
    input: z.object({}),
    output: z.array(runEntry),
  }),
  rename: method({
    summary: 'Give a run another name.',
    input: z.object({
      runId: z.string().min(1),
      name: z.string().trim().min(1, 'A run needs a name').max(200, 'A name has at most 200 characters'),
    }),
    output: runEntry,
  }),
  delete: method({
    summary:
      'Delete a run: its record, metric history and scores, and its folder (checkpoint, trained head, fine-tuned backbone, Grad-CAM cache). A running run is refused.',
    input: z.object({ runId: z.string().min(1) }),
    output: z.object({
      runId: z.string(),
      name: z.string(),
      /** The folder removed with it; null when it was already gone or is not the run's own folder. */
      folder: z.string().nullable(),
      files: z.number().int(),
      bytes: z.number().int(),
    }),
  }),
  compare: method({
    summary:
      'Compare 2 to 8 runs: their configurations and the settings that differ, their metrics at each threshold, and their training histories.',
    input: compareRequest,
    output: compareResult,
  }),
} as const;

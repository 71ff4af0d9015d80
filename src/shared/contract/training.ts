import { z } from 'zod';
import { method } from './define';
import { skippedImage } from './skipped';
import { headSearch } from './calibration';

export const trainingModes = ['frozen', 'finetune'] as const;

export const trainingSettings = z.object({
  learnRate: z.number().positive().max(10),
  momentum: z.number().min(0).max(0.999),
  l2Regularization: z.number().min(0).max(1),
  batchSize: z.number().int().min(1).max(4096),
  maxEpochs: z.number().int().min(1).max(100000),
  validationFrequency: z.number().int().min(1),
  validationPatience: z.number().int().min(1),
  headLearnRateFactor: z.number().positive().max(1000),
  seed: z.number().int().min(0),
});

export const engineStatus = z.object({
  backend: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']),
  candidates: z.array(z.object({ name: z.string(), package: z.string(), available: z.boolean(), reason: z.string().nullable() })),
  threads: z.number().int(),
  memory: z.object({ totalBytes: z.number(), freeBytes: z.number() }),
  wasmMemoryLimitBytes: z.number().nullable(),
  node: z.string(),
  platform: z.string(),
  /** What runs networks forward (features, scores, predictions, Grad-CAM); training stays on `backend`. */
  inference: z.object({
    runtime: z.enum(['onnxruntime', 'tfjs']),
    version: z.string().nullable(),
    executionProviders: z.array(z.string()),
    threads: z.number().int(),
    /** Why ONNX Runtime is not in use, in a sentence; null when it is. */
    reason: z.string().nullable(),
  }),
});
export type EngineStatusInfo = z.infer<typeof engineStatus>;

/** What the run lists and pickers show of a run; `runs.list` gives each run's entry, which has all of it and more. */
export const runSummary = z.object({
  runId: z.string(),
  name: z.string(),
  status: z.enum(['running', 'completed', 'cancelled', 'failed']),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** frozen or finetune; imported for a model recorded by `mlw import-model`. */
  mode: z.union([z.enum(trainingModes), z.literal('imported')]),
  backbone: z.string(),
  backend: z.string().nullable(),
  categories: z.array(z.string()),
  images: z.object({ train: z.number().int(), val: z.number().int() }),
  bestValidationLoss: z.number().nullable(),
  /** Wall-clock seconds of the whole run; null while it runs. */
  seconds: z.number().nullable(),
  error: z.string().nullable(),
});
export type RunSummary = z.infer<typeof runSummary>;

export const trainRequest = z.object({
  trainAnnotations: z.string().min(1),
  trainImages: z.string().min(1),
  valAnnotations: z.string().min(1),
  valImages: z.string().min(1),
  categories: z.array(z.string().min(1)).min(1),
  backbone: z.string().default('mobilenet_v1_0.75'),
  /** A TensorFlow.js Layers folder (model.json), a folder holding weights.h5, or a Keras .h5 file; default the models folder. */
  weights: z.string().min(1).optional(),
  mode: z.enum(trainingModes).default('frozen'),
  /** Overrides of the mode's defaults. */
  settings: trainingSettings.partial().default({}),
  /**
   * Frozen mode: choose the learn rate, L2 and epochs that `settings` leaves unset on a held-out
   * fifth of the training images (never on the validation images), then train on every training
   * image with them (absent: true). False: the mode's defaults, with the example's early stopping
   * on validation.
   */
  chooseSettings: z.boolean().optional(),
  /** What the search chooses, as a run records it (read back on resume); set by the service. */
  choose: z.object({ learnRate: z.boolean(), l2Regularization: z.boolean(), maxEpochs: z.boolean() }).nullable().optional(),
  augmentedViews: z.number().int().min(0).max(16).default(2),
  name: z.string().optional(),
  /** Train and validate on the labels as the files were imported, ignoring label edits (absent: the effective labels). */
  originalLabels: z.boolean().optional(),
});
export type TrainRequest = z.input<typeof trainRequest>;

export const trainResult = z.object({
  runId: z.string(),
  mode: z.enum(trainingModes),
  backend: z.string(),
  bestValidationLoss: z.number(),
  images: z.object({ train: z.number().int(), val: z.number().int() }),
  skipped: z.array(skippedImage),
  seconds: z.number(),
  /** How a frozen run chose its settings on held-out training images; null where it chose none. */
  search: headSearch.nullable().default(null),
  /** Classes with no or very few training images (fewer than 5), as the run's record keeps them. */
  sparseClasses: z.array(z.object({ name: z.string(), images: z.number().int() })).default([]),
});
export type TrainResult = z.infer<typeof trainResult>;

export const trainingDefaults = z.object({
  modes: z.object({ frozen: trainingSettings, finetune: trainingSettings }),
  augmentedViews: z.number().int(),
  /** What the frozen mode's search tries for the values left unset, and the share of training images it holds out. */
  search: z.object({ heldOutFraction: z.number(), learnRate: z.array(z.number()), l2Regularization: z.array(z.number()) }),
  backbones: z.array(z.object({ id: z.string(), title: z.string(), inputSize: z.number().int() })),
});
export type TrainingDefaults = z.infer<typeof trainingDefaults>;

export const trainingContract = {
  defaults: method({
    summary: 'The settings each mode starts from, and the backbones on offer.',
    input: z.object({}),
    output: trainingDefaults,
  }),
  status: method({
    summary: 'Which backend the engine uses, why not the better ones, threads and memory.',
    input: z.object({}),
    output: engineStatus,
  }),
  train: method({
    summary: 'Train a run by transfer learning; progress reports each iteration with its losses.',
    input: trainRequest,
    output: trainResult,
    progress: true,
  }),
  models: method({
    summary: "The backbones on offer and whether their weights are in the app's models folder.",
    input: z.object({}),
    output: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        installed: z.boolean(),
        path: z.string(),
        source: z.string(),
        /** What the weights are (or, not installed, will be): a TensorFlow.js Layers folder or a Keras .h5 file. */
        format: z.enum(['tfjs-layers', 'keras-h5']),
      }),
    ),
  }),
  downloadModel: method({
    summary:
      "Download a backbone's weights from their official source (TensorFlow.js Layers files, or Keras's .h5 saved as weights.h5) into the models folder, checked against pinned digests; resumes an interrupted download.",
    input: z.object({ backbone: z.string().min(1) }),
    output: z.object({
      id: z.string(),
      path: z.string(),
      files: z.number().int(),
      bytes: z.number().int(),
      /** SHA-256 of each file downloaded, by file name (also written to SHA256SUMS beside them). */
      sha256: z.record(z.string(), z.string()),
    }),
    progress: true,
  }),
  resume: method({
    summary: 'Continue a cancelled or crashed run from its last checkpoint (written at each validation).',
    input: z.object({ runId: z.string().min(1) }),
    output: trainResult,
    progress: true,
  }),
  history: method({
    summary: "A run's metric history: per iteration training loss and RMSE, and validation loss and RMSE where it validated.",
    input: z.object({ runId: z.string() }),
    output: z.array(
      z.object({
        iteration: z.number().int(),
        epoch: z.number().int(),
        trainLoss: z.number(),
        trainRmse: z.number(),
        valLoss: z.number().nullable(),
        valRmse: z.number().nullable(),
      }),
    ),
  }),
} as const;

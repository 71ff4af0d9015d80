import { z } from 'zod';
import { method } from '../../../shared/contract/define';
import { skippedImage } from '../../../shared/contract/skipped';
import { headSearch } from '../../../shared/contract/calibration';
import { engineStatus, trainingSettings } from '../../../shared/contract/training';
import { exportFormats, exportManifest } from '../../../shared/contract/reports';

const float32 = z.custom<Float32Array>((value) => value instanceof Float32Array, 'Expected a Float32Array');
const labelledImages = z.object({ paths: z.array(z.string()), labels: float32 });

/** What either mode sends back: the head, the best validation scores, and what was skipped. */
const trainingOutcome = z.object({
  backend: z.string(),
  weights: float32,
  bias: float32,
  bestValidationLoss: z.number(),
  bestIteration: z.number().int(),
  iterations: z.number().int(),
  stoppedEarly: z.boolean(),
  valScores: float32,
  valKept: z.array(z.number().int()),
  trainKept: z.number().int(),
  skipped: z.array(skippedImage),
  seconds: z.object({ features: z.number(), training: z.number() }),
});

/** A trained run's network: backbone weights and the new layer. */
const runNetwork = z.object({
  backbone: z.string(),
  weightsDir: z.string(),
  head: z.object({ weights: float32, bias: float32, featureSize: z.number().int(), classes: z.number().int().min(1) }),
  /** Where the trunk ends when not at the backbone's own feature layer (an imported model). */
  featureLayer: z.string().optional(),
  /** An imported ONNX model: the whole network, run by ONNX Runtime. */
  onnxModel: z.string().optional(),
});

/** The messages between the app and its engine process (TensorFlow.js runs there, never in the app). */
export const engineContract = {
  engine: {
    status: method({ summary: 'The backend in use and why.', input: z.object({}), output: engineStatus }),
    trainFrozen: method({
      summary: 'Frozen-backbone training: features, then the head.',
      input: z.object({
        backbone: z.string(),
        weightsDir: z.string(),
        classes: z.number().int().min(1),
        train: labelledImages,
        val: labelledImages,
        settings: trainingSettings,
        augmentedViews: z.number().int().min(0),
        cacheDir: z.string(),
        /** Written at each validation; read first when `resume` is set. */
        checkpointPath: z.string(),
        resume: z.boolean(),
        /** Which settings to choose on held-out training images; null: as given. */
        choose: z.object({ learnRate: z.boolean(), l2Regularization: z.boolean(), maxEpochs: z.boolean() }).nullable().default(null),
      }),
      output: trainingOutcome.extend({
        search: headSearch.nullable(),
        /** The held-out images' logits and labels (row-major [images, classes]) and the temperature fitted on them. */
        heldOut: z.object({ logits: float32, labels: float32, temperature: z.number() }).nullable(),
      }),
      progress: true,
    }),
    trainFinetune: method({
      summary: 'Fine-tuning: every layer learns; the tuned backbone is saved as a Layers folder.',
      input: z.object({
        backbone: z.string(),
        weightsDir: z.string(),
        classes: z.number().int().min(1),
        train: labelledImages,
        val: labelledImages,
        settings: trainingSettings,
        /** Where the tuned backbone (model.json and weights) is written. */
        outputDir: z.string(),
        checkpointPath: z.string(),
        resume: z.boolean(),
      }),
      output: trainingOutcome,
      progress: true,
    }),
    score: method({
      summary: "Sigmoid scores of images with a run's network, preprocessed as in training; unreadable images are skipped.",
      input: z.object({
        network: runNetwork,
        paths: z.array(z.string()),
        cacheDir: z.string(),
        /** Score damaged images as the decoder could make them (and list them) instead of skipping them. */
        acceptDamaged: z.boolean().default(false),
      }),
      output: z.object({
        backend: z.string(),
        scores: float32,
        kept: z.array(z.number().int()),
        skipped: z.array(skippedImage),
        /** With acceptDamaged: images scored although damaged (index into paths), in the app's words and the decoder's. */
        damaged: z.array(z.object({ index: z.number().int(), message: z.string(), library: z.string() })),
      }),
      progress: true,
    }),
    gradCam: method({
      summary: 'Grad-CAM maps of one image for some classes, at the feature map resolution, and every class score.',
      input: z.object({
        network: runNetwork,
        path: z.string(),
        classIndices: z.array(z.number().int().min(0)),
        /** Explain a damaged image as the decoder could make it, rather than refuse it. */
        acceptDamaged: z.boolean().default(false),
      }),
      output: z.object({
        scores: z.array(z.number()),
        maps: z.array(z.object({ width: z.number().int(), height: z.number().int(), values: float32 })),
      }),
    }),
    exportModel: method({
      summary:
        "A run's whole network (trunk, pooling, dense sigmoid head) saved as a TensorFlow.js Layers folder with labels.json and a README, or as one ONNX model with README.txt.",
      input: z.object({
        network: runNetwork,
        classes: z.array(z.string()).min(1),
        threshold: z.number(),
        source: exportManifest.shape.source,
        outDir: z.string(),
        format: z.enum(exportFormats).default('tfjs'),
      }),
      output: z.object({ outDir: z.string(), files: z.array(z.string()), bytes: z.number().int(), layers: z.number().int() }),
    }),
  },
} as const;
export type EngineContract = typeof engineContract;

import { z } from 'zod';
import { method } from './define';
import { skippedImage } from './skipped';

/** An image on the machine that runs the service, or one sent from the window (dropped or opened). */
/** The largest image a window may send (a file path has no limit). */
export const maxSentImageBytes = 10 * 1024 * 1024;

export const imageInput = z.union([
  z.object({ path: z.string().min(1) }),
  z.object({
    name: z.string().min(1).max(500),
    base64: z
      .string()
      .min(1)
      .max(
        Math.ceil(maxSentImageBytes / 3) * 4,
        `A sent image may be at most ${maxSentImageBytes / 1024 / 1024} MB; give larger ones by path.`,
      ),
  }),
]);
export type ImageInput = z.infer<typeof imageInput>;

export const imagePrediction = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** The path, or the name of a sent image. */
    image: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    /** One score per class, in the run's class order. */
    scores: z.array(z.number()),
    /** The classes whose score reaches their threshold. */
    labels: z.array(z.string()),
    /** Where the service keeps a sent image (its uploads folder), so a client can name it by path later. */
    storedAs: z.string().optional(),
    /** Set when the file is damaged and was scored as the decoder could make it: the scores may be wrong. */
    damaged: z.object({ message: z.string(), library: z.string() }).optional(),
  }),
  z.object({ ok: z.literal(false), image: z.string(), error: z.string() }),
]);
export type ImagePrediction = z.infer<typeof imagePrediction>;

/** The temperature a result's scores were scaled by (`calibrated`), or null where they are the network's own. */
const scaledBy = z.number().positive().nullable();

export const predictResult = z.object({
  runId: z.string(),
  classes: z.array(z.string()),
  /** The threshold each class was judged at (of the scores the results carry). */
  thresholds: z.array(z.number()),
  /** Whether every score is scaled by the run's temperature; true exactly when `temperature` is a number. */
  calibrated: z.boolean(),
  temperature: scaledBy,
  results: z.array(imagePrediction),
});
export type PredictResult = z.infer<typeof predictResult>;

export const gradCamClass = z.object({
  class: z.string(),
  score: z.number(),
  /** The overlay: a file path when an output folder was given, else a data: URL. */
  png: z.string(),
  /** Where the map peaks, in the image's pixels. */
  peak: z.tuple([z.number(), z.number()]),
  /** The map at the feature map's resolution, rows of [0, 1] (scaled by its own minimum and maximum). */
  map: z.array(z.array(z.number())),
});

export const gradCamResult = z.object({
  image: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** What the classes' scores are scaled by (the maps are the same either way). */
  temperature: scaledBy,
  classes: z.array(gradCamClass),
});
export type GradCamResult = z.infer<typeof gradCamResult>;

export const galleryKinds = ['tp', 'fp', 'fn'] as const;

export const galleryResult = z.object({
  runId: z.string(),
  class: z.string(),
  kind: z.enum(galleryKinds),
  threshold: z.number(),
  /** What the scores (and so the threshold) are of: scaled by this temperature, or the network's own where null. */
  temperature: scaledBy,
  /** Images of that kind on the run's validation set, before taking the most confident. */
  available: z.number().int(),
  items: z.array(
    z.object({
      imageId: z.number().int(),
      fileName: z.string(),
      score: z.number(),
      /** The original image, then the overlay, as data: URLs (JPEG, PNG). */
      image: z.string(),
      png: z.string(),
      peak: z.tuple([z.number(), z.number()]),
    }),
  ),
  skipped: z.array(skippedImage),
  cached: z.boolean(),
});
export type GalleryResult = z.infer<typeof galleryResult>;

export const predictionContract = {
  preview: method({
    summary: 'A JPEG of an image on the service machine, upright and scaled to fit a square, to show beside its scores.',
    input: z.object({ path: z.string().min(1), size: z.number().int().min(16).max(2048).default(512) }),
    output: z.object({ url: z.string(), width: z.number().int(), height: z.number().int() }),
  }),
  predict: method({
    summary: "Scores of every class for new images with a run's network (its own preprocessing), and the predicted labels.",
    input: z.object({
      runId: z.string().min(1),
      images: z.array(imageInput).min(1).max(1000),
      threshold: z.number().min(0).max(1).default(0.5),
      /** Judge each class at the threshold that maximises its F1 on the run's validation images. */
      perClassThresholds: z.boolean().default(false),
      /**
       * Scale every score by the run's temperature (fitted on held-out training images), as `evaluate`
       * does, before the labels are judged (per-class thresholds are then tuned on the scaled
       * validation scores); refused for a run without one.
       */
      calibrated: z.boolean().default(false),
      /** Score damaged images with a warning, or refuse them; the user's preference when absent. */
      damagedImages: z.enum(['warn', 'refuse']).optional(),
    }),
    output: predictResult,
    progress: true,
  }),
  gradcam: method({
    summary: 'Grad-CAM overlays of one image for some classes (jet colour map at 50% over the image).',
    input: z.object({
      runId: z.string().min(1),
      image: imageInput,
      classes: z.array(z.string().min(1)).min(1),
      /** Write one PNG per class here instead of returning them inline. */
      outDir: z.string().min(1).optional(),
      /** Give each class's score scaled by the run's temperature, as `predict` with `calibrated`. */
      calibrated: z.boolean().default(false),
    }),
    output: gradCamResult,
    progress: true,
  }),
  gallery: method({
    summary: 'Grad-CAM over the most confident true positives, false positives or false negatives of a class (cached with the run).',
    input: z.object({
      runId: z.string().min(1),
      class: z.string().min(1),
      kind: z.enum(galleryKinds),
      threshold: z.number().min(0).max(1).default(0.5),
      count: z.number().int().min(1).max(48).default(8),
      /** Judge and show the validation scores scaled by the run's temperature, as `predict` with `calibrated`. */
      calibrated: z.boolean().default(false),
    }),
    output: galleryResult,
    progress: true,
  }),
} as const;

import { z } from 'zod';
import { method } from './define';

/** The COCO 2017 splits that have instance annotations. */
export const cocoSplits = ['train2017', 'val2017'] as const;
export type CocoSplit = (typeof cocoSplits)[number];

/** Where COCO 2017 is published: the annotations zip at `annotations/…`, each image at `<split>/<file_name>`. */
export const officialCocoBaseUrl = 'http://images.cocodataset.org';
/** The annotations zip, relative to the base URL (it holds the instances files of both splits). */
export const cocoAnnotationsZipPath = 'annotations/annotations_trainval2017.zip';

const httpUrl = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
      } catch {
        return false;
      }
    },
    { message: 'The base URL must be an http:// or https:// address without a user name, such as http://images.cocodataset.org' },
  );

export const cocoDownloadRequest = z.object({
  split: z.enum(cocoSplits, { message: 'The split must be train2017 or val2017.' }),
  /** The categories whose images to fetch; empty or absent: every image of the split. */
  categories: z.array(z.string().trim().min(1)).max(80).optional(),
  /** The folder that receives `annotations/`, `train2017/` and `val2017/`. */
  dest: z.string().trim().min(1, 'Name the folder to download into.'),
  baseUrl: httpUrl.default(officialCocoBaseUrl),
  /** Images fetched at once. */
  concurrency: z
    .number()
    .int()
    .min(1, 'Fetch at least 1 image at a time.')
    .max(32, 'Fetch at most 32 images at a time; more only burdens the server.')
    .default(8),
  /** Fetch only the images the last download of this split into `dest` listed as failed. */
  retryFailed: z.boolean().default(false),
});
export type CocoDownloadRequest = z.input<typeof cocoDownloadRequest>;

export const cocoImageFailure = z.object({
  fileName: z.string(),
  url: z.string(),
  /** A sentence: what went wrong with this image. */
  reason: z.string(),
});
export type CocoImageFailure = z.infer<typeof cocoImageFailure>;

export const cocoDownloadResult = z.object({
  split: z.enum(cocoSplits),
  dest: z.string(),
  /** The instances file, extracted and imported. */
  annotationsPath: z.string(),
  imagesDir: z.string(),
  /** The imported file in the cache. */
  fileId: z.number().int(),
  /** The categories as the file names them; empty: every image. */
  categories: z.array(z.string()),
  /** Whether the annotations zip was fetched by this call (false: its instances files were already here). */
  annotationsDownloaded: z.boolean(),
  images: z.object({
    /** Images the call was asked for (the subset, or the failures it retried). */
    wanted: z.number().int(),
    downloaded: z.number().int(),
    /** Already complete in the folder, so not fetched again. */
    alreadyPresent: z.number().int(),
    failed: z.number().int(),
  }),
  /** Every image that could not be fetched, with why (also kept in the folder for "retry failed"). */
  failures: z.array(cocoImageFailure),
  /** Bytes fetched by this call (the zip and the images). */
  bytes: z.number(),
  seconds: z.number(),
});
export type CocoDownloadResult = z.infer<typeof cocoDownloadResult>;

export const cocoContract = {
  download: method({
    summary:
      'Get COCO 2017: fetch the annotations zip (resuming with HTTP Range), extract and import the split’s instances file, then fetch only the images of the chosen categories in parallel, each verified (size and decoded dimensions) before it takes its name. Run again to resume; retryFailed fetches only the last failures.',
    input: cocoDownloadRequest,
    output: cocoDownloadResult,
    progress: true,
  }),
} as const;

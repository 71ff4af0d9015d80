import { rename, rm, stat } from 'node:fs/promises';
import type { CocoImageFailure } from '../../shared/contract/coco';
import { AppError, cancelled } from '../../shared/contract/errors';
import { formatBytes } from '../../shared/domain/format';
import { fetchToFile } from '../files/http-download';
import { resolveInside } from '../files/inside-folder';

/** An image of an annotation file: its name and the size the file records. */
export interface ImageRecord {
  fileName: string;
  width: number;
  height: number;
}

/**
 * Bytes per pixel of a COCO JPEG, to estimate a download before it starts: the 128 images of
 * `coco128` (the first of train2017) weigh 22,172,241 bytes for 35,919,772 pixels, 0.617. COCO's
 * train2017.zip, about 18 GB for 118,287 images, is about 163 KB an image: at this rate a
 * 0.26-megapixel image, the size of a typical 640×427 COCO photo.
 */
export const cocoBytesPerPixel = 0.62;

export function estimatedBytes(images: readonly ImageRecord[]): number {
  return Math.round(images.reduce((sum, image) => sum + image.width * image.height * cocoBytesPerPixel, 0));
}

/** The address of an image: `<base>/<split>/<file_name>`, as COCO publishes them (each record's coco_url). */
export function imageUrl(baseUrl: string, split: string, fileName: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${split}/${encodeURIComponent(fileName)}`;
}

/**
 * Whether the file at `path` is the image its record describes: sharp reads it, its dimensions are
 * the recorded ones and, unless `headerOnly`, it decodes to the end (a JPEG cut short does not).
 * Null when it is; otherwise a sentence saying why not.
 */
export async function imageProblem(path: string, record: ImageRecord, headerOnly = false): Promise<string | null> {
  const { default: sharp } = await import('sharp');
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(path).metadata());
  } catch (error) {
    return `it is not an image that can be read (${firstLine(error)})`;
  }
  if (width !== record.width || height !== record.height) {
    return `it is ${width ?? '?'}×${height ?? '?'} pixels, not the ${record.width}×${record.height} its annotations record`;
  }
  if (headerOnly) return null;
  try {
    // Decoding at the smallest scale still reads every byte of the JPEG, so a file cut short fails here.
    await sharp(path, { failOn: 'truncated' }).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
  } catch (error) {
    return `it does not decode to the end (${firstLine(error)}): the copy is incomplete or damaged`;
  }
  return null;
}

/**
 * Of `images`, those whose file is in `dir` already and is the recorded image (by its header), and
 * the rest, each in the order given (so a download goes through the images in the file's order).
 */
export async function splitPresent(
  images: readonly ImageRecord[],
  dir: string,
  options: { signal?: AbortSignal; onChecked?: (done: number) => void; concurrency?: number } = {},
): Promise<{ present: ImageRecord[]; absent: ImageRecord[]; mismatched: CocoImageFailure[] }> {
  const present: ImageRecord[] = [];
  const absent: ImageRecord[] = [];
  const mismatched: CocoImageFailure[] = [];
  let checked = 0;
  const order = new Map(images.map((image, index) => [image, index]));
  await eachConcurrently(images, options.concurrency ?? 8, options.signal, async (image) => {
    const path = await resolveInside(dir, image.fileName);
    if (path === null) {
      mismatched.push({ fileName: image.fileName, url: '', reason: unsafeName(image.fileName) });
    } else if (!(await isFile(path))) {
      absent.push(image);
    } else {
      const problem = await imageProblem(path, image, true);
      if (problem === null) present.push(image);
      else
        mismatched.push({
          fileName: image.fileName,
          url: '',
          reason: `A file named ${image.fileName} is already in the folder, but ${problem}; it was left as it is. Delete it (or choose another folder) to fetch the image.`,
        });
    }
    options.onChecked?.(++checked);
  });
  const inOrder = (a: ImageRecord, b: ImageRecord): number => order.get(a)! - order.get(b)!;
  return { present: present.sort(inOrder), absent: absent.sort(inOrder), mismatched };
}

export interface ImageDownloadOptions {
  baseUrl: string;
  split: string;
  /** The images folder; each file is written to `<name>.part` there and renamed when verified. */
  dir: string;
  concurrency: number;
  signal?: AbortSignal;
  /** Tries per image: a dropped connection or a file that does not verify is fetched again. */
  attempts?: number;
  /** After each image: the bytes it fetched (verified or not) and, when it was not kept, why. */
  onImage?: (outcome: { fileName: string; bytes: number; failure: CocoImageFailure | null }) => void;
}

/**
 * Fetches `images` into `dir`, `concurrency` at a time. An image is kept only when the server's
 * size (Content-Length) was received whole and it decodes to its recorded dimensions; otherwise it
 * is listed among the failures with why, and nothing is left under its name. Aborting stops every
 * fetch, removes the temporary files and throws CANCELLED; the images already verified stay.
 */
export async function downloadImages(
  images: readonly ImageRecord[],
  options: ImageDownloadOptions,
): Promise<{ downloaded: number; bytes: number; failures: CocoImageFailure[] }> {
  const failures: CocoImageFailure[] = [];
  let downloaded = 0;
  let bytes = 0;
  const attempts = options.attempts ?? 2;
  await eachConcurrently(images, options.concurrency, options.signal, async (image) => {
    const url = imageUrl(options.baseUrl, options.split, image.fileName);
    const path = await resolveInside(options.dir, image.fileName);
    if (path === null) {
      const failure = { fileName: image.fileName, url, reason: unsafeName(image.fileName) };
      failures.push(failure);
      options.onImage?.({ fileName: image.fileName, bytes: 0, failure });
      return;
    }
    const temporary = `${path}.part`;
    let reason = '';
    let fetched = 0;
    try {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const outcome = await fetchOne(url, temporary, image, options.signal);
        fetched += outcome.bytes;
        if (outcome.problem === null) {
          await rename(temporary, path);
          downloaded++;
          bytes += fetched;
          options.onImage?.({ fileName: image.fileName, bytes: fetched, failure: null });
          return;
        }
        reason = outcome.problem;
        if (!outcome.retry) break;
      }
    } finally {
      await rm(temporary, { force: true });
    }
    bytes += fetched;
    const failure = { fileName: image.fileName, url, reason };
    failures.push(failure);
    options.onImage?.({ fileName: image.fileName, bytes: fetched, failure });
  });
  return { downloaded, bytes, failures: failures.sort((a, b) => a.fileName.localeCompare(b.fileName)) };
}

/** One try at one image: its problem (null: it verified) and whether another try may help. */
async function fetchOne(
  url: string,
  temporary: string,
  image: ImageRecord,
  signal: AbortSignal | undefined,
): Promise<{ problem: string | null; retry: boolean; bytes: number }> {
  let fetched;
  try {
    fetched = await fetchToFile(url, temporary, signal);
  } catch (error) {
    const appError = AppError.from(error);
    if (appError.code === 'CANCELLED') throw appError;
    const status = typeof appError.details?.status === 'number' ? appError.details.status : null;
    // A missing file stays missing; a server error or a lost connection may not.
    return { problem: appError.message, retry: status === null || status >= 500, bytes: 0 };
  }
  if (fetched.announcedBytes !== null && fetched.bytes !== fetched.announcedBytes) {
    return {
      problem: `${url} was cut short: ${formatBytes(fetched.bytes)} of the ${formatBytes(fetched.announcedBytes)} the server announced arrived.`,
      retry: true,
      bytes: fetched.bytes,
    };
  }
  const problem = await imageProblem(temporary, image);
  return { problem: problem === null ? null : `${url} was fetched, but ${problem}.`, retry: true, bytes: fetched.bytes };
}

/** Runs `work` on every item, `concurrency` at a time; stops taking new items once `signal` aborts, then throws CANCELLED. */
async function eachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === null && !signal?.aborted) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (signal?.aborted) throw cancelled();
  if (failure !== null) throw failure instanceof Error ? failure : new Error(String(failure));
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

function unsafeName(fileName: string): string {
  return `The file name "${fileName}" would leave the images folder, so it was not fetched: the annotation file is not COCO's own.`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

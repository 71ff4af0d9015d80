import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import {
  cocoAnnotationsZipPath,
  cocoImageFailure,
  cocoSplits,
  type CocoImageFailure,
  type CocoSplit,
  type cocoContract,
} from '../../shared/contract/coco';
import type { HandlerContext, Progress, ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import { closeMatches } from '../../shared/domain/close-matches';
import { coco2017CategoryNames } from '../../shared/domain/coco-categories';
import { formatBytes } from '../../shared/domain/format';
import { createRateMeter } from '../../shared/domain/transfer-rate';
import { extractInstances, instancesInZip } from '../coco/annotations-zip';
import { downloadImages, estimatedBytes, splitPresent, type ImageRecord } from '../coco/image-download';
import { selectSubset } from '../coco/queries';
import type { Db } from '../db/connection';
import { writeFileAtomic } from '../files/atomic-file';
import { freeSpaceOf, requireFreeSpace, type FreeSpace } from '../files/free-space';
import { downloadResumable } from '../files/http-download';
import type { DatasetService } from './dataset-service';

type CocoHandlers = ServiceHandlers<typeof cocoContract>;

/** What a download folder remembers between calls (no cache table: the folder is the download's own). */
export const downloadStateFile = 'mlw-coco-download.json';

const downloadState = z.object({
  version: z.literal(1),
  splits: z.partialRecord(
    z.enum(cocoSplits),
    z.object({ baseUrl: z.string(), categories: z.array(z.string()), failures: z.array(cocoImageFailure), updatedAt: z.string() }),
  ),
});
type DownloadState = z.infer<typeof downloadState>;

export interface CocoServiceOptions {
  db: Db;
  /** Imports the extracted instances file (the Dataset service's own import, with its progress). */
  dataset: Pick<DatasetService, 'ingest'>;
  /** Free space of a disk; tests give a small one. */
  freeSpace?: FreeSpace;
  /** The pause before the annotations zip is asked for again after a dropped connection. */
  retryDelayMs?: number;
}

/** The least time between two progress reports of a download (one per chunk would flood every watcher). */
const progressIntervalMs = 200;

/**
 * Gets COCO 2017 from its publisher (or a mirror): the annotations zip, its instances file imported,
 * then only the images a category subset needs. Everything it writes is under the destination
 * folder; a second call resumes what the first left.
 */
export class CocoService implements CocoHandlers {
  constructor(private readonly options: CocoServiceOptions) {}

  download: CocoHandlers['download'] = async (input, context) => {
    const started = performance.now();
    const split = input.split;
    const dest = resolve(input.dest);
    const baseUrl = input.baseUrl.replace(/\/+$/, '');
    const categories = checkCategoryNames(input.categories ?? []);
    const freeSpace = this.options.freeSpace ?? freeSpaceOf;
    const state = await readState(dest);
    const annotationsPath = join(dest, 'annotations', `instances_${split}.json`);
    const imagesDir = join(dest, split);
    let retrying: CocoImageFailure[] | null = null;
    if (input.retryFailed) {
      retrying = state.splits[split]?.failures ?? [];
      if (!existsSync(annotationsPath)) {
        throw new AppError(
          'NOT_FOUND',
          `There is no earlier download of ${split} in ${dest} to retry. Start a download of ${split} into that folder first.`,
          { dest, split },
        );
      }
    }
    await mkdir(dest, { recursive: true });

    let bytes = 0;
    let annotationsDownloaded = false;
    if (!existsSync(annotationsPath)) {
      const fetched = await this.fetchAnnotations(baseUrl, dest, split, freeSpace, context);
      bytes += fetched;
      annotationsDownloaded = fetched > 0;
    }

    await mkdir(imagesDir, { recursive: true });
    const imported = await this.options.dataset.ingest({ path: annotationsPath, imagesDir }, context);
    const subset = categories.length === 0 ? null : selectSubset(this.options.db, imported.fileId, categories);
    const named = subset === null ? [] : subset.categories.map((category) => category.name);
    const records = imageRecords(this.options.db, imported.fileId);
    let wanted: ImageRecord[];
    if (retrying !== null) {
      const failedNames = new Set(retrying.map((failure) => failure.fileName));
      wanted = records.filter((record) => failedNames.has(record.fileName));
    } else if (subset !== null) {
      const ids = new Set(subset.merged.imageIds);
      wanted = records.filter((record) => ids.has(record.id));
    } else {
      wanted = records;
    }

    context.progress({ phase: 'Checking the images already here', done: 0, total: wanted.length, unit: 'images' });
    const throttle = throttled(context.progress);
    const { present, absent, mismatched } = await splitPresent(wanted, imagesDir, {
      signal: context.signal,
      onChecked: (done) => throttle({ phase: 'Checking the images already here', done, total: wanted.length, unit: 'images' }),
    });
    const toFetch = estimatedBytes(absent);
    await requireFreeSpace(imagesDir, toFetch, `Fetching the ${absent.length.toLocaleString('en-US')} images not yet here`, freeSpace);

    const failures: CocoImageFailure[] = [...mismatched];
    const estimateOf = new Map(absent.map((image) => [image.fileName, estimatedBytes([image])]));
    const meter = createRateMeter();
    let imageBytes = 0;
    let done = 0;
    let estimate = toFetch;
    const report = (force: boolean): void => {
      const rate = meter(imageBytes);
      const progress: Progress = {
        phase: 'Downloading images',
        done,
        total: absent.length,
        unit: 'images',
        message: [
          `${formatBytes(imageBytes)} of about ${formatBytes(estimate)}`,
          ...(rate === null ? [] : [`${formatBytes(rate)}/s`]),
          ...(failures.length > 0 ? [`${failures.length.toLocaleString('en-US')} failed`] : []),
          ...(present.length > 0 ? [`${present.length.toLocaleString('en-US')} already here`] : []),
        ].join(' · '),
        metrics: {
          bytes: imageBytes,
          estimatedBytes: estimate,
          ...(rate === null ? {} : { bytesPerSecond: rate }),
          failed: failures.length,
          alreadyPresent: present.length,
        },
      };
      if (force) context.progress(progress);
      else throttle(progress);
    };
    report(true);
    let outcome: Awaited<ReturnType<typeof downloadImages>>;
    try {
      outcome = await downloadImages(absent, {
        baseUrl,
        split,
        dir: imagesDir,
        concurrency: input.concurrency,
        signal: context.signal,
        onImage: ({ fileName, bytes: fetched, failure }) => {
          done++;
          if (failure !== null) failures.push(failure);
          imageBytes += fetched;
          // The estimate gives way to what the server sends, image by image.
          estimate += fetched - (estimateOf.get(fileName) ?? 0);
          report(done === absent.length);
        },
      });
    } finally {
      // Kept also when paused or cancelled: "retry failed" and the panel read it.
      await writeState(dest, state, split, { baseUrl, categories: named, failures: sortedFailures(failures) });
    }
    bytes += outcome.bytes;
    return {
      split,
      dest,
      annotationsPath,
      imagesDir,
      fileId: imported.fileId,
      categories: named,
      annotationsDownloaded,
      images: { wanted: wanted.length, downloaded: outcome.downloaded, alreadyPresent: present.length, failed: failures.length },
      failures: sortedFailures(failures),
      bytes,
      seconds: (performance.now() - started) / 1000,
    };
  };

  /**
   * The split's instances file into `dest/annotations`, through the annotations zip (resumed with
   * Range when a partial one is here); the zip is deleted once its instances files are out. Returns
   * the bytes fetched.
   */
  private async fetchAnnotations(
    baseUrl: string,
    dest: string,
    split: CocoSplit,
    freeSpace: FreeSpace,
    context: HandlerContext,
  ): Promise<number> {
    const zipPath = join(dest, 'annotations_trainval2017.zip');
    const url = `${baseUrl}/${cocoAnnotationsZipPath}`;
    let fetched = 0;
    if (!existsSync(zipPath)) {
      const meter = createRateMeter();
      const throttle = throttled(context.progress);
      context.progress({ phase: 'Downloading annotations', done: 0, total: 0, unit: 'bytes', message: url });
      const result = await downloadResumable(url, zipPath, {
        signal: context.signal,
        ...(this.options.retryDelayMs === undefined ? {} : { retryDelayMs: this.options.retryDelayMs }),
        beforeWrite: (remaining) => requireFreeSpace(dest, remaining, 'The annotations zip', freeSpace),
        onBytes: (done, total) => {
          const rate = meter(done);
          throttle({
            phase: 'Downloading annotations',
            done,
            total,
            unit: 'bytes',
            message: `annotations_trainval2017.zip${rate === null ? '' : ` · ${formatBytes(rate)}/s`}`,
            ...(rate === null ? {} : { metrics: { bytesPerSecond: rate } }),
          });
        },
      });
      fetched = result.fetched;
    }
    const members = await deletedIfDamaged(zipPath, () => instancesInZip(zipPath));
    if (!members.some((member) => member.name === `instances_${split}.json`)) {
      await rm(zipPath, { force: true });
      throw new AppError(
        'INVALID_INPUT',
        `The annotations zip from ${url} holds no instances_${split}.json, so it is not COCO 2017's; it was deleted. Check the base URL.`,
        { url },
      );
    }
    const outDir = join(dest, 'annotations');
    const needed = members.filter((member) => !existsSync(join(outDir, member.name))).reduce((sum, m) => sum + m.uncompressedSize, 0);
    await requireFreeSpace(dest, needed, 'Extracting the annotations', freeSpace);
    const throttle = throttled(context.progress);
    await deletedIfDamaged(zipPath, () =>
      extractInstances(zipPath, outDir, {
        signal: context.signal,
        onBytes: (done, total) => throttle({ phase: 'Extracting annotations', done, total, unit: 'bytes' }),
      }),
    );
    // Its instances files are out; the rest (captions, keypoints) is not used, and it weighs 241 MB.
    await rm(zipPath, { force: true });
    return fetched;
  }
}

/**
 * `work` on the downloaded zip; a zip found damaged (cut short, or spliced from two versions of the
 * file by a resume) is deleted, so that the next call fetches it anew.
 */
async function deletedIfDamaged<T>(zipPath: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const appError = AppError.from(error);
    const damage = appError.details?.damage;
    if (typeof damage !== 'string') throw error;
    await rm(zipPath, { force: true });
    throw new AppError(
      'INVALID_INPUT',
      `The annotations zip downloaded into ${dirname(zipPath)} was damaged (${damage}) and has been deleted. Start the download again to fetch it anew.`,
      { path: zipPath },
    );
  }
}

/** The names as given, refused with close matches when COCO 2017 has no such category, before anything is fetched. */
function checkCategoryNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((raw) => {
    const name = raw.trim();
    const known = coco2017CategoryNames.find((candidate) => candidate === name.toLowerCase());
    if (known === undefined) {
      const suggestions = closeMatches(name, coco2017CategoryNames);
      const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
      throw new AppError('INVALID_INPUT', `COCO 2017 has no category named "${name}".${hint} Nothing was downloaded.`, {
        unknown: name,
        suggestions,
      });
    }
    if (seen.has(known)) throw new AppError('INVALID_INPUT', `The category "${name}" is listed twice; name each once.`);
    seen.add(known);
    return known;
  });
}

function imageRecords(db: Db, fileId: number): (ImageRecord & { id: number })[] {
  return db
    .prepare('SELECT id, file_name AS fileName, width, height FROM images WHERE file_id = ? ORDER BY id')
    .all(fileId) as (ImageRecord & {
    id: number;
  })[];
}

async function readState(dest: string): Promise<DownloadState> {
  try {
    const parsed = downloadState.safeParse(JSON.parse(await readFile(join(dest, downloadStateFile), 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // none yet, or damaged: a download starts without remembered failures
  }
  return { version: 1, splits: {} };
}

async function writeState(
  dest: string,
  state: DownloadState,
  split: CocoSplit,
  entry: { baseUrl: string; categories: string[]; failures: CocoImageFailure[] },
): Promise<void> {
  const next: DownloadState = { ...state, splits: { ...state.splits, [split]: { ...entry, updatedAt: new Date().toISOString() } } };
  await writeFileAtomic(join(dest, downloadStateFile), `${JSON.stringify(next, null, 2)}\n`);
}

function sortedFailures(failures: readonly CocoImageFailure[]): CocoImageFailure[] {
  return [...failures].sort((a, b) => a.fileName.localeCompare(b.fileName));
}

/** Passes progress on at most every `progressIntervalMs`, and always when a phase ends. */
function throttled(progress: (p: Progress) => void): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (now - last < progressIntervalMs && !(p.total > 0 && p.done >= p.total)) return;
    last = now;
    progress(p);
  };
}

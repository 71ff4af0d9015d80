/**
 * The measured side of `npm run bench:ingest`. The bench bundles this file and runs each mode in a
 * fresh Node process, so peak RSS (`process.resourceUsage().maxRSS`) belongs to that one job alone.
 * Each mode prints exactly one JSON line on stdout; anything else goes to stderr.
 *
 *   ingest <cacheDir> <file>      import into an empty cache, as the app does on first open
 *   stats <cacheDir> <fileId>     open the existing cache and run the subset statistics query
 *   phases <file>                 diagnostics: time reading, hashing and parsing without SQLite
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { openCache } from '../src/main/db/connection';
import { CocoJsonReader, type CocoSink } from '../src/main/coco/coco-json-reader';
import { ingestCocoFile } from '../src/main/coco/ingest';
import { subsetStats } from '../src/main/coco/queries';
import { referenceExampleCategories } from '../src/shared/domain/presets';

export interface IngestFigures {
  /** Wall time of ingestCocoFile alone. */
  seconds: number;
  /** Seconds from the start until the ingest reported its final phase ("Indexing labels"): read, parse and row inserts. */
  streamingSeconds: number | null;
  /** The rest: flushing batches, checking references, writing categories and image labels, and COMMIT. */
  finishSeconds: number | null;
  openCacheSeconds: number;
  closeSeconds: number;
  images: number;
  annotations: number;
  categories: number;
  fileId: number;
  cached: boolean;
  startRssMB: number;
  maxRssMB: number;
  userCpuSeconds: number;
  systemCpuSeconds: number;
}

export interface StatsFigures {
  openCacheMs: number;
  /** The first subsetStats call in the process: what a freshly started app waits for. */
  queryMs: number;
  /** The same call again, with statements and pages warm. */
  repeatMs: number;
  images: number;
  meanLabelsPerImage: number;
  maxRssMB: number;
}

export interface PhaseFigures {
  /** Reading the file in 4 MiB chunks, exactly as the ingest does. */
  readSeconds: number;
  readHashSeconds: number;
  /** Read + CocoJsonReader with a sink that keeps nothing. */
  readParseSeconds: number;
  records: { images: number; annotations: number; categories: number };
}

const mib = 1024 * 1024;
const chunkBytes = 4 * mib;

function emit(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function maxRssMB(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

async function ingest(cacheDir: string, file: string): Promise<IngestFigures> {
  const startRssMB = round(process.memoryUsage().rss / mib, 1);
  const opening = performance.now();
  const db = openCache(cacheDir);
  const started = performance.now();
  let indexingAt: number | null = null;
  const result = await ingestCocoFile(db, file, {
    // The app always listens to progress; the final phase's timestamp splits streaming from finishing.
    onProgress: (progress) => {
      if (progress.phase === 'Indexing labels') indexingAt = performance.now();
    },
  });
  const ended = performance.now();
  db.close();
  const closed = performance.now();
  const usage = process.resourceUsage();
  const streamingAt: number | null = indexingAt;
  return {
    seconds: round((ended - started) / 1000, 3),
    streamingSeconds: streamingAt === null ? null : round((streamingAt - started) / 1000, 3),
    finishSeconds: streamingAt === null ? null : round((ended - streamingAt) / 1000, 3),
    openCacheSeconds: round((started - opening) / 1000, 3),
    closeSeconds: round((closed - ended) / 1000, 3),
    images: result.images,
    annotations: result.annotations,
    categories: result.categories,
    fileId: result.fileId,
    cached: result.cached,
    startRssMB,
    maxRssMB: maxRssMB(),
    userCpuSeconds: round(usage.userCPUTime / 1e6, 2),
    systemCpuSeconds: round(usage.systemCPUTime / 1e6, 2),
  };
}

function stats(cacheDir: string, fileId: number): StatsFigures {
  const opening = performance.now();
  const db = openCache(cacheDir);
  const opened = performance.now();
  const result = subsetStats(db, fileId, referenceExampleCategories);
  const first = performance.now();
  subsetStats(db, fileId, referenceExampleCategories);
  const second = performance.now();
  db.close();
  return {
    openCacheMs: round(opened - opening, 1),
    queryMs: round(first - opened, 1),
    repeatMs: round(second - first, 1),
    images: result.images,
    meanLabelsPerImage: round(result.labelsPerImage.mean, 3),
    maxRssMB: maxRssMB(),
  };
}

/** Reads the whole file the way ingestCocoFile does, handing each chunk to `each`. */
async function timeRead(file: string, each: (chunk: Buffer) => void): Promise<number> {
  const started = performance.now();
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      each(bytesRead === chunkBytes ? chunk : chunk.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return round((performance.now() - started) / 1000, 3);
}

async function phases(file: string): Promise<PhaseFigures> {
  const readSeconds = await timeRead(file, () => {});
  const hash = createHash('sha256');
  const readHashSeconds = await timeRead(file, (chunk) => hash.update(chunk));
  const sink: CocoSink = { image: () => {}, annotation: () => {}, category: () => {} };
  const reader = new CocoJsonReader(sink);
  const readParseSeconds = await timeRead(file, (chunk) => reader.push(chunk));
  const records = reader.finish();
  return { readSeconds, readHashSeconds, readParseSeconds, records };
}

async function main(argv: readonly string[]): Promise<void> {
  const [mode, a, b] = argv;
  if (mode === 'ingest' && a !== undefined && b !== undefined) return emit(await ingest(a, b));
  if (mode === 'stats' && a !== undefined && b !== undefined) return emit(stats(a, Number(b)));
  if (mode === 'phases' && a !== undefined) return emit(await phases(a));
  throw new Error('usage: ingest-child (ingest CACHE_DIR FILE | stats CACHE_DIR FILE_ID | phases FILE)');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

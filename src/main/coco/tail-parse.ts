import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/contract/errors';
import { CocoJsonReader, isWs, type TailSummary } from './coco-json-reader';
import { CocoRecords, type RecordsPart } from './coco-records';

/**
 * The second half of a large import, read on another thread while the import's own thread reads
 * the first (a 447 MB train2017 file: about 0.9 s of parsing shared by two cores).
 *
 * The tail's reader starts at the first place after `from` that looks like the start of an element
 * of the "annotations" list (`}` `,` `{` but for whitespace) and parses from there to the end of the
 * file. That guess is only taken once the import's own reader, stopped exactly there, confirms it
 * is between two annotations (`CocoJsonReader.atAnnotationElement`); otherwise, or when the tail
 * fails for any reason (a damaged file among them), the import reads on by itself and reports what
 * it finds with its usual message. Either way the records are those of one sequential read.
 */

/** What the tail's thread says, in order: where it starts (or that it could not), progress, the end. */
export type TailMessage =
  | { type: 'start'; offset: number }
  | { type: 'progress'; bytes: number }
  | { type: 'done'; part: RecordsPart; summary: TailSummary; end: number }
  | { type: 'failed'; reason: string };

export interface TailRead {
  /** Where the tail's read began in the file (an element's `{`). */
  offset: number;
  /** Where it ended: the file's size when nothing was added to the file meanwhile. */
  end: number;
  part: RecordsPart;
  summary: TailSummary;
}

/**
 * Candidate starts tried in the first chunk before the tail gives up. A wrong one usually fails at
 * its first element (an image record lacks "image_id"), so trying many costs little.
 */
const maxCandidates = 4096;

/**
 * The tail's work, on whichever thread calls it: reads `path` from `from` to the end, reporting
 * through `send`. Synchronous reads: this thread has nothing else to do meanwhile.
 */
export function parseTail(path: string, from: number, send: (message: TailMessage) => void, chunkBytes = 4 * 1024 * 1024): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    let position = from;
    let bytes = readSync(fd, chunk, 0, chunkBytes, position);
    const first = chunk.subarray(0, bytes);
    const begun = beginTail(first, from);
    if (begun === null) return send({ type: 'failed', reason: `no annotation starts in the ${first.length} bytes after offset ${from}` });
    send({ type: 'start', offset: begun.offset });
    const { reader, records } = begun;
    position += bytes;
    let lastProgress = performance.now();
    for (;;) {
      bytes = readSync(fd, chunk, 0, chunkBytes, position);
      if (bytes === 0) break;
      reader.push(bytes === chunkBytes ? chunk : chunk.subarray(0, bytes));
      position += bytes;
      const now = performance.now();
      if (now - lastProgress >= 100) {
        lastProgress = now;
        send({ type: 'progress', bytes: position - from });
      }
    }
    const summary = reader.finishTail();
    send({ type: 'done', part: records.toPart(), summary, end: position });
  } catch (error) {
    send({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
  } finally {
    closeSync(fd);
  }
}

/**
 * The first candidate start in `chunk` (which begins at file offset `from`) whose reader gets
 * through the rest of the chunk without an error, with that reader and what it has read.
 */
function beginTail(chunk: Buffer, from: number): { offset: number; reader: CocoJsonReader; records: CocoRecords } | null {
  let tried = 0;
  for (let at = chunk.indexOf(0x7b); at >= 0 && tried < maxCandidates; at = chunk.indexOf(0x7b, at + 1)) {
    if (!followsElementEnd(chunk, at)) continue;
    tried++;
    const records = new CocoRecords();
    const reader = CocoJsonReader.insideAnnotations(records, from + at);
    try {
      reader.push(chunk.subarray(at));
      return { offset: from + at, reader, records };
    } catch {
      // Not an element of the annotations list after all (a brace inside a string, say): the next.
    }
  }
  return null;
}

/** Whether the `{` at `at` is preceded by `}` and `,` (whitespace aside), as the start of a list's next object is. */
function followsElementEnd(chunk: Buffer, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && isWs(chunk[i]!)) i--;
  if (i < 0 || chunk[i] !== 0x2c) return false;
  i--;
  while (i >= 0 && isWs(chunk[i]!)) i--;
  return i >= 0 && chunk[i] === 0x7d;
}

/** The tail read on a worker thread: its start, its progress and its records. */
export class TailParse {
  /** Where the tail began, or null when it could not. */
  readonly start: Promise<number | null>;
  /** The tail's records, or null when it failed (the import then reads on by itself). */
  readonly result: Promise<TailRead | null>;
  private readonly worker: Worker;
  private bytes = 0;
  private listener: ((bytes: number) => void) | null = null;

  constructor(
    path: string,
    readonly from: number,
    startWorker: (data: { path: string; from: number }) => Worker = startTailWorker,
  ) {
    this.worker = startWorker({ path, from });
    let resolveStart: (offset: number | null) => void = () => undefined;
    this.start = new Promise((resolve) => (resolveStart = resolve));
    let offset: number | null = null;
    this.result = new Promise((resolve) => {
      const settle = (read: TailRead | null): void => {
        resolveStart(offset);
        resolve(read);
      };
      this.worker.on('message', (message: TailMessage) => {
        if (message.type === 'start') {
          offset = message.offset;
          resolveStart(offset);
        } else if (message.type === 'progress') {
          this.bytes = message.bytes;
          this.listener?.(this.bytes);
        } else if (message.type === 'done' && offset !== null) {
          settle({ offset, end: message.end, part: message.part, summary: message.summary });
        } else {
          settle(null);
        }
      });
      this.worker.on('error', () => settle(null));
      this.worker.on('exit', () => settle(null));
    });
  }

  /** Bytes the tail has read so far, and a callback for each report. */
  onProgress(listener: (bytes: number) => void): void {
    this.listener = listener;
  }

  get bytesRead(): number {
    return this.bytes;
  }

  /** Stops the thread (its records, if any, are dropped). */
  async stop(): Promise<void> {
    this.listener = null;
    await this.worker.terminate();
  }
}

/** The worker's entry: the bundled `tail-parse-worker` (see `tailWorkerFile`), or the TypeScript source through tsx. */
function startTailWorker(workerData: { path: string; from: number }): Worker {
  return new Worker(tailWorkerFile(fileURLToPath(import.meta.url), existsSync), { workerData });
}

/**
 * Where the worker's file is for this module at `here`: beside the TypeScript source, the tsx
 * starter; in a bundle, `tail-parse-worker` beside it or, where the bundler put this module in a
 * chunks folder (electron-vite's main bundle), one folder up.
 */
export function tailWorkerFile(here: string, exists: (path: string) => boolean): string {
  if (here.endsWith('.ts')) return join(dirname(here), 'tail-parse-worker-tsx.mjs');
  for (const dir of [dirname(here), dirname(dirname(here))]) {
    for (const name of ['tail-parse-worker.mjs', 'tail-parse-worker.js']) {
      if (exists(join(dir, name))) return join(dir, name);
    }
  }
  throw new AppError('INTERNAL', `The import's worker is missing beside ${here}; rebuild with "npm run build".`);
}

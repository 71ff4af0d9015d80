import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Progress } from '../../shared/contract/define';
import { AppError, cancelled, unlessAborted } from '../../shared/contract/errors';
import type { IngestResult } from '../../shared/contract/dataset';
import type { Db } from '../db/connection';
import { LabelsStore } from '../db/labels-store';
import { CocoJsonReader } from './coco-json-reader';
import { CacheWriter } from './cache-writer';
import { CocoRecords } from './coco-records';
import { sha256OfFileOnThread } from './file-digest';
import { TailParse, type TailRead } from './tail-parse';
import { fileRowToImported, type FileRow } from './queries';

export interface IngestOptions {
  imagesDir?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
  /** Bytes per read; large reads keep the per-chunk overhead negligible. */
  chunkBytes?: number;
  /** The least time between two progress reports. */
  progressIntervalMs?: number;
  /**
   * Files of this size or more are read by two threads (see tail-parse.ts); below 64 MiB starting
   * the second thread costs about what it saves.
   */
  parallelFromBytes?: number;
  /**
   * How a file read by two threads was shared: where the second thread was asked to begin, where
   * it began (null: nowhere), and whether its records were taken. For logs and tests.
   */
  onSplit?: (split: { from: number; offset: number | null; taken: boolean }) => void;
}

/**
 * Imports a COCO instances file into the cache in one transaction. A file whose path, size and
 * modification time are unchanged since its last import returns at once. A failed or cancelled
 * import rolls back and leaves the cache exactly as it was.
 */
export async function ingestCocoFile(db: Db, filePath: string, options: IngestOptions = {}): Promise<IngestResult> {
  const path = resolve(filePath);
  const info = await statFile(path);
  const existing = db.prepare('SELECT * FROM annotation_files WHERE path = ?').get(path) as FileRow | undefined;
  const imagesDir = options.imagesDir === undefined ? (existing?.images_dir ?? null) : resolve(options.imagesDir);
  if (existing && existing.size_bytes === info.size && existing.mtime_ms === info.mtimeMs) {
    if (imagesDir !== existing.images_dir) {
      db.prepare('UPDATE annotation_files SET images_dir = ? WHERE id = ?').run(imagesDir, existing.id);
    }
    const row = db.prepare('SELECT * FROM annotation_files WHERE id = ?').get(existing.id) as FileRow;
    return { ...fileRowToImported(row), cached: true };
  }

  const started = performance.now();
  const collected = new CocoRecords();
  const writer = new CacheWriter(db, collected);
  const reader = new CocoJsonReader(collected);
  // The digest is computed on another thread while this one parses; stopped if the import fails.
  const stopHashing = new AbortController();
  const digest = sha256OfFileOnThread(path, AbortSignal.any([stopHashing.signal, ...(options.signal ? [options.signal] : [])]));
  digest.catch(() => undefined);
  // The commit would otherwise also copy ~100 MB from the WAL into the database before returning;
  // the copy happens later, when a connection next checkpoints or the last one closes.
  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  let handle: FileHandle | undefined;
  /** The read in flight, settled before the file is closed. */
  let next: Promise<Buffer> | undefined;
  let committed = false;
  try {
    handle = await open(path, 'r');
    db.pragma('wal_autocheckpoint = 0');
    // Rows go in in key order, so a small page cache does as well as a large one, for 50 MB less
    // memory: pages that do not fit go to the WAL before the commit rather than at it.
    db.pragma('cache_size = -16384');
    beginWrite(db);
    const fileId = writer.begin(existing?.id ?? null);
    const { counts, bytesRead } = await readRecords(handle, path, info.size, reader, collected, options, (read) => (next = read));
    // The last phase has no measure of its own: an indeterminate bar.
    options.onProgress?.({ phase: 'Indexing labels', done: 0, total: 0 });
    if (options.signal?.aborted) throw cancelled();
    writer.finish();
    const sha256 = await digest;
    await requireUnchanged(path, info, bytesRead);
    const seconds = (performance.now() - started) / 1000;
    db.prepare(
      `INSERT INTO annotation_files (id, path, images_dir, size_bytes, mtime_ms, sha256, imported_at, image_count, annotation_count, category_count, seconds)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      fileId,
      path,
      imagesDir,
      info.size,
      info.mtimeMs,
      sha256,
      new Date().toISOString(),
      counts.images,
      counts.annotations,
      counts.categories,
      seconds,
    );
    // The label edits of the previous import follow the file to its new id, in the same transaction.
    const carried = existing === undefined ? null : LabelsStore.of(db).carryOver(existing.id, fileId);
    db.exec('COMMIT');
    committed = true;
    const row = db.prepare('SELECT * FROM annotation_files WHERE id = ?').get(fileId) as FileRow;
    const labelEdits =
      carried === null || carried.carried + carried.notCarried.length === 0
        ? {}
        : {
            labelEdits: {
              carried: carried.carried,
              notCarried: carried.notCarried.map((e) => ({
                imageId: e.imageId,
                fileName: e.fileName,
                category: e.categoryName,
                present: e.present,
              })),
            },
          };
    return { ...fileRowToImported(row), cached: false, ...labelEdits };
  } finally {
    stopHashing.abort();
    if (!committed && db.inTransaction) db.exec('ROLLBACK');
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    db.pragma(`cache_size = ${cacheSize}`);
    await next?.catch(() => undefined);
    await handle?.close();
  }
}

/**
 * The file was read twice (parsed here, hashed on another thread): both readings are the same
 * bytes only if nothing wrote to it meanwhile.
 */
async function requireUnchanged(path: string, before: { size: number; mtimeMs: number }, bytesRead: number): Promise<void> {
  const after = await statFile(path);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || bytesRead !== before.size) {
    throw new AppError(
      'INVALID_INPUT',
      `${path} changed while it was being imported. Wait until whatever is writing it (a download, an editor) has finished, then import it again.`,
      { path },
    );
  }
}

/**
 * Reads the whole file into `reader` (and its records into `collected`). This thread reads from
 * the start; for a large file, another thread reads from the middle on (tail-parse.ts), and its
 * records are taken once this thread's reader, stopped where the other began, confirms that place.
 * Reads are double-buffered: the next chunk is read on libuv's thread pool while this thread parses
 * the last one (the reader copies what it keeps between chunks, so a buffer can be read into again).
 * `track` is given each read in flight, to be settled before the file is closed.
 */
async function readRecords(
  handle: FileHandle,
  path: string,
  size: number,
  reader: CocoJsonReader,
  collected: CocoRecords,
  options: IngestOptions,
  track: (read: Promise<Buffer>) => void,
): Promise<{ counts: { images: number; annotations: number; categories: number }; bytesRead: number }> {
  const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)] as const;
  const readInto = (buffer: Buffer): Promise<Buffer> =>
    handle.read(buffer, 0, chunkBytes, null).then(({ bytesRead }) => buffer.subarray(0, bytesRead));
  let tail = size >= (options.parallelFromBytes ?? 64 * 1024 * 1024) ? startTail(path, Math.floor(size / 2)) : null;
  let done = 0;
  let lastProgress = 0;
  const report = (): void => {
    const now = performance.now();
    if (!options.onProgress || now - lastProgress < (options.progressIntervalMs ?? 100)) return;
    lastProgress = now;
    // Image records read slower per byte than the polygon-heavy annotations after them: the pace
    // of the file's head does not predict the rest.
    const estimable = reader.currentSection !== 'images';
    options.onProgress({ phase: 'Reading annotations', done: done + (tail?.bytesRead ?? 0), total: size, unit: 'bytes', estimable });
  };
  tail?.onProgress(report);
  try {
    let next = readInto(buffers[0]);
    track(next);
    for (let k = 1; ; k++) {
      let chunk = await next;
      if (chunk.length === 0) break;
      if (options.signal?.aborted) throw cancelled();
      next = readInto(buffers[k % 2]!);
      track(next);
      if (tail !== null && done + chunk.length >= tail.from) {
        const start = await unlessAborted(tail.start, options.signal);
        // The tail's place is known, and in this chunk (or it found none): decide now.
        if (start === null || start <= done + chunk.length) {
          let taken: TailRead | null = null;
          if (start !== null) {
            reader.push(chunk.subarray(0, start - done));
            chunk = chunk.subarray(start - done);
            done = start;
            taken = reader.atAnnotationElement() ? await unlessAborted(tail.result, options.signal) : null;
            // A list both parts read ("images" twice, say) is reported by this thread, with its offset.
            if (taken !== null && !reader.canAdopt(taken.summary)) taken = null;
          }
          options.onSplit?.({ from: tail.from, offset: start, taken: taken !== null });
          if (taken !== null) {
            const counts = reader.adoptTail(taken.summary);
            collected.append(taken.part);
            return { counts, bytesRead: taken.end };
          }
          // The tail's place was not confirmed, or it failed: this thread reads on by itself.
          await tail.stop();
          tail = null;
        }
      }
      reader.push(chunk);
      done += chunk.length;
      report();
    }
    return { counts: reader.finish(), bytesRead: done };
  } finally {
    await tail?.stop();
  }
}

/** The second reader thread, or null when it cannot start (a build without its file): one thread then reads it all. */
function startTail(path: string, from: number): TailParse | null {
  try {
    return new TailParse(path, from);
  } catch {
    return null;
  }
}

/** Starts the import's write transaction; another writer on the cache becomes a sentence, not a crash. */
function beginWrite(db: Db): void {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new AppError('INVALID_INPUT', `Another import is writing to the cache at ${db.name}. Wait for it to finish, then try again.`);
    }
    throw error;
  }
}

async function statFile(path: string): Promise<{ size: number; mtimeMs: number }> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new AppError(
        'INVALID_INPUT',
        `${path} is a folder, not a file. Choose the annotation JSON file inside it, such as annotations/instances_train2017.json.`,
      );
    }
    return { size: info.size, mtimeMs: Math.floor(info.mtimeMs) };
  } catch (error) {
    if (error instanceof AppError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new AppError(
        'NOT_FOUND',
        `There is no file at ${path}. Check the path, or download the COCO annotations first (see the README).`,
        { path },
      );
    if (code === 'EACCES') throw new AppError('INVALID_INPUT', `${path} cannot be read: permission denied.`, { path });
    throw error;
  }
}

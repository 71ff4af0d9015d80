import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError, cancelled } from '../../shared/contract/errors';
import { formatBytes } from '../../shared/domain/format';

// Downloads over fetch, for the COCO files and the backbone weights alike: a file takes its name only
// when complete (and accepted by its caller's check), a partial one resumes with an HTTP Range
// request, and every failure is a sentence with the address.

export interface ResumableDownloadOptions {
  signal?: AbortSignal;
  /** Bytes in the file so far (those of earlier calls included) and the file's size (0: unknown). */
  onBytes?: (done: number, total: number) => void;
  /**
   * Answers made before the first byte is written: the bytes still to come and the whole size
   * (0: unknown). It may refuse (a disk too full) by throwing; the partial file stays as it was.
   */
  beforeWrite?: (remainingBytes: number, totalBytes: number) => Promise<void>;
  /** Requests per call: a dropped connection is resumed with Range up to this many times in all. */
  attempts?: number;
  /** The pause before a request that follows a dropped one, times the number of drops so far. */
  retryDelayMs?: number;
  /**
   * Checks the whole file (at `path`, still under its `.part` name) before it takes its name, such
   * as against a pinned digest. A refusal deletes the file, since resuming a whole file would only
   * give the same bytes again, and is thrown as it is.
   */
  verify?: (path: string) => Promise<void>;
  /** What the sentence for an HTTP 404 or 410 advises: the caller knows where the address came from. */
  notFoundHint?: string;
}

export interface ResumableDownloadResult {
  /** The file's size. */
  size: number;
  /** Bytes fetched by this call. */
  fetched: number;
  /** Whether this call continued a partial file (of an earlier call, or after a drop in this one). */
  resumed: boolean;
}

/**
 * Downloads `url` to `dest` through `dest.part`. A partial file left by an earlier call (paused,
 * cancelled, cut off) is continued with `Range: bytes=N-`; a dropped connection is resumed the same
 * way within the call. A server that ignores the range sends the whole file again, which replaces
 * the partial one. `dest` appears only when the file is whole: as long as the server said.
 */
export async function downloadResumable(
  url: string,
  dest: string,
  options: ResumableDownloadOptions = {},
): Promise<ResumableDownloadResult> {
  const part = `${dest}.part`;
  const attempts = options.attempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  await mkdir(dirname(dest), { recursive: true });
  let fetched = 0;
  let resumed = false;
  let checked = false;
  let lastFailure: AppError | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (options.signal?.aborted) throw cancelled();
    if (attempt > 1) await delay(retryDelayMs * (attempt - 1), options.signal);
    let existing = await sizeOf(part);
    const response = await request(url, existing > 0 ? { range: `bytes=${existing}-` } : {}, options.signal);
    let total: number;
    if (response.status === 416 && existing > 0) {
      await response.body?.cancel();
      // The partial file may already be whole: the server says its size as "bytes */N".
      const size = Number(/\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1] ?? NaN);
      if (size === existing) {
        await complete(part, dest, options.verify);
        return { size, fetched, resumed: true };
      }
      await rm(part, { force: true });
      continue;
    }
    if (response.status === 206 && existing > 0) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
      if (range === null || Number(range[1]) !== existing) {
        // Not the part asked for: start again from the first byte rather than splice a wrong one in.
        await response.body?.cancel();
        await rm(part, { force: true });
        continue;
      }
      resumed = true;
      total = range[3] === '*' ? existing + contentLength(response) : Number(range[3]);
    } else if (response.ok && response.status !== 206) {
      existing = 0;
      total = contentLength(response);
    } else {
      await response.body?.cancel();
      throw httpError(url, response, options.notFoundHint);
    }
    if (!checked) {
      checked = true;
      try {
        await options.beforeWrite?.(Math.max(0, total - existing), total);
      } catch (error) {
        await response.body?.cancel();
        throw error;
      }
    }
    const written = await writeBody(response, part, existing > 0 ? 'a' : 'w', existing, total, options);
    fetched += written.bytes;
    if (written.error === null && (total === 0 || written.done === total)) {
      await complete(part, dest, options.verify);
      return { size: written.done, fetched, resumed };
    }
    if (written.done > total && total > 0) {
      await rm(part, { force: true });
      throw new AppError(
        'NETWORK',
        `${url} sent more than the ${formatBytes(total)} it announced; the partial file was deleted. Try again later.`,
        { url },
      );
    }
    lastFailure = new AppError(
      'NETWORK',
      `The download of ${url} stopped after ${formatBytes(written.done)}${total > 0 ? ` of ${formatBytes(total)}` : ''}${written.error === null ? '' : `: ${written.error}`}. Start it again to resume where it stopped.`,
      { url, bytes: written.done },
    );
  }
  throw lastFailure ?? new AppError('NETWORK', `${url} could not be downloaded whole. Start it again to resume where it stopped.`, { url });
}

export interface FetchedFile {
  /** Bytes written to the file. */
  bytes: number;
  /** What the server announced (Content-Length), or null when it did not say. */
  announcedBytes: number | null;
}

/**
 * Fetches `url` into `path` (created or replaced), streaming. A dropped connection does not throw:
 * the caller compares `bytes` with `announcedBytes`. An HTTP error or an unreachable server throws
 * NETWORK (with the status in `details.status`), and an abort CANCELLED.
 */
export async function fetchToFile(url: string, path: string, signal?: AbortSignal): Promise<FetchedFile> {
  const response = await request(url, {}, signal);
  if (!response.ok) {
    await response.body?.cancel();
    throw httpError(url, response);
  }
  const announced = response.headers.get('content-length');
  const written = await writeBody(response, path, 'w', 0, 0, signal ? { signal } : {});
  return { bytes: written.done, announcedBytes: announced === null ? null : Number(announced) };
}

/** Gives the whole file at `part` its name `dest`, once `verify` (if any) accepts it; a refusal deletes it. */
async function complete(part: string, dest: string, verify: ResumableDownloadOptions['verify']): Promise<void> {
  try {
    await verify?.(part);
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
  await rename(part, dest);
}

async function request(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Response> {
  try {
    // identity: a compressed answer's Content-Length would not be the size of the file.
    return await fetch(url, { headers: { 'accept-encoding': 'identity', ...headers }, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw cancelled();
    throw new AppError(
      'NETWORK',
      `${url} could not be reached: ${reasonOf(error)}. Check the internet connection (and the address), then start again.`,
      { url },
    );
  }
}

/** Streams the body into `path`; a dropped connection ends the write with its reason instead of throwing. */
async function writeBody(
  response: Response,
  path: string,
  flags: 'a' | 'w',
  existing: number,
  total: number,
  options: Pick<ResumableDownloadOptions, 'signal' | 'onBytes'>,
): Promise<{ done: number; bytes: number; error: string | null }> {
  const handle = await open(path, flags);
  let done = existing;
  let error: string | null = null;
  try {
    if (response.body !== null) {
      const reader = response.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (readError) {
          if (options.signal?.aborted) throw cancelled();
          error = reasonOf(readError);
          break;
        }
        if (chunk.done) break;
        await handle.write(chunk.value);
        done += chunk.value.length;
        options.onBytes?.(done, total);
      }
    }
  } finally {
    await handle.close();
  }
  return { done, bytes: done - existing, error };
}

function contentLength(response: Response): number {
  const value = Number(response.headers.get('content-length') ?? 0);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function httpError(url: string, response: Response, notFoundHint = 'The server does not have it: check the base URL.'): AppError {
  const hint =
    response.status === 404 || response.status === 410
      ? notFoundHint
      : response.status >= 500
        ? 'The server has a problem; try again later.'
        : 'Check the address.';
  return new AppError(
    'NETWORK',
    `${url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}. ${hint}`,
    {
      url,
      status: response.status,
    },
  );
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (info) => info.size,
    () => 0,
  );
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The lowest-level reason a request failed ("other side closed"), not fetch's generic "fetch failed". */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}

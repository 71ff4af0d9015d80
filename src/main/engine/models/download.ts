import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Progress } from '../../../shared/contract/define';
import { AppError, cancelled } from '../../../shared/contract/errors';
import { formatBytes } from '../../../shared/domain/format';
import { isPlainRelativeName } from '../../files/inside-folder';

export interface DownloadOptions {
  /** The expected SHA-256 of the file; when given, a mismatch deletes the download. */
  sha256?: string;
  /** The expected MD5, for publishers that pin only that (Keras's WEIGHTS_HASHES); a mismatch deletes the download. */
  md5?: string;
  signal?: AbortSignal;
  onBytes?: (done: number, total: number) => void;
}

export interface DownloadResult {
  bytes: number;
  /** Of what was downloaded, whether or not a digest was expected: callers record it. */
  sha256: string;
  md5: string;
  resumed: boolean;
}

/**
 * Downloads `url` to `dest` through `dest.part`, resuming a previous partial download with an
 * HTTP Range request. The file appears at `dest` only when complete (and verified).
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  let existing = await stat(part).then(
    (s) => s.size,
    () => 0,
  );
  let response: Response;
  try {
    response = await fetch(url, {
      headers: existing > 0 ? { range: `bytes=${existing}-` } : {},
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw cancelled();
    throw new AppError(
      'NETWORK',
      `${url} could not be reached: ${reason(error)}. Check the internet connection and run the download again.`,
      { url },
    );
  }
  let resumed = false;
  let total: number;
  if (response.status === 416 && existing > 0) {
    // The partial file is already whole.
    total = existing;
    await response.body?.cancel();
  } else if (response.status === 206 && existing > 0) {
    resumed = true;
    total = existing + Number(response.headers.get('content-length') ?? 0);
  } else if (response.ok) {
    existing = 0;
    total = Number(response.headers.get('content-length') ?? 0);
  } else {
    await response.body?.cancel();
    throw new AppError(
      'NETWORK',
      `${url} answered HTTP ${response.status} ${response.statusText}. The file may have moved; see the README for where to get it.`,
      { url, status: response.status },
    );
  }

  const hash = createHash('sha256');
  // MD5 is weak against a forger, but it is the digest Keras publishes; it still catches a damaged download.
  const md5Hash = createHash('md5');
  if (existing > 0) {
    for await (const chunk of createReadStream(part)) {
      hash.update(chunk as Buffer);
      md5Hash.update(chunk as Buffer);
    }
  }
  const handle = await open(part, existing > 0 ? 'a' : 'w');
  let done = existing;
  try {
    if (response.status !== 416 && response.body) {
      const reader = response.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (options.signal?.aborted) throw cancelled();
          throw new AppError(
            'NETWORK',
            `The download of ${url} stopped after ${formatBytes(done)}${total ? ` of ${formatBytes(total)}` : ''}: ${reason(error)}. Run it again to resume where it stopped.`,
            { url, bytes: done },
          );
        }
        if (chunk.done) break;
        await handle.write(chunk.value);
        hash.update(chunk.value);
        md5Hash.update(chunk.value);
        done += chunk.value.length;
        options.onBytes?.(done, total);
      }
    }
  } finally {
    await handle.close();
  }
  if (total > 0 && done < total) {
    throw new AppError(
      'NETWORK',
      `The download of ${url} ended early (${formatBytes(done)} of ${formatBytes(total)}). Run it again to resume.`,
      { url, bytes: done },
    );
  }
  const digest = hash.digest('hex');
  const md5 = md5Hash.digest('hex');
  for (const [name, expected, actual] of [
    ['SHA-256', options.sha256, digest],
    ['MD5', options.md5, md5],
  ] as const) {
    if (expected !== undefined && actual !== expected.toLowerCase()) {
      await rm(part, { force: true });
      throw new AppError(
        'INVALID_INPUT',
        `The file downloaded from ${url} does not match its pinned ${name} (expected ${expected}, got ${actual}); it was deleted. Try again; if it keeps happening, the source has changed.`,
        { url, digest: name, expected, actual },
      );
    }
  }
  await rename(part, dest);
  return { bytes: done, sha256: digest, md5, resumed };
}

/** Where a download records what it fetched: `SOURCE` (the URL) and `SHA256SUMS` (sha256sum's format). */
async function recordSource(dir: string, url: string, sha256: Record<string, string>): Promise<void> {
  await writeFile(join(dir, 'SOURCE'), `${url}\n`);
  await writeFile(
    join(dir, 'SHA256SUMS'),
    Object.entries(sha256)
      .map(([file, digest]) => `${digest}  ${file}\n`)
      .join(''),
  );
}

/**
 * Downloads one weights file (a Keras .h5) into `destDir` as `fileName`, resuming an interrupted
 * download, checking it against the pinned digests, and recording its URL and SHA-256 beside it.
 */
export async function downloadWeightsFile(
  url: string,
  destDir: string,
  options: {
    fileName: string;
    md5?: string;
    sha256?: string;
    signal?: AbortSignal;
    onProgress?: (progress: Progress) => void;
  },
): Promise<{ files: number; bytes: number; sha256: Record<string, string> }> {
  const result = await downloadFile(url, join(destDir, options.fileName), {
    ...(options.md5 ? { md5: options.md5 } : {}),
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onBytes: (done, total) =>
      options.onProgress?.({
        phase: 'Downloading weights',
        done,
        total,
        unit: 'bytes',
        message: total ? `${options.fileName}: ${formatBytes(done)} of ${formatBytes(total)}` : options.fileName,
      }),
  });
  const sha256 = { [options.fileName]: result.sha256 };
  await recordSource(destDir, url, sha256);
  return { files: 1, bytes: result.bytes, sha256 };
}

/**
 * Downloads a TensorFlow.js Layers model (`model.json` and the shards it lists) into `destDir`,
 * through a sibling `.partial` folder that becomes `destDir` only when every file is complete and
 * verified. Interrupted downloads resume file by file.
 */
export async function downloadLayersModel(
  modelJsonUrl: string,
  destDir: string,
  options: { checksums?: Record<string, string>; signal?: AbortSignal; onProgress?: (progress: Progress) => void } = {},
): Promise<{ files: number; bytes: number; sha256: Record<string, string> }> {
  const staging = `${destDir}.partial`;
  await mkdir(staging, { recursive: true });
  const common = { ...(options.signal ? { signal: options.signal } : {}) };
  const modelJson = await downloadFile(modelJsonUrl, join(staging, 'model.json.download'), {
    ...common,
    ...(options.checksums?.['model.json'] ? { sha256: options.checksums['model.json'] } : {}),
  });
  const manifestPath = join(staging, 'model.json.download');
  const sha256: Record<string, string> = { 'model.json': modelJson.sha256 };
  let manifest: { weightsManifest?: { paths: string[] }[] };
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as typeof manifest;
  } catch {
    await rm(manifestPath, { force: true });
    throw new AppError('INVALID_INPUT', `${modelJsonUrl} is not a TensorFlow.js model.json (not JSON); it was deleted.`);
  }
  const shards = (manifest.weightsManifest ?? []).flatMap((group) => group.paths);
  const outside = shards.find((shard) => typeof shard !== 'string' || !isPlainRelativeName(shard));
  if (outside !== undefined) {
    await rm(manifestPath, { force: true });
    throw new AppError(
      'INVALID_INPUT',
      `${modelJsonUrl} names a weight file outside the model's folder ("${String(outside)}"); nothing was written for it. The model is refused.`,
      { entry: String(outside) },
    );
  }
  if (shards.length === 0)
    throw new AppError('INVALID_INPUT', `${modelJsonUrl} lists no weight files; it is not a Layers model with weights.`);
  let bytes = modelJson.bytes;
  for (const [index, shard] of shards.entries()) {
    if (options.signal?.aborted) throw cancelled();
    const url = new URL(shard, modelJsonUrl).href;
    const target = join(staging, shard);
    const already = await stat(target).then(
      () => true,
      () => false,
    );
    if (already) {
      // Fetched by an earlier, interrupted attempt (and checked then); its digest is recorded all the same.
      sha256[shard] = await sha256OfFile(target);
    } else {
      const result = await downloadFile(url, target, {
        ...common,
        ...(options.checksums?.[shard] ? { sha256: options.checksums[shard] } : {}),
        onBytes: (done, total) =>
          options.onProgress?.({
            phase: `Downloading weights (file ${index + 1} of ${shards.length})`,
            done: bytes + done,
            total: 0,
            unit: 'bytes',
            message: total ? `${shard}: ${formatBytes(done)} of ${formatBytes(total)}` : shard,
          }),
      });
      bytes += result.bytes;
      sha256[shard] = result.sha256;
    }
    options.onProgress?.({ phase: 'Downloading weights', done: index + 1, total: shards.length, unit: 'items' });
  }
  await rename(manifestPath, join(staging, 'model.json'));
  await rm(destDir, { recursive: true, force: true });
  await rename(staging, destDir);
  await recordSource(destDir, modelJsonUrl, sha256);
  return { files: shards.length + 1, bytes, sha256 };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}

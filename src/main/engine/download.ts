import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Progress } from '../../shared/contract/define';
import { AppError, cancelled } from '../../shared/contract/errors';
import { formatBytes } from '../../shared/domain/format';

export interface DownloadOptions {
  /** The published SHA-256 of the file; when given, a mismatch deletes the download. */
  sha256?: string;
  signal?: AbortSignal;
  onBytes?: (done: number, total: number) => void;
}

/**
 * Downloads `url` to `dest` through `dest.part`, resuming a previous partial download with an
 * HTTP Range request. The file appears at `dest` only when complete (and verified).
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<{ bytes: number; sha256: string; resumed: boolean }> {
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
  if (existing > 0) {
    for await (const chunk of createReadStream(part)) hash.update(chunk as Buffer);
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
  if (options.sha256 !== undefined && digest !== options.sha256.toLowerCase()) {
    await rm(part, { force: true });
    throw new AppError(
      'INVALID_INPUT',
      `The file downloaded from ${url} does not match its published SHA-256 (expected ${options.sha256}, got ${digest}); it was deleted. Try again; if it keeps happening, the source has changed.`,
      { url, expected: options.sha256, actual: digest },
    );
  }
  await rename(part, dest);
  return { bytes: done, sha256: digest, resumed };
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
): Promise<{ files: number; bytes: number }> {
  const staging = `${destDir}.partial`;
  await mkdir(staging, { recursive: true });
  const common = { ...(options.signal ? { signal: options.signal } : {}) };
  const modelJson = await downloadFile(modelJsonUrl, join(staging, 'model.json.download'), {
    ...common,
    ...(options.checksums?.['model.json'] ? { sha256: options.checksums['model.json'] } : {}),
  });
  const manifestPath = join(staging, 'model.json.download');
  const { readFile } = await import('node:fs/promises');
  let manifest: { weightsManifest?: { paths: string[] }[] };
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as typeof manifest;
  } catch {
    await rm(manifestPath, { force: true });
    throw new AppError('INVALID_INPUT', `${modelJsonUrl} is not a TensorFlow.js model.json (not JSON); it was deleted.`);
  }
  const shards = (manifest.weightsManifest ?? []).flatMap((group) => group.paths);
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
    if (!already) {
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
    }
    options.onProgress?.({ phase: 'Downloading weights', done: index + 1, total: shards.length, unit: 'items' });
  }
  await rename(manifestPath, join(staging, 'model.json'));
  await rm(destDir, { recursive: true, force: true });
  await rename(staging, destDir);
  await writeFile(join(destDir, 'SOURCE'), `${modelJsonUrl}\n`);
  return { files: shards.length + 1, bytes };
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}

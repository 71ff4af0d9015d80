import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from '../../../shared/contract/define';
import { AppError, cancelled } from '../../../shared/contract/errors';
import { formatBytes } from '../../../shared/domain/format';
import { downloadResumable, type ResumableDownloadOptions } from '../../files/http-download';
import { isPlainRelativeName } from '../../files/inside-folder';

/** How a download meets a dropped connection; left out, the shared downloader's own (it retries). */
type RetryOptions = Pick<ResumableDownloadOptions, 'attempts' | 'retryDelayMs'>;

export interface DownloadOptions extends RetryOptions {
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

interface Digests {
  sha256: string;
  md5: string;
}

/**
 * Downloads `url` to `dest` through `dest.part` with the shared resumable downloader (Range requests
 * across calls and dropped connections). The file appears at `dest` only when complete and verified
 * against the pinned digests.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const { sha256, md5, ...transfer } = options;
  // Filled by the check just before the file takes its name (a holder: TypeScript does not follow the callback).
  const seen: { digests?: Digests } = {};
  const result = await downloadResumable(url, dest, {
    ...transfer,
    notFoundHint: 'The file may have moved; see the README for where to get it.',
    verify: async (path) => {
      seen.digests = await digestsOf(path);
      requirePinned(url, seen.digests, { sha256, md5 });
    },
  });
  if (seen.digests === undefined) throw new Error(`The download of ${url} finished unchecked.`);
  return { bytes: result.size, ...seen.digests, resumed: result.resumed };
}

/** Refuses a file whose digests are not the pinned ones (the caller deletes it). */
function requirePinned(url: string, actual: Digests, pinned: Partial<Digests>): void {
  for (const [name, expected, got] of [
    ['SHA-256', pinned.sha256, actual.sha256],
    ['MD5', pinned.md5, actual.md5],
  ] as const) {
    if (expected !== undefined && got !== expected.toLowerCase()) {
      throw new AppError(
        'INVALID_INPUT',
        `The file downloaded from ${url} does not match its pinned ${name} (expected ${expected}, got ${got}); it was deleted. Try again; if it keeps happening, the source has changed.`,
        { url, digest: name, expected, actual: got },
      );
    }
  }
}

/** The SHA-256 and MD5 of a file, in one read. */
async function digestsOf(path: string): Promise<Digests> {
  const sha256 = createHash('sha256');
  // MD5 is weak against a forger, but it is the digest Keras publishes; it still catches a damaged download.
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
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
  options: RetryOptions & {
    fileName: string;
    md5?: string;
    sha256?: string;
    signal?: AbortSignal;
    onProgress?: (progress: Progress) => void;
  },
): Promise<{ files: number; bytes: number; sha256: Record<string, string> }> {
  const { fileName, onProgress, ...download } = options;
  const result = await downloadFile(url, join(destDir, fileName), {
    ...download,
    onBytes: (done, total) =>
      onProgress?.({
        phase: 'Downloading weights',
        done,
        total,
        unit: 'bytes',
        message: total ? `${fileName}: ${formatBytes(done)} of ${formatBytes(total)}` : fileName,
      }),
  });
  const sha256 = { [fileName]: result.sha256 };
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
  options: RetryOptions & { checksums?: Record<string, string>; signal?: AbortSignal; onProgress?: (progress: Progress) => void } = {},
): Promise<{ files: number; bytes: number; sha256: Record<string, string> }> {
  const staging = `${destDir}.partial`;
  await mkdir(staging, { recursive: true });
  const { checksums, onProgress, ...common } = options;
  const modelJson = await downloadFile(modelJsonUrl, join(staging, 'model.json.download'), {
    ...common,
    ...(checksums?.['model.json'] ? { sha256: checksums['model.json'] } : {}),
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
      sha256[shard] = (await digestsOf(target)).sha256;
    } else {
      const result = await downloadFile(url, target, {
        ...common,
        ...(checksums?.[shard] ? { sha256: checksums[shard] } : {}),
        onBytes: (done, total) =>
          onProgress?.({
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
    onProgress?.({ phase: 'Downloading weights', done: index + 1, total: shards.length, unit: 'items' });
  }
  await rename(manifestPath, join(staging, 'model.json'));
  await rm(destDir, { recursive: true, force: true });
  await rename(staging, destDir);
  await recordSource(destDir, modelJsonUrl, sha256);
  return { files: shards.length + 1, bytes, sha256 };
}

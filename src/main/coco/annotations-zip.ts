import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { AppError, cancelled } from '../../shared/contract/errors';

/** The instances files of COCO 2017's annotations zip (it also holds captions and keypoints, not wanted here). */
export const instancesFileNames = ['instances_train2017.json', 'instances_val2017.json'] as const;

export interface ZipMember {
  /** The file's own name, such as instances_train2017.json. */
  name: string;
  /** Its size once extracted. */
  uncompressedSize: number;
}

/**
 * The instances files in a COCO annotations zip, from its central directory (nothing is extracted).
 * A file that is not a zip, or a damaged one, is refused with a sentence naming it.
 */
export async function instancesInZip(zipPath: string): Promise<ZipMember[]> {
  const zip = await openZip(zipPath);
  try {
    return (await wantedEntries(zip, zipPath)).map((entry) => ({ name: baseOf(entry.fileName), uncompressedSize: entry.uncompressedSize }));
  } finally {
    zip.close();
  }
}

/**
 * Extracts the instances files of a COCO annotations zip into `outDir` by streaming each entry
 * (never the whole file in memory), each through a temporary name that it leaves only once its size
 * and CRC-32 are those the zip records. Entries are found by their own name, wherever they sit in
 * the zip; the paths written are ours, never the zip's.
 */
export async function extractInstances(
  zipPath: string,
  outDir: string,
  options: { signal?: AbortSignal; onBytes?: (done: number, total: number) => void } = {},
): Promise<{ name: string; path: string; bytes: number }[]> {
  const zip = await openZip(zipPath);
  try {
    const entries = await wantedEntries(zip, zipPath);
    const total = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
    await mkdir(outDir, { recursive: true });
    let done = 0;
    const extracted: { name: string; path: string; bytes: number }[] = [];
    for (const entry of entries) {
      if (options.signal?.aborted) throw cancelled();
      const name = baseOf(entry.fileName);
      const path = join(outDir, name);
      const temporary = `${path}.part`;
      let crc = 0;
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          crc = crc32(chunk, crc);
          bytes += chunk.length;
          done += chunk.length;
          options.onBytes?.(done, total);
          callback(null, chunk);
        },
      });
      try {
        const source = await zip.openReadStreamPromise(entry);
        await pipeline(source, counter, createWriteStream(temporary), options.signal ? { signal: options.signal } : {});
      } catch (error) {
        await rm(temporary, { force: true });
        if (options.signal?.aborted) throw cancelled();
        throw damaged(zipPath, `${name} cannot be extracted (${(error as Error).message})`);
      }
      if (bytes !== entry.uncompressedSize || crc >>> 0 !== entry.crc32 >>> 0) {
        await rm(temporary, { force: true });
        throw damaged(zipPath, `${name} does not match its size or checksum in the zip`);
      }
      await rename(temporary, path);
      extracted.push({ name, path, bytes });
    }
    return extracted;
  } finally {
    zip.close();
  }
}

async function openZip(zipPath: string): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw damaged(zipPath, `it is not a readable zip (${(error as Error).message})`);
  }
}

async function wantedEntries(zip: yauzl.ZipFile, zipPath: string): Promise<yauzl.Entry[]> {
  const found = new Map<string, yauzl.Entry>();
  try {
    for await (const entry of zip.eachEntry()) {
      const name = baseOf(entry.fileName);
      if ((instancesFileNames as readonly string[]).includes(name) && !entry.fileName.endsWith('/')) found.set(name, entry);
    }
  } catch (error) {
    throw damaged(zipPath, `its list of files cannot be read (${(error as Error).message})`);
  }
  return instancesFileNames.flatMap((name) => found.get(name) ?? []);
}

function baseOf(entryName: string): string {
  return entryName.split(/[\\/]/).pop() ?? entryName;
}

/** A damaged zip: `details.damage` says how, for a caller that words what it did about it. */
function damaged(zipPath: string, what: string): AppError {
  return new AppError(
    'INVALID_INPUT',
    `The annotations zip ${zipPath} is damaged: ${what}. Delete it and start the download again to fetch it anew.`,
    { path: zipPath, damage: what },
  );
}

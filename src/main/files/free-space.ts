import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { formatBytes } from '../../shared/domain/format';

/** Bytes an unprivileged user may still write on the disk that holds `path`. */
export type FreeSpace = (path: string) => Promise<number>;

/** The free space of the disk that holds `path`, or would hold it: a folder not made yet is on its nearest existing parent's disk. */
export const freeSpaceOf: FreeSpace = async (path) => {
  let current = resolve(path);
  for (;;) {
    try {
      const info = await statfs(current);
      return info.bavail * info.bsize;
    } catch (error) {
      const parent = dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
};

/**
 * Refuses, before anything is written, work that needs more room than the disk of `folder` has:
 * `what` names the work ("The annotations zip"), `neededBytes` what it will still write.
 */
export async function requireFreeSpace(
  folder: string,
  neededBytes: number,
  what: string,
  freeSpace: FreeSpace = freeSpaceOf,
): Promise<void> {
  if (neededBytes <= 0) return;
  const free = await freeSpace(folder);
  if (free >= neededBytes) return;
  throw new AppError(
    'INVALID_INPUT',
    `${what} needs about ${formatBytes(neededBytes)}, but the disk of ${resolve(folder)} has only ${formatBytes(free)} free. Free some space there or choose a folder on another disk, then start again.`,
    { neededBytes, freeBytes: free, folder: resolve(folder) },
  );
}

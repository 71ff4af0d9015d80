import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Keeps a cache folder (such as `uploads/`) within bounds: files older than `maxAgeMs` go, then the
 * oldest until the rest fit in `maxBytes`. Returns what was removed. A folder that is not there, or a
 * file that vanishes meanwhile, is no error.
 */
export async function pruneFolder(
  dir: string,
  limits: { maxAgeMs: number; maxBytes: number; now?: number },
): Promise<{ removed: number; bytes: number }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { removed: 0, bytes: 0 };
  }
  const now = limits.now ?? Date.now();
  const files: { path: string; size: number; time: number }[] = [];
  for (const name of names) {
    try {
      const info = await stat(join(dir, name));
      if (info.isFile()) files.push({ path: join(dir, name), size: info.size, time: info.mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  files.sort((a, b) => a.time - b.time);
  let total = files.reduce((sum, f) => sum + f.size, 0);
  let removed = 0;
  let bytes = 0;
  for (const file of files) {
    if (now - file.time <= limits.maxAgeMs && total <= limits.maxBytes) break;
    await rm(file.path, { force: true });
    total -= file.size;
    removed++;
    bytes += file.size;
  }
  return { removed, bytes };
}

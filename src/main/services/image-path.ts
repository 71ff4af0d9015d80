import { resolve, sep } from 'node:path';

/**
 * Where an image's file is. A `file_name` comes from the annotation file, so one that climbs out
 * of the images folder ("../../etc/passwd") is treated as missing instead of being read.
 */
export function imagePath(imagesDir: string, fileName: string): string | null {
  const root = resolve(imagesDir);
  const path = resolve(root, fileName);
  // A folder at the top of a drive ("/", "C:\") already ends with the separator.
  return path.startsWith(root.endsWith(sep) ? root : root + sep) && path !== root ? path : null;
}

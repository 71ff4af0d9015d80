import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Whether `name`, a file name a model or a download gives, stays in its folder by its text alone. */
export function isPlainRelativeName(name: string): boolean {
  if (name === '' || isAbsolute(name) || /^[a-zA-Z]:/.test(name) || name.includes('\\') || name.includes('\0')) return false;
  return !name.split('/').some((part) => part === '..');
}

function contains(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

/**
 * The path of `name` inside `folder`, or null where it would leave it: `..` parts, an absolute
 * path, or (for a file that exists) a symbolic link, of the file or of a folder on its way, that
 * leads outside. Callers refuse null with a sentence that names the entry and says nothing of
 * what lies outside.
 */
export async function resolveInside(folder: string, name: string): Promise<string | null> {
  if (!isPlainRelativeName(name)) return null;
  const path = resolve(folder, name);
  if (!contains(resolve(folder), path)) return null;
  let real: string;
  let realFolder: string;
  try {
    realFolder = await realpath(folder);
    real = await realpath(path);
  } catch {
    return path; // not there (yet): its name alone decides, and the caller reports it missing
  }
  return contains(realFolder, real) ? path : null;
}

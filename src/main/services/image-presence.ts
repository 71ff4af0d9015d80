import { access } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { HandlerContext } from '../../shared/contract/define';
import { allImageFiles } from '../coco/queries';
import type { Db } from '../db/connection';
import { imagePath } from './image-path';
import { listingHas, type FolderListing } from './image-folder-index';

/** Which images of an annotation file have their file in a folder, as of one listing of it. */
export interface ImagePresence {
  fileId: number;
  listing: FolderListing;
  /** Every image id of the file, ascending (none when the folder does not exist). */
  ids: Uint32Array;
  /** 1 where the image's file is there (same positions as `ids`). */
  present: Uint8Array;
  presentCount: number;
}

/** Names matched per turn of the event loop, so that other calls are answered while a large file is matched. */
const sliceLength = 16_384;
/** Files in subfolders checked at once. */
const accessBatch = 256;

/**
 * Matches every image of the file with a folder listing. A `file_name` that climbs out of the folder
 * counts as missing (`imagePath`); one in a subfolder ("2017/a.jpg") is not in the listing, so its
 * file is checked on its own (such files are re-checked with the folder, or on "Check again").
 */
export async function matchImages(
  db: Db,
  fileId: number,
  listing: FolderListing,
  context: Pick<HandlerContext, 'progress'>,
): Promise<ImagePresence> {
  // No folder, no file: nothing to read (every image counts as missing).
  if (!listing.exists) return { fileId, listing, ids: new Uint32Array(0), present: new Uint8Array(0), presentCount: 0 };
  const { ids, fileNames } = allImageFiles(db, fileId);
  const present = new Uint8Array(ids.length);
  const root = resolve(listing.dir);
  const prefixLength = root.endsWith(sep) ? root.length : root.length + 1;
  const deeper: number[] = [];
  for (let start = 0; start < fileNames.length; start += sliceLength) {
    if (start > 0) await new Promise((done) => setImmediate(done));
    const end = Math.min(start + sliceLength, fileNames.length);
    for (let i = start; i < end; i++) {
      const path = imagePath(root, fileNames[i]!);
      if (path === null) continue;
      const relative = path.slice(prefixLength);
      if (relative.includes(sep)) deeper.push(i);
      else if (listingHas(listing, relative)) present[i] = 1;
    }
    context.progress({ phase: 'Matching file names with the folder', done: end, total: fileNames.length, unit: 'images' });
  }
  for (let start = 0; start < deeper.length; start += accessBatch) {
    const slice = deeper.slice(start, start + accessBatch);
    const found = await Promise.all(
      slice.map((i) =>
        access(imagePath(root, fileNames[i]!)!).then(
          () => true,
          () => false,
        ),
      ),
    );
    found.forEach((ok, k) => ok && (present[slice[k]!] = 1));
    context.progress({
      phase: 'Checking image files in subfolders',
      done: Math.min(start + accessBatch, deeper.length),
      total: deeper.length,
      unit: 'images',
    });
  }
  let presentCount = 0;
  for (let i = 0; i < present.length; i++) presentCount += present[i]!;
  return { fileId, listing, ids, present, presentCount };
}

/** The subset's images (ascending ids, all in the file) without a file: how many, and the first `listLimit` ids. */
export function missingOf(presence: ImagePresence, subset: Uint32Array, listLimit: number): { missing: number; listed: Uint32Array } {
  const { ids, present } = presence;
  const listed = new Uint32Array(Math.min(listLimit, subset.length));
  let missing = 0;
  let j = 0;
  for (let i = 0; i < subset.length; i++) {
    const id = subset[i]!;
    while (j < ids.length && ids[j]! < id) j++;
    if (j < ids.length && ids[j] === id && present[j] === 1) continue;
    if (missing < listed.length) listed[missing] = id;
    missing++;
  }
  return { missing, listed: listed.subarray(0, Math.min(missing, listed.length)) };
}

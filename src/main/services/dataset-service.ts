import { createHash } from 'node:crypto';
import { access, readFile, stat, readdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { datasetContract } from '../../shared/contract/dataset';
import type { HandlerContext, ServiceHandlers } from '../../shared/contract/define';
import { AppError, cancelled, unlessAborted } from '../../shared/contract/errors';
import { locateWeights } from '../engine';
import { openCache, type Db } from '../db/connection';
import { ingestCocoFile } from '../coco/ingest';
import {
  fileNamesOf,
  fileRowToImported,
  getFile,
  imageDetailOf,
  imagePageOf,
  listCategories,
  listFiles,
  selectSubset,
  statsOf,
  subsetMatrix,
  type FileRow,
  type LabelOptions,
  type SelectedSubset,
} from '../coco/queries';
import { LabelsStore } from '../db/labels-store';
import { ImageFolderIndex, type FolderListing } from './image-folder-index';
import { describeAnnotationStart, readFileStart } from './annotation-peek';
import { imagePath } from './image-path';
import { matchImages, missingOf, type ImagePresence } from './image-presence';
import { writeFileAtomic } from '../files/atomic-file';
import type { SettingsStore } from './settings-store';
import { formatBytes } from '../../shared/domain/format';
import { isImageFileName } from '../../shared/domain/image-folder';

type DatasetHandlers = ServiceHandlers<typeof datasetContract>;

export interface DatasetServiceOptions {
  dataDir: string;
  db: Db;
  settings: SettingsStore;
  /** Listings of images folders; one per service unless given (tests count the listings). */
  folders?: ImageFolderIndex;
}

/**
 * The Dataset workspace's service: imports, category subsets and their statistics, image pages,
 * thumbnails. Knows nothing of Electron or of the transport that calls it.
 */
export class DatasetService implements DatasetHandlers {
  private readonly db: Db;
  private readonly dataDir: string;
  private readonly settings: SettingsStore;
  /** Imports run one at a time; each waits for the previous one. */
  private ingestQueue: Promise<unknown> = Promise.resolve();
  private readonly folders: ImageFolderIndex;
  private readonly subsets = new Map<string, SelectedSubset>();
  /** Per annotation file, its images matched with the latest listing of its folder. */
  /** Per import (see `importKey`), its images matched with the latest listing of its folder. */
  private readonly presence = new Map<string, { listing: FolderListing; matched: Promise<ImagePresence> }>();

  constructor(options: DatasetServiceOptions) {
    this.db = options.db;
    this.dataDir = options.dataDir;
    this.settings = options.settings;
    this.folders = options.folders ?? new ImageFolderIndex();
  }

  ingest: DatasetHandlers['ingest'] = (input, context) => {
    const run = this.ingestQueue.then(async () => {
      if (context.signal.aborted) throw cancelled();
      if (input.imagesDir !== undefined) await requireDirectory(input.imagesDir);
      // A connection of its own: readers on the shared one keep seeing the last committed cache
      // while the import's transaction is open.
      const previousId = this.db.prepare('SELECT id FROM annotation_files WHERE path = ?').pluck().get(resolve(input.path)) as
        number | undefined;
      const db = openCache(this.dataDir);
      let result;
      try {
        result = await ingestCocoFile(db, input.path, {
          imagesDir: input.imagesDir,
          signal: context.signal,
          onProgress: context.progress,
        });
      } catch (error) {
        db.close();
        throw error;
      }
      // Copy the import from the WAL into the database once the caller has its answer.
      setImmediate(() => {
        try {
          db.pragma('wal_checkpoint(PASSIVE)');
        } catch {
          // The import is committed; a checkpoint that fails now (a full disk) is retried by SQLite later.
        } finally {
          db.close();
        }
      });
      if (previousId !== undefined && previousId !== result.fileId) {
        // A re-import gets a new id; a saved selection of the old one follows it.
        await this.settings.update((settings) =>
          settings.selection.fileId === previousId
            ? { ...settings, selection: { ...settings.selection, fileId: result.fileId } }
            : settings,
        );
      }
      return result;
    });
    this.ingestQueue = run.catch(() => undefined);
    return run;
  };

  files: DatasetHandlers['files'] = async () => listFiles(this.db);

  setImagesDir: DatasetHandlers['setImagesDir'] = async ({ fileId, imagesDir }) => {
    getFile(this.db, fileId);
    const dir = await requireDirectory(imagesDir);
    // Behind any running import: its transaction holds the cache's write lock.
    const update = this.ingestQueue.then(() => {
      this.db.prepare('UPDATE annotation_files SET images_dir = ? WHERE id = ?').run(dir, getFile(this.db, fileId).id);
      return fileRowToImported(getFile(this.db, fileId));
    });
    this.ingestQueue = update.catch(() => undefined);
    return update;
  };

  checkPath: DatasetHandlers['checkPath'] = async ({ path, kind }) => {
    const resolved = resolve(path.trim());
    if (path.trim() === '') return { ok: false, resolved, message: 'Enter a path.' };
    try {
      const info = await stat(resolved);
      if (kind === 'weights') {
        const weights = locateWeights(resolved);
        if (weights === null) {
          return {
            ok: false,
            resolved,
            message:
              'No weights here: choose a TensorFlow.js Layers folder (model.json and shards), a Keras .h5 file, or a folder holding weights.h5.',
          };
        }
        if (weights.format === 'tfjs-layers')
          return { ok: true, resolved, message: 'TensorFlow.js Layers model (model.json and weight shards).' };
        return { ok: true, resolved, message: `Keras .h5 weights, ${formatBytes((await stat(weights.path)).size)}.` };
      }
      if (kind === 'file' || kind === 'annotations') {
        if (info.isDirectory()) {
          return {
            ok: false,
            resolved,
            message:
              kind === 'annotations' ? 'This is a folder; choose the annotation JSON file inside it.' : 'This is a folder; choose a file.',
          };
        }
        await access(resolved, constants.R_OK);
        if (kind === 'file') return { ok: true, resolved, message: `File, ${formatBytes(info.size)}.` };
        // The name says little (any .json, or a renamed file): the first bytes say whether it can be COCO.
        const peek = describeAnnotationStart(await readFileStart(resolved));
        const named = /\.json$/i.test(resolved) ? '' : ' (not named .json)';
        return { ok: peek.ok, resolved, message: `${peek.verdict}${named}, ${formatBytes(info.size)}.` };
      }
      if (!info.isDirectory()) return { ok: false, resolved, message: 'This is a file; choose the folder that holds the images.' };
      const entries = await readdir(resolved);
      if (entries.includes('model.json')) return { ok: true, resolved, message: 'Model folder (model.json and weight shards).' };
      const images = entries.filter(isImageFileName).length;
      return { ok: true, resolved, message: `Folder with ${images.toLocaleString('en-US')} image files.` };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ok: false, resolved, message: 'Nothing exists at this path on the server.' };
      if (code === 'EACCES') return { ok: false, resolved, message: 'This path cannot be read: permission denied.' };
      return { ok: false, resolved, message: `This path cannot be used: ${(error as Error).message}` };
    }
  };

  categories: DatasetHandlers['categories'] = async ({ fileId, originalLabels }) => listCategories(this.db, fileId, { originalLabels });

  stats: DatasetHandlers['stats'] = async ({ fileId, categories, originalLabels }) =>
    statsOf(this.selected(fileId, categories, { originalLabels }));

  subset: DatasetHandlers['subset'] = async ({ fileId, categories, originalLabels }) =>
    subsetMatrix(this.db, fileId, categories, { originalLabels });

  images: DatasetHandlers['images'] = async ({ fileId, categories, originalLabels, filterCategory, reviewed, edited, offset, limit }) =>
    imagePageOf(
      this.db,
      fileId,
      this.selected(fileId, categories, { originalLabels }),
      { filterCategory, reviewed, edited },
      offset,
      limit,
    );

  image: DatasetHandlers['image'] = async ({ fileId, imageId, categories, originalLabels }) => {
    const dir = getFile(this.db, fileId).images_dir;
    return imageDetailOf(this.db, fileId, imageId, this.selected(fileId, categories, { originalLabels }), (fileName) => {
      const path = dir === null ? null : imagePath(dir, fileName);
      return path !== null && existsSync(path);
    });
  };

  thumbnail: DatasetHandlers['thumbnail'] = async ({ fileId, imageId, size }) => {
    const file = getFile(this.db, fileId);
    if (file.images_dir === null) {
      throw new AppError(
        'NOT_FOUND',
        'No images folder is set for this annotation file. Set it in the Dataset workspace or with --images.',
      );
    }
    const row = this.db.prepare('SELECT file_name FROM images WHERE file_id = ? AND id = ?').get(fileId, imageId) as
      { file_name: string } | undefined;
    if (row === undefined) throw new AppError('NOT_FOUND', `Image ${imageId} is not in this annotation file.`);
    const source = imagePath(file.images_dir, row.file_name);
    let info;
    try {
      if (source === null) throw new Error('outside the images folder');
      info = await stat(source);
    } catch {
      throw new AppError('NOT_FOUND', `The image file ${row.file_name} is missing from ${file.images_dir}.`, { fileName: row.file_name });
    }
    const key = createHash('sha256').update(`${source}\0${info.size}\0${info.mtimeMs}\0${size}`).digest('hex').slice(0, 32);
    const cached = join(this.dataDir, 'thumbnails', key.slice(0, 2), `${key}.jpg`);
    const { default: sharp } = await import('sharp');
    let data: Buffer;
    try {
      data = await readFile(cached);
    } catch {
      try {
        data = await sharp(source)
          .rotate()
          .resize(size, size, { fit: 'inside', withoutEnlargement: true })
          .jpeg({ quality: 82 })
          .toBuffer();
      } catch (error) {
        throw new AppError('INVALID_INPUT', `The image file ${row.file_name} cannot be decoded: ${(error as Error).message}`, {
          fileName: row.file_name,
        });
      }
      await writeFileAtomic(cached, data);
    }
    const meta = await sharp(data).metadata();
    return { mime: 'image/jpeg', base64: data.toString('base64'), width: meta.width ?? size, height: meta.height ?? size };
  };

  missingImages: DatasetHandlers['missingImages'] = async ({ fileId, categories, listLimit, recheck }, context) => {
    if (context.signal.aborted) throw cancelled();
    const file = getFile(this.db, fileId);
    const subset = this.selected(fileId, categories).merged.imageIds;
    if (file.images_dir === null) {
      return { imagesDir: null, checked: 0, missing: 0, files: [], folder: null, fileImages: file.image_count, fileImagesPresent: 0 };
    }
    const presence = await unlessAborted(this.presenceOf(file, file.images_dir, recheck, context), context.signal);
    const { missing, listed } = missingOf(presence, subset, listLimit);
    const { listing } = presence;
    return {
      imagesDir: file.images_dir,
      checked: subset.length,
      missing,
      files: fileNamesOf(this.db, fileId, listed),
      folder: {
        exists: listing.exists,
        files: listing.files.size,
        imageFiles: listing.imageFiles,
        folderCount: listing.folderCount,
        folders: listing.folders,
        listedAt: new Date(listing.listedAtMs).toISOString(),
      },
      fileImages: file.image_count,
      fileImagesPresent: presence.presentCount,
    };
  };

  missingImageNames: DatasetHandlers['missingImageNames'] = async ({ fileId, categories }, context) => {
    const file = getFile(this.db, fileId);
    const subset = this.selected(fileId, categories).merged.imageIds;
    if (file.images_dir === null) return { imagesDir: null, names: [] };
    const presence = await unlessAborted(this.presenceOf(file, file.images_dir, false, context), context.signal);
    const { listed } = missingOf(presence, subset, subset.length);
    return { imagesDir: file.images_dir, names: fileNamesOf(this.db, fileId, listed) };
  };

  /**
   * A subset's categories, image lists and their union, kept for the last few subsets: one selection
   * change asks for its statistics, its missing images and its first page of images at once. A label
   * edit (from any client or process) bumps the file's edit version, which is part of the key.
   */
  private selected(fileId: number, names: readonly string[], options: LabelOptions = {}): SelectedSubset {
    const original = options.originalLabels === true;
    const version = original ? 'original' : (LabelsStore.of(this.db).state(fileId)?.version ?? 0);
    const key = JSON.stringify([importKey(getFile(this.db, fileId)), names, version]);
    const known = this.subsets.get(key);
    this.subsets.delete(key);
    const selected = known ?? selectSubset(this.db, fileId, names, { originalLabels: original });
    this.subsets.set(key, selected);
    while (this.subsets.size > 6) this.subsets.delete(this.subsets.keys().next().value!);
    return selected;
  }

  /**
   * Which images of the file are in its folder: matched once per listing of the folder (shared by
   * concurrent calls, and not stopped when one of them is cancelled), then answered from memory.
   */
  private async presenceOf(
    file: FileRow,
    imagesDir: string,
    recheck: boolean,
    context: Pick<HandlerContext, 'progress'>,
  ): Promise<ImagePresence> {
    if (!this.folders.isRemembered(imagesDir) || recheck) context.progress({ phase: 'Listing the images folder', done: 0, total: 0 });
    const listing = await this.folders.listing(imagesDir, { recheck });
    const key = importKey(file);
    const known = this.presence.get(key);
    if (known !== undefined && known.listing === listing) return known.matched;
    const matched = matchImages(this.db, file.id, listing, context);
    this.presence.delete(key);
    this.presence.set(key, { listing, matched });
    // A few files at a time (each holds a byte per image); the least recently matched go first.
    while (this.presence.size > 4) this.presence.delete(this.presence.keys().next().value!);
    matched.catch(() => {
      if (this.presence.get(key)?.matched === matched) this.presence.delete(key);
    });
    return matched;
  }

  getSelection: DatasetHandlers['getSelection'] = async () => {
    const { selection } = await this.settings.read();
    const known =
      selection.fileId !== null && this.db.prepare('SELECT 1 FROM annotation_files WHERE id = ?').get(selection.fileId) !== undefined;
    return known ? selection : { fileId: null, categories: selection.categories };
  };

  setSelection: DatasetHandlers['setSelection'] = async (selection) => {
    const saved = await this.settings.update((settings) => ({ ...settings, selection }));
    return saved.selection;
  };
}

/** One import of a file: its id with the digest and time of the import, so an id handed out again never finds another import's answers. */
function importKey(file: FileRow): string {
  return `${file.id}:${file.sha256}:${file.imported_at}`;
}

async function requireDirectory(path: string): Promise<string> {
  const dir = resolve(path);
  try {
    if ((await stat(dir)).isDirectory()) return dir;
  } catch {
    throw new AppError(
      'NOT_FOUND',
      `The images folder ${dir} does not exist. Choose the folder that holds the images (such as train2017).`,
    );
  }
  throw new AppError('INVALID_INPUT', `${dir} is a file, not a folder. Choose the folder that holds the images (such as train2017).`);
}

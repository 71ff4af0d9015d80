import type { Dirent, Stats } from 'node:fs';
import { readdir as readdirAsync, stat as statAsync } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { isImageFileName } from '../../shared/domain/image-folder';

/** One listing of an images folder: the names of the files directly in it. */
export interface FolderListing {
  /** The folder, resolved. */
  dir: string;
  /** False when nothing (or a file) is at the path. */
  exists: boolean;
  /** The folder's modification time when it was listed (changes when an entry is added, removed or renamed). */
  mtimeMs: number;
  /** When the listing started (ms since the epoch). */
  listedAtMs: number;
  /** Names of the entries that are not folders (files, links). */
  files: ReadonlySet<string>;
  /** The same names in lower case, where the file system ignores case; null where it does not. */
  lowerCaseFiles: ReadonlySet<string> | null;
  imageFiles: number;
  folderCount: number;
  /** The first subfolder names, sorted. */
  folders: string[];
}

export interface ImageFolderIndexOptions {
  readdir?: (dir: string) => Promise<Dirent[]>;
  stat?: (path: string) => Promise<Stats>;
  now?: () => number;
  /** Whether file names match whatever their case (macOS's and Windows's defaults). */
  caseInsensitive?: boolean;
  /** Folders remembered (least recently used forgotten first). */
  maxFolders?: number;
}

/**
 * A listing is trusted again only if the folder had not changed for this long when it was taken:
 * a change within the file system's timestamp granularity (up to 2 s on FAT) after the listing
 * would leave the modification time as it was (git calls this the "racy" case).
 */
export const racyMarginMs = 2000;

const shownFolders = 20;

/**
 * Lists images folders once with one readdir and remembers each listing by folder and modification
 * time, so that whether a subset's images are there is answered from memory. A folder is listed
 * again when its modification time changes, or on request ("Check again").
 */
export class ImageFolderIndex {
  private readonly readdir: (dir: string) => Promise<Dirent[]>;
  private readonly stat: (path: string) => Promise<Stats>;
  private readonly now: () => number;
  private readonly caseInsensitive: boolean;
  private readonly maxFolders: number;
  private readonly listings = new Map<string, FolderListing>();
  /** Listings under way, with the folder time they began at. */
  private readonly pending = new Map<string, { listed: Promise<FolderListing>; mtimeMs: number }>();

  constructor(options: ImageFolderIndexOptions = {}) {
    this.readdir = options.readdir ?? ((dir) => readdirAsync(dir, { withFileTypes: true }));
    this.stat = options.stat ?? ((path) => statAsync(path));
    this.now = options.now ?? Date.now;
    this.caseInsensitive = options.caseInsensitive ?? (process.platform === 'win32' || process.platform === 'darwin');
    this.maxFolders = options.maxFolders ?? 4;
  }

  /** The folder's listing: the remembered one while the folder is unchanged, else a new one. */
  async listing(path: string, options: { recheck?: boolean } = {}): Promise<FolderListing> {
    const dir = resolve(path);
    const info = await this.statFolder(dir);
    if (info === null) {
      this.listings.delete(dir);
      return this.absent(dir);
    }
    const known = this.listings.get(dir);
    if (
      options.recheck !== true &&
      known !== undefined &&
      known.mtimeMs === info.mtimeMs &&
      known.listedAtMs - known.mtimeMs > racyMarginMs
    ) {
      // Most recently used last.
      this.listings.delete(dir);
      this.listings.set(dir, known);
      return known;
    }
    // A listing under way is shared, unless it began before a change this caller has seen.
    const running = this.pending.get(dir);
    if (running !== undefined && options.recheck !== true && running.mtimeMs === info.mtimeMs) return running.listed;
    const listed: Promise<FolderListing> = this.list(dir, info).then((listing) => {
      // Only the newest listing is remembered: an older one finishing late must not replace it.
      if (this.pending.get(dir)?.listed === listed) this.remember(dir, listing);
      return listing;
    });
    const settled = (): void => {
      if (this.pending.get(dir)?.listed === listed) this.pending.delete(dir);
    };
    listed.then(settled, settled);
    this.pending.set(dir, { listed, mtimeMs: info.mtimeMs });
    return listed;
  }

  /** Whether a listing of the folder is remembered (it may still be found stale). */
  isRemembered(path: string): boolean {
    return this.listings.has(resolve(path));
  }

  private async list(dir: string, info: Stats): Promise<FolderListing> {
    const listedAtMs = this.now();
    let entries: Dirent[];
    try {
      entries = await this.readdir(dir);
    } catch (error) {
      throw unreadable(dir, error);
    }
    const files = new Set<string>();
    const folders: string[] = [];
    let imageFiles = 0;
    for (const entry of entries) {
      if (entry.isDirectory()) {
        folders.push(entry.name);
        continue;
      }
      files.add(entry.name);
      if (isImageFileName(entry.name)) imageFiles++;
    }
    folders.sort();
    const listing: FolderListing = {
      dir,
      exists: true,
      mtimeMs: info.mtimeMs,
      listedAtMs,
      files,
      lowerCaseFiles: this.caseInsensitive ? new Set([...files].map((name) => name.toLowerCase())) : null,
      imageFiles,
      folderCount: folders.length,
      folders: folders.slice(0, shownFolders),
    };
    return listing;
  }

  /** Keeps a folder's listing, most recently used last, and forgets the least recently used beyond `maxFolders`. */
  private remember(dir: string, listing: FolderListing): void {
    this.listings.delete(dir);
    this.listings.set(dir, listing);
    while (this.listings.size > this.maxFolders) this.listings.delete(this.listings.keys().next().value!);
  }

  private async statFolder(dir: string): Promise<Stats | null> {
    try {
      const info = await this.stat(dir);
      return info.isDirectory() ? info : null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw unreadable(dir, error);
    }
  }

  private absent(dir: string): FolderListing {
    return {
      dir,
      exists: false,
      mtimeMs: 0,
      listedAtMs: this.now(),
      files: new Set(),
      lowerCaseFiles: null,
      imageFiles: 0,
      folderCount: 0,
      folders: [],
    };
  }
}

/** Whether a listing holds a file name (a name directly in the folder). */
export function listingHas(listing: FolderListing, name: string): boolean {
  return listing.files.has(name) || (listing.lowerCaseFiles !== null && listing.lowerCaseFiles.has(name.toLowerCase()));
}

function unreadable(dir: string, error: unknown): AppError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new AppError(
      'INVALID_INPUT',
      `The images folder ${dir} cannot be read: permission denied. Give this user read access, or choose another folder.`,
    );
  }
  return new AppError(
    'INVALID_INPUT',
    `The images folder ${dir} cannot be read: ${(error as Error).message}. Check the folder, then choose Check again.`,
  );
}

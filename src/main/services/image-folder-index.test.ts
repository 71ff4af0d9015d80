import type { Dirent, Stats } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/contract/errors';
import { ImageFolderIndex, listingHas, racyMarginMs } from './image-folder-index';

/** A file system of folders (name → entries) whose modification times and clock the test sets. */
function fakeFolders(folders: Record<string, { mtimeMs: number; files: string[]; dirs?: string[] }>) {
  const listed: string[] = [];
  let now = 1_000_000;
  const entry = (name: string, directory: boolean): Dirent => ({ name, isDirectory: () => directory }) as Dirent;
  const index = new ImageFolderIndex({
    now: () => now,
    caseInsensitive: false,
    maxFolders: 2,
    stat: async (path) => {
      const folder = folders[path];
      if (folder === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return { isDirectory: () => true, mtimeMs: folder.mtimeMs } as Stats;
    },
    readdir: async (path) => {
      listed.push(path);
      const folder = folders[path]!;
      return [...folder.files.map((name) => entry(name, false)), ...(folder.dirs ?? []).map((name) => entry(name, true))];
    },
  });
  return { index, listed, setNow: (ms: number) => (now = ms) };
}

describe('ImageFolderIndex', () => {
  it('lists a folder once while its modification time stays, and counts files, images and subfolders', async () => {
    const dir = resolve('/data/train2017');
    const { index, listed } = fakeFolders({ [dir]: { mtimeMs: 1000, files: ['a.jpg', 'b.PNG', 'notes.txt'], dirs: ['z', 'extra'] } });
    const first = await index.listing(dir);
    expect(first).toMatchObject({ dir, exists: true, mtimeMs: 1000, imageFiles: 2, folderCount: 2, folders: ['extra', 'z'] });
    expect([...first.files].sort()).toEqual(['a.jpg', 'b.PNG', 'notes.txt']);
    expect(await index.listing(`${dir}/`)).toBe(first);
    expect(listed).toEqual([dir]);
    expect(index.isRemembered(dir)).toBe(true);
  });

  it('lists again when the modification time changes, on request, and when the last listing came too soon after a change', async () => {
    const dir = resolve('/data/train2017');
    const folders = { [dir]: { mtimeMs: 1000, files: ['a.jpg'] } };
    const { index, listed, setNow } = fakeFolders(folders);
    await index.listing(dir);
    folders[dir] = { mtimeMs: 2000, files: ['a.jpg', 'b.jpg'] };
    expect((await index.listing(dir)).files.size).toBe(2);
    await index.listing(dir, { recheck: true });
    expect(listed).toHaveLength(3);

    // Listed within the margin after the change: a change in the same tick could hide, so not trusted.
    folders[dir] = { mtimeMs: 5_000_000, files: ['a.jpg'] };
    setNow(5_000_000 + racyMarginMs / 2);
    await index.listing(dir);
    await index.listing(dir);
    expect(listed).toHaveLength(5);
    setNow(5_000_000 + racyMarginMs * 2);
    await index.listing(dir);
    await index.listing(dir);
    expect(listed).toHaveLength(6);
  });

  it('keeps the newest listing when an older one finishes after it, and does not share a listing begun before a change', async () => {
    const dir = resolve('/data/train2017');
    let files = ['a.jpg'];
    let mtimeMs = 1000;
    const releases: (() => void)[] = [];
    const entry = (name: string): Dirent => ({ name, isDirectory: () => false }) as Dirent;
    const index = new ImageFolderIndex({
      now: () => 1_000_000,
      caseInsensitive: false,
      stat: async () => ({ isDirectory: () => true, mtimeMs }) as Stats,
      // Each listing sees the folder as it is when it starts, and ends when the test releases it.
      readdir: () => {
        const seen = files.map(entry);
        return new Promise((done) => releases.push(() => done(seen)));
      },
    });
    const settle = async (): Promise<void> => new Promise((done) => setTimeout(done, 0));

    const older = index.listing(dir);
    await settle();
    // Images copied in without changing the folder's time (as a copy within one clock tick can): Check again.
    files = ['a.jpg', 'b.jpg'];
    const newer = index.listing(dir, { recheck: true });
    await settle();
    releases[1]!();
    expect((await newer).files.size).toBe(2);
    releases[0]!();
    expect((await older).files.size).toBe(1);
    expect((await index.listing(dir)).files.size).toBe(2);
    expect(releases).toHaveLength(2);

    // A listing under way when the folder changes is not handed to a caller that has seen the change.
    const before = index.listing(dir, { recheck: true });
    await settle();
    files = ['a.jpg', 'b.jpg', 'c.jpg'];
    mtimeMs = 2000;
    const after = index.listing(dir);
    await settle();
    expect(releases).toHaveLength(4);
    releases[3]!();
    releases[2]!();
    expect((await after).files.size).toBe(3);
    expect((await before).files.size).toBe(2);
    expect((await index.listing(dir)).files.size).toBe(3);
  });

  it('remembers a few folders, the least recently used forgotten first', async () => {
    const [a, b, c] = ['/a', '/b', '/c'].map((p) => resolve(p));
    const { index, listed } = fakeFolders({
      [a!]: { mtimeMs: 1, files: [] },
      [b!]: { mtimeMs: 1, files: [] },
      [c!]: { mtimeMs: 1, files: [] },
    });
    await index.listing(a!);
    await index.listing(b!);
    await index.listing(a!);
    await index.listing(c!);
    expect([index.isRemembered(a!), index.isRemembered(b!), index.isRemembered(c!)]).toEqual([true, false, true]);
    expect(listed).toEqual([a, b, c]);
  });

  it('answers for a folder that does not exist without listing it', async () => {
    const { index, listed } = fakeFolders({});
    expect(await index.listing('/gone')).toMatchObject({ exists: false, imageFiles: 0, folderCount: 0 });
    expect(listed).toEqual([]);
  });

  it('says in a sentence when a folder cannot be read', async () => {
    const index = new ImageFolderIndex({
      stat: async () => ({ isDirectory: () => true, mtimeMs: 1 }) as Stats,
      readdir: async () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    });
    const error = await index.listing('/root/secret').then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toBe(
      `The images folder ${resolve('/root/secret')} cannot be read: permission denied. Give this user read access, or choose another folder.`,
    );
  });

  it('matches names whatever their case only where the file system ignores case', async () => {
    const dir = resolve('/photos');
    const stat = async (): Promise<Stats> => ({ isDirectory: () => true, mtimeMs: 1 }) as Stats;
    const readdir = async (): Promise<Dirent[]> => [{ name: 'IMG_0001.JPG', isDirectory: () => false } as Dirent];
    const insensitive = await new ImageFolderIndex({ stat, readdir, caseInsensitive: true }).listing(dir);
    const sensitive = await new ImageFolderIndex({ stat, readdir, caseInsensitive: false }).listing(dir);
    expect([listingHas(insensitive, 'img_0001.jpg'), listingHas(sensitive, 'img_0001.jpg'), listingHas(sensitive, 'IMG_0001.JPG')]).toEqual(
      [true, false, true],
    );
  });
});

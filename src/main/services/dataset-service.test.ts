import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildCocoFixture,
  fixtureExpected,
  serializeCoco,
  writeCocoFixture,
  type WrittenCocoFixture,
} from '../../../test/fixtures/coco-fixture';
import type { HandlerContext, Progress } from '../../shared/contract/define';
import { describeImageFiles } from '../../shared/domain/image-folder';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { openCache, type Db } from '../db/connection';
import { DatasetService } from './dataset-service';
import { imagePath } from './image-path';
import { ImageFolderIndex } from './image-folder-index';
import { SettingsStore } from './settings-store';
import { rejection } from '../../../test/support/rejection';

interface Opened {
  service: DatasetService;
  db: Db;
}

const opened: Db[] = [];

function openService(dataDir: string): Opened {
  const db = openCache(dataDir);
  opened.push(db);
  return { service: new DatasetService({ dataDir, db, settings: new SettingsStore(dataDir) }), db };
}

function context(progress: Progress[] = [], signal: AbortSignal = new AbortController().signal): HandlerContext {
  return { signal, progress: (p) => progress.push(p) };
}

/** Files under the thumbnail cache (left-over temporary files would count too). */
function thumbnailFiles(dataDir: string): string[] {
  const root = join(dataDir, 'thumbnails');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const missing = ['000000000034.jpg', '000000000049.jpg', '000000000042.jpg'];

let root: string;
let dataDir: string;
let fixture: WrittenCocoFixture;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mlw-'));
  // Images are the declared size / 8: 000000000009.jpg is 80×60.
  fixture = await writeCocoFixture(join(root, 'coco'), { images: true, missingImages: missing, categories: 'last' });
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'mlw-'));
});
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Imports the fixture with its images folder, or with none (null). */
async function importFixture(service: DatasetService, imagesDir: string | null = fixture.imagesDir): Promise<number> {
  const result = await service.ingest({ path: fixture.annotationPath, ...(imagesDir === null ? {} : { imagesDir }) }, context());
  return result.fileId;
}

describe('DatasetService.checkPath', () => {
  it('says that nothing exists at a missing path, with the resolved path', async () => {
    const { service } = openService(dataDir);
    const path = join(root, 'nope', 'instances.json');
    expect(await service.checkPath({ path, kind: 'file' }, context())).toEqual({
      ok: false,
      resolved: path,
      message: 'Nothing exists at this path on the server.',
    });
    expect((await service.checkPath({ path, kind: 'directory' }, context())).ok).toBe(false);
  });

  it('accepts backbone weights as a Layers folder, a Keras .h5 file or a folder holding weights.h5, and says what else is needed', async () => {
    const { service } = openService(dataDir);
    const layers = join(dataDir, 'layers-model');
    const h5Folder = join(dataDir, 'h5-model');
    mkdirSync(layers, { recursive: true });
    mkdirSync(h5Folder, { recursive: true });
    writeFileSync(join(layers, 'model.json'), '{}');
    writeFileSync(join(h5Folder, 'weights.h5'), 'x'.repeat(2048));
    expect(await service.checkPath({ path: layers, kind: 'weights' }, context())).toMatchObject({
      ok: true,
      message: expect.stringContaining('Layers model'),
    });
    expect(await service.checkPath({ path: h5Folder, kind: 'weights' }, context())).toMatchObject({
      ok: true,
      message: 'Keras .h5 weights, 2.0 KB.',
    });
    expect(await service.checkPath({ path: join(h5Folder, 'weights.h5'), kind: 'weights' }, context())).toMatchObject({ ok: true });
    expect(await service.checkPath({ path: fixture.imagesDir, kind: 'weights' }, context())).toMatchObject({
      ok: false,
      message: expect.stringContaining('No weights here'),
    });
  });

  it('asks for a path when it is blank', async () => {
    const { service } = openService(dataDir);
    expect(await service.checkPath({ path: '   ', kind: 'file' }, context())).toMatchObject({ ok: false, message: 'Enter a path.' });
  });

  it('says a folder is not the annotation file', async () => {
    const { service } = openService(dataDir);
    expect(await service.checkPath({ path: fixture.imagesDir, kind: 'annotations' }, context())).toEqual({
      ok: false,
      resolved: fixture.imagesDir,
      message: 'This is a folder; choose the annotation JSON file inside it.',
    });
  });

  it('accepts a file that starts like COCO instances, with its size, and trims the path', async () => {
    const { service } = openService(dataDir);
    const small = join(dataDir, 'small.json');
    const instances =
      '{"info": {"year": 2017}, "licenses": [], "images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [], "categories": []}';
    writeFileSync(small, instances.padEnd(500, ' '));
    expect(await service.checkPath({ path: ` ${small} `, kind: 'annotations' }, context())).toEqual({
      ok: true,
      resolved: small,
      message: 'Looks like a COCO instances file, 500 bytes.',
    });
    const renamed = join(dataDir, 'instances.txt');
    writeFileSync(renamed, instances.padEnd(1234, ' '));
    expect((await service.checkPath({ path: renamed, kind: 'annotations' }, context())).message).toBe(
      'Looks like a COCO instances file (not named .json), 1.2 KB.',
    );
  });

  it('looks at the first bytes of a .json file: not JSON, an array or empty is refused; other JSON is named for what it is', async () => {
    const { service } = openService(dataDir);
    const write = (name: string, text: string): string => {
      const path = join(dataDir, name);
      writeFileSync(path, text);
      return path;
    };
    expect(await service.checkPath({ path: write('notes.json', 'xxxxxxxxxxxxxxxxxxxx'), kind: 'annotations' }, context())).toMatchObject({
      ok: false,
      message: 'Not JSON: it starts with “xxxxxxxxxxxx”, where a COCO instances file starts with “{”, 20 bytes.',
    });
    expect(await service.checkPath({ path: write('list.json', ' [1, 2, 3]'), kind: 'annotations' }, context())).toMatchObject({
      ok: false,
      message: expect.stringContaining('A JSON array, not a COCO instances file'),
    });
    expect(await service.checkPath({ path: write('empty.json', ''), kind: 'annotations' }, context())).toMatchObject({ ok: false });
    expect(
      await service.checkPath(
        { path: write('captions.json', '{"images": [], "annotations": [{"image_id": 1, "caption": "A dog."}]}'), kind: 'annotations' },
        context(),
      ),
    ).toMatchObject({ ok: true, message: expect.stringContaining('Looks like a COCO captions file, not an instances file') });
    expect(
      await service.checkPath({ path: write('package.json', '{"name": "x", "version": "1.0.0"}'), kind: 'annotations' }, context()),
    ).toMatchObject({
      ok: true,
      message: expect.stringContaining('JSON, but its first 64 KB have none of a COCO instances file’s keys'),
    });
  });

  it('accepts any readable file where a file is asked for (an image to predict), without judging it as annotations', async () => {
    const { service } = openService(dataDir);
    const image = join(dataDir, 'photo.jpg');
    writeFileSync(image, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
    expect(await service.checkPath({ path: image, kind: 'file' }, context())).toEqual({
      ok: true,
      resolved: image,
      message: 'File, 6 bytes.',
    });
    expect((await service.checkPath({ path: image, kind: 'annotations' }, context())).ok).toBe(false);
  });

  it('says a file is not an images folder, and counts the image files of a folder', async () => {
    const { service } = openService(dataDir);
    expect(await service.checkPath({ path: fixture.annotationPath, kind: 'directory' }, context())).toMatchObject({
      ok: false,
      message: 'This is a file; choose the folder that holds the images.',
    });
    const folder = join(dataDir, 'imgs');
    mkdirSync(folder);
    for (const name of ['a.jpg', 'b.JPEG', 'c.png', 'd.webp', 'notes.txt', 'e.json']) writeFileSync(join(folder, name), '');
    expect(await service.checkPath({ path: folder, kind: 'directory' }, context())).toEqual({
      ok: true,
      resolved: folder,
      message: 'Folder with 4 image files.',
    });
    // The fixture's folder has 8 images less the 3 left out.
    expect((await service.checkPath({ path: fixture.imagesDir, kind: 'directory' }, context())).message).toBe('Folder with 5 image files.');
  });
});

/** A folder index whose listings are counted, and a service that uses it. */
function openCountingService(dataDir: string): Opened & { listings: string[] } {
  const listings: string[] = [];
  const folders = new ImageFolderIndex({
    readdir: (dir) => {
      listings.push(dir);
      return readdir(dir, { withFileTypes: true });
    },
  });
  const db = openCache(dataDir);
  opened.push(db);
  return { service: new DatasetService({ dataDir, db, settings: new SettingsStore(dataDir), folders }), db, listings };
}

/** Gives a folder an old modification time, so that a listing of it is trusted until it changes. */
function ageFolder(dir: string): void {
  const old = new Date(Date.now() - 60_000);
  utimesSync(dir, old, old);
}

/** A copy of the fixture's images folder that a test may change. */
function copyImages(name: string): string {
  const dir = join(dataDir, name);
  cpSync(fixture.imagesDir, dir, { recursive: true });
  ageFolder(dir);
  return dir;
}

const pets = [...fixtureExpected.petsSubset.names];
const check = (fileId: number, categories: string[], more: { listLimit?: number; recheck?: boolean } = {}) => ({
  fileId,
  categories,
  listLimit: more.listLimit ?? 200,
  recheck: more.recheck ?? false,
});

describe('DatasetService.missingImages', () => {
  it('counts and lists the missing files of the subset only, and says what the folder holds', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const progress: Progress[] = [];
    const result = await service.missingImages(check(fileId, pets), context(progress));
    // 000000000042.jpg is missing too, but has no label of the subset.
    expect(result).toEqual({
      imagesDir: fixture.imagesDir,
      checked: 6,
      missing: 2,
      files: ['000000000034.jpg', '000000000049.jpg'],
      folder: { exists: true, files: 5, imageFiles: 5, folderCount: 0, folders: [], listedAt: expect.any(String) },
      // 8 images in the file, 3 of them left out of the folder.
      fileImages: 8,
      fileImagesPresent: 5,
    });
    expect(Date.now() - Date.parse(result.folder!.listedAt)).toBeLessThan(60_000);
    expect(progress.map((p) => p.phase)).toEqual(['Listing the images folder', 'Matching file names with the folder']);
    expect(progress.at(-1)).toEqual({ phase: 'Matching file names with the folder', done: 8, total: 8, unit: 'images' });
  });

  it('finds nothing missing for a subset whose images are all there', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    expect(await service.missingImages(check(fileId, ['person', 'couch']), context())).toMatchObject({
      imagesDir: fixture.imagesDir,
      checked: 3,
      missing: 0,
      files: [],
    });
  });

  it('lists at most listLimit files but counts them all', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const result = await service.missingImages(check(fileId, pets, { listLimit: 1 }), context());
    expect(result).toMatchObject({ checked: 6, missing: 2, files: ['000000000034.jpg'] });
  });

  it('lists a folder once and answers every other subset from the listing, without progress', async () => {
    const { service, listings } = openCountingService(dataDir);
    const images = copyImages('images-once');
    const fileId = await importFixture(service, images);
    expect((await service.missingImages(check(fileId, pets), context())).missing).toBe(2);
    const progress: Progress[] = [];
    expect(await service.missingImages(check(fileId, ['dog']), context(progress))).toMatchObject({
      checked: 4,
      missing: 2,
      files: ['000000000034.jpg', '000000000049.jpg'],
    });
    expect(await service.missingImages(check(fileId, ['person']), context(progress))).toMatchObject({ checked: 3, missing: 0 });
    expect(listings).toEqual([images]);
    expect(progress).toEqual([]);
  });

  it('lists a folder again when it changed, and on request (Check again) when a change left its time alone', async () => {
    const { service, listings } = openCountingService(dataDir);
    const images = copyImages('images-changing');
    const fileId = await importFixture(service, images);
    expect((await service.missingImages(check(fileId, pets), context())).files).toEqual(['000000000034.jpg', '000000000049.jpg']);

    // Adding a file changes the folder's modification time.
    copyFileSync(join(images, '000000000009.jpg'), join(images, '000000000034.jpg'));
    ageFolder(images);
    expect((await service.missingImages(check(fileId, pets), context())).files).toEqual(['000000000049.jpg']);
    expect(listings).toHaveLength(2);

    // A change that leaves the folder's time as it was (copied with its times kept, or too quick to
    // tell apart) is found when the user asks to check again.
    const aged = statSync(images);
    copyFileSync(join(images, '000000000009.jpg'), join(images, '000000000049.jpg'));
    utimesSync(images, aged.atime, aged.mtime);
    expect((await service.missingImages(check(fileId, pets), context())).missing).toBe(1);
    expect(listings).toHaveLength(2);
    const progress: Progress[] = [];
    expect(await service.missingImages(check(fileId, pets, { recheck: true }), context(progress))).toMatchObject({ missing: 0, files: [] });
    expect(listings).toHaveLength(3);
    expect(progress[0]).toEqual({ phase: 'Listing the images folder', done: 0, total: 0 });
  });

  it('does not trust a listing taken just after the folder changed, and lists it again', async () => {
    const { service, listings } = openCountingService(dataDir);
    const images = join(dataDir, 'images-fresh');
    cpSync(fixture.imagesDir, images, { recursive: true });
    const now = new Date();
    utimesSync(images, now, now);
    const fileId = await importFixture(service, images);
    await service.missingImages(check(fileId, pets), context());
    await service.missingImages(check(fileId, pets), context());
    expect(listings).toHaveLength(2);
  });

  it('shares one listing between calls made at once', async () => {
    const { service, listings } = openCountingService(dataDir);
    const images = copyImages('images-shared');
    const fileId = await importFixture(service, images);
    const [a, b] = await Promise.all([
      service.missingImages(check(fileId, pets), context()),
      service.missingImages(check(fileId, ['cat']), context()),
    ]);
    expect([a.missing, b.missing]).toEqual([2, 0]);
    expect(listings).toEqual([images]);
  });

  it('says the folder is empty: nothing in it, none of the images there', async () => {
    const { service } = openService(dataDir);
    const empty = join(dataDir, 'train2017');
    mkdirSync(empty);
    const fileId = await importFixture(service, empty);
    const result = await service.missingImages(check(fileId, pets), context());
    expect(result).toMatchObject({
      checked: 6,
      missing: 6,
      folder: { exists: true, files: 0, imageFiles: 0, folderCount: 0, folders: [] },
      fileImages: 8,
      fileImagesPresent: 0,
    });
    expect(describeImageFiles(result, '/data/instances_train2017.json')).toEqual({
      state: 'empty',
      severity: 'warning',
      message: `${empty} is empty: none of the 6 images of this subset are there. Choose the folder that holds the images (for instances_train2017.json, the train2017 folder).`,
    });
  });

  it("says when the folder holds images but none of the file's (another split's folder)", async () => {
    const { service } = openService(dataDir);
    const other = join(dataDir, 'val2017');
    mkdirSync(other);
    for (const name of ['000000000139.jpg', '000000000285.jpg', '000000000632.jpg', 'notes.txt']) writeFileSync(join(other, name), '');
    mkdirSync(join(other, 'extra'));
    const fileId = await importFixture(service, other);
    const result = await service.missingImages(check(fileId, ['dog']), context());
    expect(result).toMatchObject({
      checked: 4,
      missing: 4,
      folder: { exists: true, files: 4, imageFiles: 3, folderCount: 1, folders: ['extra'] },
      fileImages: 8,
      fileImagesPresent: 0,
    });
    expect(describeImageFiles(result, '/coco/annotations/instances_train2017.json').message).toBe(
      `None of the 8 images of instances_train2017.json are in ${other}, though it holds 3 image files: it looks like the val2017 folder, and instances_train2017.json describes the train2017 images. Choose the train2017 folder.`,
    );
  });

  it('says the folder is gone when nothing is at its path any more', async () => {
    const { service } = openService(dataDir);
    const images = copyImages('images-gone');
    const fileId = await importFixture(service, images);
    await service.missingImages(check(fileId, pets), context());
    rmSync(images, { recursive: true });
    expect(await service.missingImages(check(fileId, pets), context())).toMatchObject({
      checked: 6,
      missing: 6,
      folder: { exists: false, files: 0, imageFiles: 0 },
      fileImagesPresent: 0,
    });
  });

  it('counts a file_name that climbs out of the folder as missing, and finds one in a subfolder', async () => {
    const data = buildCocoFixture();
    const rename = new Map([
      [9, '../outside.jpg'],
      [61, 'sub/000000000061.jpg'],
    ]);
    for (const image of data.images) image.file_name = rename.get(image.id) ?? image.file_name;
    const root = join(dataDir, 'tricky');
    const images = join(root, 'images');
    mkdirSync(join(images, 'sub'), { recursive: true });
    writeFileSync(join(root, 'outside.jpg'), 'not ours');
    writeFileSync(join(images, 'sub', '000000000061.jpg'), '');
    writeFileSync(join(images, '000000000036.jpg'), '');
    ageFolder(images);
    const annotationPath = join(root, 'instances.json');
    writeFileSync(annotationPath, serializeCoco(data));
    const { service } = openService(dataDir);
    const { fileId } = await service.ingest({ path: annotationPath, imagesDir: images }, context());
    const progress: Progress[] = [];
    expect(await service.missingImages(check(fileId, ['cat']), context(progress))).toMatchObject({
      checked: 3,
      missing: 1,
      files: ['../outside.jpg'],
      fileImagesPresent: 2,
    });
    expect(progress.at(-1)).toEqual({ phase: 'Checking image files in subfolders', done: 1, total: 1, unit: 'images' });
  });

  it('checks nothing when the file has no images folder', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service, null);
    expect(await service.missingImages(check(fileId, ['dog']), context())).toEqual({
      imagesDir: null,
      checked: 0,
      missing: 0,
      files: [],
      folder: null,
      fileImages: 8,
      fileImagesPresent: 0,
    });
  });

  it('rejects with CANCELLED when the signal is aborted', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const error = await rejection(service.missingImages(check(fileId, ['dog']), context([], AbortSignal.abort())));
    expect(error.code).toBe('CANCELLED');
  });
});

describe('DatasetService.missingImageNames', () => {
  it('gives every missing file name of the subset, beyond the 200 the check lists, by ascending image id', async () => {
    const big = await writeCocoFixture(join(dataDir, 'big'), { extraImages: 300 });
    mkdirSync(big.imagesDir);
    writeFileSync(join(big.imagesDir, '000000001000.jpg'), '');
    ageFolder(big.imagesDir);
    const { service, listings } = openCountingService(dataDir);
    const { fileId } = await service.ingest({ path: big.annotationPath, imagesDir: big.imagesDir }, context());
    const checked = await service.missingImages(check(fileId, ['person']), context());
    expect(checked).toMatchObject({ checked: 303, missing: 302 });
    expect(checked.files).toHaveLength(200);
    const { imagesDir, names } = await service.missingImageNames({ fileId, categories: ['person'] }, context());
    expect(imagesDir).toBe(big.imagesDir);
    // person: images 25, 30, 36 and 1000…1299, of which only 1000's file is there.
    const extra = Array.from({ length: 299 }, (_, k) => `00000000${1001 + k}.jpg`);
    expect(names).toEqual(['000000000025.jpg', '000000000030.jpg', '000000000036.jpg', ...extra]);
    expect(names.slice(0, 200)).toEqual(checked.files);
    expect(listings).toHaveLength(1);
  });

  it('is empty when the file has no images folder', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service, null);
    expect(await service.missingImageNames({ fileId, categories: ['dog'] }, context())).toEqual({ imagesDir: null, names: [] });
  });
});

describe('imagePath', () => {
  it('keeps a file_name inside the images folder, and refuses one that climbs out or is the folder itself', () => {
    expect(imagePath('/data/train2017', '000000000009.jpg')).toBe('/data/train2017/000000000009.jpg');
    expect(imagePath('/data/train2017/', 'sub/../a.jpg')).toBe('/data/train2017/a.jpg');
    expect(imagePath('/data/train2017', '../val2017/a.jpg')).toBeNull();
    expect(imagePath('/data/train2017', '/etc/passwd')).toBeNull();
    expect(imagePath('/data/train2017', '.')).toBeNull();
    expect(imagePath('/data/train', '../train2017/a.jpg')).toBeNull();
    expect(imagePath('/', 'a.jpg')).toBe('/a.jpg');
  });
});

describe('DatasetService.thumbnail', () => {
  it('returns a JPEG scaled to fit the square, and caches it on disk', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const first = await service.thumbnail({ fileId, imageId: 9, size: 64 }, context());
    expect(first.mime).toBe('image/jpeg');
    const bytes = Buffer.from(first.base64, 'base64');
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    // 80×60 fits a 64 square as 64×48.
    expect([first.width, first.height]).toEqual([64, 48]);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
    const files = thumbnailFiles(dataDir);
    expect(files).toHaveLength(1);

    const second = await service.thumbnail({ fileId, imageId: 9, size: 64 }, context());
    expect(second).toEqual(first);
    expect(thumbnailFiles(dataDir)).toEqual(files);
  });

  it('serves the second call from the cached file instead of encoding again', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    await service.thumbnail({ fileId, imageId: 9, size: 64 }, context());
    const [cached] = thumbnailFiles(dataDir);
    // Replace the cached thumbnail with a distinguishable JPEG: a re-encode would give 64×48 again.
    const marker = await sharp({ create: { width: 5, height: 3, channels: 3, background: '#ff0000' } })
      .jpeg()
      .toBuffer();
    writeFileSync(cached!, marker);
    const again = await service.thumbnail({ fileId, imageId: 9, size: 64 }, context());
    expect([again.width, again.height]).toEqual([5, 3]);
    expect(Buffer.from(again.base64, 'base64').equals(marker)).toBe(true);
    expect(thumbnailFiles(dataDir)).toHaveLength(1);
  });

  it('caches each size separately and never enlarges a small image', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    await service.thumbnail({ fileId, imageId: 9, size: 64 }, context());
    const large = await service.thumbnail({ fileId, imageId: 36, size: 256 }, context());
    // 481×640 / 8 = 60×80: smaller than 256, kept as it is.
    expect([large.width, large.height]).toEqual([60, 80]);
    expect(thumbnailFiles(dataDir)).toHaveLength(2);
  });

  it('gives NOT_FOUND for an image whose file is missing, naming the file', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const error = await rejection(service.thumbnail({ fileId, imageId: 34, size: 64 }, context()));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('000000000034.jpg is missing');
    expect(error.details).toEqual({ fileName: '000000000034.jpg' });
    expect(thumbnailFiles(dataDir)).toHaveLength(0);
  });

  it('gives NOT_FOUND for an image id not in the file, and when no images folder is set', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const unknown = await rejection(service.thumbnail({ fileId, imageId: 777, size: 64 }, context()));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain('Image 777 is not in this annotation file');

    const other = openService(join(dataDir, 'other'));
    const noDir = await importFixture(other.service, null);
    const error = await rejection(other.service.thumbnail({ fileId: noDir, imageId: 9, size: 64 }, context()));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/No images folder is set/);
  });
});

describe('DatasetService selection', () => {
  it('starts with the reference example categories and persists across service instances', async () => {
    const first = openService(dataDir);
    const fileId = await importFixture(first.service);
    expect(await first.service.getSelection({}, context())).toEqual({ fileId: null, categories: [...referenceExampleCategories] });
    const saved = await first.service.setSelection({ fileId, categories: ['dog', 'potted plant'] }, context());
    expect(saved).toEqual({ fileId, categories: ['dog', 'potted plant'] });

    const second = openService(dataDir);
    expect(await second.service.getSelection({}, context())).toEqual({ fileId, categories: ['dog', 'potted plant'] });
  });

  it('keeps the categories but drops a file id that is not in the cache', async () => {
    const { service } = openService(dataDir);
    await service.setSelection({ fileId: 42, categories: ['cat'] }, context());
    expect(await openService(dataDir).service.getSelection({}, context())).toEqual({ fileId: null, categories: ['cat'] });
  });

  it('keeps the last of several quick updates', async () => {
    const { service } = openService(dataDir);
    await Promise.all([
      service.setSelection({ fileId: null, categories: ['a'] }, context()),
      service.setSelection({ fileId: null, categories: ['b'] }, context()),
      service.setSelection({ fileId: null, categories: ['c'] }, context()),
    ]);
    expect(await openService(dataDir).service.getSelection({}, context())).toEqual({ fileId: null, categories: ['c'] });
  });
});

describe('DatasetService.ingest', () => {
  it('gives a changed file a new id on re-import, and the saved selection follows it', async () => {
    const { service } = openService(dataDir);
    const copy = await writeCocoFixture(join(dataDir, 'changing'), {});
    const first = await service.ingest({ path: copy.annotationPath }, context());
    await service.setSelection({ fileId: first.fileId, categories: ['dog', 'cat'] }, context());
    const changed = await writeCocoFixture(join(dataDir, 'changing'), { extraImages: 3 });
    utimesSync(changed.annotationPath, new Date(), new Date(Date.now() + 5000));
    const second = await service.ingest({ path: copy.annotationPath }, context());
    expect(second.fileId).not.toBe(first.fileId);
    expect(await service.getSelection({}, context())).toEqual({ fileId: second.fileId, categories: ['dog', 'cat'] });
  });

  it('imports through its own connection, so the service sees the new file at once', async () => {
    const { service } = openService(dataDir);
    const progress: Progress[] = [];
    const result = await service.ingest({ path: fixture.annotationPath, imagesDir: fixture.imagesDir }, context(progress));
    expect(result).toMatchObject({ cached: false, images: 8, annotations: 17, categories: 6, imagesDir: fixture.imagesDir });
    expect(progress.at(-1)).toMatchObject({ phase: 'Indexing labels' });
    expect(await service.files({}, context())).toEqual([expect.objectContaining({ fileId: result.fileId, path: fixture.annotationPath })]);
    expect((await service.stats({ fileId: result.fileId, categories: ['dog'] }, context())).perClass).toEqual({ dog: 4 });
  });

  it('refuses an images folder that does not exist with NOT_FOUND', async () => {
    const { service } = openService(dataDir);
    const error = await rejection(service.ingest({ path: fixture.annotationPath, imagesDir: join(root, 'no-such-folder') }, context()));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/images folder .* does not exist/);
    expect(await service.files({}, context())).toEqual([]);
  });
});

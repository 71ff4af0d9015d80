import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureExpected, writeCocoFixture, type WrittenCocoFixture } from '../../../test/fixtures/coco-fixture';
import type { HandlerContext, Progress } from '../../shared/contract/define';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { openCache, type Db } from '../db/connection';
import { DatasetService } from './dataset-service';
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
    expect(await service.checkPath({ path: fixture.imagesDir, kind: 'file' }, context())).toEqual({
      ok: false,
      resolved: fixture.imagesDir,
      message: 'This is a folder; choose the annotation JSON file inside it.',
    });
  });

  it('accepts a file with its size, and trims the path', async () => {
    const { service } = openService(dataDir);
    const small = join(dataDir, 'small.json');
    writeFileSync(small, 'x'.repeat(500));
    expect(await service.checkPath({ path: ` ${small} `, kind: 'file' }, context())).toEqual({
      ok: true,
      resolved: small,
      message: 'JSON file, 500 bytes.',
    });
    const bigger = join(dataDir, 'bigger.json');
    writeFileSync(bigger, 'x'.repeat(1234));
    expect((await service.checkPath({ path: bigger, kind: 'file' }, context())).message).toBe('JSON file, 1.2 KB.');
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

describe('DatasetService.missingImages', () => {
  it('counts and lists the missing files of the subset only, with progress', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const progress: Progress[] = [];
    const result = await service.missingImages(
      { fileId, categories: [...fixtureExpected.petsSubset.names], listLimit: 200 },
      context(progress),
    );
    // 000000000042.jpg is missing too, but has no label of the subset.
    expect(result).toEqual({ imagesDir: fixture.imagesDir, checked: 6, missing: 2, files: ['000000000034.jpg', '000000000049.jpg'] });
    expect(progress).toEqual([{ phase: 'Checking image files', done: 6, total: 6, unit: 'images' }]);
  });

  it('finds nothing missing for a subset whose images are all there', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    expect(await service.missingImages({ fileId, categories: ['person', 'couch'], listLimit: 200 }, context())).toEqual({
      imagesDir: fixture.imagesDir,
      checked: 3,
      missing: 0,
      files: [],
    });
  });

  it('lists at most listLimit files but counts them all', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const result = await service.missingImages({ fileId, categories: [...fixtureExpected.petsSubset.names], listLimit: 1 }, context());
    expect(result).toMatchObject({ checked: 6, missing: 2, files: ['000000000034.jpg'] });
  });

  it('reports progress in order over batches of a larger subset', async () => {
    const big = await writeCocoFixture(join(dataDir, 'big'), { extraImages: 300 });
    mkdirSync(big.imagesDir);
    const { service } = openService(dataDir);
    const { fileId } = await service.ingest({ path: big.annotationPath, imagesDir: big.imagesDir }, context());
    const progress: Progress[] = [];
    const result = await service.missingImages({ fileId, categories: ['person'], listLimit: 200 }, context(progress));
    expect(result.checked).toBe(303);
    expect(result.missing).toBe(303);
    expect(result.files).toHaveLength(200);
    expect(result.files[0]).toBe('000000000025.jpg');
    expect(progress.map((p) => [p.done, p.total])).toEqual([
      [256, 303],
      [303, 303],
    ]);
  });

  it('checks nothing when the file has no images folder', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service, null);
    expect(await service.missingImages({ fileId, categories: ['dog'], listLimit: 200 }, context())).toEqual({
      imagesDir: null,
      checked: 0,
      missing: 0,
      files: [],
    });
  });

  it('rejects with CANCELLED when the signal is aborted', async () => {
    const { service } = openService(dataDir);
    const fileId = await importFixture(service);
    const error = await rejection(service.missingImages({ fileId, categories: ['dog'], listLimit: 200 }, context([], AbortSignal.abort())));
    expect(error.code).toBe('CANCELLED');
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

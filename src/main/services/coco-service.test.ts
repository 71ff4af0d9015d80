import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  coco128Absent,
  coco128Annotations,
  coco128Dir,
  hasCoco128,
  startCocoServer,
  type CocoServer,
} from '../../../test/fixtures/coco-server';
import { cocoDownloadRequest, type CocoDownloadRequest } from '../../shared/contract/coco';
import type { HandlerContext, Progress } from '../../shared/contract/define';
import { coco2017CategoryNames } from '../../shared/domain/coco-categories';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { openCache, type Db } from '../db/connection';
import { CocoService, downloadStateFile } from './coco-service';
import { DatasetService } from './dataset-service';
import { SettingsStore } from './settings-store';

interface CocoJson {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { image_id: number; category_id: number }[];
  categories: { id: number; name: string }[];
}

/** The file names of coco128's images that hold one of `names`, read straight from the JSON. */
function imagesWith(names: readonly string[]): string[] {
  const coco = JSON.parse(readFileSync(coco128Annotations, 'utf8')) as CocoJson;
  const wanted = new Set(coco.categories.filter((c) => names.includes(c.name)).map((c) => c.id));
  const ids = new Set(coco.annotations.filter((a) => wanted.has(a.category_id)).map((a) => a.image_id));
  return coco.images
    .filter((image) => ids.has(image.id))
    .map((image) => image.file_name)
    .sort();
}

let server: CocoServer;
let dir: string;
let db: Db;
let service: CocoService;
let freeBytes: (path: string) => number;

beforeAll(async () => {
  if (hasCoco128) server = await startCocoServer();
  else console.log(`coco-service.test.ts: ${coco128Absent}.`);
});
afterAll(async () => {
  if (hasCoco128) await server.close();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-coco-download-'));
  db = openCache(join(dir, 'data'));
  freeBytes = () => 1e12;
  const dataset = new DatasetService({ dataDir: join(dir, 'data'), db, settings: new SettingsStore(join(dir, 'data')) });
  service = new CocoService({ db, dataset, retryDelayMs: 0, freeSpace: async (path) => freeBytes(path) });
  if (hasCoco128) {
    server.requests.length = 0;
    server.dropZip = 0;
    server.missing.clear();
    server.truncated.clear();
    server.beforeImage = null;
  }
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function request(input: Partial<CocoDownloadRequest> = {}): ReturnType<typeof cocoDownloadRequest.parse> {
  return cocoDownloadRequest.parse({ split: 'train2017', dest: join(dir, 'coco'), baseUrl: server.baseUrl, concurrency: 4, ...input });
}

function context(progress: Progress[] = [], signal: AbortSignal = new AbortController().signal): HandlerContext {
  return { signal, progress: (p) => progress.push(p) };
}

/** What lies in a folder, temporary files included. */
function filesIn(folder: string): string[] {
  return existsSync(folder) ? readdirSync(folder).sort() : [];
}

describe.skipIf(!hasCoco128)('coco.download against a COCO-shaped server', () => {
  it('resumes the annotations zip with Range after a dropped connection, imports it, and fetches only the 35 images of the 12 categories, byte for byte', async () => {
    server.dropZip = 1;
    const progress: Progress[] = [];
    const result = await service.download(request({ categories: [...referenceExampleCategories] }), context(progress));

    const zipRequests = server.requests.filter((r) => r.path.endsWith('.zip'));
    expect(zipRequests).toHaveLength(2);
    expect(zipRequests[0]!.range).toBeNull();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(zipRequests[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(server.zip.length);

    // coco128's README: 35 of its 128 images hold one of the reference example's 12 categories.
    const expected = imagesWith(referenceExampleCategories);
    expect(expected).toHaveLength(35);
    expect(result.images).toEqual({ wanted: 35, downloaded: 35, alreadyPresent: 0, failed: 0 });
    expect(result.annotationsDownloaded).toBe(true);
    expect(filesIn(join(dir, 'coco', 'train2017'))).toEqual(expected);
    expect(server.imageRequests().sort()).toEqual(expected);
    for (const name of expected) {
      expect(readFileSync(join(dir, 'coco', 'train2017', name)).equals(readFileSync(join(coco128Dir, 'train2017', name)))).toBe(true);
    }
    // The instances file is out of the zip whole, imported, and the zip is gone.
    expect(readFileSync(result.annotationsPath).equals(readFileSync(coco128Annotations))).toBe(true);
    expect(filesIn(join(dir, 'coco', 'annotations'))).toEqual(['instances_train2017.json']);
    expect(filesIn(join(dir, 'coco'))).toEqual(['annotations', downloadStateFile, 'train2017']);
    const imported = db.prepare('SELECT path, images_dir, image_count FROM annotation_files WHERE id = ?').get(result.fileId);
    expect(imported).toEqual({ path: result.annotationsPath, images_dir: join(dir, 'coco', 'train2017'), image_count: 128 });
    expect(result.categories).toEqual([...referenceExampleCategories]);

    const phases = new Set(progress.map((p) => p.phase));
    expect(phases).toContain('Downloading annotations');
    expect(phases).toContain('Extracting annotations');
    const last = progress.filter((p) => p.phase === 'Downloading images').at(-1)!;
    expect(last).toMatchObject({ done: 35, total: 35, unit: 'images' });
    const imageBytes = expected.reduce((sum, name) => sum + statSync(join(coco128Dir, 'train2017', name)).size, 0);
    expect(last.metrics?.bytes).toBe(imageBytes);
    expect(result.bytes).toBe(imageBytes + server.zip.length);
  });

  it('lists a missing image (404) and two cut short among the failures with a sentence each, keeps none of them, and "retry failed" fetches only those', async () => {
    const [missing, short, dropped] = imagesWith(['giraffe', 'zebra']) as [string, string, string];
    server.missing.add(missing);
    server.truncated.set(short, 'short');
    server.truncated.set(dropped, 'dropped');
    const result = await service.download(request({ categories: ['giraffe', 'zebra'] }), context());

    const wanted = imagesWith(['giraffe', 'zebra']);
    expect(result.images).toEqual({ wanted: wanted.length, downloaded: wanted.length - 3, alreadyPresent: 0, failed: 3 });
    const reasons = Object.fromEntries(result.failures.map((f) => [f.fileName, f.reason]));
    expect(Object.keys(reasons).sort()).toEqual([missing, short, dropped].sort());
    expect(reasons[missing]).toMatch(/answered HTTP 404/);
    expect(reasons[short]).toMatch(/does not decode to the end .*premature end of JPEG/);
    expect(reasons[dropped]).toMatch(/was cut short: .* of the .* the server announced arrived/);
    expect(result.failures.find((f) => f.fileName === missing)!.url).toBe(`${server.baseUrl}/train2017/${missing}`);
    // Nothing is left under a failed image's name, nor any temporary file.
    expect(filesIn(join(dir, 'coco', 'train2017'))).toEqual(wanted.filter((name) => ![missing, short, dropped].includes(name)));
    // A 404 is not asked again; a file cut short is, once.
    expect(server.imageRequests().filter((name) => name === missing)).toHaveLength(1);
    expect(server.imageRequests().filter((name) => name === short)).toHaveLength(2);

    server.missing.clear();
    server.truncated.clear();
    server.requests.length = 0;
    const retried = await service.download(request({ retryFailed: true }), context());
    expect(server.imageRequests().sort()).toEqual([missing, short, dropped].sort());
    expect(server.requests.some((r) => r.path.endsWith('.zip'))).toBe(false);
    expect(retried.images).toEqual({ wanted: 3, downloaded: 3, alreadyPresent: 0, failed: 0 });
    expect(filesIn(join(dir, 'coco', 'train2017'))).toEqual(wanted);
    const state = JSON.parse(readFileSync(join(dir, 'coco', downloadStateFile), 'utf8')) as {
      splits: Record<string, { failures: unknown[] }>;
    };
    expect(state.splits.train2017!.failures).toEqual([]);
  });

  it('pauses in the zip and in the images, and resumes each where it stopped: Range for the zip, only the missing images after', async () => {
    const stopAt = (when: (p: Progress) => boolean): { controller: AbortController; context: HandlerContext } => {
      const controller = new AbortController();
      return { controller, context: { signal: controller.signal, progress: (p) => (when(p) ? controller.abort() : undefined) } };
    };
    const zipPart = join(dir, 'coco', 'annotations_trainval2017.zip.part');
    const first = stopAt((p) => p.phase === 'Downloading annotations' && p.done > 0);
    await expect(service.download(request({ categories: ['dog'] }), first.context)).rejects.toMatchObject({ code: 'CANCELLED' });
    const kept = statSync(zipPart).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(server.zip.length);

    const dogs = imagesWith(['dog']);
    // Paused while the fourth image is on its way: three are in, one is cut off.
    const paused = new AbortController();
    let served = 0;
    let release = (): void => undefined;
    server.beforeImage = () => {
      if (++served < 4) return;
      paused.abort();
      return new Promise<void>((resume) => (release = resume));
    };
    await expect(service.download(request({ categories: ['dog'], concurrency: 1 }), context([], paused.signal))).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    release();
    server.beforeImage = null;
    expect(server.requests.filter((r) => r.path.endsWith('.zip')).map((r) => r.range)).toEqual([null, `bytes=${kept}-`]);
    const here = filesIn(join(dir, 'coco', 'train2017'));
    expect(here).toEqual(dogs.slice(0, 3));

    server.requests.length = 0;
    const resumed = await service.download(request({ categories: ['dog'] }), context());
    expect(resumed.images).toEqual({ wanted: dogs.length, downloaded: dogs.length - here.length, alreadyPresent: here.length, failed: 0 });
    expect(resumed.annotationsDownloaded).toBe(false);
    expect(server.imageRequests().sort()).toEqual(dogs.filter((name) => !here.includes(name)));
    expect(filesIn(join(dir, 'coco', 'train2017'))).toEqual(dogs);
  });

  it('refuses before writing when the disk is too small: for the zip, and for the images once their number is known', async () => {
    freeBytes = () => 1000;
    await expect(service.download(request({ categories: ['dog'] }), context())).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^The annotations zip needs about .* but the disk of .* has only 1000 bytes free\. Free some space/),
    });
    expect(filesIn(join(dir, 'coco'))).toEqual([]);

    // Room for the annotations, not for the dog images (9 of them, about 1.5 MB).
    freeBytes = (path) => (path.endsWith('train2017') ? 1_000_000 : 1e12);
    await expect(service.download(request({ categories: ['dog'] }), context())).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^Fetching the 9 images not yet here needs about 1\.\d MB, but the disk of .* has only 977 KB free/),
    });
    expect(server.imageRequests()).toEqual([]);
    expect(filesIn(join(dir, 'coco', 'train2017'))).toEqual([]);
  });

  it('deletes a downloaded zip that is damaged, saying so, and the next call fetches it anew', async () => {
    const zip = server.zip;
    server.zip = Buffer.from('<html><body>Service unavailable</body></html>');
    try {
      await expect(service.download(request({ categories: ['bear'] }), context())).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/was damaged \(it is not a readable zip .*\) and has been deleted\. Start the download again/),
      });
      expect(filesIn(join(dir, 'coco'))).toEqual([]);
    } finally {
      server.zip = zip;
    }
    await expect(service.download(request({ categories: ['bear'] }), context())).resolves.toMatchObject({
      images: { wanted: 1, downloaded: 1, failed: 0 },
    });
  });

  it('refuses an unknown category with the close match before fetching anything', async () => {
    await expect(service.download(request({ categories: ['dgo'] }), context())).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'COCO 2017 has no category named "dgo". Did you mean "dog"? Nothing was downloaded.',
    });
    expect(server.requests).toEqual([]);
  });

  it('leaves a file already in the folder that is not the recorded image, and lists it', async () => {
    const [giraffe] = imagesWith(['giraffe']) as [string];
    const other = '000000000009.jpg'; // 640×480, not the giraffe's size
    mkdirSync(join(dir, 'coco', 'train2017'), { recursive: true });
    copyFileSync(join(coco128Dir, 'train2017', other), join(dir, 'coco', 'train2017', giraffe));
    const result = await service.download(request({ categories: ['giraffe'] }), context());
    expect(result.failures).toEqual([
      expect.objectContaining({
        fileName: giraffe,
        reason: expect.stringMatching(/already in the folder, but it is 640×480 pixels, not the .* left as it is/),
      }),
    ]);
    expect(readFileSync(join(dir, 'coco', 'train2017', giraffe)).equals(readFileSync(join(coco128Dir, 'train2017', other)))).toBe(true);
    expect(server.imageRequests()).not.toContain(giraffe);
  });
});

describe.skipIf(!hasCoco128)('the COCO 2017 category names known before any download', () => {
  it('are those of the real annotation file, in its order', () => {
    const coco = JSON.parse(readFileSync(coco128Annotations, 'utf8')) as CocoJson;
    expect([...coco2017CategoryNames]).toEqual(coco.categories.map((c) => c.name));
  });
});

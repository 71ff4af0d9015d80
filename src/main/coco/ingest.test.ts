import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCocoFixture, fixtureExpected, serializeCoco, type CocoFile } from '../../../test/fixtures/coco-fixture';
import type { Progress } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import { openCache, type Db } from '../db/connection';
import { ingestCocoFile } from './ingest';
import { imageDetail, listCategories, listFiles, subsetMatrix, subsetStats } from './queries';

/** Every table of the cache but the migration log, so these checks hold whatever the storage layout. */
function tableNames(db: Db): string[] {
  return db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' ORDER BY name")
    .pluck()
    .all() as string[];
}

function totalRows(db: Db): number {
  return tableNames(db).reduce((sum, t) => sum + (db.prepare(`SELECT COUNT(*) FROM "${t}"`).pluck().get() as number), 0);
}

/** Images, annotations and categories of one imported file, as the queries see them. */
function storedCounts(db: Db, fileId: number): { images: number; annotations: number; categories: number } {
  const imageIds = db.prepare('SELECT id FROM images WHERE file_id = ?').pluck().all(fileId) as number[];
  const annotations = imageIds.reduce((sum, id) => sum + imageDetail(db, fileId, id, [], () => false).boxes.length, 0);
  return { images: imageIds.length, annotations, categories: listCategories(db, fileId).length };
}

/** Everything the queries can see, and every row of every table, to compare a cache before and after a failed import. */
function snapshot(db: Db): unknown {
  const files = listFiles(db);
  return {
    files,
    perFile: files.map((f) => ({
      counts: storedCounts(db, f.fileId),
      categories: listCategories(db, f.fileId),
      pets: subsetStats(db, f.fileId, fixtureExpected.petsSubset.names),
      personCat: subsetStats(db, f.fileId, fixtureExpected.personCatSubset.names),
      matrix: subsetMatrix(db, f.fileId, fixtureExpected.petsSubset.names),
    })),
    tables: Object.fromEntries(tableNames(db).map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()])),
  };
}

async function ingestError(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the import to fail');
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Sets a file's mtime to a whole second distinct from any earlier one, so size+mtime caching sees a change. */
let clock = Math.floor(Date.now() / 1000) - 100_000;
function bumpMtime(path: string): void {
  clock += 10;
  utimesSync(path, clock, clock);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ingestCocoFile: a good file', () => {
  it('stores the counts, sha256, size and mtime of the file and every row', async () => {
    const db = openCache(join(dir, 'cache'));
    try {
      const path = join(dir, 'instances.json');
      writeFileSync(path, serializeCoco(buildCocoFixture(), { categories: 'last' }));
      const result = await ingestCocoFile(db, path, { imagesDir: dir });
      expect(result).toMatchObject({
        cached: false,
        path,
        imagesDir: dir,
        images: fixtureExpected.images,
        annotations: fixtureExpected.annotations,
        categories: fixtureExpected.categories,
        sizeBytes: statSync(path).size,
        mtimeMs: Math.floor(statSync(path).mtimeMs),
        sha256: sha256(path),
      });
      expect(result.seconds).toBeGreaterThanOrEqual(0);
      expect(listFiles(db)).toHaveLength(1);
      expect(storedCounts(db, result.fileId)).toEqual({ images: 8, annotations: 17, categories: 6 });
      const perCategory = Object.fromEntries(listCategories(db, result.fileId).map((c) => [c.name, c.imageCount]));
      expect(perCategory).toEqual(fixtureExpected.imagesPerCategory);
    } finally {
      db.close();
    }
  });

  it('hashes a file larger than one chunk correctly (sha256 over every chunk)', async () => {
    const db = openCache(join(dir, 'cache'));
    try {
      const path = join(dir, 'instances.json');
      writeFileSync(path, serializeCoco(buildCocoFixture({ extraImages: 50 }), { pretty: true }));
      const result = await ingestCocoFile(db, path, { chunkBytes: 97 });
      expect(result.sha256).toBe(sha256(path));
      expect([result.images, result.annotations, result.categories]).toEqual([58, 67, 6]);
    } finally {
      db.close();
    }
  });

  it('stores the same rows whatever the chunk size', async () => {
    const path = join(dir, 'instances.json');
    writeFileSync(path, serializeCoco(buildCocoFixture({ extraImages: 3 }), { categories: 'last', pretty: true }));
    const dumps: unknown[] = [];
    for (const chunkBytes of [1, 13, 4096, 4 * 1024 * 1024]) {
      const db = openCache(join(dir, `cache-${chunkBytes}`));
      try {
        await ingestCocoFile(db, path, { chunkBytes });
        // Every row but the file's own (its import time and duration differ).
        const tablesNow = tableNames(db).filter((t) => t !== 'annotation_files');
        dumps.push(Object.fromEntries(tablesNow.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()])));
      } finally {
        db.close();
      }
    }
    for (const dump of dumps.slice(1)) expect(dump).toEqual(dumps[0]);
  });
});

describe('ingestCocoFile: bad input is refused with a message, and leaves no partial state', () => {
  let db: Db;
  let cacheDir: string;
  let goodPath: string;
  let before: unknown;
  const good = serializeCoco(buildCocoFixture());

  beforeAll(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'mlw-'));
    db = openCache(cacheDir);
    // Another file already in the cache: a failed import must not touch it.
    goodPath = join(cacheDir, 'good.json');
    writeFileSync(goodPath, good);
    await ingestCocoFile(db, goodPath);
    before = snapshot(db);
  });
  afterAll(() => {
    db.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  interface Expected {
    code?: 'INVALID_INPUT' | 'NOT_FOUND';
    message: RegExp;
    jsonPath?: string;
    byteOffset?: number;
  }

  async function expectRefused(content: string | Buffer, expected: Expected): Promise<AppError> {
    const path = join(dir, 'bad.json');
    writeFileSync(path, content);
    const error = await ingestError(ingestCocoFile(db, path, { chunkBytes: 7 }));
    expect(error.code).toBe(expected.code ?? 'INVALID_INPUT');
    expect(error.message).toMatch(expected.message);
    if (expected.jsonPath !== undefined) {
      expect(error.details?.jsonPath).toBe(expected.jsonPath);
      expect(error.message).toContain(`at ${expected.jsonPath}`);
    }
    if (expected.byteOffset !== undefined) {
      expect(error.details?.byteOffset).toBe(expected.byteOffset);
      expect(error.message).toContain(`byte ${expected.byteOffset}`);
    }
    // Nothing of the bad file was kept, and the earlier import is untouched.
    expect(snapshot(db)).toEqual(before);
    expect(db.inTransaction).toBe(false);
    return error;
  }

  /** A COCO object from parts, each a raw JSON value text. */
  function coco(parts: { images?: string; annotations?: string; categories?: string; extra?: string }): string {
    const entries = Object.entries(parts)
      .filter(([k]) => k !== 'extra')
      .map(([k, v]) => `"${k}":${v}`);
    if (parts.extra !== undefined) entries.push(parts.extra);
    return `{${entries.join(',')}}`;
  }
  const img = (id: string | number, fileName = `"${String(id)}.jpg"`): string =>
    `{"id":${id},"file_name":${fileName},"width":10,"height":10}`;
  const ann = (id: number | string, imageId: number, categoryId: number, bbox = '[1,2,3,4]'): string =>
    `{"id":${id},"image_id":${imageId},"category_id":${categoryId},"segmentation":[[1,2,3,4,5,6]],"bbox":${bbox},"area":12,"iscrowd":0}`;
  const cat = (id: number | string, name: string): string => `{"id":${id},"name":"${name}","supercategory":"animal"}`;

  it('refuses text that is not JSON ("hello")', async () => {
    await expectRefused('hello', { message: /not JSON: it starts with "h"/, jsonPath: '$', byteOffset: 0 });
  });

  it('refuses binary garbage', async () => {
    await expectRefused(Buffer.from([0x00, 0xff, 0x10]), { message: /not JSON: it starts with the byte 0x00/, byteOffset: 0 });
  });

  it('refuses an empty file', async () => {
    const error = await expectRefused('', { message: /The file is empty/ });
    expect(error.details?.byteOffset).toBeUndefined();
  });

  it('refuses a whitespace-only file as empty', async () => {
    await expectRefused(' \n\t\r\n   ', { message: /The file is empty/ });
  });

  it('refuses a top-level array', async () => {
    await expectRefused('  [{"images":[]}]', { message: /top level of the file is a list, not an object/, jsonPath: '$', byteOffset: 2 });
  });

  it('refuses a top-level string, number and literal', async () => {
    await expectRefused('"coco"', { message: /top level of the file is a string, not an object/, byteOffset: 0 });
    await expectRefused('\n42', { message: /top level of the file is a number, not an object/, byteOffset: 1 });
    await expectRefused('null', { message: /top level of the file is null, not an object/ });
  });

  describe('a truncated file', () => {
    const cuts: [string, number][] = [
      ['after the opening brace', 1],
      ['inside a top-level key', good.indexOf('"images"') + 3],
      ['inside a file_name string', good.indexOf('000000000036.jpg') + 5],
      ['inside a number', good.indexOf('"width":481') + '"width":4'.length],
      ['inside a skipped segmentation', good.indexOf('"segmentation"') + 30],
      ['inside RLE string counts', good.indexOf('PQ1') + 4],
      ['between elements', good.indexOf('},{"id":9,') + 2],
      ['just before the closing brace', good.length - 1],
    ];
    for (const [where, cut] of cuts) {
      it(`is refused when cut ${where}`, async () => {
        expect(cut).toBeGreaterThan(0);
        expect(cut).toBeLessThan(good.length);
        await expectRefused(good.slice(0, cut), {
          message: /ends before the JSON is complete: it is truncated/,
          byteOffset: Buffer.byteLength(good.slice(0, cut)),
        });
      });
    }

    it('names the element it stopped in', async () => {
      const cut = good.indexOf('000000000036.jpg') + 5;
      const imageIndex = buildCocoFixture().images.findIndex((i) => i.id === 36);
      await expectRefused(good.slice(0, cut), { message: /truncated/, jsonPath: `$.images[${imageIndex}]` });
    });
  });

  it.each(['images', 'annotations', 'categories'] as const)('refuses a file with no "%s" list', async (section) => {
    const parts = { images: `[${img(1)}]`, annotations: `[${ann(1, 1, 1)}]`, categories: `[${cat(1, 'dog')}]` };
    delete (parts as Partial<typeof parts>)[section];
    await expectRefused(coco(parts), { message: new RegExp(`has no "${section}" list`), jsonPath: '$' });
  });

  it('refuses "images" that is not a list', async () => {
    const text = coco({ images: '{"id":1}', annotations: '[]', categories: '[]' });
    await expectRefused(text, {
      message: /"images" should be a list but is an object/,
      jsonPath: '$.images',
      byteOffset: text.indexOf('{"id"'),
    });
  });

  it('refuses an element of "images" that is not an object', async () => {
    const text = coco({ images: `[${img(1)}, 7]`, annotations: '[]', categories: '[]' });
    await expectRefused(text, {
      message: /Each element of "images" should be an object but this one is a number/,
      jsonPath: '$.images[1]',
      byteOffset: text.indexOf('7]'),
    });
  });

  it('refuses a bbox that is a string', async () => {
    const text = coco({
      images: `[${img(1)}]`,
      categories: `[${cat(1, 'dog')}]`,
      annotations: `[${ann(1, 1, 1)},${ann(2, 1, 1, '"1,2,3,4"')}]`,
    });
    await expectRefused(text, {
      message: /should be a list of 4 numbers \[x, y, width, height\] but is a string/,
      jsonPath: '$.annotations[1].bbox',
      byteOffset: text.indexOf('"1,2,3,4"'),
    });
  });

  it('refuses a bbox of 3 numbers and one of 5', async () => {
    const three = coco({ images: `[${img(1)}]`, categories: `[${cat(1, 'dog')}]`, annotations: `[${ann(1, 1, 1, '[1, 2, 3]')}]` });
    await expectRefused(three, {
      message: /A bbox should have 4 numbers/,
      jsonPath: '$.annotations[0].bbox',
      byteOffset: three.indexOf('[1, 2, 3]'),
    });
    const five = coco({ images: `[${img(1)}]`, categories: `[${cat(1, 'dog')}]`, annotations: `[${ann(1, 1, 1, '[1,2,3,4,5]')}]` });
    await expectRefused(five, { message: /A bbox should have 4 numbers/, jsonPath: '$.annotations[0].bbox' });
  });

  it('refuses an image id that is a float', async () => {
    const text = coco({ images: `[${img(1)},${img('2.5', '"x.jpg"')}]`, annotations: '[]', categories: '[]' });
    await expectRefused(text, {
      message: /An id should be a whole number .* but is 2\.5/,
      jsonPath: '$.images[1].id',
      byteOffset: text.indexOf('2.5'),
    });
  });

  it('refuses a negative id', async () => {
    const text = coco({ images: `[${img(1)}]`, annotations: `[${ann(-3, 1, 1)}]`, categories: `[${cat(1, 'dog')}]` });
    await expectRefused(text, {
      message: /An id should be a whole number .* but is -3/,
      jsonPath: '$.annotations[0].id',
      byteOffset: text.indexOf('-3'),
    });
  });

  it('refuses a file_name that is a number', async () => {
    const text = coco({ images: `[${img(1, '123')}]`, annotations: '[]', categories: '[]' });
    await expectRefused(text, {
      message: /This should be a string but is a number/,
      jsonPath: '$.images[0].file_name',
      byteOffset: text.indexOf('123'),
    });
  });

  it('refuses an image without a file_name', async () => {
    await expectRefused(coco({ images: '[{"id":1,"width":1,"height":1}]', annotations: '[]', categories: '[]' }), {
      message: /This image has no "file_name"/,
      jsonPath: '$.images[0]',
    });
  });

  it('refuses an annotation that points to an unknown image', async () => {
    const text = coco({
      images: `[${img(1)},${img(2)}]`,
      annotations: `[${ann(10, 1, 1)},${ann(11, 999, 1)},${ann(12, 999, 1)}]`,
      categories: `[${cat(1, 'dog')}]`,
    });
    await expectRefused(text, {
      message: /An annotation refers to image 999, which is not in "images"/,
      jsonPath: '$.annotations[1].image_id',
    });
  });

  it('refuses an unknown category when categories come last in the file', async () => {
    const text = `{"images":[${img(1)}],"annotations":[${ann(10, 1, 1)},${ann(11, 1, 77)}],"categories":[${cat(1, 'dog')}]}`;
    expect(text.indexOf('"categories"')).toBeGreaterThan(text.indexOf('"annotations"'));
    await expectRefused(text, {
      message: /An annotation refers to category 77, which is not in "categories"/,
      jsonPath: '$.annotations[1].category_id',
    });
  });

  it('refuses an image label of an unknown image, naming its place in mlw_image_labels', async () => {
    const data = {
      ...buildCocoFixture(),
      mlw_image_labels: [
        { image_id: 42, category_id: 16 },
        { image_id: 7, category_id: 16 },
      ],
    };
    const file = join(dir, 'image-labels.json');
    writeFileSync(file, JSON.stringify(data));
    const db = openCache(join(dir, 'cache-image-labels'));
    try {
      const error = await ingestError(ingestCocoFile(db, file));
      expect(error.message).toContain('An image label refers to image 7, which is not in "images" (at $.mlw_image_labels[1].image_id)');
    } finally {
      db.close();
    }
  });

  it('refuses a duplicate image id', async () => {
    await expectRefused(coco({ images: `[${img(1)},${img(2)},${img(1, '"again.jpg"')}]`, annotations: '[]', categories: '[]' }), {
      message: /Image id 1 is used twice, first at \$\.images\[0\]/,
      jsonPath: '$.images[2].id',
    });
  });

  it('refuses a duplicate annotation id', async () => {
    await expectRefused(
      coco({
        images: `[${img(1)}]`,
        annotations: `[${ann(900100000257, 1, 1)},${ann(5, 1, 1)},${ann(900100000257, 1, 1)}]`,
        categories: `[${cat(1, 'dog')}]`,
      }),
      {
        message: /Annotation id 900100000257 is used twice/,
        jsonPath: '$.annotations[2].id',
      },
    );
  });

  it('refuses a duplicate small annotation id, naming its second place', async () => {
    await expectRefused(
      coco({
        images: `[${img(1)}]`,
        annotations: `[${ann(7, 1, 1)},${ann(2232119, 1, 1)},${ann(8, 1, 1)},${ann(2232119, 1, 1)}]`,
        categories: `[${cat(1, 'dog')}]`,
      }),
      { message: /Annotation id 2232119 is used twice/, jsonPath: '$.annotations[3].id' },
    );
  });

  it('refuses a duplicate category id', async () => {
    await expectRefused(coco({ images: '[]', annotations: '[]', categories: `[${cat(1, 'dog')},${cat(1, 'cat')}]` }), {
      message: /Category id 1 is used twice, first at \$\.categories\[0\]/,
      jsonPath: '$.categories[1].id',
    });
  });

  it('refuses a duplicate category name', async () => {
    await expectRefused(coco({ images: '[]', annotations: '[]', categories: `[${cat(1, 'dog')},${cat(2, 'cat')},${cat(3, 'dog')}]` }), {
      message: /Two categories are named "dog" \(ids 1 and 3\)/,
      jsonPath: '$.categories[2].name',
    });
  });

  // Found by the fuzz suite (test/fuzz/coco.fuzz.test.ts): the name went into the message as it was.
  it('quotes a duplicate category name as JSON and cuts it short, so the message stays one line', async () => {
    const twice = (name: string): string =>
      coco({ images: '[]', annotations: '[]', categories: `[${cat(1, name)},${cat(2, 'cat')},${cat(3, name)}]` });
    const broken = await expectRefused(twice('a\\nb'), { message: /Two categories are named "a\\nb" \(ids 1 and 3\)/ });
    expect(broken.message).not.toMatch(/[\r\n]/);
    const long = await expectRefused(twice('x'.repeat(50_000)), { message: /Two categories are named "x{60}…" \(ids 1 and 3\)/ });
    expect(long.message.length).toBeLessThan(400);
  });

  it('names a top-level key in a message with control characters escaped and cut short', async () => {
    // A raw line break in a key (not valid JSON, but the key is only skipped) must not split the message.
    const broken = await expectRefused(`{"images":[],"annotations":[],"categories":[],"x\ny":[}]}`, {
      message: /Unexpected "}": brackets do not match \(at \$\.x\\u000ay, byte \d+\)/,
    });
    expect(broken.message).not.toMatch(/[\r\n]/);
    const long = await expectRefused(`{"images":[],"annotations":[],"categories":[],"${'k'.repeat(100_000)}":[}]}`, {
      message: /\(at \$\.k{60}…, byte \d+\)/,
    });
    expect(long.message.length).toBeLessThan(400);
  });

  it('refuses a top-level key that appears twice', async () => {
    const text = '{"images":[],"annotations":[],"categories":[],"images":[]}';
    await expectRefused(text, {
      message: /The key "images" appears twice/,
      jsonPath: '$.images',
      byteOffset: text.lastIndexOf('"images"'),
    });
  });

  it('refuses trailing garbage after the object', async () => {
    await expectRefused(`${good}\n,garbage`, {
      message: /more data after the end of the JSON object/,
      jsonPath: '$',
      byteOffset: Buffer.byteLength(good) + 1,
    });
    await expectRefused(`${good}{}`, { message: /more data after the end/, byteOffset: Buffer.byteLength(good) });
  });

  it('refuses a path where nothing exists with NOT_FOUND', async () => {
    const missing = join(dir, 'nope', 'instances.json');
    const error = await ingestError(ingestCocoFile(db, missing));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(`There is no file at ${missing}`);
    expect(error.details).toEqual({ path: missing });
    expect(snapshot(db)).toEqual(before);
  });

  it('refuses a directory path with INVALID_INPUT', async () => {
    const folder = join(dir, 'annotations');
    mkdirSync(folder);
    const error = await ingestError(ingestCocoFile(db, folder));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(`${folder} is a folder, not a file`);
    expect(snapshot(db)).toEqual(before);
  });
});

describe('ingestCocoFile: transactions and caching', () => {
  let db: Db;
  let path: string;

  beforeEach(() => {
    db = openCache(join(dir, 'cache'));
    path = join(dir, 'instances.json');
  });
  afterEach(() => {
    db.close();
  });

  async function importVersion(
    data: CocoFile | string,
    options: Parameters<typeof ingestCocoFile>[2] = {},
  ): Promise<Awaited<ReturnType<typeof ingestCocoFile>>> {
    writeFileSync(path, typeof data === 'string' ? data : serializeCoco(data, { categories: 'last' }));
    bumpMtime(path);
    return ingestCocoFile(db, path, options);
  }

  it.each([
    ['truncated', () => serializeCoco(buildCocoFixture({ extraImages: 400 })).slice(0, -20), /truncated/],
    ['not JSON', () => 'hello', /not JSON/],
    // Fails only at the very end (reference check), after every row of the new version was inserted.
    [
      'different, with an unknown category in its last annotation',
      () => {
        const data = buildCocoFixture({ extraImages: 400 });
        data.annotations.at(-1)!.category_id = 999;
        return serializeCoco(data, { categories: 'last' });
      },
      /refers to category 999/,
    ],
    [
      'different, with a duplicate annotation id near its end',
      () => {
        const data = buildCocoFixture({ extraImages: 400 });
        data.annotations.at(-1)!.id = data.annotations.at(-5)!.id;
        return serializeCoco(data);
      },
      /is used twice/,
    ],
  ])('a failed re-import of an overwritten file (%s) leaves every query with the old results', async (_name, makeBad, message) => {
    const first = await importVersion(buildCocoFixture());
    const old = snapshot(db);
    expect(storedCounts(db, first.fileId)).toEqual({ images: 8, annotations: 17, categories: 6 });

    const error = await ingestError(importVersion(makeBad(), { chunkBytes: 1024 }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(message);

    expect(snapshot(db)).toEqual(old);
    const { cached: _cached, ...firstFile } = first;
    expect(listFiles(db)).toEqual([firstFile]);
    expect(subsetStats(db, first.fileId, fixtureExpected.petsSubset.names)).toEqual({
      images: 6,
      perClass: fixtureExpected.petsSubset.perClass,
      labelsPerImage: { histogram: fixtureExpected.petsSubset.histogram, mean: fixtureExpected.petsSubset.mean },
    });
    // A second connection (as the app's readers use) sees the same committed state.
    const reader = openCache(join(dir, 'cache'));
    try {
      expect(snapshot(reader)).toEqual(old);
    } finally {
      reader.close();
    }
  });

  it('a cancelled import rejects with CANCELLED and leaves the previous cache unchanged', async () => {
    await importVersion(buildCocoFixture());
    const old = snapshot(db);
    const controller = new AbortController();
    const progress: Progress[] = [];
    const error = await ingestError(
      importVersion(buildCocoFixture({ extraImages: 300 }), {
        chunkBytes: 64,
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          controller.abort();
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toMatchObject({ phase: 'Reading annotations', unit: 'bytes', total: statSync(path).size });
    expect(progress[0]!.done).toBeLessThan(statSync(path).size);
    expect(snapshot(db)).toEqual(old);
    expect(db.inTransaction).toBe(false);
  });

  it('marks its progress as no base for a time-left estimate while it reads the image records at the head of the file', async () => {
    const text = serializeCoco(buildCocoFixture({ extraImages: 400 }), { categories: 'last' });
    const annotationsAt = Buffer.byteLength(text.slice(0, text.indexOf('"annotations"')));
    const imagesAt = Buffer.byteLength(text.slice(0, text.indexOf('"images"')));
    const progress: Progress[] = [];
    await importVersion(text, { chunkBytes: 2048, progressIntervalMs: 0, onProgress: (p) => progress.push(p) });
    const reading = progress.filter((p) => p.phase === 'Reading annotations');
    // A report covers the bytes pushed so far: inside the images list, it is not estimable.
    const insideImages = reading.filter((p) => p.done > imagesAt + 2048 && p.done < annotationsAt);
    const afterImages = reading.filter((p) => p.done > annotationsAt + 2048);
    expect(insideImages.length).toBeGreaterThan(5);
    expect(afterImages.length).toBeGreaterThan(0);
    expect(insideImages.every((p) => p.estimable === false)).toBe(true);
    expect(afterImages.every((p) => p.estimable === true)).toBe(true);
  });

  it('gives the connection back with its own page cache and checkpoint settings, after a good import and a failed one', async () => {
    db.pragma('cache_size = -4321');
    db.pragma('wal_autocheckpoint = 777');
    await importVersion(buildCocoFixture());
    await ingestError(importVersion('{"images": [}'));
    expect(db.pragma('cache_size', { simple: true })).toBe(-4321);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(777);
  });

  it('a file that changes while it is imported is refused with a sentence, and the cache is unchanged', async () => {
    await importVersion(buildCocoFixture());
    const old = snapshot(db);
    let appended = false;
    const error = await ingestError(
      importVersion(buildCocoFixture({ extraImages: 300 }), {
        chunkBytes: 256,
        onProgress: () => {
          // Whatever is writing the file (a download still under way) adds to it mid-import.
          if (!appended) appendFileSync(path, '\n');
          appended = true;
        },
      }),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/changed while it was being imported.*import it again/);
    expect(snapshot(db)).toEqual(old);
  });

  it('an import whose signal is already aborted rejects with CANCELLED and writes nothing', async () => {
    writeFileSync(path, serializeCoco(buildCocoFixture()));
    const error = await ingestError(ingestCocoFile(db, path, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('CANCELLED');
    expect(listFiles(db)).toEqual([]);
    expect(totalRows(db)).toBe(0);
  });

  it('re-importing an unchanged file returns cached: true without reading it', async () => {
    const first = await importVersion(buildCocoFixture());
    let progressCalls = 0;
    const again = await ingestCocoFile(db, path, { onProgress: () => progressCalls++ });
    expect(again.cached).toBe(true);
    expect(progressCalls).toBe(0);
    // The stored row is returned as it was: same import time and duration, same hash.
    expect({ ...again, cached: false }).toEqual(first);
    expect(again.seconds).toBe(first.seconds);
    expect(again.importedAt).toBe(first.importedAt);
  });

  it('an unchanged file with a new images folder is still cached but records the folder', async () => {
    const first = await importVersion(buildCocoFixture());
    expect(first.imagesDir).toBeNull();
    const again = await ingestCocoFile(db, path, { imagesDir: dir });
    expect(again).toMatchObject({ cached: true, imagesDir: dir, importedAt: first.importedAt });
    // Leaving the folder out keeps the one recorded.
    expect((await ingestCocoFile(db, path)).imagesDir).toBe(dir);
  });

  it('a changed file at the same path is re-imported with the new counts and hash under a new file id, the old one gone', async () => {
    const first = await importVersion(buildCocoFixture());
    const second = await importVersion(buildCocoFixture({ extraImages: 5 }));
    expect(second.cached).toBe(false);
    expect(second.fileId).not.toBe(first.fileId);
    expect(listFiles(db).map((f) => f.fileId)).toEqual([second.fileId]);
    expect([second.images, second.annotations, second.categories]).toEqual([13, 22, 6]);
    expect(second.sha256).toBe(sha256(path));
    expect(second.sha256).not.toBe(first.sha256);
    expect(second.mtimeMs).toBe(Math.floor(statSync(path).mtimeMs));
    expect(storedCounts(db, second.fileId)).toEqual({ images: 13, annotations: 22, categories: 6 });
    expect(listCategories(db, second.fileId).find((c) => c.name === 'person')!.imageCount).toBe(8);
    expect(listFiles(db)).toHaveLength(1);
  });

  it('a file rewritten with the same size but a new mtime is re-imported', async () => {
    const first = await importVersion(buildCocoFixture());
    const changed = buildCocoFixture();
    changed.images[1]!.file_name = '000000000009.png';
    const second = await importVersion(changed);
    expect(second.sizeBytes).toBe(first.sizeBytes);
    expect(second.cached).toBe(false);
    expect(second.sha256).toBe(sha256(path));
    expect(second.sha256).not.toBe(first.sha256);
    expect(subsetMatrix(db, second.fileId, ['dog']).fileNames[0]).toBe('000000000009.png');
  });

  it('a file whose size changes but not its mtime is re-imported', async () => {
    const first = await importVersion(buildCocoFixture());
    const mtime = statSync(path).mtime;
    writeFileSync(path, serializeCoco(buildCocoFixture({ extraImages: 1 })));
    utimesSync(path, mtime, mtime);
    const second = await ingestCocoFile(db, path);
    expect(second.cached).toBe(false);
    expect(second.images).toBe(first.images + 1);
  });

  it('two different files get their own file ids and rows', async () => {
    const a = await importVersion(buildCocoFixture());
    const otherPath = join(dir, 'other.json');
    writeFileSync(otherPath, serializeCoco(buildCocoFixture({ extraImages: 2 })));
    const b = await ingestCocoFile(db, otherPath);
    expect(b.fileId).not.toBe(a.fileId);
    expect(listFiles(db)).toHaveLength(2);
    expect(storedCounts(db, a.fileId)).toEqual({ images: 8, annotations: 17, categories: 6 });
    expect(storedCounts(db, b.fileId)).toEqual({ images: 10, annotations: 19, categories: 6 });
    expect(subsetStats(db, a.fileId, ['person']).perClass).toEqual({ person: 3 });
    expect(subsetStats(db, b.fileId, ['person']).perClass).toEqual({ person: 5 });
  });
});

describe('ingestCocoFile: a large file read by two threads', () => {
  /** Imports `text` into a fresh cache, by one thread or (from 0 bytes) two, and returns every row and the split. */
  async function importWith(text: string, threads: 1 | 2, name: string) {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, text);
    const db = openCache(join(dir, `cache-${name}-${threads}`));
    const splits: { from: number; offset: number | null; taken: boolean }[] = [];
    try {
      const result = await ingestCocoFile(db, file, {
        chunkBytes: 64 * 1024,
        parallelFromBytes: threads === 2 ? 0 : Infinity,
        onSplit: (split) => splits.push(split),
      });
      // Everything but the file's own row, whose import time and duration differ from run to run.
      const { files: _files, tables, ...rest } = snapshot(db) as { files: unknown; tables: Record<string, unknown> };
      const { annotation_files: _file, ...rows } = tables;
      return {
        counts: { images: result.images, annotations: result.annotations, categories: result.categories },
        rows: { ...rest, rows },
        splits,
      };
    } finally {
      db.close();
    }
  }

  async function errorWith(text: string, threads: 1 | 2, name: string): Promise<AppError> {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, text);
    const db = openCache(join(dir, `cache-${name}-${threads}`));
    try {
      return await ingestError(ingestCocoFile(db, file, { chunkBytes: 64 * 1024, parallelFromBytes: threads === 2 ? 0 : Infinity }));
    } finally {
      db.close();
    }
  }

  // Polygons make up most of a real file, so its middle falls among the annotations.
  const big = buildCocoFixture({ extraImages: 3000 });
  for (const a of big.annotations) a.segmentation = [Array.from({ length: 40 }, (_, i) => a.bbox[i % 2]! + (i % 7) * 1.5)];
  const expectedCounts = { images: 3008, annotations: 3017, categories: 6 };

  it('takes the second thread’s half at an annotation boundary and stores the same rows as one thread', async () => {
    const text = serializeCoco(big, { categories: 'last' });
    const one = await importWith(text, 1, 'good');
    const two = await importWith(text, 2, 'good');
    expect(two.splits).toHaveLength(1);
    const split = two.splits[0]!;
    expect(split.taken).toBe(true);
    expect(split.offset).toBeGreaterThanOrEqual(split.from);
    // The second thread began at an element of the annotations list: `}, {` with nothing between.
    expect(text.slice(split.offset! - 2, split.offset! + 1)).toBe('},{');
    expect(split.offset!).toBeGreaterThan(text.indexOf('"annotations"'));
    expect(two.counts).toEqual(expectedCounts);
    expect(two.rows).toEqual(one.rows);
  });

  it('reads the image labels our export writes after the annotations, from the second thread as from one', async () => {
    // Labels without a box: bird on 42 and 1005, dog on 25 (its only annotation is a person).
    const text = JSON.stringify({
      ...JSON.parse(serializeCoco(big, { categories: 'first' })),
      mlw_image_labels: [
        { image_id: 42, category_id: 16 },
        { image_id: 1005, category_id: 16 },
        { image_id: 25, category_id: 18 },
      ],
    });
    const one = await importWith(text, 1, 'image-labels');
    const two = await importWith(text, 2, 'image-labels');
    expect(two.splits.map((s) => s.taken)).toEqual([true]);
    expect(two.rows).toEqual(one.rows);
    const { categories } = (one.rows as unknown as { perFile: { categories: { name: string; imageCount: number }[] }[] }).perFile[0]!;
    expect(Object.fromEntries(categories.map((c) => [c.name, c.imageCount]))).toMatchObject({ bird: 2, dog: 5 });
  });

  it('takes images and categories that come after the annotations from the second thread', async () => {
    const text = JSON.stringify({
      info: big.info,
      categories: big.categories,
      annotations: big.annotations,
      licenses: big.licenses,
      images: big.images,
    });
    const one = await importWith(text, 1, 'images-last');
    const two = await importWith(text, 2, 'images-last');
    expect(two.splits.map((s) => s.taken)).toEqual([true]);
    expect(two.counts).toEqual(expectedCounts);
    expect(two.rows).toEqual(one.rows);
  });

  it('reads on by itself when the second thread began in another list of annotation-shaped objects', async () => {
    // A list at the same depth whose objects would pass for annotations: the second thread reads
    // them as such, and only this thread's reader, stopped there, can tell.
    const decoys = big.annotations.map((a) => ({ ...a, id: a.id + 1_000_000 }));
    const text = JSON.stringify({
      images: big.images,
      annotations: big.annotations.slice(0, 20),
      review: decoys,
      categories: big.categories,
    });
    const one = await importWith(text, 1, 'decoy');
    const two = await importWith(text, 2, 'decoy');
    expect(two.splits).toHaveLength(1);
    expect(two.splits[0]!.offset).toBeGreaterThan(text.indexOf('"review"'));
    expect(two.splits[0]!.taken).toBe(false);
    expect(two.counts).toEqual({ images: 3008, annotations: 20, categories: 6 });
    expect(two.rows).toEqual(one.rows);
  });

  it('reads on by itself when the second thread began in the categories list, whose objects also pass for annotations', async () => {
    // Here this thread's reader stops between two elements, as it would among annotations: only the
    // list it is in tells them apart.
    const lookalikes = Array.from({ length: 6000 }, (_, i) => ({
      id: 1000 + i,
      name: `class ${i}`,
      supercategory: 's',
      image_id: 9,
      category_id: 1,
      bbox: [1, 2, 3, 4],
    }));
    const categories = [...big.categories, ...lookalikes];
    const text = JSON.stringify({ images: big.images.slice(0, 8), annotations: big.annotations.slice(0, 17), categories });
    const one = await importWith(text, 1, 'categories');
    const two = await importWith(text, 2, 'categories');
    expect(two.splits).toHaveLength(1);
    expect(two.splits[0]!.offset).toBeGreaterThan(text.indexOf('"categories"'));
    expect(two.splits[0]!.taken).toBe(false);
    expect(two.counts).toEqual({ images: 8, annotations: 17, categories: 6006 });
    expect(two.rows).toEqual(one.rows);
  });

  it('reads on by itself when the second thread finds no place to begin (the middle falls in one huge polygon)', async () => {
    const data = buildCocoFixture({ extraImages: 50 });
    data.annotations[10]!.segmentation = [Array.from({ length: 1_500_000 }, (_, i) => (i % 640) + 0.5)];
    const text = serializeCoco(data, { categories: 'last' });
    const two = await importWith(text, 2, 'huge');
    expect(two.splits).toEqual([{ from: Math.floor(Buffer.byteLength(text) / 2), offset: null, taken: false }]);
    expect(two.counts).toEqual({ images: 58, annotations: 67, categories: 6 });
  });

  it.each([
    [
      'a syntax error',
      (text: string) => text.replace(/,"area":(\d+)/g, (m, area: string, at: number) => (at > text.length * 0.8 ? `,"area":${area}.` : m)),
    ],
    ['a truncated end', (text: string) => text.slice(0, -30)],
    [
      'an annotation id used in both halves',
      (text: string) => text.replace('"id":5002,', '"id":7999,').replace('"id":7990,', '"id":7999,'),
    ],
    // The second thread reads the repeated list; this thread must still report the repeated key, with its offset.
    ['"images" again after the annotations', (text: string) => `${text.slice(0, -1)},"images":${JSON.stringify(big.images.slice(0, 3))}}`],
    [
      '"categories" at the start and again at the end',
      () => `${serializeCoco(big, { categories: 'first' }).slice(0, -1)},"categories":${JSON.stringify(big.categories)}}`,
    ],
  ])('fails on %s in the second half exactly as one thread does', async (name, damage) => {
    const text = damage(serializeCoco(big, { categories: 'last' }));
    const file = `bad-${name.replace(/\W+/g, '-')}`;
    const one = await errorWith(text, 1, file);
    const two = await errorWith(text, 2, file);
    expect(one.code).toBe('INVALID_INPUT');
    expect({ code: two.code, message: two.message, details: two.details }).toEqual({
      code: one.code,
      message: one.message,
      details: one.details,
    });
  });

  it('stops both threads when cancelled while the second is still reading', async () => {
    const file = join(dir, 'cancel.json');
    writeFileSync(file, serializeCoco(buildCocoFixture({ extraImages: 20_000 }), { categories: 'last' }));
    const db = openCache(join(dir, 'cache-cancel'));
    const controller = new AbortController();
    try {
      const error = await ingestError(
        ingestCocoFile(db, file, {
          chunkBytes: 16 * 1024,
          parallelFromBytes: 0,
          signal: controller.signal,
          progressIntervalMs: 0,
          onProgress: (p) => p.done > 1024 * 1024 && controller.abort(),
        }),
      );
      expect(error.code).toBe('CANCELLED');
      expect(listFiles(db)).toEqual([]);
    } finally {
      db.close();
    }
  });
});

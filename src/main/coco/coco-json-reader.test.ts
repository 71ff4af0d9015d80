import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCocoFixture, serializeCoco, trickyRleCounts, type CocoFile } from '../../../test/fixtures/coco-fixture';
import { AppError } from '../../shared/contract/errors';
import { CocoFormatError, CocoJsonReader, type AnnotationRecord, type CategoryRecord, type ImageRecord } from './coco-json-reader';

interface Collected {
  images: (ImageRecord & { index: number })[];
  annotations: (AnnotationRecord & { index: number })[];
  categories: (CategoryRecord & { index: number })[];
  counts: { images: number; annotations: number; categories: number };
}

/** Feeds `chunks` to a reader and copies every record (the reader reuses one object per kind). */
function readChunks(chunks: readonly Buffer[]): Collected {
  const out: Omit<Collected, 'counts'> = { images: [], annotations: [], categories: [] };
  const reader = new CocoJsonReader({
    image: (r, index) => out.images.push({ ...r, index }),
    annotation: (r, index) => out.annotations.push({ ...r, index }),
    category: (r, index) => out.categories.push({ ...r, index }),
  });
  for (const chunk of chunks) reader.push(chunk);
  return { ...out, counts: reader.finish() };
}

function read(text: string | Buffer): Collected {
  return readChunks([typeof text === 'string' ? Buffer.from(text) : text]);
}

function readError(text: string | Buffer): CocoFormatError {
  try {
    read(text);
  } catch (error) {
    expect(error).toBeInstanceOf(CocoFormatError);
    return error as CocoFormatError;
  }
  throw new Error('expected the reader to throw');
}

/** The records a correct reader must produce for a COCO object, in file order. */
function expectedRecords(data: CocoFile): Omit<Collected, 'counts'> {
  return {
    images: data.images.map((im, index) => ({
      id: im.id,
      fileName: im.file_name,
      width: im.width,
      height: im.height,
      license: im.license,
      index,
    })),
    annotations: data.annotations.map((a, index) => ({
      id: a.id,
      imageId: a.image_id,
      categoryId: a.category_id,
      x: a.bbox[0],
      y: a.bbox[1],
      w: a.bbox[2],
      h: a.bbox[3],
      area: a.area,
      iscrowd: a.iscrowd,
      index,
    })),
    categories: data.categories.map((c, index) => ({ id: c.id, name: c.name, supercategory: c.supercategory, index })),
  };
}

/** Reverses the key order of every object in a JSON value (top level included). */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  }
  return value;
}

/** Inserts JSON whitespace (spaces, tabs, CR, LF) around every structural character outside strings. */
function sprinkleWhitespace(json: string, seed: number): string {
  const pads = [' ', '\t', '\r\n', '\n    ', '', '  \t\n'];
  let state = seed;
  const pad = (): string => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return pads[state % pads.length]!;
  };
  let out = pad();
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += json[++i]!;
      } else if (c === '"') {
        inString = false;
      }
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if ('{}[],:'.includes(c)) {
      out += pad() + c + pad();
    } else {
      out += c;
    }
  }
  return out + pad();
}

const fixture = buildCocoFixture();
const expected = expectedRecords(fixture);
const fixtureCounts = { images: 8, annotations: 17, categories: 6 };

describe('CocoJsonReader: records', () => {
  it('reads every image, annotation and category of the fixture with its fields and index', () => {
    const got = read(serializeCoco(fixture));
    expect(got.images).toEqual(expected.images);
    expect(got.annotations).toEqual(expected.annotations);
    expect(got.categories).toEqual(expected.categories);
    expect(got.counts).toEqual(fixtureCounts);
  });

  it('gives the same records whether categories come first or last, and pretty-printed or compact', () => {
    const variants = [
      serializeCoco(fixture, { categories: 'first' }),
      serializeCoco(fixture, { categories: 'last' }),
      serializeCoco(fixture, { categories: 'last', pretty: true }),
      serializeCoco(fixture, { categories: 'first', pretty: 4 }),
    ];
    for (const text of variants) {
      const got = read(text);
      expect({ images: got.images, annotations: got.annotations, categories: got.categories }).toEqual(expected);
    }
  });

  it('gives the same records when every object has its keys in reverse order', () => {
    const text = JSON.stringify(reverseKeys(JSON.parse(serializeCoco(fixture))));
    // The root really is reordered: annotations now come before images and categories.
    expect(text.indexOf('"annotations"')).toBeLessThan(text.indexOf('"images"'));
    const got = read(text);
    expect({ images: got.images, annotations: got.annotations, categories: got.categories }).toEqual(expected);
  });

  it('defaults license to null, iscrowd to 0, supercategory to "" and area to w*h when they are absent', () => {
    const got = read(
      '{"images":[{"id":1,"file_name":"a.jpg","width":4,"height":3}],' +
        '"annotations":[{"id":7,"image_id":1,"category_id":2,"bbox":[1,2,3.5,4]}],' +
        '"categories":[{"id":2,"name":"dog"}]}',
    );
    expect(got.images[0]).toEqual({ id: 1, fileName: 'a.jpg', width: 4, height: 3, license: null, index: 0 });
    expect(got.annotations[0]).toMatchObject({ iscrowd: 0, area: 14 });
    expect(got.categories[0]).toEqual({ id: 2, name: 'dog', supercategory: '', index: 0 });
  });

  it('does not carry optional fields over from the previous element (the record object is reused)', () => {
    const got = read(
      '{"images":[{"id":1,"file_name":"a","width":1,"height":1,"license":5},{"id":2,"file_name":"b","width":1,"height":1}],' +
        '"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"iscrowd":1,"area":9},{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,2,3]}],' +
        '"categories":[{"id":1,"name":"a","supercategory":"s"},{"id":2,"name":"b"}]}',
    );
    expect(got.images.map((i) => i.license)).toEqual([5, null]);
    expect(got.annotations.map((a) => [a.iscrowd, a.area])).toEqual([
      [1, 9],
      [0, 6],
    ]);
    expect(got.categories.map((c) => c.supercategory)).toEqual(['s', '']);
  });

  it('reads iscrowd given as true/false and big annotation ids exactly', () => {
    const got = read(
      '{"images":[{"id":4294967295,"file_name":"x","width":1,"height":1}],"categories":[{"id":1,"name":"a"}],' +
        '"annotations":[{"id":900100000257,"image_id":4294967295,"category_id":1,"bbox":[0,0,1,1],"iscrowd":true},' +
        '{"id":9007199254740991,"image_id":4294967295,"category_id":1,"bbox":[0,0,1,1],"iscrowd":false}]}',
    );
    expect(got.images[0]!.id).toBe(4294967295);
    expect(got.annotations.map((a) => [a.id, a.iscrowd])).toEqual([
      [900100000257, 1],
      [9007199254740991, 0],
    ]);
  });

  it('accepts empty lists and reports zero counts', () => {
    expect(read('{"images":[],"annotations":[],"categories":[]}').counts).toEqual({ images: 0, annotations: 0, categories: 0 });
    expect(read('{ "images" : [ ] , "annotations" : [ ] , "categories" : [ ] }').counts).toEqual({
      images: 0,
      annotations: 0,
      categories: 0,
    });
  });
});

describe('CocoJsonReader: chunking', () => {
  const text = Buffer.from(serializeCoco(fixture, { categories: 'last' }));
  const whole = read(text);

  it('gives the same records when the file is split in two at every byte offset', () => {
    expect(whole.annotations).toHaveLength(17);
    for (let cut = 0; cut <= text.length; cut++) {
      const got = readChunks([text.subarray(0, cut), text.subarray(cut)]);
      // toStrictEqual on every offset is slow; compare a compact serialisation and fail with the offset.
      if (JSON.stringify(got) !== JSON.stringify(whole)) {
        expect({ cut, got }).toEqual({ cut, got: whole });
      }
    }
  });

  it('gives the same records when the file is pushed one byte at a time', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < text.length; i++) chunks.push(text.subarray(i, i + 1));
    expect(readChunks(chunks)).toEqual(whole);
  });

  it('gives the same records for a pretty-printed file with multi-byte UTF-8 pushed one byte at a time', () => {
    const data = buildCocoFixture();
    data.images[0]!.file_name = 'chien-é-🐶-狗.jpg';
    data.categories[0]!.name = 'persön';
    const bytes = Buffer.from(serializeCoco(data, { pretty: true }));
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    const got = readChunks(chunks);
    expect(got.images[0]!.fileName).toBe('chien-é-🐶-狗.jpg');
    expect(got.categories[0]!.name).toBe('persön');
  });

  it('gives the same records for random multi-way splits (reusing one chunk buffer)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 12 }), (cuts) => {
        const offsets = [0, ...[...cuts].sort((a, b) => a - b), text.length];
        const out: Omit<Collected, 'counts'> = { images: [], annotations: [], categories: [] };
        const reader = new CocoJsonReader({
          image: (r, index) => out.images.push({ ...r, index }),
          annotation: (r, index) => out.annotations.push({ ...r, index }),
          category: (r, index) => out.categories.push({ ...r, index }),
        });
        // The caller may reuse its read buffer, as ingest does with fs reads.
        const scratch = Buffer.alloc(text.length);
        for (let k = 0; k + 1 < offsets.length; k++) {
          const n = text.copy(scratch, 0, offsets[k]!, offsets[k + 1]!);
          reader.push(scratch.subarray(0, n));
          scratch.fill(0x78);
        }
        const counts = reader.finish();
        expect({ ...out, counts }).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same records in chunks larger than the boundary join, with elements far larger than it', () => {
    // Boundaries fall inside ordinary elements (joined with the first 64 KiB of the next chunk) and
    // inside huge polygons (the join grows until it passes them, or the element carries over).
    const data = buildCocoFixture({ extraImages: 3000 });
    const huge = (n: number): number[][] => [Array.from({ length: n }, (_, i) => (i * 7.31) % 640)];
    data.annotations[3]!.segmentation = huge(30_000);
    data.annotations[500]!.segmentation = huge(300_000);
    data.annotations[1500]!.segmentation = huge(80_000);
    const bytes = Buffer.from(serializeCoco(data));
    const all = read(bytes);
    expect(all.annotations).toHaveLength(data.annotations.length);
    fc.assert(
      fc.property(fc.integer({ min: 70_000, max: 900_000 }), fc.integer({ min: 0, max: 60_000 }), (size, first) => {
        const chunks = [bytes.subarray(0, first)];
        for (let at = first; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
        expect(readChunks(chunks)).toEqual(all);
      }),
      { numRuns: 25 },
    );
  });

  it('accepts a chunk that is empty', () => {
    const got = readChunks([Buffer.alloc(0), text.subarray(0, 10), Buffer.alloc(0), text.subarray(10), Buffer.alloc(0)]);
    expect(got).toEqual(whole);
  });
});

/** One-annotation COCO text with raw JSON number text in the bbox and area. */
function withNumbers(bbox: [string, string, string, string], area: string): string {
  return (
    '{"images":[{"id":1,"file_name":"a.jpg","width":10,"height":10}],"categories":[{"id":1,"name":"a"}],' +
    `"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[${bbox.join(',')}],"area":${area}}]}`
  );
}

/** Arbitrary valid JSON number text: sign, integer part, optional fraction and exponent. */
const jsonNumberText = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      fc.constant('0'),
      fc
        .tuple(fc.integer({ min: 1, max: 9 }), fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 22 }))
        .map(([d, s]) => `${d}${s}`),
    ),
    fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 30 }), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 330 })), { nil: undefined }),
  )
  .map(([negative, int, fraction, exponent]) => {
    let s = `${negative ? '-' : ''}${int}`;
    if (fraction !== undefined) s += `.${fraction}`;
    if (exponent !== undefined) s += `${exponent[0]}${exponent[1]}${exponent[2]}`;
    return s;
  });

describe('CocoJsonReader: numbers', () => {
  function readNumbers(texts: [string, string, string, string, string]): number[] {
    const a = read(withNumbers([texts[0], texts[1], texts[2], texts[3]], texts[4])).annotations[0]!;
    return [a.x, a.y, a.w, a.h, a.area];
  }

  it('reads doubles written by JSON.stringify exactly as Number() does', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 5, maxLength: 5 }), (values) => {
        const texts = values.map((v) => JSON.stringify(v)) as [string, string, string, string, string];
        const got = readNumbers(texts);
        got.forEach((g, i) => expect(Object.is(g, Number(texts[i]))).toBe(true));
      }),
      { numRuns: 1000 },
    );
  });

  it('reads integers (safe and beyond 2^53) exactly as Number() does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n })), {
          minLength: 5,
          maxLength: 5,
        }),
        (values) => {
          const texts = values.map((v) => String(v)) as [string, string, string, string, string];
          const got = readNumbers(texts);
          got.forEach((g, i) => expect(Object.is(g, Number(texts[i]))).toBe(true));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads arbitrary JSON number text (long fractions, leading zeros in fractions, exponents) exactly as Number() does', () => {
    fc.assert(
      fc.property(fc.array(jsonNumberText, { minLength: 5, maxLength: 5 }), (texts) => {
        const got = readNumbers(texts as [string, string, string, string, string]);
        got.forEach((g, i) => {
          if (!Object.is(g, Number(texts[i]))) expect(`${texts[i]!} -> ${g}`).toBe(`${texts[i]!} -> ${Number(texts[i])}`);
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('reads fixed, exponential and precision forms of the same double as Number() does', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 21 }),
        (v, digits, precision) => {
          // toExponential and toPrecision write forms like "1.5e+3", which are valid JSON numbers.
          const texts = [
            v.toFixed(digits),
            v.toExponential(digits),
            v.toPrecision(precision),
            String(Math.trunc(v)),
            JSON.stringify(v),
          ] as [string, string, string, string, string];
          const got = readNumbers(texts);
          got.forEach((g, i) => {
            if (!Object.is(g, Number(texts[i]))) expect(`${texts[i]!} -> ${g}`).toBe(`${texts[i]!} -> ${Number(texts[i])}`);
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reads hand-picked edge cases exactly', () => {
    const cases = [
      '0',
      '-0',
      '0.1',
      '0.30000000000000004',
      '123456789012345',
      '1234567890123456',
      '9007199254740993',
      '0.0000000000000000000001',
      '0.00000000000000000000001',
      '1.7976931348623157e308',
      '5e-324',
      '2.2250738585072014E-308',
      '1E+2',
      '-12.5e-1',
      '100.50',
      '640',
      '0.000',
    ];
    for (let i = 0; i < cases.length; i += 5) {
      const texts = [...cases.slice(i, i + 5), '0', '0', '0', '0'].slice(0, 5) as [string, string, string, string, string];
      const got = readNumbers(texts);
      got.forEach((g, k) => expect([texts[k], Object.is(g, Number(texts[k]))]).toEqual([texts[k], true]));
    }
  });

  it('refuses malformed numbers with the JSON path of the field', () => {
    expect(readError(withNumbers(['1.', '0', '0', '0'], '1')).message).toMatch(
      /no digits after its decimal point.*\$\.annotations\[0\]\.bbox\[0\]/,
    );
    expect(readError(withNumbers(['0', '1e', '0', '0'], '1')).message).toMatch(/invalid exponent.*\$\.annotations\[0\]\.bbox\[1\]/);
    expect(readError(withNumbers(['0', '0', '0', '0'], '"big"')).message).toMatch(
      /should be a number but is a string.*\$\.annotations\[0\]\.area/,
    );
    expect(readError(withNumbers(['0', '0', '0', '0'], '.5')).details).toMatchObject({ jsonPath: '$.annotations[0].area' });
  });
});

describe('CocoJsonReader: strings', () => {
  function imageText(fileNameJson: string, categoryNameJson = '"a"'): string {
    return `{"images":[{"id":1,"file_name":${fileNameJson},"width":1,"height":1}],"annotations":[],"categories":[{"id":1,"name":${categoryNameJson},"supercategory":${fileNameJson}}]}`;
  }
  function imageNamed(fileNameJson: string, categoryNameJson = '"a"'): Collected {
    return read(imageText(fileNameJson, categoryNameJson));
  }

  it('decodes escapes in file names, category names and supercategories as JSON.parse does', () => {
    const names = ['a\\"b.jpg', 'tab\there', 'line\nbreak', 'slash\\/x', 'back\\\\slash', 'uni\u00e9\u4e2d', 'surrogate 🐶', '\b\f\r'];
    for (const name of names) {
      const got = imageNamed(JSON.stringify(name), JSON.stringify(`cat ${name}`));
      expect(got.images[0]!.fileName).toBe(name);
      expect(got.categories[0]!.name).toBe(`cat ${name}`);
      expect(got.categories[0]!.supercategory).toBe(name);
    }
    expect(imageNamed('"\\u00e9\\u4E2D\\ud83d\\udc36\\/"').images[0]!.fileName).toBe('é中🐶/');
  });

  it('reads raw multi-byte UTF-8 strings', () => {
    expect(imageNamed('"chien é 狗 🐶.jpg"').images[0]!.fileName).toBe('chien é 狗 🐶.jpg');
  });

  it('decodes arbitrary strings (fast-check) as JSON.parse does, whole and split in 1-byte chunks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const text = Buffer.from(
          `{"images":[{"id":1,"file_name":${JSON.stringify(s)},"width":1,"height":1}],"annotations":[],"categories":[{"id":1,"name":"a"}]}`,
        );
        expect(read(text).images[0]!.fileName).toBe(s);
        const chunks: Buffer[] = [];
        for (let i = 0; i < text.length; i++) chunks.push(text.subarray(i, i + 1));
        expect(readChunks(chunks).images[0]!.fileName).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an invalid escape and a raw control character in a string', () => {
    expect(readError(imageText('"bad\\qescape"')).message).toMatch(/invalid escape sequence.*\$\.images\[0\]\.file_name/);
    const raw = readError(imageText('"tab\there"'));
    expect(raw.message).toMatch(/raw control character/);
    expect(raw.details).toMatchObject({ jsonPath: '$.images[0].file_name' });
  });
});

describe('CocoJsonReader: skipped values', () => {
  it('skips RLE segmentation with string counts containing escaped quotes and brackets', () => {
    const data = buildCocoFixture();
    const text = serializeCoco(data);
    // The fixture's string counts really are in the file, escaped.
    expect(text).toContain(JSON.stringify(trickyRleCounts));
    expect(text).toContain('\\"]}[{');
    const got = read(text);
    const crowd = got.annotations.find((a) => a.id === 900100000258)!;
    expect(crowd).toMatchObject({ imageId: 36, categoryId: 1, x: 100, y: 100, w: 200, h: 300, area: 52000, iscrowd: 1 });
    // The annotation after it is read correctly too.
    expect(got.annotations[got.annotations.indexOf(crowd) + 1]).toMatchObject({ id: 110, categoryId: 64 });
  });

  it('skips RLE with a counts array and nested multi-polygon segmentation', () => {
    const got = read(serializeCoco(buildCocoFixture()));
    expect(got.annotations.find((a) => a.id === 900100000257)).toMatchObject({ imageId: 34, iscrowd: 1, w: 640, h: 425 });
    expect(got.annotations.find((a) => a.id === 102)).toMatchObject({ imageId: 9, x: 200, y: 50, w: 120, h: 90, area: 8000 });
  });

  it('ignores unknown keys whose nested values contain keys named like the fields it reads', () => {
    const got = read(
      '{"info":{"images":[1],"id":9},"images":[{"meta":{"id":99,"file_name":"no","width":[1,{"x":"]"}]},"id":1,"file_name":"yes.jpg","extra":[[[]]],"width":2,"height":3,"flag":true,"nothing":null}],' +
        '"annotations":[{"segmentation":{"counts":"}}]]","size":[1,2]},"id":5,"image_id":1,"category_id":1,"bbox":[1,2,3,4],"attributes":{"bbox":"not this","iscrowd":1}}],' +
        '"categories":[{"id":1,"name":"dog","keypoints":["nose","eye"],"skeleton":[[1,2]]}],"licenses":[],"extra":-1.5e3}',
    );
    expect(got.images).toEqual([{ id: 1, fileName: 'yes.jpg', width: 2, height: 3, license: null, index: 0 }]);
    expect(got.annotations[0]).toMatchObject({ id: 5, x: 1, y: 2, w: 3, h: 4, iscrowd: 0 });
    expect(got.categories[0]).toMatchObject({ id: 1, name: 'dog' });
  });

  it('refuses mismatched brackets inside a skipped value', () => {
    const error = readError('{"info":{"a":[1,2}],"images":[],"annotations":[],"categories":[]}');
    expect(error.message).toMatch(/brackets do not match/);
    expect(error.details).toMatchObject({ byteOffset: '{"info":{"a":[1,2'.length });
  });

  it('refuses a top-level literal that is not JSON', () => {
    expect(readError('{"info":nope,"images":[],"annotations":[],"categories":[]}').message).toMatch(/"nope" is not a JSON value/);
  });
});

describe('CocoJsonReader: BOM and whitespace', () => {
  const text = serializeCoco(fixture);

  it('accepts a UTF-8 byte order mark, whole and in 1-byte chunks', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const got = read(bytes);
    expect({ images: got.images, annotations: got.annotations, categories: got.categories }).toEqual(expected);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    expect(readChunks(chunks)).toEqual(got);
  });

  it('accepts a BOM followed by whitespace', () => {
    const got = read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(' \n\t' + text)]));
    expect(got.counts).toEqual(fixtureCounts);
  });

  it('gives the same records with spaces, tabs, CR and LF around every token', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const spaced = sprinkleWhitespace(text, seed);
      expect(spaced.length).toBeGreaterThan(text.length);
      expect(JSON.parse(spaced)).toEqual(JSON.parse(text));
      const got = read(spaced);
      expect({ images: got.images, annotations: got.annotations, categories: got.categories }).toEqual(expected);
      // Split at a few offsets too, so whitespace straddles chunk boundaries.
      const bytes = Buffer.from(spaced);
      for (const cut of [1, 7, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 2]) {
        expect(readChunks([bytes.subarray(0, cut), bytes.subarray(cut)]).annotations).toEqual(got.annotations);
      }
    }
  });

  it('accepts trailing whitespace after the object but refuses trailing data, with its offset', () => {
    expect(read(text + ' \r\n\t\n').counts).toEqual(fixtureCounts);
    const error = readError(text + '\n x');
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/more data after the end of the JSON object/);
    expect(error.details).toEqual({ jsonPath: '$', byteOffset: Buffer.byteLength(text) + 2 });
  });

  it('refuses trailing data that arrives in a later chunk', () => {
    const reader = new CocoJsonReader({ image: () => undefined, annotation: () => undefined, category: () => undefined });
    reader.push(Buffer.from(text));
    expect(() => reader.push(Buffer.from('  {}'))).toThrow(/more data after the end/);
  });
});

/**
 * Counts the bytes that native searches (`indexOf`, `includes`) examine while `run` runs: from the
 * search's start to the byte found, or to the end of the array when nothing is found.
 */
function bytesSearchedDuring(run: () => void): number {
  let examined = 0;
  const count = (self: Uint8Array, from: unknown, found: number): void => {
    const start = typeof from === 'number' ? (from < 0 ? Math.max(0, self.length + from) : from) : 0;
    examined += found >= 0 ? found - start + 1 : Math.max(0, self.length - start);
  };
  type Search = (this: Uint8Array, ...args: unknown[]) => number | boolean;
  // `includes` is measured with the matching `indexOf`, which finds the same byte.
  const spy = (proto: Uint8Array, name: 'indexOf' | 'includes', indexOf: Search): void => {
    const original = proto[name] as unknown as Search;
    vi.spyOn(proto, name).mockImplementation(function (this: Uint8Array, ...args: unknown[]) {
      count(this, args[1], indexOf.apply(this, args) as number);
      return original.apply(this, args);
    } as never);
  };
  const bufferIndexOf = Buffer.prototype.indexOf as unknown as Search;
  const arrayIndexOf = Uint8Array.prototype.indexOf as unknown as Search;
  spy(Buffer.prototype, 'indexOf', bufferIndexOf);
  spy(Buffer.prototype, 'includes', bufferIndexOf);
  spy(Uint8Array.prototype, 'indexOf', arrayIndexOf);
  spy(Uint8Array.prototype, 'includes', arrayIndexOf);
  try {
    run();
  } finally {
    vi.restoreAllMocks();
  }
  return examined;
}

describe('CocoJsonReader: work grows linearly with the file', () => {
  afterEach(() => vi.restoreAllMocks());

  /**
   * Bytes searched per byte of input, for an input built at two sizes: it must stay small and must
   * not grow with the input (a search per key or per chunk that runs to the end of the buffer makes
   * it grow in proportion).
   */
  function searchedPerByte(build: (scale: number) => Buffer[], run: (chunks: Buffer[]) => void): { small: number; large: number } {
    const perByte = (scale: number): number => {
      const chunks = build(scale);
      const total = chunks.reduce((sum, c) => sum + c.length, 0);
      return bytesSearchedDuring(() => run(chunks)) / total;
    };
    return { small: perByte(1), large: perByte(4) };
  }

  function expectLinear({ small, large }: { small: number; large: number }): void {
    expect(large).toBeLessThanOrEqual(16);
    expect(large).toBeLessThanOrEqual(small * 1.5);
  }

  it('searches each byte a bounded number of times however many unknown keys the file has', () => {
    // Real COCO images carry keys the reader does not keep (coco_url, date_captured, flickr_url).
    const build = (scale: number): Buffer[] => {
      const data = buildCocoFixture({ extraImages: 1000 * scale });
      const images = data.images.map((im) => ({ ...im, flickr_url: `http://farm4.staticflickr.com/${im.id}.jpg`, note: 'x' }));
      return [Buffer.from(serializeCoco({ ...data, images }))];
    };
    expectLinear(searchedPerByte(build, (chunks) => expect(readChunks(chunks).counts.images).toBeGreaterThan(1000)));
  });

  it('skips lists that mix numbers with objects, strings and lists in linear work', () => {
    const build = (scale: number): Buffer[] => {
      const mixed = Array.from({ length: 1000 * scale }, (_, i) => `${i}, {"k": ${i}}, "t${i}", -${i}.5`).join(', ');
      return [Buffer.from(`{"info": [${mixed}], "images": [], "annotations": [], "categories": []}`)];
    };
    expectLinear(searchedPerByte(build, (chunks) => expect(readChunks(chunks).counts.images).toBe(0)));
  });

  it('re-reads a value that spans many chunks a bounded number of times', () => {
    const build = (scale: number): Buffer[] => {
      const polygon = Array.from({ length: 15_000 * scale }, (_, i) => (i * 1.25).toFixed(2)).join(', ');
      const bytes = Buffer.from(`{"info": {"polygons": [[${polygon}], [${polygon}]]}, "images": [], "annotations": [], "categories": []}`);
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += 4096) chunks.push(bytes.subarray(at, at + 4096));
      return chunks;
    };
    // Parsing again from the value's start at every chunk searches it once per chunk.
    expectLinear(searchedPerByte(build, (chunks) => expect(readChunks(chunks).counts.annotations).toBe(0)));
  });
});

/**
 * JPEGs: readJpegHeader (which must never throw: it returns a header or null) and decodeResized,
 * which must give `size`×`size` RGB bytes or refuse with a sentence. Inputs are JPEGs with bytes
 * mutated in their marker segments or their scan, or with a segment made wrong (its length, the
 * frame's size, components and precision, an EXIF orientation, ICC profile chunks), duplicated or
 * removed. Seeds: small JPEGs made here with sharp (baseline, progressive, grey, CMYK, 4:4:4, an
 * EXIF rotation, an ICC profile, one large enough to be decoded at a reduced scale), or the real
 * COCO photos of coco128.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { readJpegHeader } from '../../../src/main/engine/images/decode-jpeg';
import { decodeResized, exampleAugmentation } from '../../../src/main/engine/images/preprocess';
import { coco128Images } from '../../support/shared-data';
import { AppError } from '../../../src/shared/contract/errors';
import { judgeError } from '../judge';
import { mutateBytesTimes, type Rng } from '../mutate';
import type { FuzzTarget } from '../target';

let seedFiles: (() => Buffer)[] = [];
let inputsDir = '';

export const jpegTarget: FuzzTarget = {
  async setup(group, workDir) {
    inputsDir = join(workDir, 'inputs');
    mkdirSync(inputsDir, { recursive: true });
    if (group === 'generated') {
      const made = await generatedSeeds();
      seedFiles = made.map((bytes) => () => bytes);
    } else if (group === 'coco128') {
      const names = readdirSync(coco128Images)
        .filter((n) => n.endsWith('.jpg'))
        .sort();
      seedFiles = names.map((name) => () => readFileSync(join(coco128Images, name)));
    } else {
      throw new Error(`unknown group ${group}`);
    }
    // The decoders load on first use: once here, not inside the first input's time limit.
    const first = join(inputsDir, 'warm-up.jpg');
    writeFileSync(first, seedFiles[0]!());
    await decodeResized(first, 224);
    return { seeds: Math.min(seedFiles.length, 8) };
  },

  async run(index, rng, announce) {
    const unmutated = index < Math.min(seedFiles.length, 8);
    const seedIndex = unmutated ? index : rng.int(seedFiles.length);
    const seed = seedFiles[seedIndex]!();
    const { bytes, steps } = unmutated ? { bytes: seed, steps: ['unmutated'] } : mutateJpeg(rng, seed);
    const size = rng.pick([224, 224, 128, 32]);
    const augment = rng.chance(0.25);
    const path = join(inputsDir, `${index}.jpg`);
    writeFileSync(path, bytes);
    announce(`seed ${seedIndex}, decoded to ${size}${augment ? ' with augmentation' : ''}: ${steps.join('; ')}`, path);

    let header;
    try {
      header = readJpegHeader(bytes);
    } catch (error) {
      return {
        outcome: { kind: 'failed', problem: `readJpegHeader threw (it should return null for what it cannot follow): ${String(error)}` },
      };
    }
    const headerProblem = header === null ? null : implausible(header);
    if (headerProblem !== null) return { outcome: { kind: 'failed', problem: `readJpegHeader returned ${headerProblem}` } };
    const tags = [header === null ? 'header not followed' : 'header read'];

    let pixels: Uint8Array;
    try {
      const random = rng.next.bind(rng);
      pixels = await decodeResized(path, size, augment ? exampleAugmentation : undefined, random);
    } catch (error) {
      // Damaged (decodable with warnings) and unreadable files are told apart in the report.
      const damaged = error instanceof AppError && error.details?.['damaged'] === true;
      return { outcome: judgeError(error), tags: [damaged ? 'damaged' : 'unreadable', ...tags] };
    }
    if (pixels.length !== size * size * 3) {
      return { outcome: { kind: 'failed', problem: `decodeResized gave ${pixels.length} bytes for a ${size}×${size} RGB image` }, tags };
    }
    rmSync(path, { force: true });
    return { outcome: { kind: 'accepted' }, tags };
  },
};

function implausible(header: NonNullable<ReturnType<typeof readJpegHeader>>): string | null {
  const { width, height, components, precision, orientation } = header;
  const byte = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 255;
  if (!Number.isInteger(width) || width < 1 || width > 65535) return `a width of ${width}`;
  if (!Number.isInteger(height) || height < 1 || height > 65535) return `a height of ${height}`;
  if (!byte(components) || !byte(precision)) return `${components} components of ${precision} bits`;
  if (!Number.isInteger(orientation) || orientation < 0 || orientation > 8) return `an orientation of ${orientation}`;
  return null;
}

async function generatedSeeds(): Promise<Buffer[]> {
  const picture = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: { r: 200, g: 90, b: 30 } } }).composite([
      {
        input: Buffer.from(
          `<svg width="${width}" height="${height}"><circle cx="${width / 3}" cy="${height / 2}" r="${height / 3}" fill="#2060c0"/></svg>`,
        ),
      },
    ]);
  // Flattened to a PNG first, so that each seed below is one plain encode of a finished picture.
  const render = async (image: Sharp): Promise<Sharp> => sharp(await image.png().toBuffer());
  return [
    await (await render(picture(64, 48))).jpeg({ quality: 80 }).toBuffer(),
    await (await render(picture(80, 60))).jpeg({ quality: 70, progressive: true }).toBuffer(),
    await (await render(picture(40, 30))).grayscale().jpeg().toBuffer(),
    await (await render(picture(48, 64))).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
    await (await render(picture(64, 48))).withIccProfile('p3').jpeg().toBuffer(),
    await (await render(picture(56, 40))).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer(),
    await (await render(picture(700, 500))).jpeg({ quality: 60 }).toBuffer(),
    await (await render(picture(40, 40))).toColourspace('cmyk').jpeg().toBuffer(),
  ];
}

interface Segment {
  marker: number;
  /** Offset of the 0xFF of its marker. */
  at: number;
  /** Bytes from the marker to the end of the segment. */
  length: number;
}

/** The marker segments before the scan (SOI included), and where the scan's data begins. */
function segmentsOf(bytes: Buffer): { segments: Segment[]; scanAt: number } {
  const segments: Segment[] = [{ marker: 0xd8, at: 0, length: 2 }];
  let i = 2;
  while (i + 4 <= bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1]!;
    const length = bytes.readUInt16BE(i + 2) + 2;
    segments.push({ marker, at: i, length });
    i += length;
    if (marker === 0xda) break;
  }
  return { segments, scanAt: Math.min(i, bytes.length) };
}

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(Math.min(0xffff, payload.length + 2), 2);
  return Buffer.concat([head, payload]);
}

/** An EXIF APP1 segment with one orientation entry; its offsets and counts may lie. */
function exifSegment(rng: Rng): { bytes: Buffer; what: string } {
  const little = rng.chance(0.5);
  const tiff = Buffer.alloc(26);
  tiff.write(little ? 'II' : 'MM', 0, 'latin1');
  const u16 = (v: number, at: number) => (little ? tiff.writeUInt16LE(v & 0xffff, at) : tiff.writeUInt16BE(v & 0xffff, at));
  const u32 = (v: number, at: number) => (little ? tiff.writeUInt32LE(v >>> 0, at) : tiff.writeUInt32BE(v >>> 0, at));
  const ifd = rng.pick([8, 8, 0, 25, 26, 0xffffffff, 0x7fffffff]);
  const entries = rng.pick([1, 1, 0, 2, 0xffff]);
  const type = rng.pick([3, 3, 4, 1, 7]);
  const value = rng.pick([1, 3, 6, 8, 0, 9, 255, 0x10006]);
  u16(42, 2);
  u32(ifd, 4);
  u16(entries, 8);
  u16(0x0112, 10);
  u16(type, 12);
  u32(1, 14);
  if (type === 4) u32(value, 18);
  else u16(value, 18);
  return {
    bytes: segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff.subarray(0, rng.pick([26, 26, 12, 9]))])),
    what: `an EXIF orientation ${value} (type ${type}, IFD at ${ifd}, ${entries} entries)`,
  };
}

/** ICC profile chunks (APP2) whose sequence numbers and count may disagree. */
function iccSegments(rng: Rng): { bytes: Buffer; what: string } {
  const count = rng.pick([1, 2, 3, 0, 255]);
  const numbers = Array.from({ length: rng.between(1, 3) }, () => rng.pick([0, 1, 2, 3, 255]));
  const chunks = numbers.map((n) =>
    segment(
      0xe2,
      Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([n, count]), Buffer.alloc(rng.pick([0, 16, 128]), 0x41)]),
    ),
  );
  return { bytes: Buffer.concat(chunks), what: `ICC chunks ${numbers.join(', ')} of ${count}` };
}

function mutateJpeg(rng: Rng, seed: Buffer): { bytes: Buffer; steps: string[] } {
  const { segments, scanAt } = segmentsOf(seed);
  const how = rng.weighted([
    ['header bytes', 30],
    ['scan bytes', 30],
    ['a segment', 40],
  ] as const);
  if (how === 'header bytes') {
    const mutated = mutateBytesTimes(rng, seed, rng.between(1, 3), { region: [0, Math.min(seed.length, scanAt + 16)] });
    return { bytes: mutated.bytes, steps: mutated.steps.map((s) => `header: ${s}`) };
  }
  if (how === 'scan bytes') {
    const kinds = rng.chance(0.7) ? (['flip', 'interesting', 'overwrite'] as const) : undefined;
    const mutated = mutateBytesTimes(rng, seed, rng.between(1, 3), { region: [scanAt, seed.length], ...(kinds ? { kinds } : {}) });
    return { bytes: mutated.bytes, steps: mutated.steps.map((s) => `scan: ${s}`) };
  }
  const target = rng.pick(segments.slice(1));
  const before = seed.subarray(0, target.at);
  const own = seed.subarray(target.at, target.at + target.length);
  const after = seed.subarray(target.at + target.length);
  const name = `segment 0x${target.marker.toString(16)} at ${target.at}`;
  const frame = segments.find((s) => s.marker >= 0xc0 && s.marker <= 0xcf && s.marker !== 0xc4 && s.marker !== 0xc8 && s.marker !== 0xcc);
  const kind = rng.pick(['length', 'duplicate', 'remove', 'frame', 'exif', 'icc', 'no end', 'after end'] as const);
  switch (kind) {
    case 'length': {
      const copy = Buffer.from(own);
      const length = rng.pick([0, 1, 2, 3, target.length - 3, target.length - 1, target.length + 1, 0xffff]);
      if (copy.length >= 4) copy.writeUInt16BE(Math.max(0, Math.min(0xffff, length)), 2);
      return { bytes: Buffer.concat([before, copy, after]), steps: [`${name}: length field set to ${length}`] };
    }
    case 'duplicate':
      return { bytes: Buffer.concat([before, own, own, after]), steps: [`${name}: twice`] };
    case 'remove':
      return { bytes: Buffer.concat([before, after]), steps: [`${name}: removed`] };
    case 'frame': {
      if (frame === undefined) return { bytes: seed, steps: ['no frame to change: unmutated'] };
      const copy = Buffer.from(seed);
      const field = rng.pick(['width', 'height', 'components', 'precision'] as const);
      const value =
        field === 'components'
          ? rng.pick([0, 1, 2, 4, 5, 255])
          : field === 'precision'
            ? rng.pick([0, 1, 12, 16, 255])
            : rng.pick([0, 1, 2, 7, 9, 16000, 16384, 30000, 65535]);
      const at = frame.at + 4 + { precision: 0, height: 1, width: 3, components: 5 }[field];
      if (field === 'precision' || field === 'components') copy[at] = value;
      else copy.writeUInt16BE(value, at);
      return { bytes: copy, steps: [`frame ${field} set to ${value}`] };
    }
    case 'exif': {
      const exif = exifSegment(rng);
      return { bytes: Buffer.concat([seed.subarray(0, 2), exif.bytes, seed.subarray(2)]), steps: [`inserted ${exif.what}`] };
    }
    case 'icc': {
      const icc = iccSegments(rng);
      return { bytes: Buffer.concat([seed.subarray(0, 2), icc.bytes, seed.subarray(2)]), steps: [`inserted ${icc.what}`] };
    }
    case 'no end':
      return { bytes: seed.subarray(0, seed.length - 2), steps: ['the end-of-image marker removed'] };
    case 'after end':
      return { bytes: Buffer.concat([seed, Buffer.alloc(rng.pick([1, 100, 5000]), 0xff)]), steps: ['bytes after the end of the image'] };
  }
}

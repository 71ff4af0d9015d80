import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResized, decodeResizedChecked, exampleAugmentation, normalise } from './preprocess';
import { DecodePool } from './decode-pool';
import { writeDamagedJpegs } from '../../../../test/support/damaged-jpeg';
import { resizeRgb } from './resize-rgb';
import { rejection } from '../../../../test/support/rejection';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-preprocess-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Rgb = [number, number, number];
const red: Rgb = [255, 0, 0];
const green: Rgb = [0, 255, 0];
const blue: Rgb = [0, 0, 255];
const white: Rgb = [255, 255, 255];

/** A width x height RGB image made of equal-width vertical stripes of the given colours. */
function stripes(width: number, height: number, colours: Rgb[]): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = colours[Math.floor((x * colours.length) / width)]!;
      pixels.set(colour, (y * width + x) * 3);
    }
  }
  return pixels;
}

function raw(width: number, height: number, channels: 1 | 3 | 4 = 3): { raw: { width: number; height: number; channels: 1 | 3 | 4 } } {
  return { raw: { width, height, channels } };
}

function pixel(rgb: Uint8Array, size: number, x: number, y: number): Rgb {
  const i = (y * size + x) * 3;
  return [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
}

/** Within `tolerance` of a colour on every channel (resizing and JPEG blur edges a little). */
function near(actual: Rgb, expected: Rgb, tolerance = 24): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
}

describe('decodeResized', () => {
  it('decodes grayscale PNG, RGBA PNG, WebP and JPEG to size*size*3 RGB bytes', async () => {
    const size = 20;
    const gray = join(dir, 'gray.png');
    const grayPixels = Buffer.alloc(30 * 40);
    for (let i = 0; i < grayPixels.length; i++) grayPixels[i] = i % 256;
    await sharp(grayPixels, raw(30, 40, 1))
      .toColourspace('b-w')
      .png()
      .toFile(gray);
    expect((await sharp(gray).metadata()).channels).toBe(1);

    const rgba = join(dir, 'rgba.png');
    const rgbaPixels = Buffer.alloc(25 * 25 * 4);
    for (let i = 0; i < 25 * 25; i++) rgbaPixels.set([200, 100, 50, i % 2 === 0 ? 255 : 64], i * 4);
    await sharp(rgbaPixels, raw(25, 25, 4))
      .png()
      .toFile(rgba);
    expect((await sharp(rgba).metadata()).channels).toBe(4);

    const webp = join(dir, 'image.webp');
    await sharp(stripes(50, 30, [red, blue]), raw(50, 30))
      .webp({ lossless: true })
      .toFile(webp);
    const jpeg = join(dir, 'image.jpg');
    await sharp(stripes(64, 48, [green, white]), raw(64, 48))
      .jpeg({ quality: 95 })
      .toFile(jpeg);

    for (const path of [gray, rgba, webp, jpeg]) {
      const rgb = await decodeResized(path, size);
      expect(rgb, path).toHaveLength(size * size * 3);
    }
    // The RGBA image keeps its colour (alpha dropped, not blended into the pixels or into a channel).
    const fromRgba = await decodeResized(rgba, size);
    expect(near(pixel(fromRgba, size, 10, 10), [200, 100, 50], 3)).toBe(true);
    // The WebP and the JPEG keep their colours.
    const fromWebp = await decodeResized(webp, size);
    expect(near(pixel(fromWebp, size, 2, 10), red)).toBe(true);
    expect(near(pixel(fromWebp, size, 17, 10), blue)).toBe(true);
    const fromJpeg = await decodeResized(jpeg, size);
    expect(near(pixel(fromJpeg, size, 2, 10), green)).toBe(true);
    expect(near(pixel(fromJpeg, size, 17, 10), white)).toBe(true);
  });

  it('gives a grayscale image equal R, G and B', async () => {
    const path = join(dir, 'gradient-gray.png');
    const pixels = Buffer.alloc(32 * 32);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) pixels[y * 32 + x] = x * 8;
    await sharp(pixels, raw(32, 32, 1))
      .toColourspace('b-w')
      .png()
      .toFile(path);
    expect((await sharp(path).metadata()).channels).toBe(1);
    const rgb = await decodeResized(path, 16);
    const distinct = new Set<number>();
    for (let i = 0; i < rgb.length; i += 3) {
      expect(rgb[i + 1]).toBe(rgb[i]);
      expect(rgb[i + 2]).toBe(rgb[i]);
      distinct.add(rgb[i]!);
    }
    // Still a gradient, not a flat grey.
    expect(distinct.size).toBeGreaterThan(8);
    expect(pixel(rgb, 16, 0, 8)[0]).toBeLessThan(pixel(rgb, 16, 15, 8)[0]);
  });

  it('stretches a 2:1 image to the square (no crop, no letterbox): four vertical stripes stay four, in order, full height', async () => {
    const path = join(dir, 'wide.png');
    await sharp(stripes(128, 64, [red, green, blue, white]), raw(128, 64))
      .png()
      .toFile(path);
    const size = 16;
    const rgb = await decodeResized(path, size);
    for (const y of [0, 8, 15]) {
      expect(near(pixel(rgb, size, 1, y), red), `red at row ${y}`).toBe(true);
      expect(near(pixel(rgb, size, 5, y), green), `green at row ${y}`).toBe(true);
      expect(near(pixel(rgb, size, 10, y), blue), `blue at row ${y}`).toBe(true);
      expect(near(pixel(rgb, size, 14, y), white), `white at row ${y}`).toBe(true);
    }
    // A tall image too: left red, right blue stays left/right at every row.
    const tall = join(dir, 'tall.png');
    await sharp(stripes(32, 96, [red, blue]), raw(32, 96))
      .png()
      .toFile(tall);
    const fromTall = await decodeResized(tall, size);
    for (const y of [0, 7, 15]) {
      expect(near(pixel(fromTall, size, 2, y), red)).toBe(true);
      expect(near(pixel(fromTall, size, 13, y), blue)).toBe(true);
    }
  });

  it('honours the EXIF orientation (a rotated phone photo comes out upright)', async () => {
    // Stored as left red / right blue with orientation 6 (rotate 90° clockwise to display): top red, bottom blue.
    const path = join(dir, 'exif.jpg');
    await sharp(stripes(32, 32, [red, blue]), raw(32, 32))
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toFile(path);
    const rgb = await decodeResized(path, 16);
    expect(near(pixel(rgb, 16, 8, 2), red)).toBe(true);
    expect(near(pixel(rgb, 16, 8, 13), blue)).toBe(true);
  });

  it('augmentation keeps the size, mirrors when the draw says flip (random < 0.5) and leaves the image alone otherwise', async () => {
    const path = join(dir, 'left-red-right-blue.png');
    await sharp(stripes(40, 40, [red, blue]), raw(40, 40))
      .png()
      .toFile(path);
    const size = 16;
    const noRotation = { maxRotation: 0, horizontalFlip: true };
    // Draws: first the angle, then the flip.
    const draws = (...values: number[]): (() => number) => {
      let i = 0;
      return () => values[i++ % values.length]!;
    };
    const flipped = await decodeResized(path, size, noRotation, draws(0.5, 0.1));
    expect(flipped).toHaveLength(size * size * 3);
    expect(pixel(flipped, size, 2, 8)).toEqual(blue);
    expect(pixel(flipped, size, 13, 8)).toEqual(red);
    const kept = await decodeResized(path, size, noRotation, draws(0.5, 0.99));
    expect(pixel(kept, size, 2, 8)).toEqual(red);
    expect(pixel(kept, size, 13, 8)).toEqual(blue);
    // With flipping off, even a "flip" draw leaves it alone.
    const noFlip = await decodeResized(path, size, { maxRotation: 0, horizontalFlip: false }, draws(0.5, 0.1));
    expect(Buffer.from(noFlip)).toEqual(Buffer.from(kept));
    // The example's augmentation keeps the size whatever it draws.
    for (const value of [0, 0.25, 0.5, 0.75, 0.999]) {
      expect(await decodeResized(path, size, exampleAugmentation, () => value)).toHaveLength(size * size * 3);
    }
  });

  it('rotates clockwise about the centre, as sharp (libvips) rotates, after mirroring', async () => {
    // A white square on black, up and right of the centre.
    const size = 64;
    const square = Buffer.alloc(size * size * 3);
    for (let y = 10; y < 16; y++) for (let x = 40; x < 46; x++) square.fill(255, (y * size + x) * 3, (y * size + x) * 3 + 3);
    const path = join(dir, 'square.png');
    await sharp(square, raw(size, size)).png().toFile(path);
    const centroid = (rgb: Uint8Array): [number, number] => {
      let sx = 0;
      let sy = 0;
      let total = 0;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const v = rgb[(y * size + x) * 3]!;
          sx += v * x;
          sy += v * y;
          total += v;
        }
      }
      return [sx / total, sy / total];
    };
    for (const [angle, flip] of [
      [30, false],
      [-20, true],
      [45, true],
    ] as const) {
      // The reference: sharp's flop, then rotate (which grows the canvas), then the centre crop.
      let pipeline = sharp(square, raw(size, size));
      if (flip) pipeline = pipeline.flop();
      const rotated = await pipeline
        .rotate(angle, { background: { r: 0, g: 0, b: 0 } })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const { width, height } = rotated.info;
      const reference = await sharp(rotated.data, raw(width, height))
        .extract({ left: Math.floor((width - size) / 2), top: Math.floor((height - size) / 2), width: size, height: size })
        .raw()
        .toBuffer();
      const draws = [(angle / 45 + 1) / 2, flip ? 0.1 : 0.9];
      let k = 0;
      const ours = await decodeResized(path, size, { maxRotation: 45, horizontalFlip: true }, () => draws[k++]!);
      const [ox, oy] = centroid(ours);
      const [rx, ry] = centroid(reference);
      // libvips crops the grown canvas to whole pixels: its centre can be off by a pixel.
      expect(Math.hypot(ox - rx, oy - ry), `${angle}° ${flip ? 'mirrored' : ''}`).toBeLessThan(1.5);
    }
  });

  it('rotation by the maximum angle leaves black corners and keeps the centre', async () => {
    const path = join(dir, 'white.png');
    await sharp(stripes(48, 48, [white]), raw(48, 48))
      .png()
      .toFile(path);
    const size = 32;
    for (const value of [0, 0.9999]) {
      // value 0 → -45°, value 0.9999 → ~+45°.
      const rgb = await decodeResized(path, size, { maxRotation: 45, horizontalFlip: false }, () => value);
      expect(rgb).toHaveLength(size * size * 3);
      for (const [x, y] of [
        [0, 0],
        [size - 1, 0],
        [0, size - 1],
        [size - 1, size - 1],
      ] as const) {
        expect(pixel(rgb, size, x, y)).toEqual([0, 0, 0]);
      }
      expect(pixel(rgb, size, size / 2, size / 2)).toEqual(white);
      // The midpoints of the edges stay inside the rotated square.
      expect(near(pixel(rgb, size, size / 2, 1), white, 40)).toBe(true);
      expect(near(pixel(rgb, size, 1, size / 2), white, 40)).toBe(true);
    }
    // No rotation at all: no black anywhere.
    const plain = await decodeResized(path, size, { maxRotation: 45, horizontalFlip: false }, () => 0.5);
    expect(Math.min(...plain)).toBe(255);
  });

  it('decodes a large JPEG at a DCT scale (as Pillow draft mode) and gives what a full-size decode gives, bar resampling', async () => {
    // 640×480 at 224: decoded at 320×240. Four stripes and a smooth vertical gradient.
    const width = 640;
    const height = 480;
    const pixels = stripes(width, height, [red, green, blue, white]);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[(y * width + x) * 3 + 1] ||= Math.floor((y * 255) / height);
    const path = join(dir, 'large.jpg');
    await sharp(pixels, raw(width, height)).jpeg({ quality: 95 }).toFile(path);
    const size = 224;
    const rgb = await decodeResized(path, size);
    const full = await sharp(path).resize(size, size, { fit: 'fill' }).raw().toBuffer();
    let total = 0;
    for (let i = 0; i < rgb.length; i++) total += Math.abs(rgb[i]! - full[i]!);
    expect(total / rgb.length).toBeLessThan(2);
    expect(near(pixel(rgb, size, 20, 5), [255, 2, 0])).toBe(true);
    expect(near(pixel(rgb, size, 200, 200), white)).toBe(true);
  });

  it('honours the EXIF orientation of a JPEG decoded at a DCT scale', async () => {
    const path = join(dir, 'exif-large.jpg');
    await sharp(stripes(128, 64, [red, blue]), raw(128, 64))
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toFile(path);
    // Shown 64 wide and 128 high: red on top, blue below.
    const rgb = await decodeResized(path, 16);
    expect(near(pixel(rgb, 16, 8, 2), red)).toBe(true);
    expect(near(pixel(rgb, 16, 8, 13), blue)).toBe(true);
  });

  it('turns an EXIF-oriented JPEG decoded at a DCT scale as libvips turns it, for orientations 2 to 8', async () => {
    // 900 × 455 stored: decoded at 1/2 by libvips (EXIF-oriented JPEGs go its way), resized as
    // stored and then turned (orientSquare), against libvips turning it first.
    const [width, height] = [900, 455];
    const stored = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        stored[i] = Math.round(127.5 + 120 * Math.sin(x / 11));
        stored[i + 1] = Math.round(127.5 + 120 * Math.sin(y / 17));
        stored[i + 2] = x < width / 3 && y < height / 3 ? 250 : 20; // a marked corner
      }
    }
    // (Orientation 1 goes through WebAssembly instead, tested against libvips in decode-wasm.test.ts.)
    for (let orientation = 2; orientation <= 8; orientation++) {
      const path = join(dir, `oriented-${orientation}.jpg`);
      await sharp(stored, raw(width, height)).jpeg({ quality: 95 }).withMetadata({ orientation }).toFile(path);
      const { data, info } = await sharp(`${path}[shrink=2]`).autoOrient().raw().toBuffer({ resolveWithObject: true });
      const expected = resizeRgb(data, info.width, info.height, 224, 224);
      const actual = await decodeResized(path, 224);
      let total = 0;
      for (let i = 0; i < actual.length; i++) total += Math.abs(actual[i]! - expected[i]!);
      expect(total / actual.length, `orientation ${orientation}`).toBeLessThan(0.5);
    }
  });

  it('decodes JPEGs whose names have brackets or spaces, and ones far larger than the target', async () => {
    const jpeg = await sharp(stripes(600, 600, [green, blue]), raw(600, 600))
      .jpeg({ quality: 95 })
      .toBuffer();
    // 600 is over 16 × 16: libvips picks the DCT scale itself.
    for (const name of ['photo [1].jpg', 'scan[2]', 'plain name.jpg', 'huge.jpg']) {
      const path = join(dir, name);
      writeFileSync(path, jpeg);
      const rgb = await decodeResized(path, name === 'huge.jpg' ? 16 : 64);
      const size = name === 'huge.jpg' ? 16 : 64;
      expect(near(pixel(rgb, size, 1, size / 2), green), name).toBe(true);
      expect(near(pixel(rgb, size, size - 2, size / 2), blue), name).toBe(true);
    }
  });

  it('brings colour-managed JPEGs to sRGB as libvips does: P3 converted, sRGB as it is, CMYK through libvips', async () => {
    const size = 16;
    const colour = { r: 220, g: 90, b: 40 };
    const flat = (): Sharp => sharp({ create: { width: 64, height: 64, channels: 3, background: colour } });
    const cases = [
      { name: 'p3.jpg', image: flat().withIccProfile('p3'), tolerance: 2 },
      { name: 'srgb.jpg', image: flat().withIccProfile('srgb'), tolerance: 1 },
      { name: 'cmyk.jpg', image: flat().toColourspace('cmyk'), tolerance: 1 },
    ];
    for (const { name, image, tolerance } of cases) {
      const path = join(dir, name);
      await image.jpeg({ quality: 100 }).toFile(path);
      const reference = await sharp(path).toColourspace('srgb').resize(size, size, { fit: 'fill' }).raw().toBuffer();
      const rgb = await decodeResized(path, size);
      expect(near(pixel(rgb, size, 8, 8), pixel(reference, size, 8, 8), tolerance), name).toBe(true);
      // All near the colour we started from (CMYK goes through a printing profile and back).
      expect(near(pixel(rgb, size, 8, 8), [colour.r, colour.g, colour.b], 30), name).toBe(true);
    }
    // The P3 file really holds other numbers than sRGB's.
    const stored = await sharp(join(dir, 'p3.jpg'), { ignoreIcc: true }).raw().toBuffer();
    expect(near([stored[0]!, stored[1]!, stored[2]!], [colour.r, colour.g, colour.b], 3)).toBe(false);
  });

  it('a corrupt file (random bytes named .jpg) → INVALID_INPUT naming the file', async () => {
    const path = join(dir, 'corrupt.jpg');
    writeFileSync(path, Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256)));
    const error = await rejection(decodeResized(path, 16));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(path);
    // One sentence in the app's words; the decoder's own report in details.
    expect(error.message).toMatch(/It is damaged or not an image: replace it with a good copy, or remove it from the folder\.$/);
    expect(error.details).toEqual({ path, library: expect.any(String) });
  });

  it('a JPEG cut off half-way → INVALID_INPUT (not a half-grey image)', async () => {
    const whole = await sharp(stripes(64, 64, [red, blue]), raw(64, 64))
      .jpeg()
      .toBuffer();
    const path = join(dir, 'truncated.jpg');
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await rejection(decodeResized(path, 16));
    expect(error.code).toBe('INVALID_INPUT');
  });

  it('a missing file → an AppError naming the file', async () => {
    const path = join(dir, 'no-such-image.jpg');
    const error = await rejection(decodeResized(path, 16));
    expect(error.message).toContain(path);
  });
  // the NOT_FOUND pattern /no such file|not found|ENOENT/i does not match, so a missing file is
  it('a missing file → NOT_FOUND', async () => {
    const error = await rejection(decodeResized(join(dir, 'no-such-image.jpg'), 16));
    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('normalise', () => {
  it('mobilenet maps 0 → -1 and 255 → 1, linearly, keeping RGB order', () => {
    const rgb = new Uint8Array([0, 255, 127, 51, 204, 0]);
    const out = new Float32Array(6);
    normalise(rgb, 'mobilenet', out);
    expect(out[0]).toBe(-1);
    expect(out[1]).toBe(1);
    expect(out[2]).toBeCloseTo(127 / 127.5 - 1, 6);
    expect(out[3]).toBeCloseTo(-0.6, 6);
    expect(out[4]).toBeCloseTo(0.6, 6);
    expect(out[5]).toBe(-1);
  });

  it('caffe swaps to BGR and subtracts the ImageNet BGR mean [103.939, 116.779, 123.68]', () => {
    const rgb = new Uint8Array([10, 20, 30, 255, 128, 0]);
    const out = new Float32Array(6);
    normalise(rgb, 'caffe', out);
    const expected = [30 - 103.939, 20 - 116.779, 10 - 123.68, 0 - 103.939, 128 - 116.779, 255 - 123.68];
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 4));
  });

  it('writes at the offset and nowhere else', () => {
    for (const normalisation of ['mobilenet', 'caffe'] as const) {
      const out = new Float32Array(12).fill(7);
      normalise(new Uint8Array([255, 255, 255, 0, 0, 0]), normalisation, out, 3);
      expect(Array.from(out.subarray(0, 3))).toEqual([7, 7, 7]);
      expect(Array.from(out.subarray(9))).toEqual([7, 7, 7]);
      expect(out[3]).not.toBe(7);
      expect(out[8]).not.toBe(7);
    }
  });
});

describe('damaged images', () => {
  it('names a JPEG cut short or with corrupt data as damaged, in the app’s words with libjpeg’s in details, and refuses it', async () => {
    const paths = await writeDamagedJpegs(dir);
    expect((await decodeResizedChecked(paths.good, 64)).damage).toBeNull();
    const truncated = await rejection(decodeResized(paths.truncated, 64));
    expect(truncated).toMatchObject({ code: 'INVALID_INPUT', details: { path: paths.truncated, damaged: true } });
    expect(truncated.message).toMatch(/^truncated\.jpg is damaged: the file ends early/);
    expect(String(truncated.details!['library'])).toMatch(/premature end of JPEG/i);
    const corrupt = await rejection(decodeResized(paths.corrupt, 64));
    expect(corrupt.message).toMatch(/^corrupt\.jpg is damaged: part of its compressed data is corrupt/);
    expect(String(corrupt.details!['library'])).toMatch(/Corrupt JPEG data/);
  });

  it('gives a damaged image’s pixels with its damage when asked, on this thread and through the decode pool', async () => {
    const paths = await writeDamagedJpegs(dir);
    const here = await decodeResizedChecked(paths.truncated, 64);
    expect(here.rgb).toHaveLength(64 * 64 * 3);
    expect(here.damage?.message).toContain('truncated.jpg is damaged');
    const pool = new DecodePool(1);
    try {
      const pooled = await pool.decode({ path: paths.corrupt, size: 64, angle: 0, flip: false });
      expect(pooled.damage?.library).toMatch(/Corrupt JPEG data/);
      expect((await pool.decode({ path: paths.good, size: 64, angle: 0, flip: false })).damage).toBeNull();
    } finally {
      await pool.close();
    }
  });

  it('names each of many damaged images decoded at once in its own words (libvips keeps one error buffer for the process)', async () => {
    // Eight different photos cut short and two with corrupt data, decoded together, ten times over:
    // before the gate, about one in twelve lost its words to another and was called merely "damaged".
    const textured = (seed: number): Buffer => {
      const pixels = Buffer.alloc(160 * 120 * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i * (31 + seed * 2) + (i >> 7) * (7 + seed)) & 255;
      return pixels;
    };
    const cut: string[] = [];
    for (let k = 0; k < 8; k++) {
      const whole = await sharp(textured(k), raw(160, 120)).jpeg({ quality: 92 }).toBuffer();
      cut.push(join(dir, `cut-${k}.jpg`));
      writeFileSync(cut[k]!, whole.subarray(0, Math.floor(whole.length * 0.6)));
    }
    const { corrupt } = await writeDamagedJpegs(dir);
    const paths = [...cut, corrupt, corrupt];
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(paths.map((path) => decodeResizedChecked(path, 64)));
      results.forEach(({ damage }, k) => {
        if (k < cut.length) {
          expect(damage?.message, `round ${round}, ${cut[k]}`).toMatch(/^cut-\d\.jpg is damaged: the file ends early/);
          expect(damage?.library, `round ${round}, ${cut[k]}`).toMatch(/premature end of JPEG/i);
        } else {
          expect(damage?.message, `round ${round}, corrupt.jpg`).toMatch(
            /^corrupt\.jpg is damaged: part of its compressed data is corrupt/,
          );
          expect(damage?.library, `round ${round}, corrupt.jpg`).toMatch(/Corrupt JPEG data/);
        }
      });
    }
  });

  it('still calls a file that is no image at all unreadable, not damaged', async () => {
    const path = join(dir, 'text.jpg');
    writeFileSync(path, 'not an image');
    const error = await rejection(decodeResizedChecked(path, 64));
    expect(error.message).toContain('text.jpg cannot be read as an image');
    expect(error.details?.['damaged']).toBeUndefined();
  });
});

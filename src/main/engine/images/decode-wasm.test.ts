import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { readJpegHeader, type JpegHeader } from './decode-jpeg';
import { decodeJpegSquare, wasmDecodable } from './decode-wasm';
import { resizeRgb } from './resize-rgb';

const coco128 = join(__dirname, '../../../../../shared/data/coco128/train2017');

/**
 * A photo-sized test card of smooth detail (waves a few output pixels long, in both directions, and
 * a disc): where a decode puts its pixels shows, a misplacement of half a pixel costs several levels.
 */
async function testCard(width = 640, height = 427): Promise<Sharp> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inDisc = (x - width / 3) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2;
      pixels[i] = inDisc ? 230 : Math.round(127.5 + 120 * Math.sin(x / 9));
      pixels[i + 1] = Math.round(127.5 + 120 * Math.sin(y / 7));
      pixels[i + 2] = Math.round(127.5 + 60 * Math.sin((x + y) / 13));
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

/** What libvips makes of the same JPEG: a full decode, then its linear (triangle) reduction. */
async function libvipsSquare(jpeg: Buffer, size: number): Promise<Buffer> {
  return sharp(jpeg, { ignoreIcc: true })
    .removeAlpha()
    .toColourspace('srgb')
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
}

function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i]! - b[i]!);
  return total / a.length;
}

function header(bytes: Uint8Array): JpegHeader {
  const read = readJpegHeader(bytes);
  if (read === null) throw new Error('not a JPEG');
  return read;
}

describe('decodeJpegSquare', () => {
  it('gives what libvips gives for baseline, progressive, 4:4:4 and grey JPEGs, decoding at a DCT scale first', async () => {
    const cases: [string, Buffer][] = [
      ['baseline 4:2:0', await (await testCard()).jpeg({ quality: 92 }).toBuffer()],
      ['progressive', await (await testCard()).jpeg({ quality: 92, progressive: true }).toBuffer()],
      ['4:4:4', await (await testCard()).jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer()],
      ['grey', await (await testCard()).toColourspace('b-w').jpeg({ quality: 92 }).toBuffer()],
      ['portrait, odd size', await (await testCard(333, 517)).jpeg({ quality: 92 }).toBuffer()],
      // 426 rows at 5/8 are 266.25: libjpeg gives 267, and the resize must not stretch the last quarter over the image.
      ['a fraction of a row over', await (await testCard(640, 426)).jpeg({ quality: 92 }).toBuffer()],
    ];
    for (const [name, jpeg] of cases) {
      const square = decodeJpegSquare(jpeg, header(jpeg), 224);
      expect(square, name).not.toBeNull();
      expect(square!.length).toBe(224 * 224 * 3);
      // Scaled IDCT against full decode and reduction: the same picture, within a level.
      expect(meanAbsoluteDifference(square!, await libvipsSquare(jpeg, 224)), name).toBeLessThan(1);
    }
    // Smaller than the target: decoded whole, then enlarged by resizeRgb (Pillow's bilinear, which
    // places pixel centres otherwise than libvips' enlargement does).
    const small = await (await testCard(150, 100)).jpeg({ quality: 92 }).toBuffer();
    const whole = await sharp(small).raw().toBuffer();
    expect(decodeJpegSquare(small, header(small), 224)).toEqual(resizeRgb(whole, 150, 100, 224, 224));
    // Grey comes out as equal R, G and B.
    const grey = await (await testCard()).toColourspace('b-w').jpeg().toBuffer();
    const rgb = decodeJpegSquare(grey, header(grey), 32)!;
    for (let i = 0; i < rgb.length; i += 3) expect([rgb[i + 1], rgb[i + 2]]).toEqual([rgb[i], rgb[i]]);
  });

  it.skipIf(!existsSync(coco128))('decodes the coco128 photos as libvips does, within a level or so on average', async () => {
    const names = readdirSync(coco128).filter((name) => name.endsWith('.jpg'));
    const differences: number[] = [];
    for (const name of names) {
      const jpeg = readFileSync(join(coco128, name));
      const square = decodeJpegSquare(jpeg, header(jpeg), 224);
      expect(square, name).not.toBeNull();
      differences.push(meanAbsoluteDifference(square!, await libvipsSquare(jpeg, 224)));
    }
    // Fine texture differs most (a DCT scaling filters otherwise than a triangle; Pillow's draft
    // mode differs from libvips the same way), but never by a misplaced or miscoloured picture.
    expect(differences.reduce((sum, d) => sum + d, 0) / differences.length).toBeLessThan(1.5);
    expect(Math.max(...differences)).toBeLessThan(5);
  });

  it('leaves to libvips what it does not take: CMYK, 12-bit, EXIF-rotated and very large JPEGs', async () => {
    const plain = header(await (await testCard(64, 48)).jpeg().toBuffer());
    expect(wasmDecodable(plain)).toBe(true);
    expect(wasmDecodable({ ...plain, components: 4 })).toBe(false);
    expect(wasmDecodable({ ...plain, precision: 12 })).toBe(false);
    expect(wasmDecodable({ ...plain, orientation: 6 })).toBe(false);
    expect(wasmDecodable({ ...plain, width: 10000, height: 9000 })).toBe(false);
    const cmyk = await (await testCard(64, 48)).toColourspace('cmyk').jpeg().toBuffer();
    expect(decodeJpegSquare(cmyk, header(cmyk), 16)).toBeNull();
  });

  it('returns null (for libvips to judge) on a truncated or corrupt JPEG, and decodes the next image as usual', async () => {
    const jpeg = await (await testCard()).jpeg({ quality: 90 }).toBuffer();
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    // libjpeg warns (premature end of data) and fills the rest with grey: not accepted.
    expect(decodeJpegSquare(truncated, header(truncated), 224)).toBeNull();
    // Scrambled entropy-coded data: libjpeg gives up (a trap in WebAssembly), the instance is replaced.
    const corrupt = Buffer.from(jpeg);
    const scan = corrupt.indexOf(Buffer.from([0xff, 0xda]));
    for (let i = scan + 20; i < corrupt.length - 2; i += 7) corrupt[i] = 0xff;
    expect(decodeJpegSquare(corrupt, header(corrupt), 224)).toBeNull();
    const again = decodeJpegSquare(jpeg, header(jpeg), 224);
    expect(meanAbsoluteDifference(again!, await libvipsSquare(jpeg, 224))).toBeLessThan(1);
  });
});

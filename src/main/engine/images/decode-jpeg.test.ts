import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { draftShrink, eighthsScale, jpegEndsEarly, readJpegHeader } from './decode-jpeg';

function flat(width: number, height: number): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 100, b: 50 } } });
}

/** JPEG bytes made by hand from marker segments: SOI, the given segments, an SOF0 of 3×2 pixels, SOS. */
function handMade(...segments: [marker: number, payload: number[]][]): Uint8Array {
  const bytes = [0xff, 0xd8];
  const sof = [8, 0, 2, 0, 3, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0];
  for (const [marker, payload] of [...segments, [0xc0, sof] as [number, number[]]]) {
    const length = payload.length + 2;
    bytes.push(0xff, marker, length >> 8, length & 0xff, ...payload);
  }
  bytes.push(0xff, 0xda, 0, 2);
  return Uint8Array.from(bytes);
}

function iccChunk(sequence: number, count: number, data: number[]): [number, number[]] {
  return [0xe2, [...Buffer.from('ICC_PROFILE\0', 'latin1'), sequence, count, ...data]];
}

describe('readJpegHeader', () => {
  it('reads the size, precision and components of baseline, progressive, grey and CMYK JPEGs', async () => {
    expect(readJpegHeader(await flat(64, 48).jpeg().toBuffer())).toEqual({
      width: 64,
      height: 48,
      components: 3,
      precision: 8,
      orientation: 1,
      icc: null,
      scanStart: expect.any(Number),
    });
    expect(readJpegHeader(await flat(30, 70).jpeg({ progressive: true }).toBuffer())).toMatchObject({
      width: 30,
      height: 70,
      components: 3,
    });
    expect(readJpegHeader(await flat(20, 10).toColourspace('b-w').jpeg().toBuffer())).toMatchObject({
      width: 20,
      height: 10,
      components: 1,
    });
    expect(readJpegHeader(await flat(20, 10).toColourspace('cmyk').jpeg().toBuffer())).toMatchObject({ components: 4 });
    // Markers may be preceded by fill bytes.
    const padded = handMade([0xe0, [1, 2, 3]]);
    const withFill = Uint8Array.from([...padded.subarray(0, 2), 0xff, 0xff, ...padded.subarray(2)]);
    expect(readJpegHeader(withFill)).toMatchObject({ width: 3, height: 2, components: 3 });
  });

  it('reads the EXIF orientation as libvips does (SHORT or LONG, little- or big-endian): 1 without one, 0 where it cannot be read', async () => {
    for (const orientation of [1, 3, 6, 8]) {
      const jpeg = await flat(32, 16).withMetadata({ orientation }).jpeg().toBuffer();
      expect((await sharp(jpeg).metadata()).orientation).toBe(orientation);
      expect(readJpegHeader(jpeg)!.orientation, `orientation ${orientation}`).toBe(orientation);
    }
    // IFD0 with one entry: the Orientation tag (0x0112), type SHORT (or LONG), count 1, value 6.
    const tiff = (little: boolean, long = false, tag = 0x0112): number[] => {
      const u16 = (v: number): number[] => (little ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]);
      const u32 = (v: number): number[] =>
        little ? [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24] : [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
      const value = long ? u32(6) : [...u16(6), 0, 0];
      return [
        ...Buffer.from(little ? 'II' : 'MM'),
        ...u16(42),
        ...u32(8),
        ...u16(1),
        ...u16(tag),
        ...u16(long ? 4 : 3),
        ...u32(1),
        ...value,
        ...u32(0),
      ];
    };
    const exif = (body: number[]): [number, number[]] => [0xe1, [...Buffer.from('Exif\0\0', 'latin1'), ...body]];
    expect(readJpegHeader(handMade(exif(tiff(true))))!.orientation).toBe(6);
    expect(readJpegHeader(handMade(exif(tiff(false))))!.orientation).toBe(6);
    // A LONG, as some writers store it: big-endian puts the value in the last two bytes.
    expect(readJpegHeader(handMade(exif(tiff(true, true))))!.orientation).toBe(6);
    expect(readJpegHeader(handMade(exif(tiff(false, true))))!.orientation).toBe(6);
    // An EXIF block without the tag: upright.
    expect(readJpegHeader(handMade(exif(tiff(true, false, 0x0110))))!.orientation).toBe(1);
    // Cut short, a bad byte order, an out-of-range value: unknown (0), not an exception.
    expect(readJpegHeader(handMade(exif(tiff(true).slice(0, 12))))!.orientation).toBe(0);
    expect(readJpegHeader(handMade(exif([0x41, 0x41, ...tiff(true).slice(2)])))!.orientation).toBe(0);
    const nine = tiff(true);
    nine[18] = 9;
    expect(readJpegHeader(handMade(exif(nine)))!.orientation).toBe(0);
  });

  it('returns the embedded ICC profile as libvips reads it, one APP2 segment or several', async () => {
    for (const profile of ['p3', 'cmyk']) {
      const base = flat(16, 16);
      const jpeg = await (profile === 'cmyk' ? base.toColourspace('cmyk') : base).withIccProfile(profile).jpeg().toBuffer();
      const { icc } = await sharp(jpeg).metadata();
      expect(icc, profile).toBeDefined();
      // The CMYK profile is near 1 MB: 15 segments of at most 64 KiB.
      expect(Buffer.from(readJpegHeader(jpeg)!.icc!)).toEqual(icc);
    }
    // Segments in any order are put back in sequence.
    expect(Array.from(readJpegHeader(handMade(iccChunk(2, 2, [3, 4]), iccChunk(1, 2, [1, 2])))!.icc!)).toEqual([1, 2, 3, 4]);
  });

  it('gives an empty profile when its segments do not add up (libvips then decides what to do)', () => {
    expect(readJpegHeader(handMade(iccChunk(1, 2, [1, 2])))!.icc).toEqual(new Uint8Array(0));
    expect(readJpegHeader(handMade(iccChunk(1, 1, [1]), iccChunk(1, 1, [2])))!.icc).toEqual(new Uint8Array(0));
    expect(readJpegHeader(handMade(iccChunk(3, 2, [1])))!.icc).toEqual(new Uint8Array(0));
  });

  it('returns null for what is not a readable JPEG header', async () => {
    const jpeg = await flat(64, 48).jpeg().toBuffer();
    expect(readJpegHeader(await flat(8, 8).png().toBuffer())).toBeNull();
    expect(readJpegHeader(Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7919 + 13) % 256)))).toBeNull();
    expect(readJpegHeader(jpeg.subarray(0, 40))).toBeNull(); // cut off before the frame header
    expect(readJpegHeader(new Uint8Array([0xff, 0xd8]))).toBeNull();
    // Rubbish between segments, and a frame whose height comes later (DNL): no guessing.
    expect(readJpegHeader(Uint8Array.from([0xff, 0xd8, 0x12, 0x34, ...handMade().subarray(2)]))).toBeNull();
    const dnl = handMade();
    dnl[7] = 0;
    dnl[8] = 0;
    expect(readJpegHeader(dnl)).toBeNull();
  });
});

describe('jpegEndsEarly', () => {
  /** A JPEG with an APP1 segment right after SOI that holds a thumbnail's own end marker (FF D9). */
  function withThumbnailEnd(jpeg: Buffer): Buffer {
    const payload = Buffer.from([...Buffer.from('Exif\0\0', 'latin1'), 0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const length = payload.length + 2;
    return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1, length >> 8, length & 255]), payload, jpeg.subarray(2)]);
  }

  it('finds where the scan starts', async () => {
    const jpeg = await flat(64, 48).jpeg().toBuffer();
    const { scanStart } = readJpegHeader(jpeg)!;
    expect([jpeg[scanStart], jpeg[scanStart + 1]]).toEqual([0xff, 0xda]);
  });

  it('is false for a whole file, with or without bytes after its end', async () => {
    const jpeg = await flat(64, 48).jpeg().toBuffer();
    expect(jpegEndsEarly(jpeg, readJpegHeader(jpeg)!)).toBe(false);
    const padded = Buffer.concat([jpeg, Buffer.alloc(100)]);
    expect(jpegEndsEarly(padded, readJpegHeader(padded)!)).toBe(false);
  });

  it('is true for a file cut short, even when an EXIF thumbnail before the scan has its own end marker', async () => {
    // Texture, so that most of the file is the compressed picture and 60% of it ends inside the scan.
    const pixels = Buffer.alloc(96 * 64 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + (i >> 5) * 11) & 255;
    const jpeg = await sharp(pixels, { raw: { width: 96, height: 64, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    expect(readJpegHeader(jpeg)!.scanStart).toBeLessThan(jpeg.length * 0.5);
    const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    expect(jpegEndsEarly(cut, readJpegHeader(cut)!)).toBe(true);
    const thumbnailed = withThumbnailEnd(jpeg);
    expect(jpegEndsEarly(thumbnailed, readJpegHeader(thumbnailed)!)).toBe(false);
    const thumbnailedCut = thumbnailed.subarray(0, Math.floor(thumbnailed.length * 0.6));
    expect(jpegEndsEarly(thumbnailedCut, readJpegHeader(thumbnailedCut)!)).toBe(true);
  });
});

describe('eighthsScale', () => {
  it('picks the smallest DCT scale in eighths that keeps both sides at least the target, as libjpeg rounds them (up)', () => {
    expect(eighthsScale(640, 480, 224)).toBe(4); // 320×240
    expect(eighthsScale(640, 427, 224)).toBe(5); // 400×267; 4/8 would give 214 rows
    expect(eighthsScale(427, 640, 224)).toBe(5);
    expect(eighthsScale(500, 375, 224)).toBe(5); // 313×235
    expect(eighthsScale(448, 448, 224)).toBe(4);
    expect(eighthsScale(447, 447, 224)).toBe(4); // 4/8 of 447 is 223.5, which libjpeg rounds up to 224
    expect(eighthsScale(445, 445, 224)).toBe(5); // 222.5 → 223: too few
    expect(eighthsScale(4000, 3000, 224)).toBe(1);
    expect(eighthsScale(224, 224, 224)).toBe(8);
    expect(eighthsScale(100, 50, 224)).toBe(8); // smaller than the target: full size, then enlarged
  });
});

describe('draftShrink', () => {
  it("picks Pillow draft mode's scale: the largest of 1, 2, 4, 8 that keeps both sides at least the target", () => {
    expect(draftShrink(640, 480, 224)).toBe(2);
    expect(draftShrink(480, 640, 224)).toBe(2);
    expect(draftShrink(640, 447, 224)).toBe(1);
    expect(draftShrink(224, 224, 224)).toBe(1);
    expect(draftShrink(100, 50, 224)).toBe(1);
    expect(draftShrink(1000, 900, 224)).toBe(4);
    expect(draftShrink(4000, 3000, 224)).toBe(8);
    expect(draftShrink(64, 64, 16)).toBe(4);
  });
});

import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { srgbConversion, type ToSrgb } from './decode-icc';

/** libvips' built-in profile of that name, as embedded in an image. */
async function builtInProfile(name: 'srgb' | 'p3' | 'cmyk'): Promise<Buffer> {
  const base = sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } });
  const png = await (name === 'cmyk' ? base.toColourspace('cmyk').jpeg() : base.png()).withIccProfile(name).toBuffer();
  return (await sharp(png).metadata()).icc!;
}

/** Where a tag's data is in a profile. */
function tagOffset(icc: Buffer, signature: string): number {
  for (let t = 0; t < icc.readUInt32BE(128); t++) {
    if (icc.toString('latin1', 132 + t * 12, 136 + t * 12) === signature) return icc.readUInt32BE(136 + t * 12);
  }
  throw new Error(`no ${signature} tag`);
}

/** 32 × 32 pixels covering saturated, dark, light and grey colours. */
function swatches(): Buffer {
  const pixels = Buffer.alloc(32 * 32 * 3);
  for (let i = 0; i < 32 * 32; i++) pixels.set([(i * 37) % 256, (i * 101) % 256, (i * 7) % 256], i * 3);
  return pixels;
}

let srgb: Buffer;
let p3: Buffer;
beforeAll(async () => {
  srgb = await builtInProfile('srgb');
  p3 = await builtInProfile('p3');
});

describe('srgbConversion', () => {
  it('leaves an sRGB profile alone', () => {
    expect(srgbConversion(srgb)).toBe('identity');
  });

  it('converts Display P3 as libvips (lcms) does, within a level', async () => {
    // P3 values with the P3 profile embedded, in a lossless PNG.
    const png = await sharp(swatches(), { raw: { width: 32, height: 32, channels: 3 } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    const byLibvips = await sharp(png).toColourspace('srgb').raw().toBuffer();
    const ours = Uint8Array.from(await sharp(png, { ignoreIcc: true }).raw().toBuffer());
    const conversion = srgbConversion(p3);
    expect(typeof conversion).toBe('function');
    (conversion as ToSrgb)(ours);
    let worst = 0;
    let changed = 0;
    const raw = await sharp(png, { ignoreIcc: true }).raw().toBuffer();
    for (let i = 0; i < ours.length; i++) {
      worst = Math.max(worst, Math.abs(ours[i]! - byLibvips[i]!));
      if (raw[i] !== byLibvips[i]) changed++;
    }
    expect(worst).toBeLessThanOrEqual(1);
    // And there was something to convert.
    expect(changed).toBeGreaterThan(ours.length / 2);
  });

  it('converts a profile with sRGB primaries but other tone curves (gamma 1.8) rather than calling it sRGB', () => {
    const gamma18 = Buffer.from(srgb);
    const trc = tagOffset(gamma18, 'rTRC'); // the three curves share their data
    gamma18.writeUInt16BE(0, trc + 8); // parametric type 0: y = x^g
    gamma18.writeInt32BE(Math.round(1.8 * 65536), trc + 12);
    const conversion = srgbConversion(gamma18);
    expect(typeof conversion).toBe('function');
    const grey = Uint8Array.from([128, 128, 128, 0, 0, 0, 255, 255, 255]);
    (conversion as ToSrgb)(grey);
    const linear = (128 / 255) ** 1.8;
    const expected = Math.round((1.055 * linear ** (1 / 2.4) - 0.055) * 255);
    expect(Array.from(grey)).toEqual([expected, expected, expected, 0, 0, 0, 255, 255, 255]);
  });

  it('leaves to lcms what is not an RGB matrix/TRC profile', async () => {
    expect(srgbConversion(await builtInProfile('cmyk'))).toBeNull();
    const table = Buffer.from(srgb);
    table.write('A2B0', 132, 'latin1'); // now the first tag says it has a conversion table
    expect(srgbConversion(table)).toBeNull();
    expect(srgbConversion(new Uint8Array(0))).toBeNull();
    expect(srgbConversion(srgb.subarray(0, 200))).toBeNull();
    const unknownCurve = Buffer.from(srgb);
    unknownCurve.write('abcd', tagOffset(unknownCurve, 'rTRC'), 'latin1');
    expect(srgbConversion(unknownCurve)).toBeNull();
  });
});

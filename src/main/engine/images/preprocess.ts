import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { AppError } from '../../../shared/contract/errors';
import { damagedImageError, describeDamage, unreadableImageError, type ImageDamage } from './image-errors';

export { damagedImageError, describeDamage, unreadableImageError, type ImageDamage } from './image-errors';
import { srgbConversion, type ToSrgb } from './decode-icc';
import { draftShrink, jpegEndsEarly, readJpegHeader, type JpegHeader } from './decode-jpeg';
import type { DecodePool } from './decode-pool';
import { decodeJpegSquare } from './decode-wasm';
import { resizeRgb } from './resize-rgb';
import { VipsErrorGate } from './vips-error-gate';

/** How a backbone wants its pixels: Keras MobileNet scales to [-1, 1]; Keras ResNet-50 is caffe-style BGR minus the ImageNet mean. */
export type Normalisation = 'mobilenet' | 'caffe';

export interface Preprocessing {
  size: number;
  normalisation: Normalisation;
}

export interface Augmentation {
  /** Rotation in degrees, drawn uniformly from [-maxRotation, maxRotation]. */
  maxRotation: number;
  horizontalFlip: boolean;
}

/** The example's augmentation: RandRotation [-45, 45] and RandXReflection. */
export const exampleAugmentation: Augmentation = { maxRotation: 45, horizontalFlip: true };

/**
 * Names how `decodeResized` makes its pixels. Caches of anything computed from them (backbone
 * features) include it, so a change of decoder (scale-on-load, resize filter, colour handling) never
 * mixes old and new values: bump it whenever the pixels can change.
 */
export const decoderVersion = 'wasm-eighths-5';

const caffeMeanBgr = [103.939, 116.779, 123.68] as const;

/** An image's square pixels, and what was wrong with its file where the decoder had to make do. */
export interface DecodedSquare {
  rgb: Uint8Array;
  damage: ImageDamage | null;
}

/**
 * Decodes an image (JPEG, PNG, WebP; grayscale and RGBA included) and resizes it to the network's
 * square input, stretching as MATLAB's augmentedImageDatastore does. Returns RGB bytes, HWC.
 * With `augment`, the image is rotated about its centre (corners filled with black, size kept, as
 * imageDataAugmenter does) and maybe mirrored; `random` gives numbers in [0, 1).
 *
 * A damaged image (corrupt data, a file that ends early: see ImageDamage) is refused with
 * INVALID_INPUT and `details.damaged`, so training and feature extraction skip and list it;
 * decodeResizedChecked gives its pixels with the damage named instead.
 *
 * The work runs on the decode pool's threads where one is in use (the engine process starts one:
 * see useDecodePool), and on this thread otherwise. The augmentation is drawn here either way, so
 * seeded runs give the same images wherever they are decoded.
 */
export async function decodeResized(
  path: string,
  size: number,
  augment?: Augmentation,
  random: () => number = Math.random,
): Promise<Uint8Array> {
  const { rgb, damage } = await decodeResizedChecked(path, size, augment, random);
  if (damage !== null) throw damagedImageError(path, damage);
  return rgb;
}

/** decodeResized, giving a damaged image's pixels (as the decoder could make them) with its damage. */
export async function decodeResizedChecked(
  path: string,
  size: number,
  augment?: Augmentation,
  random: () => number = Math.random,
): Promise<DecodedSquare> {
  const angle = augment === undefined ? 0 : (random() * 2 - 1) * augment.maxRotation;
  const flip = augment !== undefined && augment.horizontalFlip && random() < 0.5;
  return decodePool !== null ? decodePool.decode({ path, size, angle, flip }) : decodeSquare(path, size, angle, flip);
}

let decodePool: DecodePool | null = null;

/** Sends decodeResized's work to `pool` from now on (null: back to this thread); returns the pool it replaced. */
export function useDecodePool(pool: DecodePool | null): DecodePool | null {
  const previous = decodePool;
  decodePool = pool;
  return previous;
}

/** decodeResized's work for one image, with its augmentation drawn: on whichever thread calls it. */
export async function decodeSquare(path: string, size: number, angle: number, flip: boolean): Promise<DecodedSquare> {
  const { rgb, damage } = await decodeToSquare(path, size);
  return { rgb: rotateAndFlip(rgb, size, angle, flip), damage };
}

/**
 * JPEGs (nearly all of a photo data set) go through the WebAssembly decoder (decode-wasm.ts), the
 * rest through libvips. Where the time went with libvips alone (640×480 COCO JPEGs, 224 target, one
 * core): a full-size decode, because sharp's own shrink-on-load backs off for reductions between 2
 * and 3 (its guard against libjpeg rounding); for the half of the photos that embed an ICC profile,
 * a new lcms transform per image (see decode-icc.ts); libvips' resize, whose set-up costs more than
 * the little resizing left after a DCT scaling (see resize-rgb.ts); and about a millisecond per
 * image of handing the work to libvips and back.
 */
async function decodeToSquare(path: string, size: number): Promise<DecodedSquare> {
  let rgb: Uint8Array | null;
  let damage: ImageDamage | null = null;
  // Set when the embedded profile is converted here rather than by libvips.
  let toSrgb: ToSrgb | null = null;
  try {
    // Read synchronously: fs.promises.readFile is four thread-pool round trips (open, stat, read,
    // close) for a file the page cache usually holds, which costs more than reading it here.
    const bytes = readFileSync(path);
    const jpeg = readJpegHeader(bytes);
    // How a JPEG's embedded profile is honoured: 'identity' (none, or sRGB's), a conversion here,
    // or null: only lcms can, through libvips (grey and CMYK profiles, table-based ones).
    const colour = jpeg === null || jpeg.icc === null ? 'identity' : jpeg.components === 3 ? srgbConversion(jpeg.icc) : null;
    if (typeof colour === 'function') toSrgb = colour;
    rgb = jpeg !== null && colour !== null ? decodeJpegSquare(bytes, jpeg, size) : null;
    if (rgb === null) {
      const ignoreIcc = jpeg !== null && colour !== null;
      const strictly = (): Promise<Uint8Array> => decodeWithLibvips(path, bytes, jpeg, size, ignoreIcc, 'warning');
      try {
        // Strict: any libjpeg warning (corrupt data, a premature end, a bad Huffman code) fails it.
        rgb = await vipsErrors.together(strictly);
      } catch (strict) {
        // What the decoder can still make of it is the damaged image; if nothing, the strict error stands.
        rgb = await vipsErrors
          .together(() => decodeWithLibvips(path, bytes, jpeg, size, ignoreIcc, 'none'))
          .catch(() => {
            throw strict;
          });
        // The strict decode again, alone, for libvips' words about this file and no other.
        const words = await vipsErrors.alone(() => strictly().then(() => errorWords(strict), errorWords));
        damage = describeDamage(path, words || errorWords(strict), { endsEarly: jpeg !== null && jpegEndsEarly(bytes, jpeg) });
      }
    }
  } catch (error) {
    throw unreadableImageError(path, error instanceof Error ? error.message : String(error));
  }
  if (rgb.length !== size * size * 3) {
    throw new AppError('INVALID_INPUT', `${path} decoded to an unexpected pixel layout.`, { path });
  }
  // After the resize, on 224×224 pixels rather than the decoded ones; resizing works on the encoded
  // values either way, so the order changes pixels only along sharp edges, and by a level or two.
  toSrgb?.(rgb);
  return { rgb, damage };
}

/** Orders this thread's strict libvips decodes so that a failed one can be repeated alone (see VipsErrorGate). */
const vipsErrors = new VipsErrorGate();

function errorWords(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim();
}

/** One libvips pipeline: autorotated, alpha dropped, in sRGB (lcms for a profile unless `ignoreIcc`), resized. */
async function decodeWithLibvips(
  path: string,
  bytes: Buffer,
  jpeg: JpegHeader | null,
  size: number,
  ignoreIcc: boolean,
  failOn: 'warning' | 'none',
): Promise<Uint8Array> {
  const input = jpegInput(path, bytes, jpeg, size);
  const opened = sharp(input.source, { failOn, ignoreIcc });
  if (input.resizeHere && jpeg !== null && jpeg.orientation >= 1) {
    // Resized as stored, where the part-pixel libjpeg's rounding leaves is the last column and row
    // (see pictureExtent), then turned as the EXIF orientation says: the same as turning first.
    const { data, info } = await opened.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels instead of RGB`);
    return orientSquare(
      resizeRgb(data, info.width, info.height, size, size, pictureExtent(jpeg, input.shrink, info)),
      size,
      jpeg.orientation,
    );
  }
  // Bilinear (torchvision's and Keras' default), its support widened by the reduction so that it
  // averages rather than skips pixels, as resizeRgb does. Copied out of sharp's buffer, so that a
  // decode worker can hand it over whole.
  const square = await opened
    .autoOrient()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return new Uint8Array(square);
}

/**
 * Where the picture ends in a JPEG libjpeg decoded at 1/shrink, as stored: it rounds the size up,
 * so the last column and row may hold only part of a pixel of it (see triangleTaps).
 */
function pictureExtent(jpeg: JpegHeader, shrink: number, decoded: { width: number; height: number }): { width: number; height: number } {
  const [across, down] = [jpeg.width / shrink, jpeg.height / shrink];
  return decoded.width === Math.ceil(across) && decoded.height === Math.ceil(down) ? { width: across, height: down } : decoded;
}

/**
 * Turns a square RGB image as EXIF orientation `orientation` says (1 upright; 2 mirrored; 3 turned
 * 180°; 4 flipped; 5 transposed; 6 turned 90° clockwise; 7 transversed; 8 turned 90° anticlockwise).
 */
export function orientSquare(rgb: Uint8Array, size: number, orientation: number): Uint8Array {
  if (orientation === 1) return rgb;
  const last = size - 1;
  // For each shown pixel (x, y), the stored one.
  const source: Record<number, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [last - x, y],
    3: (x, y) => [last - x, last - y],
    4: (x, y) => [x, last - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, last - x],
    7: (x, y) => [last - y, last - x],
    8: (x, y) => [last - y, x],
  };
  const from = source[orientation];
  if (from === undefined) throw new RangeError(`EXIF orientation ${orientation} is not one of 1 to 8.`);
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [sx, sy] = from(x, y);
      out.set(rgb.subarray((sy * size + sx) * 3, (sy * size + sx) * 3 + 3), (y * size + x) * 3);
    }
  }
  return out;
}

/** Decoded images up to this many pixels are resized by resizeRgb; larger ones stream through libvips. */
const maxPixelsResizedHere = 4 * 1024 * 1024;

/**
 * What to hand sharp, and who resizes. A JPEG at least twice the target on both sides is decoded
 * at 1/2, 1/4 or 1/8 scale by libjpeg's DCT scaling, as Pillow's draft mode does; sharp has no
 * input option for that, but libvips reads load options from the end of a file name
 * (`photo.jpg[shrink=2]`). Such a JPEG, and one too small to scale, is then resized by resizeRgb.
 * Everything else (other formats, names with brackets, JPEGs far over the target) goes as the bytes
 * already read, and libvips resizes it, shrinking on load where it can.
 */
function jpegInput(
  path: string,
  bytes: Buffer,
  jpeg: JpegHeader | null,
  size: number,
): { source: string | Buffer; resizeHere: boolean; shrink: number } {
  if (jpeg === null) return { source: bytes, resizeHere: false, shrink: 1 };
  const shrink = draftShrink(jpeg.width, jpeg.height, size);
  const pixels = Math.ceil(jpeg.width / shrink) * Math.ceil(jpeg.height / shrink);
  if (pixels > maxPixelsResizedHere) return { source: bytes, resizeHere: false, shrink: 1 };
  if (shrink === 1) return { source: bytes, resizeHere: true, shrink };
  // A name with brackets of its own would be misread as options.
  if (path.includes('[') || path.includes(']')) return { source: bytes, resizeHere: false, shrink: 1 };
  return { source: `${path}[shrink=${shrink}]`, resizeHere: true, shrink };
}

/**
 * Rotates a square RGB image by `degrees` clockwise about its centre, keeping its size and filling
 * the corners with black, after mirroring it left-right when `flip` is set. Bilinear, as libvips'
 * rotate; done here on the small decoded image rather than in two more libvips pipelines.
 */
function rotateAndFlip(rgb: Uint8Array, size: number, degrees: number, flip: boolean): Uint8Array {
  if (degrees === 0 && !flip) return rgb;
  const out = new Uint8Array(rgb.length);
  const radians = (degrees * Math.PI) / 180;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  const centre = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Where this output pixel comes from: the inverse rotation, then the inverse mirror.
      const dx = x - centre;
      const dy = y - centre;
      const u = dx * cos + dy * sin + centre;
      const sy = -dx * sin + dy * cos + centre;
      const sx = flip ? size - 1 - u : u;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= size || y0 >= size) continue; // wholly outside: black
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const value =
          (1 - fy) * ((1 - fx) * at(rgb, size, x0, y0, c) + fx * at(rgb, size, x0 + 1, y0, c)) +
          fy * ((1 - fx) * at(rgb, size, x0, y0 + 1, c) + fx * at(rgb, size, x0 + 1, y0 + 1, c));
        out[o + c] = Math.round(value);
      }
    }
  }
  return out;
}

/** A channel of a pixel, black outside the image. */
function at(rgb: Uint8Array, size: number, x: number, y: number, c: number): number {
  return x < 0 || y < 0 || x >= size || y >= size ? 0 : rgb[(y * size + x) * 3 + c]!;
}

/** Writes one image's normalised values into `out` at `offset` (HWC, float32). */
export function normalise(rgb: Uint8Array, normalisation: Normalisation, out: Float32Array, offset = 0): void {
  if (normalisation === 'mobilenet') {
    for (let i = 0; i < rgb.length; i++) out[offset + i] = rgb[i]! / 127.5 - 1;
    return;
  }
  for (let i = 0; i < rgb.length; i += 3) {
    out[offset + i] = rgb[i + 2]! - caffeMeanBgr[0];
    out[offset + i + 1] = rgb[i + 1]! - caffeMeanBgr[1];
    out[offset + i + 2] = rgb[i]! - caffeMeanBgr[2];
  }
}

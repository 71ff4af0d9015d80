import sharp from 'sharp';
import { AppError } from '../../shared/contract/errors';

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

const caffeMeanBgr = [103.939, 116.779, 123.68] as const;

/**
 * Decodes an image (JPEG, PNG, WebP; grayscale and RGBA included) and resizes it to the network's
 * square input, stretching as MATLAB's augmentedImageDatastore does. Returns RGB bytes, HWC.
 * With `augment`, the image is rotated about its centre (corners filled with black, size kept, as
 * imageDataAugmenter does) and maybe mirrored; `random` gives numbers in [0, 1).
 */
export async function decodeResized(
  path: string,
  size: number,
  augment?: Augmentation,
  random: () => number = Math.random,
): Promise<Uint8Array> {
  let rgb: Buffer;
  try {
    rgb = await sharp(path, { failOn: 'error' })
      .rotate() // honour EXIF orientation
      .removeAlpha()
      .toColourspace('srgb')
      .resize(size, size, { fit: 'fill', fastShrinkOnLoad: true })
      .raw()
      .toBuffer();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const missing = /no such file|not found|ENOENT|file is missing/i.test(message);
    throw new AppError(missing ? 'NOT_FOUND' : 'INVALID_INPUT', `${path} cannot be read as an image: ${message}`, { path });
  }
  if (rgb.length !== size * size * 3) {
    throw new AppError('INVALID_INPUT', `${path} decoded to an unexpected pixel layout.`, { path });
  }
  if (augment === undefined) return rgb;
  const angle = (random() * 2 - 1) * augment.maxRotation;
  const flip = augment.horizontalFlip && random() < 0.5;
  let pipeline = sharp(rgb, { raw: { width: size, height: size, channels: 3 } });
  if (flip) pipeline = pipeline.flop();
  const rotated = await pipeline
    .rotate(angle, { background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = rotated.info;
  const left = Math.floor((width - size) / 2);
  const top = Math.floor((height - size) / 2);
  return sharp(rotated.data, { raw: { width, height, channels: 3 } })
    .extract({ left, top, width: size, height: size })
    .raw()
    .toBuffer();
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

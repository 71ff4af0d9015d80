import { describe, expect, it } from 'vitest';
import { coco128Images, coco128Jpegs, measureQuickDecoding, quickDecodingMinRatio as minTimesSharp } from '../decoding-quick';

/** Our decode + resize to 224×224 against sharp's plain resize of the same JPEGs, one thread each (figures in decoding-quick.ts). */
const images = coco128Jpegs();

describe('guard: decoding speed', () => {
  it.skipIf(images === null)(
    `decodes and resizes the coco128 JPEGs at least ${minTimesSharp}× as fast as sharp's plain resize`,
    async () => {
      const f = await measureQuickDecoding(images!);
      console.log(
        `decoding guard: ${f.images} images, ours ${f.ours.toFixed(0)} images/s, sharp ${f.sharp.toFixed(0)} images/s, ratio ${f.ratio.toFixed(2)} (limit ${minTimesSharp})`,
      );
      expect(f.ratio).toBeGreaterThanOrEqual(minTimesSharp);
    },
  );
  if (images === null)
    console.log(`decoding guard skipped: the coco128 images are not at ${coco128Images} (../shared beside the project).`);
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeResized } from '../../src/main/engine/images/preprocess';
import { rejection } from '../support/rejection';
import { hasCoco128 } from '../support/shared-data';
import { fuzzBudget, suiteTimeoutMs } from './budget';
import { sentenceProblems } from '../support/sentence';
import { expectCleanFuzz } from './expect-clean';

const file = 'test/fuzz/jpeg.fuzz.test.ts';

describe('fuzzing JPEGs (readJpegHeader, then decodeResized)', () => {
  const generated = fuzzBudget(250);
  it(
    'generated: decodes every mutated JPEG to the requested size or refuses it with a sentence',
    async () => {
      await expectCleanFuzz('jpeg', 'generated', generated, file, { seedsAccepted: true });
    },
    suiteTimeoutMs(generated),
  );

  const coco128 = fuzzBudget(80);
  it.skipIf(!hasCoco128)(
    hasCoco128
      ? 'coco128 (real COCO photos): decodes every mutated JPEG to the requested size or refuses it with a sentence'
      : 'coco128: skipped because ../shared/data/coco128 is absent',
    async () => {
      await expectCleanFuzz('jpeg', 'coco128', coco128, file);
    },
    suiteTimeoutMs(coco128),
  );

  it('decodeResized refuses a truncated JPEG, and a file that is no image, each with a one-line sentence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlw-fuzz-jpeg-'));
    try {
      const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 200, b: 90 } } })
        .jpeg()
        .toBuffer();
      const path = join(dir, 'truncated.jpg');
      writeFileSync(path, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
      const error = await rejection(decodeResized(path, 224));
      expect(error.code).toBe('INVALID_INPUT');
      expect(sentenceProblems(error.message)).toEqual([]);
      // Its header says JPEG, its data is garbage: libvips reports several lines; the message is one sentence.
      const garbage = join(dir, 'garbage.jpg');
      writeFileSync(garbage, Buffer.concat([jpeg.subarray(0, 200), Buffer.alloc(300, 0xff)]));
      const unreadable = await rejection(decodeResized(garbage, 224));
      expect(sentenceProblems(unreadable.message)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

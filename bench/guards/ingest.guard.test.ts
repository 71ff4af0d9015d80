import { describe, expect, it } from 'vitest';
import { measureQuickIngest, quickIngestMaxRatio as maxRatio } from '../ingest-quick';

/** Our import against JSON.parse of the same ~40 MB file (see ingest-quick.ts for the figures behind the limit). */

describe('guard: COCO import speed', () => {
  for (const separators of ['python', 'compact'] as const) {
    it(`imports a ${separators}-formatted file in at most ${maxRatio}× the time JSON.parse takes to read it`, async () => {
      const f = await measureQuickIngest(separators, { log: (line) => console.log(line) });
      console.log(
        `ingest guard (${separators}): ${(f.bytes / 2 ** 20).toFixed(1)} MiB, ${f.images} images, ${f.annotations} annotations; ` +
          `ours ${f.oursSeconds.toFixed(3)} s, JSON.parse ${f.jsonParseSeconds.toFixed(3)} s, ratio ${f.ratio.toFixed(2)} (limit ${maxRatio})`,
      );
      expect(f.ratio).toBeLessThanOrEqual(maxRatio);
    });
  }
});

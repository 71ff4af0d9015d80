import { describe, it } from 'vitest';
import { hasCoco128 } from '../support/shared-data';
import { fuzzBudget, suiteTimeoutMs } from './budget';
import { expectCleanFuzz } from './expect-clean';

const file = 'test/fuzz/coco.fuzz.test.ts';

describe('fuzzing the COCO import (DatasetService.ingest, and ingestCocoFile in chunks and by two threads)', () => {
  const fixture = fuzzBudget(120);
  it(
    'fixture: accepts or refuses every mutated file with a sentence, leaving the cache as it was, and every way of reading agrees',
    async () => {
      // The unmutated seeds were among the inputs and were imported, and the mutations broke some files.
      await expectCleanFuzz('coco', 'fixture', fixture, file, { seedsAccepted: true });
    },
    suiteTimeoutMs(fixture),
  );

  const coco128 = fuzzBudget(20);
  it.skipIf(!hasCoco128)(
    hasCoco128
      ? 'coco128 (the real annotation file): accepts or refuses every mutated file with a sentence, leaving the cache as it was'
      : 'coco128: skipped because ../shared/data/coco128 is absent',
    async () => {
      await expectCleanFuzz('coco', 'coco128', coco128, file);
    },
    suiteTimeoutMs(coco128),
  );
});

import { describe, expect, it } from 'vitest';
import { hasCoco128 } from '../support/shared-data';
import { fuzzBudget, suiteTimeoutMs } from './budget';
import { formatReport, runFuzz } from './run-fuzz';

const file = 'test/fuzz/coco.fuzz.test.ts';

describe('fuzzing the COCO import (DatasetService.ingest, and ingestCocoFile in chunks and by two threads)', () => {
  const fixture = fuzzBudget(120);
  it(
    'fixture: accepts or refuses every mutated file with a sentence, leaving the cache as it was, and every way of reading agrees',
    async () => {
      const report = await runFuzz('coco', 'fixture', fixture);
      console.log(formatReport(report, file));
      expect(report.failures.length, formatReport(report, file)).toBe(0);
      expect(report.tried).toBeGreaterThan(0);
      if (fixture.only === null) {
        // The unmutated seeds were among the inputs and were imported, and the mutations broke some files.
        expect(report.accepted).toBeGreaterThanOrEqual(Math.min(report.seeds, report.tried));
        if (report.tried > 20) expect(report.rejected).toBeGreaterThan(0);
      }
    },
    suiteTimeoutMs(fixture),
  );

  const coco128 = fuzzBudget(20);
  it.skipIf(!hasCoco128)(
    hasCoco128
      ? 'coco128 (the real annotation file): accepts or refuses every mutated file with a sentence, leaving the cache as it was'
      : 'coco128: skipped because ../shared/data/coco128 is absent',
    async () => {
      const report = await runFuzz('coco', 'coco128', coco128);
      console.log(formatReport(report, file));
      expect(report.failures.length, formatReport(report, file)).toBe(0);
      expect(report.tried).toBeGreaterThan(0);
    },
    suiteTimeoutMs(coco128),
  );
});

import { describe, expect, it } from 'vitest';
import { hasMobilenet } from '../support/shared-data';
import { fuzzBudget, suiteTimeoutMs } from './budget';
import { formatReport, runFuzz } from './run-fuzz';

const file = 'test/fuzz/layers-folder.fuzz.test.ts';

describe('fuzzing TensorFlow.js Layers folders (readLayersFolder, then loadLayersFolder)', () => {
  const small = fuzzBudget(200);
  it(
    'small: reads and builds every mutated folder or refuses it with a sentence',
    async () => {
      const report = await runFuzz('layers-folder', 'small', small);
      console.log(formatReport(report, file));
      expect(report.failures.length, formatReport(report, file)).toBe(0);
      expect(report.tried).toBeGreaterThan(0);
      if (small.only === null) {
        expect(report.accepted).toBeGreaterThanOrEqual(Math.min(report.seeds, report.tried));
        if (report.tried > 20) expect(report.rejected).toBeGreaterThan(0);
      }
    },
    suiteTimeoutMs(small),
  );

  const mobilenet = fuzzBudget(40);
  it.skipIf(!hasMobilenet)(
    hasMobilenet
      ? 'mobilenet (the real MobileNet v1 0.75 folder): reads every mutated folder or refuses it with a sentence'
      : 'mobilenet: skipped because ../shared/models is absent',
    async () => {
      const report = await runFuzz('layers-folder', 'mobilenet', mobilenet);
      console.log(formatReport(report, file));
      expect(report.failures.length, formatReport(report, file)).toBe(0);
      expect(report.tried).toBeGreaterThan(0);
    },
    suiteTimeoutMs(mobilenet),
  );
});

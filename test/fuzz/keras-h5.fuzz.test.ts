import { describe, expect, it } from 'vitest';
import { fuzzBudget, suiteTimeoutMs } from './budget';
import { formatReport, runFuzz } from './run-fuzz';

const file = 'test/fuzz/keras-h5.fuzz.test.ts';

describe('fuzzing Keras .h5 weights (readKerasWeights, then assignKerasWeights)', () => {
  const small = fuzzBudget(300);
  it(
    'small: reads and assigns every mutated file or refuses it with a sentence, and never hangs or crashes',
    async () => {
      const report = await runFuzz('keras-h5', 'small', small);
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
});

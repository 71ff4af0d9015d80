import { describe, it } from 'vitest';
import { fuzzBudget, suiteTimeoutMs } from './budget';
import { expectCleanFuzz } from './expect-clean';

const file = 'test/fuzz/keras-h5.fuzz.test.ts';

describe('fuzzing Keras .h5 weights (readKerasWeights, then assignKerasWeights)', () => {
  const small = fuzzBudget(300);
  it(
    'small: reads and assigns every mutated file or refuses it with a sentence, and never hangs or crashes',
    async () => {
      await expectCleanFuzz('keras-h5', 'small', small, file, { seedsAccepted: true });
    },
    suiteTimeoutMs(small),
  );
});

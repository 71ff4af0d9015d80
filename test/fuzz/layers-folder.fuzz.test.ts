import { describe, it } from 'vitest';
import { hasMobilenet } from '../support/shared-data';
import { fuzzBudget, suiteTimeoutMs } from './budget';
import { expectCleanFuzz } from './expect-clean';

const file = 'test/fuzz/layers-folder.fuzz.test.ts';

describe('fuzzing TensorFlow.js Layers folders (readLayersFolder, then loadLayersFolder)', () => {
  const small = fuzzBudget(200);
  it(
    'small: reads and builds every mutated folder or refuses it with a sentence',
    async () => {
      await expectCleanFuzz('layers-folder', 'small', small, file, { seedsAccepted: true });
    },
    suiteTimeoutMs(small),
  );

  const mobilenet = fuzzBudget(40);
  it.skipIf(!hasMobilenet)(
    hasMobilenet
      ? 'mobilenet (the real MobileNet v1 0.75 folder): reads every mutated folder or refuses it with a sentence'
      : 'mobilenet: skipped because ../shared/models is absent',
    async () => {
      await expectCleanFuzz('layers-folder', 'mobilenet', mobilenet, file);
    },
    suiteTimeoutMs(mobilenet),
  );
});

import { describe, expect, it } from 'vitest';
import { settingsFromOverrides } from './training-overrides';

describe('training setting overrides', () => {
  it('pass validation frequency, patience and seed with the rest, and leave out what was not given', () => {
    expect(
      settingsFromOverrides({ maxEpochs: 3, l2Regularization: 0.001, validationFrequency: 7, validationPatience: 4, seed: 0 }),
    ).toEqual({ maxEpochs: 3, l2Regularization: 0.001, validationFrequency: 7, validationPatience: 4, seed: 0 });
    expect(settingsFromOverrides({ seed: undefined, batchSize: 16 })).toEqual({ batchSize: 16 });
  });
});

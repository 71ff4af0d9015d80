import type { z } from 'zod';
import type { trainingSettings } from '../contract/training';

type TrainingSettings = z.infer<typeof trainingSettings>;

/** The settings a user may give in the Train form or on `mlw train`'s command line; each is optional. */
export interface SettingOverrides {
  maxEpochs?: number | undefined;
  batchSize?: number | undefined;
  learnRate?: number | undefined;
  l2Regularization?: number | undefined;
  validationFrequency?: number | undefined;
  validationPatience?: number | undefined;
  seed?: number | undefined;
}

const keys = ['maxEpochs', 'batchSize', 'learnRate', 'l2Regularization', 'validationFrequency', 'validationPatience', 'seed'] as const;

/** The request's `settings`: only what was given, so the mode's defaults (or the held-out choice) fill the rest. */
export function settingsFromOverrides(overrides: SettingOverrides): Partial<TrainingSettings> {
  const settings: Partial<TrainingSettings> = {};
  for (const key of keys) {
    const value = overrides[key];
    if (value !== undefined) settings[key] = value;
  }
  return settings;
}

import { describe, expect, it } from 'vitest';
import type { RunEntry } from '../../../../shared/contract/runs';
import { datasetLabel } from './runs-format';

const run = (train: string, val: string, categories: string[]): RunEntry =>
  ({
    dataset: { train: { annotations: train, images: '/i', count: 1 }, val: { annotations: val, images: '/j', count: 1 }, categories },
  }) as unknown as RunEntry;

describe('the Dataset column', () => {
  it('names the training file as well as the validation file', () => {
    expect(datasetLabel(run('/coco/instances_train2017.json', '/coco/instances_val2017.json', ['dog', 'cat']))).toBe(
      'train instances_train2017.json · val instances_val2017.json · 2 classes',
    );
    expect(datasetLabel(run('/d/all.json', '/d/all.json', ['dog']))).toBe('train and val all.json · 1 class');
  });
});

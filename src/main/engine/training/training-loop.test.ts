import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random';
import { exampleTraining } from './train-head';
import type { IterationReport } from './types';
import { runTrainingLoop, type LoopPosition } from './training-loop';

/** A loop whose "training" is bookkeeping: validation losses come from a list, batches are recorded. */
function fakeLoop(options: {
  images: number;
  batchSize: number;
  maxEpochs: number;
  losses: number[];
  frequency: number;
  patience: number;
}) {
  const batches: number[][] = [];
  const reports: IterationReport[] = [];
  const checkpoints: (LoopPosition & { best: { loss: number; iteration: number } })[] = [];
  let validations = 0;
  const settings = {
    ...exampleTraining,
    batchSize: options.batchSize,
    maxEpochs: options.maxEpochs,
    validationFrequency: options.frequency,
    validationPatience: options.patience,
  };
  const spec = {
    settings,
    images: options.images,
    generator: new SeededRandom(7),
    initialBest: { loss: Infinity, iteration: 0 },
    prefetch: false,
    load: (indices: number[]) => indices,
    step: (batch: number[]) => {
      batches.push(batch);
      return { loss: 1, rmse: 0.5 };
    },
    validate: () => ({ loss: options.losses[validations++] ?? 1, rmse: 0 }),
    keepBest: (v: { loss: number }, iteration: number) => ({ loss: v.loss, iteration }),
    onIteration: (r: IterationReport) => reports.push(r),
    onCheckpoint: (p: LoopPosition & { best: { loss: number; iteration: number } }) => void checkpoints.push(structuredClone(p)),
  };
  return { spec, batches, reports, checkpoints };
}

describe('the shared training loop', () => {
  it('visits every image once per epoch in a seeded order, validating every N iterations and at the last', async () => {
    const { spec, batches, reports } = fakeLoop({ images: 10, batchSize: 3, maxEpochs: 2, losses: [5, 4, 3], frequency: 2, patience: 5 });
    const result = await runTrainingLoop(spec);
    // 10 images in batches of 3: 3 full batches per epoch (the remainder is dropped, as MATLAB does).
    expect(result.iterations).toBe(6);
    expect(batches).toHaveLength(6);
    expect(new Set(batches.slice(0, 3).flat()).size).toBe(9);
    expect(reports.filter((r) => r.valLoss !== undefined).map((r) => r.iteration)).toEqual([2, 4, 6]);
    expect(result.best).toEqual({ loss: 3, iteration: 6 });
  });

  it('stops after `patience` validations without a lower loss and keeps the best', async () => {
    const { spec, reports } = fakeLoop({ images: 40, batchSize: 2, maxEpochs: 5, losses: [5, 2, 3, 4, 2.5, 1], frequency: 1, patience: 3 });
    const result = await runTrainingLoop(spec);
    expect(result.stoppedEarly).toBe(true);
    expect(result.iterations).toBe(5);
    expect(result.best).toEqual({ loss: 2, iteration: 2 });
    expect(reports.at(-1)?.valLoss).toBe(2.5);
  });

  it('resumed from a checkpoint, draws the same batches as an uninterrupted run', async () => {
    const full = fakeLoop({ images: 12, batchSize: 4, maxEpochs: 3, losses: [9, 8, 7, 6, 5, 4, 3, 2, 1], frequency: 2, patience: 9 });
    await runTrainingLoop(full.spec);
    const checkpoint = full.checkpoints[1]!; // after iteration 4, in the middle of epoch 2
    expect(checkpoint).toMatchObject({ iteration: 4, epoch: 2, batchInEpoch: 1 });
    const resumed = fakeLoop({ images: 12, batchSize: 4, maxEpochs: 3, losses: [7, 6, 5, 4, 3, 2, 1], frequency: 2, patience: 9 });
    await runTrainingLoop({ ...resumed.spec, resumeFrom: checkpoint });
    expect(resumed.batches).toEqual(full.batches.slice(4));
  });

  it('prefetches the next batch while the current one trains, and skips empty batches without reporting them', async () => {
    const order: string[] = [];
    const { spec, reports } = fakeLoop({ images: 6, batchSize: 2, maxEpochs: 1, losses: [], frequency: 100, patience: 5 });
    const result = await runTrainingLoop({
      ...spec,
      prefetch: true,
      load: (indices: number[]) => {
        order.push(`load ${indices.join(',')}`);
        return indices;
      },
      step: (batch: number[]) => {
        order.push(`step ${batch.join(',')}`);
        return batch.includes(0) ? null : { loss: 1, rmse: 1 };
      },
    });
    expect(order.slice(0, 3).map((s) => s.split(' ')[0])).toEqual(['load', 'load', 'step']);
    expect(result.iterations).toBe(3);
    expect(reports).toHaveLength(2);
  });

  it('stops with CANCELLED when its signal is aborted', async () => {
    const controller = new AbortController();
    const { spec } = fakeLoop({ images: 100, batchSize: 1, maxEpochs: 1, losses: [], frequency: 1000, patience: 5 });
    const run = runTrainingLoop({
      ...spec,
      signal: controller.signal,
      step: () => {
        controller.abort();
        return { loss: 1, rmse: 1 };
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

import { cancelled } from '../../../shared/contract/errors';
import type { SeededRandom } from './seeded-random';
import type { IterationReport, TrainingSettings } from './types';

/** Where a run is in its epochs: what a checkpoint needs besides the weights to continue exactly. */
export interface LoopPosition {
  /** Iterations done; the next one is iteration + 1. */
  iteration: number;
  epoch: number;
  /** Mini-batches of this epoch already done, and the epoch's order. */
  batchInEpoch: number;
  order: number[];
  randomState: number;
  sinceBest: number;
}

/** The best validation so far; each mode keeps its own weights beside the loss. */
export interface BestSoFar {
  loss: number;
  iteration: number;
}

export interface Validation {
  loss: number;
  rmse: number;
}

export interface TrainingLoop<Batch, V extends Validation, Best extends BestSoFar> {
  settings: TrainingSettings;
  /** Training images; an epoch visits them in a fresh seeded order. */
  images: number;
  generator: SeededRandom;
  initialBest: Best;
  resumeFrom?: LoopPosition & { best: Best };
  signal?: AbortSignal;
  /**
   * Load the next mini-batch while this one trains. Only for loaders whose randomness does not come
   * from `generator` (a prefetched batch's draws would otherwise land before the checkpoint).
   */
  prefetch: boolean;
  load: (indices: number[], epoch: number) => Promise<Batch> | Batch;
  /** One optimiser step; null when the batch turned out empty (every image unreadable). */
  step: (batch: Batch) => { loss: number; rmse: number } | null;
  validate: () => Promise<V> | V;
  /** What to keep when a validation is the best so far. */
  keepBest: (validation: V, iteration: number) => Best;
  onIteration?: (report: IterationReport) => void;
  /** Called after each validation that does not stop the run; training waits for it. */
  onCheckpoint?: (position: LoopPosition & { best: Best }) => Promise<void> | void;
}

/**
 * The training schedule both modes share, as the example's trainingOptions define it: epochs of
 * shuffled mini-batches, validation every `validationFrequency` iterations and at the last one, a stop
 * after `validationPatience` validations without a lower loss, the best weights kept, a checkpoint at
 * each validation, and a resumed run continuing from the checkpoint's position exactly.
 */
export async function runTrainingLoop<Batch, V extends Validation, Best extends BestSoFar>(
  loop: TrainingLoop<Batch, V, Best>,
): Promise<{ best: Best; iterations: number; stoppedEarly: boolean }> {
  const { settings, generator, resumeFrom: resume } = loop;
  const iterationsPerEpoch = Math.max(1, Math.floor(loop.images / settings.batchSize));
  const iterationsTotal = iterationsPerEpoch * settings.maxEpochs;
  let best = resume?.best ?? loop.initialBest;
  let sinceBest = resume?.sinceBest ?? 0;
  let iteration = resume?.iteration ?? 0;
  if (resume) generator.state = resume.randomState;
  const started = performance.now();
  const startIteration = iteration;
  let order = resume?.order.slice() ?? [];
  // A checkpoint taken at the end of an epoch continues with the next one.
  const firstEpoch = resume === undefined ? 1 : resume.batchInEpoch >= iterationsPerEpoch ? resume.epoch + 1 : resume.epoch;
  for (let epoch = firstEpoch; epoch <= settings.maxEpochs; epoch++) {
    const continuing = resume !== undefined && epoch === resume.epoch && resume.batchInEpoch < iterationsPerEpoch;
    if (!continuing) order = shuffled(loop.images, () => generator.next());
    const batchOf = (k: number): number[] => order.slice(k * settings.batchSize, (k + 1) * settings.batchSize);
    const firstBatch = continuing ? resume.batchInEpoch : 0;
    let prefetched = loop.prefetch ? Promise.resolve(loop.load(batchOf(firstBatch), epoch)) : null;
    for (let k = firstBatch; k < iterationsPerEpoch; k++) {
      if (loop.signal?.aborted) throw cancelled();
      let batch: Batch;
      if (prefetched !== null) {
        batch = await prefetched;
        prefetched = k + 1 < iterationsPerEpoch ? Promise.resolve(loop.load(batchOf(k + 1), epoch)) : null;
      } else {
        batch = await loop.load(batchOf(k), epoch);
      }
      iteration++;
      const trained = loop.step(batch);
      if (trained === null) continue;
      const report: IterationReport = {
        epoch,
        iteration,
        iterationsTotal,
        trainLoss: trained.loss,
        trainRmse: trained.rmse,
        imagesPerSecond: ((iteration - startIteration) * settings.batchSize) / ((performance.now() - started) / 1000),
      };
      if (iteration % settings.validationFrequency === 0 || iteration === iterationsTotal) {
        const validation = await loop.validate();
        report.valLoss = validation.loss;
        report.valRmse = validation.rmse;
        if (validation.loss < best.loss) {
          best = loop.keepBest(validation, iteration);
          sinceBest = 0;
        } else if (++sinceBest >= settings.validationPatience) {
          loop.onIteration?.(report);
          // A prefetched batch is not needed: let its work finish before the caller disposes anything.
          await prefetched;
          return { best, iterations: iteration, stoppedEarly: true };
        }
        // Report before the checkpoint: a cancel can arrive while it is written, and the iteration in
        // the checkpoint must be in the run's history.
        loop.onIteration?.(report);
        await loop.onCheckpoint?.({
          iteration,
          epoch,
          batchInEpoch: k + 1,
          order: order.slice(),
          randomState: generator.state,
          sinceBest,
          best,
        });
      } else {
        loop.onIteration?.(report);
      }
      // Let cancel messages and progress out now and then when every step is synchronous.
      if (iteration % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { best, iterations: iteration, stoppedEarly: false };
}

/** A seeded Fisher–Yates order of 0..n-1. */
function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

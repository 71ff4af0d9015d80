/** Types shared by both training modes and their schedule (training-loop.ts). */

/** Settings of a training run; the example's values are `exampleTraining` (train-head.ts). */
export interface TrainingSettings {
  learnRate: number;
  momentum: number;
  /** MATLAB's trainingOptions default L2Regularization, applied to weights only. */
  l2Regularization: number;
  batchSize: number;
  maxEpochs: number;
  /** Validate every this many iterations. */
  validationFrequency: number;
  /** Stop after this many validations without a lower validation loss. */
  validationPatience: number;
  /** The new layer's weights and bias learn this many times faster. */
  headLearnRateFactor: number;
  seed: number;
}

export interface IterationReport {
  epoch: number;
  iteration: number;
  iterationsTotal: number;
  trainLoss: number;
  trainRmse: number;
  /** Present on iterations that validated. */
  valLoss?: number;
  valRmse?: number;
  imagesPerSecond: number;
}

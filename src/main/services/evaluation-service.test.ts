import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRunWithScores } from '../../../test/fixtures/run-fixture';
import type { HandlerContext } from '../../shared/contract/define';
import { evaluate } from '../../shared/domain/metrics';
import { createServices, type Services } from './index';

let dir: string;
let services: Services;
const context: HandlerContext = { signal: new AbortController().signal, progress: () => undefined };

const run = {
  runId: 'run-eval-1',
  classes: ['dog', 'cat', 'couch'],
  imageIds: [11, 12, 13, 14],
  labels: [
    [1, 0, 0],
    [0, 1, 1],
    [1, 1, 0],
    [0, 0, 0],
  ],
  scores: [
    [0.9, 0.1, 0.2],
    [0.3, 0.8, 0.45],
    [0.6, 0.4, 0.1],
    [0.2, 0.05, 0.7],
  ],
};

/**
 * A run with a temperature of 2, whose figures are worked out by hand. At T = 2 a score's logit is
 * halved: 0.9 (logit ln 9) becomes sigmoid(ln 3) = 3/4, 0.1 becomes 1/4, 0.75 (logit ln 3) becomes
 * sigmoid(ln 3 / 2) = √3 / (1 + √3) ≈ 0.634, and 0.25 becomes 1 / (1 + √3) ≈ 0.366.
 */
const calibrated = {
  runId: 'run-calibrated',
  classes: ['dog', 'cat'],
  imageIds: [21, 22],
  labels: [
    [1, 0],
    [0, 1],
  ],
  scores: [
    [0.9, 0.1],
    [0.75, 0.25],
  ],
};
const calibration = {
  temperature: 2,
  heldOutImages: 7,
  before: { ece: 0.21, loss: 1.9 },
  after: { ece: 0.04, loss: 1.6 },
};
const search = {
  heldOutFraction: 0.2,
  fitImages: 28,
  heldOutImages: 7,
  tried: [{ learnRate: 0.01, l2Regularization: 0.0001, heldOutLoss: 1.9, epochs: 12 }],
  chosen: { learnRate: 0.01, l2Regularization: 0.0001, epochs: 12 },
  seconds: 3,
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-evaluation-'));
  services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
  insertRunWithScores(services.db, run);
  insertRunWithScores(services.db, { ...run, runId: 'run-cancelled', status: 'cancelled' });
  insertRunWithScores(services.db, calibrated);
  services.runs.saveSearch(calibrated.runId, search, calibration);
});

afterAll(() => {
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('EvaluationService', () => {
  it('evaluates the stored validation scores with the shared metric functions', async () => {
    const result = await services.handlers.evaluation.evaluate(
      { runId: run.runId, threshold: 0.5, perClassThresholds: false, calibrated: false },
      context,
    );
    const expected = evaluate(
      { classes: run.classes, rows: 4, labels: run.labels.flat(), scores: run.scores.flat().map((v) => Math.fround(v)) },
      0.5,
    );
    expect(result.metrics).toEqual(expected);
    expect(result.images).toBe(4);
    expect(result.source).toMatchObject({ annotations: '/data/val.json', validation: true, fileId: null });
    expect(result.tunedOnSameImages).toBe(true);
    // Hand count at 0.5: TP dog 2 (0.9, 0.6), cat 1 (0.8); FN cat (0.4), couch (0.45); FP couch (0.7).
    expect(result.metrics.microF1).toBeCloseTo(3 / (3 + 0.5 * (1 + 2)), 6);
  });

  it('applies the tuned per-class thresholds on request and reports them', async () => {
    const result = await services.handlers.evaluation.evaluate(
      { runId: run.runId, threshold: 0.5, perClassThresholds: true, calibrated: false },
      context,
    );
    expect(result.tunedThresholds.map((t) => t.class)).toEqual(run.classes);
    expect(result.metrics.perClass.map((c) => c.threshold)).toEqual(result.tunedThresholds.map((t) => t.threshold));
    // cat at 0.4 catches both cats: F1 1.
    expect(result.tunedThresholds[1]).toMatchObject({ f1: 1 });
    expect(result.metrics.perClass[1]).toMatchObject({ tp: 2, fp: 0, fn: 0 });
  });

  it('returns the score matrix row by row, with float32 scores printed exactly', async () => {
    const scores = await services.handlers.evaluation.scores({ runId: run.runId }, context);
    expect(scores.classes).toEqual(run.classes);
    expect(scores.imageIds).toEqual(run.imageIds);
    expect(scores.labels).toEqual(run.labels);
    scores.scores.flat().forEach((v, i) => expect(Math.fround(v)).toBe(Math.fround(run.scores.flat()[i]!)));
    expect(scores.scores[0]![0]).toBe(0.899999976);
  });

  it('says what to do when a run has no scores, and when there is no such run', async () => {
    await expect(
      services.handlers.evaluation.evaluate(
        { runId: 'run-cancelled', threshold: 0.5, perClassThresholds: false, calibrated: false },
        context,
      ),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('mlw resume run-cancelled'),
    });
    await expect(services.handlers.evaluation.scores({ runId: 'run-none' }, context)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('mlw runs'),
    });
  });
});

describe('EvaluationService: calibration', () => {
  const evaluateRun = (calibratedScores: boolean, threshold = 0.5) =>
    services.handlers.evaluation.evaluate(
      { runId: calibrated.runId, threshold, perClassThresholds: false, calibrated: calibratedScores },
      context,
    );

  it('gives the ECE, the per-class ECE, the reliability bins and the example’s loss of the scores as trained', async () => {
    const result = await evaluateRun(false);
    // One pair per bin: 0.9 (bin 13, labelled), 0.1 (bin 1, not), 0.75 (bin 11, not), 0.25 (bin 3, labelled).
    expect(result.ece).toBeCloseTo((0.1 + 0.1 + 0.75 + 0.75) / 4, 6);
    expect(result.eceByClass[0]).toBeCloseTo((0.1 + 0.75) / 2, 6);
    expect(result.eceByClass[1]).toBeCloseTo((0.1 + 0.75) / 2, 6);
    // Image 21: −ln 0.9 − ln(1 − 0.1); image 22: −ln(1 − 0.75) − ln 0.25.
    expect(result.validationLoss).toBeCloseTo((-2 * Math.log(0.9) - 2 * Math.log(0.25)) / 2, 6);
    expect(result.reliability.map((b) => b.count)).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(result.reliability[11]).toMatchObject({ fractionPositive: 0 });
    expect(result.reliability[11]!.meanScore).toBeCloseTo(0.75, 6);
    expect(result.temperature).toBeNull();
    // The run's own temperature scaling comes with it, applied or not.
    expect(result.calibration).toEqual(calibration);
  });

  it('scales every score by the run’s temperature before every figure when calibrated', async () => {
    const result = await evaluateRun(true);
    const middle = Math.sqrt(3) / (1 + Math.sqrt(3));
    expect(result.temperature).toBe(2);
    // 3/4 (bin 11, labelled), 1/4 (bin 3, not), 0.634 (bin 9, not), 0.366 (bin 5, labelled).
    expect(result.ece).toBeCloseTo((0.25 + 0.25 + middle + middle) / 4, 6);
    expect(result.eceByClass[0]).toBeCloseTo((0.25 + middle) / 2, 6);
    expect(result.reliability.map((b) => b.count)).toEqual([0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0]);
    // Image 21: −2 ln(3/4); image 22: −2 ln(1 − 0.634).
    expect(result.validationLoss).toBeCloseTo((-2 * Math.log(0.75) - 2 * Math.log(1 - middle)) / 2, 6);
    // The threshold judges the scaled scores: at 0.7, dog's 0.75 (unlabelled) falls to 0.634 and is no longer predicted.
    const plain = await evaluateRun(false, 0.7);
    const scaled = await evaluateRun(true, 0.7);
    expect(plain.metrics.perClass[0]).toMatchObject({ tp: 1, fp: 1 });
    expect(scaled.metrics.perClass[0]).toMatchObject({ tp: 1, fp: 0 });
    expect(scaled.metrics.precision).toBe(1);
    // The tuned thresholds are the scaled scores too: dog's best is its own 0.9 → 3/4.
    expect(scaled.tunedThresholds[0]!.threshold).toBeCloseTo(0.75, 6);
    expect(plain.tunedThresholds[0]!.threshold).toBeCloseTo(0.9, 6);
  });

  it('refuses calibrated for a run without a temperature, saying why it has none', async () => {
    await expect(
      services.handlers.evaluation.evaluate({ runId: run.runId, threshold: 0.5, perClassThresholds: false, calibrated: true }, context),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^Run run-eval-1 has no temperature .*held-out training images.*without --calibrated/),
    });
    const plain = await services.handlers.evaluation.evaluate(
      { runId: run.runId, threshold: 0.5, perClassThresholds: false, calibrated: false },
      context,
    );
    expect(plain.calibration).toBeNull();
    expect(plain.temperature).toBeNull();
    expect(plain.eceByClass).toHaveLength(run.classes.length);
  });
});

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

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-evaluation-'));
  services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
  insertRunWithScores(services.db, run);
  insertRunWithScores(services.db, { ...run, runId: 'run-cancelled', status: 'cancelled' });
});

afterAll(() => {
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('EvaluationService', () => {
  it('evaluates the stored validation scores with the shared metric functions', async () => {
    const result = await services.handlers.evaluation.evaluate({ runId: run.runId, threshold: 0.5, perClassThresholds: false }, context);
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
    const result = await services.handlers.evaluation.evaluate({ runId: run.runId, threshold: 0.5, perClassThresholds: true }, context);
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
      services.handlers.evaluation.evaluate({ runId: 'run-cancelled', threshold: 0.5, perClassThresholds: false }, context),
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

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRunWithScores } from '../../../test/fixtures/run-fixture';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { openCache } from '../db/connection';
import { RunsStore } from '../db/runs-store';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const coco128 = resolve(root, '../shared/data/coco128/annotations/instances_train2017.json');
let dir: string;
let annotations: string;

function mlw(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, 'bin/mlw.mjs'), ...args, '--cache', join(dir, 'cache')], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-cli-'));
  annotations = join(dir, 'instances.json');
  writeFileSync(
    annotations,
    JSON.stringify({
      categories: [
        { id: 1, name: 'dog', supercategory: 'animal' },
        { id: 2, name: 'cat', supercategory: 'animal' },
        { id: 3, name: 'couch', supercategory: 'furniture' },
      ],
      images: [1, 2, 3, 4].map((id) => ({ id, file_name: `${id}.jpg`, width: 64, height: 48, license: 1 })),
      annotations: [
        { id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [[1, 2, 3, 4]] },
        { id: 2, image_id: 1, category_id: 2, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [[1, 2, 3, 4]] },
        { id: 3, image_id: 2, category_id: 1, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [[1, 2, 3, 4]] },
        { id: 4, image_id: 2, category_id: 1, bbox: [5, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [[1, 2, 3, 4]] },
        { id: 5, image_id: 3, category_id: 3, bbox: [1, 2, 3, 4], area: 12, iscrowd: 1, segmentation: { counts: [1, 2], size: [48, 64] } },
      ],
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mlw', () => {
  it('prints only one JSON document on stdout with --json, and progress on stderr', () => {
    const result = mlw('stats', '--annotations', annotations, '--categories', 'dog,cat,couch', '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      images: 3,
      perClass: { dog: 2, cat: 1, couch: 1 },
      labelsPerImage: { histogram: { '1': 2, '2': 1 }, mean: 4 / 3 },
    });
    expect(result.stderr).toContain('Reading annotations');
  });

  it('ingest --json reports images, annotations, categories and seconds, and a second run is cached', () => {
    const first = JSON.parse(mlw('ingest', annotations, '--json').stdout) as Record<string, unknown>;
    expect(first).toMatchObject({ images: 4, annotations: 5, categories: 3, cached: expect.any(Boolean) });
    expect(typeof first.seconds).toBe('number');
    const second = JSON.parse(mlw('ingest', annotations, '--json').stdout) as Record<string, unknown>;
    expect(second.cached).toBe(true);
  });

  it('categories --json lists supercategory and image count', () => {
    const rows = JSON.parse(mlw('categories', annotations, '--json').stdout) as unknown[];
    expect(rows).toEqual([
      { id: 1, name: 'dog', supercategory: 'animal', images: 2 },
      { id: 2, name: 'cat', supercategory: 'animal', images: 1 },
      { id: 3, name: 'couch', supercategory: 'furniture', images: 1 },
    ]);
  });

  it('an unknown category exits non-zero with the close match and no stack trace', () => {
    const result = mlw('stats', '--annotations', annotations, '--categories', 'dgo');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('There is no category named "dgo"');
    expect(result.stderr).toContain('"dog"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing file exits non-zero with a sentence, and --json puts the error on stdout', () => {
    const result = mlw('ingest', join(dir, 'nope.json'), '--json');
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(result.stderr).toContain('There is no file at');
  });

  it('a usage error exits with 2', () => {
    expect(mlw('stats', '--annotations', annotations).status).toBe(2);
  });

  const hasCoco128 = existsSync(coco128);
  it.skipIf(!hasCoco128)(
    hasCoco128
      ? 'gives the exact figures on the real coco128 annotations'
      : 'real coco128 figures: skipped because ../shared/data/coco128 is absent',
    () => {
      const result = mlw('stats', '--annotations', coco128, '--categories', referenceExampleCategories.join(','), '--json');
      expect(result.status).toBe(0);
      const stats = JSON.parse(result.stdout) as {
        images: number;
        perClass: Record<string, number>;
        labelsPerImage: { histogram: Record<string, number>; mean: number };
      };
      expect(stats.images).toBe(35);
      expect(stats.perClass).toEqual({
        dog: 9,
        cat: 4,
        bird: 2,
        horse: 1,
        sheep: 0,
        cow: 0,
        bear: 1,
        giraffe: 4,
        zebra: 2,
        elephant: 4,
        'potted plant': 9,
        couch: 5,
      });
      const histogram = stats.labelsPerImage.histogram;
      expect(Object.values(histogram).reduce((a, b) => a + b, 0)).toBe(35);
      const labels = Object.entries(histogram).reduce((sum, [k, n]) => sum + Number(k) * n, 0);
      expect(labels).toBe(Object.values(stats.perClass).reduce((a, b) => a + b, 0));
      expect(stats.labelsPerImage.mean).toBeCloseTo(labels / 35, 12);
    },
  );
});

describe('mlw evaluate and mlw metrics', () => {
  const run = {
    runId: 'run-cli-eval',
    classes: ['dog', 'cat'],
    imageIds: [1, 2, 3],
    labels: [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
    scores: [
      [0.9, 0.2],
      [0.6, 0.7],
      [0.3, 0.55],
    ],
  };

  beforeAll(() => {
    const db = openCache(join(dir, 'cache'));
    insertRunWithScores(db, run);
    insertRunWithScores(db, { ...run, runId: 'run-cli-calibrated' });
    new RunsStore(db).saveSearch(
      'run-cli-calibrated',
      {
        heldOutFraction: 0.2,
        fitImages: 8,
        heldOutImages: 2,
        tried: [{ learnRate: 0.01, l2Regularization: 0.0001, heldOutLoss: 1.2, epochs: 5 }],
        chosen: { learnRate: 0.01, l2Regularization: 0.0001, epochs: 5 },
        seconds: 1,
      },
      { temperature: 2, heldOutImages: 2, before: { ece: 0.3, loss: 1.2 }, after: { ece: 0.1, loss: 1.1 } },
    );
    db.close();
  });

  it('evaluate --json prints the metrics object, and mlw metrics on the exported scores gives the same figures', () => {
    const scoresOut = join(dir, 'scores.json');
    const evaluated = mlw('evaluate', '--run', run.runId, '--threshold', '0.5', '--scores-out', scoresOut, '--json');
    expect(evaluated.status).toBe(0);
    const metrics = JSON.parse(evaluated.stdout) as Record<string, unknown>;
    for (const key of ['threshold', 'microF1', 'jaccard', 'precision', 'recall', 'macroF1', 'sampleJaccard', 'mAP', 'perClass', 'sweep']) {
      expect(metrics).toHaveProperty(key);
    }
    // At 0.5: dog TP 1 (0.9) FP 1 (0.6) FN 1 (0.3); cat TP 2 → micro F1 3 / (3 + 0.5 · 2).
    expect(metrics.microF1).toBeCloseTo(3 / 4, 6);
    const exported = JSON.parse(readFileSync(scoresOut, 'utf8')) as { classes: string[]; imageIds: number[]; labels: number[][] };
    expect(exported.classes).toEqual(run.classes);
    expect(exported.imageIds).toEqual(run.imageIds);
    expect(exported.labels).toEqual(run.labels);

    const labelsFile = join(dir, 'labels.json');
    writeFileSync(labelsFile, JSON.stringify(exported.labels));
    const computed = mlw('metrics', '--labels', labelsFile, '--scores', scoresOut, '--threshold', '0.5', '--json');
    expect(computed.status).toBe(0);
    const again = JSON.parse(computed.stdout) as Record<string, unknown>;
    for (const key of ['threshold', 'microF1', 'jaccard', 'precision', 'recall', 'macroF1', 'sampleJaccard', 'mAP', 'perClass', 'sweep']) {
      expect(again[key]).toEqual(metrics[key]);
    }
  });

  it('evaluate --json prints the ECE and the example’s validation loss at the top level, and prints them as lines without --json', () => {
    const evaluated = mlw('evaluate', '--run', run.runId, '--json');
    expect(evaluated.status).toBe(0);
    const result = JSON.parse(evaluated.stdout) as Record<string, unknown>;
    // Six pairs, each alone in its bin: 0.9 (labelled), 0.2 (not), 0.6 (not), 0.7, 0.3, 0.55 (labelled).
    expect(result.ece).toBeCloseTo((0.1 + 0.2 + 0.6 + 0.3 + 0.7 + 0.45) / 6, 6);
    // Per image the sum over classes of the binary cross-entropy, averaged over the 3 images.
    const loss = (-Math.log(0.9) - Math.log(0.8) - Math.log(0.4) - Math.log(0.7) - Math.log(0.3) - Math.log(0.55)) / 3;
    expect(result.validationLoss).toBeCloseTo(loss, 6);
    expect(result.eceByClass).toHaveLength(2);
    expect(result.reliability).toHaveLength(15);
    expect(result).toMatchObject({ temperature: null, calibration: null });

    const human = mlw('evaluate', '--run', run.runId);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(
      `Expected calibration error (15 bins) ${(2.35 / 6).toFixed(4)}, validation loss (the example's) ${loss.toFixed(4)}`,
    );
    expect(human.stdout).toMatch(/ECE per class: dog \d\.\d{4}, cat \d\.\d{4}/);
  });

  it('evaluate --calibrated scales the scores by the run’s temperature, and says why a run without one cannot', () => {
    const scaled = JSON.parse(mlw('evaluate', '--run', 'run-cli-calibrated', '--calibrated', '--json').stdout) as Record<string, unknown>;
    expect(scaled.temperature).toBe(2);
    expect(scaled.calibration).toMatchObject({ temperature: 2, before: { ece: 0.3 }, after: { ece: 0.1 } });
    // At T = 2 the logit is halved: sigmoid(logit(p) / 2) = √p / (√p + √(1 − p)), so 0.9 → 3/4, 0.2 → 1/3.
    const half = (p: number): number => Math.sqrt(p) / (Math.sqrt(p) + Math.sqrt(1 - p));
    expect(half(0.9)).toBeCloseTo(0.75, 12);
    // Bins: 3/4 (11, labelled); 0.550 (8, not); 0.604 (9, labelled); 0.525 (7, labelled); and bin 5 holds
    // 1/3 (not) and 0.396 (labelled): mean label 1/2.
    const ece = (1 - half(0.9) + half(0.6) + (1 - half(0.7)) + (1 - half(0.55)) + 2 * Math.abs(0.5 - (half(0.2) + half(0.3)) / 2)) / 6;
    expect(scaled.ece).toBeCloseTo(ece, 6);
    const loss =
      -(
        Math.log(half(0.9)) +
        Math.log(1 - half(0.2)) +
        Math.log(1 - half(0.6)) +
        Math.log(half(0.7)) +
        Math.log(half(0.3)) +
        Math.log(half(0.55))
      ) / 3;
    expect(scaled.validationLoss).toBeCloseTo(loss, 6);
    const plain = JSON.parse(mlw('evaluate', '--run', 'run-cli-calibrated', '--json').stdout) as Record<string, unknown>;
    expect(plain.temperature).toBeNull();
    expect(plain.ece).toBeCloseTo(2.35 / 6, 6);

    const human = mlw('evaluate', '--run', 'run-cli-calibrated');
    expect(human.stdout).toContain(
      'Temperature scaling: T 2.0000, fitted on 2 held-out training images: ECE 0.3000 → 0.1000, loss 1.2000 → 1.1000 (apply it with --calibrated)',
    );

    const refused = mlw('evaluate', '--run', run.runId, '--calibrated');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`Run ${run.runId} has no temperature to scale its scores by`);
  });

  it('metrics names the row and column of a bad value, and a truncated file', () => {
    const labelsFile = join(dir, 'bad-labels.json');
    const scoresFile = join(dir, 'bad-scores.json');
    writeFileSync(labelsFile, '[[1, 0], [0, 2]]');
    writeFileSync(scoresFile, '[[0.1, 0.2], [0.3, 0.4]]');
    const bad = mlw('metrics', '--labels', labelsFile, '--scores', scoresFile);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('row 2, column 2 is 2; labels must be 0 or 1');
    writeFileSync(scoresFile, '[[0.1, 0.2], [0.3, 0.');
    const truncated = mlw('metrics', '--labels', labelsFile, '--scores', scoresFile, '--json');
    expect(truncated.status).toBe(1);
    expect(JSON.parse(truncated.stdout)).toMatchObject({
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('is not valid JSON') },
    });
  });

  it('evaluate rejects a threshold outside [0, 1] as a usage error', () => {
    const result = mlw('evaluate', '--run', run.runId, '--threshold', '1.5');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('not a threshold between 0 and 1');
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRunWithScores } from '../../../test/fixtures/run-fixture';
import { coco128Annotations, coco128Images, hasCoco128, hasMobilenet, mobilenetDir } from '../../../test/support/shared-data';
import type { HandlerContext } from '../../shared/contract/define';
import type { PredictResult } from '../../shared/contract/prediction';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { createServices, type Services } from './index';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const context = (): HandlerContext => ({ signal: new AbortController().signal, progress: () => undefined });

/**
 * Temperature scaling written out plainly, apart from the shared domain function the service uses:
 * the score clipped to [1e-7, 1 − 1e-7], its logit divided by T, and the sigmoid of that.
 */
function scaledByHand(p: number, temperature: number): number {
  const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  return 1 / (1 + Math.exp(-Math.log(q / (1 - q)) / temperature));
}

let dir: string;
let services: Services;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-prediction-temperature-'));
  services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
});

afterAll(() => {
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('predict, Grad-CAM and galleries of a run without a temperature', () => {
  const plain = {
    runId: 'run-given-settings',
    classes: ['dog', 'cat'],
    imageIds: [1, 2],
    labels: [
      [1, 0],
      [0, 1],
    ],
    scores: [
      [0.9, 0.2],
      [0.3, 0.7],
    ],
  };

  beforeAll(() => {
    insertRunWithScores(services.db, plain);
    insertRunWithScores(services.db, { ...plain, runId: 'run-fine-tuned', mode: 'finetune' });
  });

  it('refuses calibrated before reading any image, saying why the run has none and what to do', async () => {
    // The image does not exist: the refusal comes first, so it is about the temperature, not the file.
    const images = [{ path: join(dir, 'never-read.jpg') }];
    const request = { images, threshold: 0.5, perClassThresholds: false, calibrated: true };
    await expect(services.handlers.prediction.predict({ ...request, runId: plain.runId }, context())).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message:
        "Run run-given-settings has no temperature to scale its scores by: it chose no settings on held-out training images (its settings were given). Predict without --calibrated, or train a frozen run that leaves its head's settings to the app.",
    });
    await expect(services.handlers.prediction.predict({ ...request, runId: 'run-fine-tuned' }, context())).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('it is fine-tuned, and only the frozen mode fits one. Predict without --calibrated'),
    });
    await expect(
      services.handlers.prediction.gradcam({ runId: plain.runId, image: images[0]!, classes: ['dog'], calibrated: true }, context()),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('Explain it without --calibrated') });
    await expect(
      services.handlers.prediction.gallery(
        { runId: plain.runId, class: 'dog', kind: 'tp', threshold: 0.5, count: 2, calibrated: true },
        context(),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('has no temperature to scale its scores by') });
  });

  it('mlw predict --calibrated fails with that sentence on stderr', () => {
    const result = spawnSync(
      process.execPath,
      [
        join(root, 'bin/mlw.mjs'),
        'predict',
        '--run',
        plain.runId,
        join(dir, 'never-read.jpg'),
        '--calibrated',
        '--cache',
        join(dir, 'data'),
      ],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Run run-given-settings has no temperature to scale its scores by');
    expect(result.stderr).toContain('Predict without --calibrated');
  });
});

describe.skipIf(!hasMobilenet || !hasCoco128)(
  hasMobilenet && hasCoco128
    ? 'a frozen coco128 run with a temperature'
    : 'a frozen coco128 run with a temperature: skipped because ../shared/data/coco128 or ../shared/models is absent',
  () => {
    let runId: string;
    let temperature: number;
    let images: { path: string }[];
    const classes: string[] = [...referenceExampleCategories];
    const predict = (calibrated: boolean, perClassThresholds = false): Promise<PredictResult> =>
      services.handlers.prediction.predict({ runId, images, threshold: 0.5, perClassThresholds, calibrated }, context());

    beforeAll(async () => {
      // The epochs given, the learn rate and L2 left to the search: it holds out a fifth of the images and fits T there.
      const trained = await services.handlers.training.train(
        {
          trainAnnotations: coco128Annotations,
          trainImages: coco128Images,
          valAnnotations: coco128Annotations,
          valImages: coco128Images,
          categories: classes,
          weights: mobilenetDir,
          mode: 'frozen',
          backbone: 'mobilenet_v1_0.75',
          augmentedViews: 0,
          settings: { maxEpochs: 8 },
        },
        context(),
      );
      runId = trained.runId;
      const calibration = services.runs.get(runId).calibration;
      if (calibration === null) throw new Error('expected the search to fit a temperature');
      temperature = calibration.temperature;
      const validation = await services.handlers.evaluation.scores({ runId }, context());
      images = validation.fileNames.slice(0, 4).map((name) => ({ path: join(coco128Images, name) }));
    }, 300_000);

    it('scales every score of every image to sigmoid(logit(p) / T) with calibrated, and judges the labels on the scaled scores', async () => {
      const own = await predict(false);
      const scaled = await predict(true);
      expect(own).toMatchObject({ calibrated: false, temperature: null });
      expect(scaled).toMatchObject({ calibrated: true, temperature, classes, thresholds: classes.map(() => 0.5) });
      expect(temperature).not.toBe(1);
      for (const [i, result] of scaled.results.entries()) {
        const before = own.results[i];
        if (!result.ok || !before?.ok) throw new Error(`expected ${images[i]!.path} to be scored`);
        expect(result.scores).toHaveLength(classes.length);
        result.scores.forEach((score, j) => expect(score).toBeCloseTo(scaledByHand(before.scores[j]!, temperature), 12));
        expect(result.labels).toEqual(classes.filter((_, j) => result.scores[j]! >= 0.5));
        expect(before.labels).toEqual(classes.filter((_, j) => before.scores[j]! >= 0.5));
      }
    });

    it('predicts a class at a threshold between its own score and its scaled one only on the side of the scores asked for', async () => {
      const own = await predict(false);
      const first = own.results[0];
      if (!first?.ok) throw new Error('expected the first image to be scored');
      // Its most confident class: T ≠ 1 moves that score toward 0.5 or away from it, past a threshold set between the two.
      const j = first.scores.indexOf(Math.max(...first.scores));
      const threshold = (first.scores[j]! + scaledByHand(first.scores[j]!, temperature)) / 2;
      const at = (calibrated: boolean) =>
        services.handlers.prediction.predict({ runId, images: [images[0]!], threshold, perClassThresholds: false, calibrated }, context());
      const [plainLabels, scaledLabels] = [(await at(false)).results[0], (await at(true)).results[0]].map((r) => (r?.ok ? r.labels : []));
      expect(plainLabels!.includes(classes[j]!)).toBe(first.scores[j]! >= threshold);
      expect(scaledLabels!.includes(classes[j]!)).toBe(scaledByHand(first.scores[j]!, temperature) >= threshold);
      expect(plainLabels!.includes(classes[j]!)).not.toBe(scaledLabels!.includes(classes[j]!));
    });

    it('tunes the per-class thresholds on the scaled validation scores, as mlw evaluate --calibrated does', async () => {
      const scaled = await predict(true, true);
      const evaluated = await services.handlers.evaluation.evaluate(
        { runId, threshold: 0.5, perClassThresholds: true, calibrated: true },
        context(),
      );
      expect(scaled.thresholds).toEqual(evaluated.tunedThresholds.map((t) => (t.tuned ? t.threshold : 0.5)));
      for (const result of scaled.results) {
        if (!result.ok) throw new Error('expected every image to be scored');
        expect(result.labels).toEqual(classes.filter((_, j) => result.scores[j]! >= scaled.thresholds[j]!));
      }
    });

    it('gives Grad-CAM scores as predict shows them under the same choice, with the same maps', async () => {
      const image = images[0]!;
      const chosen = ['dog', 'cat'];
      const own = await predict(false);
      const first = own.results[0];
      if (!first?.ok) throw new Error('expected the first image to be scored');
      const plainCam = await services.handlers.prediction.gradcam({ runId, image, classes: chosen, calibrated: false }, context());
      const scaledCam = await services.handlers.prediction.gradcam({ runId, image, classes: chosen, calibrated: true }, context());
      expect(plainCam.temperature).toBeNull();
      expect(scaledCam.temperature).toBe(temperature);
      for (const [k, name] of chosen.entries()) {
        const j = classes.indexOf(name);
        // Grad-CAM's forward pass is the same network: equal to the prediction to float32 precision.
        expect(plainCam.classes[k]!.score).toBeCloseTo(first.scores[j]!, 5);
        expect(scaledCam.classes[k]!.score).toBeCloseTo(scaledByHand(first.scores[j]!, temperature), 5);
        expect(scaledCam.classes[k]!.map).toEqual(plainCam.classes[k]!.map);
        expect(scaledCam.classes[k]!.peak).toEqual(plainCam.classes[k]!.peak);
      }
    });

    it('judges a gallery on the scaled validation scores and shows them scaled, cached apart from the network’s own', async () => {
      const validation = await services.handlers.evaluation.scores({ runId }, context());
      const dog = classes.indexOf('dog');
      const request = { runId, class: 'dog', kind: 'tp' as const, threshold: 0.5, count: 2 };
      const scaled = await services.handlers.prediction.gallery({ ...request, calibrated: true }, context());
      const own = await services.handlers.prediction.gallery({ ...request, calibrated: false }, context());
      expect(scaled).toMatchObject({ temperature, cached: false });
      expect(own).toMatchObject({ temperature: null, cached: false });
      // True positives of dog at 0.5, counted by hand on the stored scores: labelled dog, scaled score at least 0.5.
      const expected = validation.imageIds
        .map((imageId, i) => ({
          imageId,
          label: validation.labels[i]![dog]!,
          score: scaledByHand(validation.scores[i]![dog]!, temperature),
        }))
        .filter((row) => row.label === 1 && row.score >= 0.5)
        .sort((a, b) => b.score - a.score);
      expect(scaled.available).toBe(expected.length);
      expect(scaled.items.map((item) => item.imageId)).toEqual(expected.slice(0, 2).map((row) => row.imageId));
      scaled.items.forEach((item, k) => expect(item.score).toBeCloseTo(expected[k]!.score, 6));
      const again = await services.handlers.prediction.gallery({ ...request, calibrated: true }, context());
      expect(again).toEqual({ ...scaled, cached: true });
    });

    it('answers mlw predict --calibrated --json with the scaled scores by class, calibrated and the temperature', async () => {
      const own = await predict(false);
      const mlw = (...args: string[]) => {
        const result = spawnSync(process.execPath, [join(root, 'bin/mlw.mjs'), ...args, '--json', '--cache', join(dir, 'data')], {
          encoding: 'utf8',
        });
        expect(result.status, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as {
          calibrated: boolean;
          temperature: number | null;
          results: { ok: boolean; scores: Record<string, number>; labels: string[] }[];
        };
      };
      const printed = mlw('predict', '--run', runId, images[0]!.path, '--calibrated');
      expect(printed).toMatchObject({ calibrated: true, temperature });
      const first = own.results[0];
      if (!first?.ok) throw new Error('expected the first image to be scored');
      classes.forEach((name, j) => expect(printed.results[0]!.scores[name]).toBeCloseTo(scaledByHand(first.scores[j]!, temperature), 12));
      expect(printed.results[0]!.labels).toEqual(classes.filter((name) => printed.results[0]!.scores[name]! >= 0.5));
      expect(mlw('predict', '--run', runId, images[0]!.path)).toMatchObject({ calibrated: false, temperature: null });
    });
  },
);

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCocoFixture, type WrittenCocoFixture } from '../../../test/fixtures/coco-fixture';
import type { HandlerContext, Progress } from '../../shared/contract/define';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { createServices, type Services } from './index';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const mobilenet = resolve(root, '../shared/models/mobilenet_v1_0.75_224');
const coco128 = resolve(root, '../shared/data/coco128');
const hasModel = existsSync(join(mobilenet, 'model.json'));
const hasCoco128 = existsSync(join(coco128, 'annotations/instances_train2017.json'));

let dir: string;
let services: Services;
let fixture: WrittenCocoFixture;

function context(progress: Progress[] = []): HandlerContext {
  return { signal: new AbortController().signal, progress: (p) => progress.push(p) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-training-'));
  services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
  fixture = await writeCocoFixture(join(dir, 'coco'), { images: true, imageScale: 2 });
});

afterAll(() => {
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TrainingService', () => {
  it.skipIf(!hasModel)(
    hasModel
      ? 'fine-tunes every layer of the real MobileNet, records the run and keeps the tuned backbone as a Layers folder'
      : 'fine-tuning: skipped because ../shared/models is absent',
    async () => {
      const progress: Progress[] = [];
      const result = await services.handlers.training.train(
        {
          trainAnnotations: fixture.annotationPath,
          trainImages: fixture.imagesDir,
          valAnnotations: fixture.annotationPath,
          valImages: fixture.imagesDir,
          categories: ['dog', 'cat'],
          weights: mobilenet,
          mode: 'finetune',
          backbone: 'mobilenet_v1_0.75',
          augmentedViews: 0,
          settings: { maxEpochs: 1, batchSize: 2, validationFrequency: 2 },
        },
        context(progress),
      );
      expect(result.mode).toBe('finetune');
      expect(Number.isFinite(result.bestValidationLoss)).toBe(true);
      expect(progress.some((p) => p.phase === 'Fine-tuning every layer' && p.metrics?.trainLoss !== undefined)).toBe(true);
      const backbone = join(dir, 'data', 'runs', result.runId, 'backbone');
      expect(existsSync(join(backbone, 'model.json'))).toBe(true);
      expect(existsSync(join(backbone, 'weights.bin'))).toBe(true);
      await expect(services.handlers.training.resume({ runId: result.runId }, context())).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    },
  );

  it('names the weights folder it looked in when the backbone has no weights', async () => {
    await expect(
      services.handlers.training.train(
        {
          trainAnnotations: fixture.annotationPath,
          trainImages: fixture.imagesDir,
          valAnnotations: fixture.annotationPath,
          valImages: fixture.imagesDir,
          categories: ['dog'],
          mode: 'frozen',
          backbone: 'mobilenet_v1_0.75',
          augmentedViews: 0,
          settings: {},
        },
        context(),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(join(dir, 'data', 'models', 'mobilenet_v1_0.75')) });
  });

  it.skipIf(!hasModel)(
    hasModel
      ? 'skips a corrupt image, reports it, and still trains and records the run'
      : 'corrupt images: skipped because ../shared/models is absent',
    async () => {
      const corrupt = fixture.data.images[0]!.file_name;
      writeFileSync(join(fixture.imagesDir, corrupt), Buffer.from('this is not a JPEG'));
      const progress: Progress[] = [];
      const result = await services.handlers.training.train(
        {
          trainAnnotations: fixture.annotationPath,
          trainImages: fixture.imagesDir,
          valAnnotations: fixture.annotationPath,
          valImages: fixture.imagesDir,
          categories: ['dog', 'cat', 'couch'],
          weights: mobilenet,
          mode: 'frozen',
          backbone: 'mobilenet_v1_0.75',
          augmentedViews: 1,
          settings: { maxEpochs: 5, validationFrequency: 1 },
        },
        context(progress),
      );
      expect(result.skipped.map((s) => s.path)).toContain(join(fixture.imagesDir, corrupt));
      const runs = await services.handlers.training.runs({}, context());
      expect(runs[0]).toMatchObject({ runId: result.runId, status: 'completed', mode: 'frozen', backend: result.backend });
      const history = await services.handlers.training.history({ runId: result.runId }, context());
      expect(history.length).toBeGreaterThan(0);
      expect(history.some((h) => h.valLoss !== null)).toBe(true);
      expect(progress.some((p) => p.metrics?.trainLoss !== undefined)).toBe(true);
    },
  );

  it.skipIf(!hasModel || !hasCoco128)(
    hasModel && hasCoco128
      ? 'trains the frozen mode on coco128 with the real MobileNet and records the run with its validation scores'
      : 'frozen mode on coco128: skipped because ../shared/data/coco128 or ../shared/models is absent',
    async () => {
      const annotations = join(coco128, 'annotations/instances_train2017.json');
      const result = await services.handlers.training.train(
        {
          trainAnnotations: annotations,
          trainImages: join(coco128, 'train2017'),
          valAnnotations: annotations,
          valImages: join(coco128, 'train2017'),
          categories: [...referenceExampleCategories],
          weights: mobilenet,
          mode: 'frozen',
          backbone: 'mobilenet_v1_0.75',
          augmentedViews: 1,
          settings: { maxEpochs: 40 },
        },
        context(),
      );
      expect(result).toMatchObject({ mode: 'frozen', images: { train: 35, val: 35 }, skipped: [] });
      const scores = services.db.prepare('SELECT classes, length(scores) AS bytes FROM run_scores WHERE run_id = ?').get(result.runId) as {
        classes: string;
        bytes: number;
      };
      expect(JSON.parse(scores.classes)).toEqual([...referenceExampleCategories]);
      expect(scores.bytes).toBe(35 * 12 * 4);
      expect(existsSync(join(dir, 'data', 'runs', result.runId, 'head.json'))).toBe(true);
    },
  );
});

describe('TrainingService resume', () => {
  it.skipIf(!hasModel)(
    hasModel
      ? 'a run cancelled after a checkpoint resumes to the same result as an uninterrupted run'
      : 'resume: skipped because ../shared/models is absent',
    async () => {
      const request = {
        trainAnnotations: fixture.annotationPath,
        trainImages: fixture.imagesDir,
        valAnnotations: fixture.annotationPath,
        valImages: fixture.imagesDir,
        categories: ['dog', 'cat', 'couch'],
        weights: mobilenet,
        mode: 'frozen' as const,
        backbone: 'mobilenet_v1_0.75',
        augmentedViews: 1,
        settings: { maxEpochs: 30, batchSize: 2, validationFrequency: 4, validationPatience: 100 },
      };
      const whole = await services.handlers.training.train(request, context());

      const controller = new AbortController();
      const interrupted = services.handlers.training.train(request, {
        signal: controller.signal,
        progress: (p) => {
          if (p.unit === 'iterations' && p.done === 10) controller.abort();
        },
      });
      await expect(interrupted).rejects.toMatchObject({ code: 'CANCELLED' });
      const cancelledRun = (await services.handlers.training.runs({}, context()))[0]!;
      expect(cancelledRun.status).toBe('cancelled');

      const resumed = await services.handlers.training.resume({ runId: cancelledRun.runId }, context());
      expect(resumed.runId).toBe(cancelledRun.runId);
      expect(resumed.bestValidationLoss).toBe(whole.bestValidationLoss);
      const history = await services.handlers.training.history({ runId: cancelledRun.runId }, context());
      const wholeHistory = await services.handlers.training.history({ runId: whole.runId }, context());
      expect(history.map((h) => [h.iteration, h.epoch])).toEqual(wholeHistory.map((h) => [h.iteration, h.epoch]));
      expect(history.at(-1)!.trainLoss).toBe(wholeHistory.at(-1)!.trainLoss);
      expect((await services.handlers.training.runs({}, context())).find((r) => r.runId === cancelledRun.runId)!.status).toBe('completed');
      await expect(services.handlers.training.resume({ runId: cancelledRun.runId }, context())).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
    },
  );
});

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCocoFixture, type WrittenCocoFixture } from '../../../test/fixtures/coco-fixture';
import type { HandlerContext, Progress } from '../../shared/contract/define';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { kerasLayersOf, writeKerasWeightsFile } from '../engine/models/architectures/keras-weights-fixture';
import { loadEngine } from '../engine/process/backend';
import { backboneSpec } from '../engine/models/zoo';
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
      // Augmented views (given here) are the frozen mode's: a fine-tune run does not record them.
      expect(services.runs.get(result.runId).config).not.toHaveProperty('augmentedViews');
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
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(join(dir, 'data', 'models', 'mobilenet_v1_0.75')),
      // What the app words its own advice from (a Download button, a folder to choose), where the CLI reads the message.
      details: {
        missingWeights: {
          backbone: 'mobilenet_v1_0.75',
          title: 'MobileNet v1 (alpha 0.75, 224)',
          path: join(dir, 'data', 'models', 'mobilenet_v1_0.75'),
          given: false,
        },
      },
    });
  });

  it.skipIf(!hasModel)(
    hasModel
      ? 'leaves out an unreadable image and a damaged one, naming each kind, and still trains and records the run'
      : 'corrupt images: skipped because ../shared/models is absent',
    async () => {
      const corrupt = fixture.data.images[0]!.file_name;
      writeFileSync(join(fixture.imagesDir, corrupt), Buffer.from('this is not a JPEG'));
      // A JPEG cut short: it decodes in part, which is what must not reach training silently.
      const damaged = fixture.data.images[1]!.file_name;
      const bytes = readFileSync(join(fixture.imagesDir, damaged));
      writeFileSync(join(fixture.imagesDir, damaged), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
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
      expect(result.skipped).toContainEqual(
        expect.objectContaining({ path: join(fixture.imagesDir, damaged), kind: 'damaged', reason: expect.stringContaining('is damaged') }),
      );
      expect(result.skipped).toContainEqual(expect.objectContaining({ path: join(fixture.imagesDir, corrupt), kind: 'unreadable' }));
      const runs = await services.handlers.runs.list({}, context());
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
      // coco128 has no sheep and no cow, and fewer than 5 images of seven more classes (counted from its annotation file).
      const sparse = [
        { name: 'cat', images: 4 },
        { name: 'bird', images: 2 },
        { name: 'horse', images: 1 },
        { name: 'sheep', images: 0 },
        { name: 'cow', images: 0 },
        { name: 'bear', images: 1 },
        { name: 'giraffe', images: 4 },
        { name: 'zebra', images: 2 },
        { name: 'elephant', images: 4 },
      ];
      expect(result.sparseClasses).toEqual(sparse);
      expect(services.runs.get(result.runId).dataset.sparseClasses).toEqual(sparse);
      expect(services.runs.get(result.runId).config).toMatchObject({ augmentedViews: 1 });
      const scores = services.db.prepare('SELECT classes, length(scores) AS bytes FROM run_scores WHERE run_id = ?').get(result.runId) as {
        classes: string;
        bytes: number;
      };
      expect(JSON.parse(scores.classes)).toEqual([...referenceExampleCategories]);
      expect(scores.bytes).toBe(35 * 12 * 4);
      expect(existsSync(join(dir, 'data', 'runs', result.runId, 'head.json'))).toBe(true);
      // maxEpochs was given: the search chose the learn rate and L2 on a held-out fifth of the 35 images, and kept the epochs.
      const run = services.runs.get(result.runId);
      expect(run.search).toMatchObject({ fitImages: 28, heldOutImages: 7, chosen: { epochs: 40 } });
      expect(run.search!.tried).toHaveLength(10);
      expect(run.config).toMatchObject({
        choose: { learnRate: true, l2Regularization: true, maxEpochs: false },
        settings: { learnRate: run.search!.chosen.learnRate, l2Regularization: run.search!.chosen.l2Regularization, maxEpochs: 40 },
      });
      expect(run.calibration).toMatchObject({ heldOutImages: 7 });
      expect(run.calibration!.after.loss).toBeLessThanOrEqual(run.calibration!.before.loss + 1e-9);
      // The settings were chosen without the validation images, so the last weights are kept: the run trained every epoch.
      expect(run.iterations).toBe(40 * Math.max(1, Math.floor(35 / 32)));
    },
  );

  it.skipIf(!hasModel)(
    hasModel
      ? 'trains with the example’s early stopping and records no search when told not to choose'
      : 'no search: skipped because ../shared/models is absent',
    async () => {
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
          augmentedViews: 0,
          chooseSettings: false,
          settings: { maxEpochs: 5, validationFrequency: 1 },
        },
        context(),
      );
      const run = services.runs.get(result.runId);
      expect(run).toMatchObject({
        search: null,
        calibration: null,
        config: { choose: null, settings: { learnRate: 5e-3, l2Regularization: 1e-4 } },
      });
    },
  );
});

describe('TrainingService backbones from Keras .h5 weights', () => {
  it('reports a backbone installed whether its folder holds model.json or weights.h5', async () => {
    const models = join(dir, 'data', 'models');
    mkdirSync(join(models, 'mobilenet_v1_1.0'), { recursive: true });
    writeFileSync(join(models, 'mobilenet_v1_1.0', 'model.json'), '{}');
    mkdirSync(join(models, 'resnet50'), { recursive: true });
    writeFileSync(join(models, 'resnet50', 'weights.h5.part'), 'an interrupted download');
    const before = await services.handlers.training.models({}, context());
    expect(before.find((m) => m.id === 'resnet50')).toMatchObject({ installed: false, format: 'keras-h5' });
    writeFileSync(join(models, 'resnet50', 'weights.h5'), '');
    const after = await services.handlers.training.models({}, context());
    expect(after.find((m) => m.id === 'resnet50')).toMatchObject({
      installed: true,
      format: 'keras-h5',
      path: join(models, 'resnet50'),
      source: expect.stringMatching(/^https:\/\/storage\.googleapis\.com\/tensorflow\/keras-applications\/resnet\/.*notop\.h5$/),
    });
    expect(after.find((m) => m.id === 'mobilenet_v1_1.0')).toMatchObject({ installed: true, format: 'tfjs-layers' });
    expect(after.find((m) => m.id === 'mobilenet_v2')).toMatchObject({ installed: false, format: 'keras-h5' });
    rmSync(join(models, 'resnet50'), { recursive: true, force: true });
    rmSync(join(models, 'mobilenet_v1_1.0'), { recursive: true, force: true });
  });

  it('says which files it looked for, and what to point --weights at, when a Keras backbone has no weights', async () => {
    await expect(
      services.handlers.training.train(
        {
          trainAnnotations: fixture.annotationPath,
          trainImages: fixture.imagesDir,
          valAnnotations: fixture.annotationPath,
          valImages: fixture.imagesDir,
          categories: ['dog'],
          backbone: 'resnet50',
          mode: 'frozen',
          augmentedViews: 0,
          settings: {},
        },
        context(),
      ),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `No ResNet-50 (224) weights at ${join(dir, 'data', 'models', 'resnet50')} (neither model.json nor weights.h5). With internet, run "mlw models download resnet50" (or Download in the Train workspace); otherwise point --weights at a Keras .h5 weights file of ResNet-50 (224) (resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5) or a TensorFlow.js Layers folder of it.`,
    });
  });

  it('trains the frozen mode on MobileNetV2 from a Keras .h5 file (generated here with random weights)', async () => {
    const { tf } = await loadEngine('wasm');
    const weights = join(dir, 'mobilenet_v2_notop.h5');
    const source = backboneSpec('mobilenet_v2').build!(tf);
    await writeKerasWeightsFile(weights, kerasLayersOf(source));
    source.dispose();
    const result = await services.handlers.training.train(
      {
        trainAnnotations: fixture.annotationPath,
        trainImages: fixture.imagesDir,
        valAnnotations: fixture.annotationPath,
        valImages: fixture.imagesDir,
        categories: ['dog', 'cat'],
        weights,
        mode: 'frozen',
        backbone: 'mobilenet_v2',
        augmentedViews: 0,
        settings: { maxEpochs: 2, validationFrequency: 1 },
      },
      context(),
    );
    expect(result.mode).toBe('frozen');
    expect(Number.isFinite(result.bestValidationLoss)).toBe(true);
  });

  it('refuses to fine-tune ResNet-50 at a mini-batch WebAssembly memory cannot hold, before loading it', async () => {
    const status = await services.handlers.training.status({}, context());
    if (status.backend !== 'wasm') return; // Only WebAssembly has the 4 GB ceiling.
    const runsBefore = (await services.handlers.runs.list({}, context())).map((r) => r.runId);
    const weights = join(dir, 'resnet50_notop.h5');
    writeFileSync(weights, 'never read: the check comes first');
    await expect(
      services.handlers.training.train(
        {
          trainAnnotations: fixture.annotationPath,
          trainImages: fixture.imagesDir,
          valAnnotations: fixture.annotationPath,
          valImages: fixture.imagesDir,
          categories: ['dog'],
          weights,
          mode: 'finetune',
          backbone: 'resnet50',
          augmentedViews: 0,
          settings: { batchSize: 8 },
        },
        context(),
      ),
    ).rejects.toMatchObject({
      code: 'OUT_OF_MEMORY',
      message: expect.stringContaining('Fine-tuning ResNet-50 (224) at a mini-batch of 8 needs about 7.1 GB'),
    });
    // A refusal is not a run: nothing was recorded (not even a failed run "with no backend yet").
    expect((await services.handlers.runs.list({}, context())).map((r) => r.runId)).toEqual(runsBefore);
  });
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
      const cancelledRun = (await services.handlers.runs.list({}, context()))[0]!;
      expect(cancelledRun.status).toBe('cancelled');

      const resumed = await services.handlers.training.resume({ runId: cancelledRun.runId }, context());
      expect(resumed.runId).toBe(cancelledRun.runId);
      expect(resumed.bestValidationLoss).toBe(whole.bestValidationLoss);
      const history = await services.handlers.training.history({ runId: cancelledRun.runId }, context());
      const wholeHistory = await services.handlers.training.history({ runId: whole.runId }, context());
      expect(history.map((h) => [h.iteration, h.epoch])).toEqual(wholeHistory.map((h) => [h.iteration, h.epoch]));
      expect(history.at(-1)!.trainLoss).toBe(wholeHistory.at(-1)!.trainLoss);
      expect((await services.handlers.runs.list({}, context())).find((r) => r.runId === cancelledRun.runId)!.status).toBe('completed');
      await expect(services.handlers.training.resume({ runId: cancelledRun.runId }, context())).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
    },
  );
});

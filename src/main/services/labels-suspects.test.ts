import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CocoFile } from '../../../test/fixtures/coco-fixture';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { createLocalApi } from '../transport/local';
import { createServices } from './index';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const mobilenet = resolve(root, '../shared/models/mobilenet_v1_0.75_224');
const coco128 = resolve(root, '../shared/data/coco128');
const available = existsSync(join(mobilenet, 'model.json')) && existsSync(join(coco128, 'annotations/instances_train2017.json'));

/** The clean image of a distinctive class whose label is taken away: two giraffes (22,000 and 8,600 px²) beside two people. */
const planted = { imageId: 136, fileName: '000000000136.jpg', class: 'giraffe', categoryId: 25 };

let dir: string | undefined;
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('suspects of a run trained with the real MobileNet on coco128', () => {
  it.skipIf(!available)(
    available
      ? 'find a true label removed from a copy of the annotations among the top suspects of its class, of kind missing'
      : 'planted label error: skipped because ../shared/data/coco128 or ../shared/models is absent',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'mlw-planted-'));
      const original = JSON.parse(readFileSync(join(coco128, 'annotations/instances_train2017.json'), 'utf8')) as CocoFile;
      // The copy with the planted error: image 136 without its giraffe annotations (the people stay).
      const withError: CocoFile = {
        ...original,
        annotations: original.annotations.filter((a) => !(a.image_id === planted.imageId && a.category_id === planted.categoryId)),
      };
      expect(withError.annotations.length).toBe(original.annotations.length - 2);
      const validation = join(dir, 'instances_planted.json');
      writeFileSync(validation, JSON.stringify(withError));
      // A split: the network trains on the other images and is judged on all of them, the planted one among
      // them, as a run judged on held-out images would be (a run that trains on the error learns it).
      const training = join(dir, 'instances_train_split.json');
      writeFileSync(
        training,
        JSON.stringify({
          ...withError,
          images: withError.images.filter((i) => i.id !== planted.imageId),
          annotations: withError.annotations.filter((a) => a.image_id !== planted.imageId),
        }),
      );

      const services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
      const api = createLocalApi(services.handlers);
      try {
        const images = join(coco128, 'train2017');
        // One edit of the validation file, which the run must record: person removed from 61 (it keeps its elephants).
        const { fileId } = await api.dataset.ingest({ path: validation });
        await api.labels.set({ fileId, imageRefs: [61], remove: ['person'], client: 'test' });
        // The 12 classes of the example and person, so that the planted image (people and no giraffe now) stays a validation image.
        const trained = await api.training.train({
          trainAnnotations: training,
          trainImages: images,
          valAnnotations: validation,
          valImages: images,
          categories: [...referenceExampleCategories, 'person'],
          weights: mobilenet,
          mode: 'frozen',
          backbone: 'mobilenet_v1_0.75',
          augmentedViews: 0,
        });
        expect(trained.images.val).toBe(86);
        const recorded = services.runs.get(trained.runId).dataset;
        expect(recorded.train.labelEdits).toEqual({ count: 0, digest: null });
        expect(recorded.val.labelEdits).toEqual({ count: 1, digest: createHash('sha256').update('61\tperson\tabsent').digest('hex') });

        const started = performance.now();
        const suspects = await api.labels.suspects({ runId: trained.runId, kind: 'missing', class: planted.class, limit: 5 });
        const seconds = (performance.now() - started) / 1000;
        const found = suspects.items.find((s) => s.imageId === planted.imageId);
        console.log(
          `planted error (${planted.class} removed from ${planted.fileName}): ` +
            (found === undefined
              ? 'not among the top 5 missing giraffe labels'
              : `rank ${found.classRank} among missing ${planted.class} labels (rank ${found.rank} among all missing labels), score ${found.score.toFixed(4)}`) +
            `; suspects took ${(seconds * 1000).toFixed(1)} ms (ranking ${suspects.durationMs.toFixed(1)} ms) over ${86 * 13} pairs`,
        );
        expect(found).toMatchObject({ kind: 'missing', label: 0, fileName: planted.fileName });
        expect(found!.classRank).toBeLessThanOrEqual(3);
        // Of every kind and class together, it is still near the top of the queue.
        expect(found!.rank).toBeLessThanOrEqual(10);
      } finally {
        api.dispose();
        services.close();
      }
    },
    300_000,
  );
});

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCocoFixture, type WrittenCocoFixture } from '../../../test/fixtures/coco-fixture';
import { trainFrozenFixtureRun } from '../../../test/fixtures/trained-run';
import { writeDamagedJpegs } from '../../../test/support/damaged-jpeg';
import type { HandlerContext } from '../../shared/contract/define';
import { createServices, type Services } from './index';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const mobilenet = resolve(root, '../shared/models/mobilenet_v1_0.75_224');
const hasModel = existsSync(join(mobilenet, 'model.json'));

let dir: string;
let services: Services;
let fixture: WrittenCocoFixture;
let runId: string;
const classes = ['dog', 'cat', 'couch'];
const context = (): HandlerContext => ({ signal: new AbortController().signal, progress: () => undefined });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-prediction-'));
  services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
  fixture = await writeCocoFixture(join(dir, 'coco'), { images: true, imageScale: 2 });
  if (!hasModel) return;
  runId = await trainFrozenFixtureRun(services, fixture, classes, mobilenet);
}, 300_000);

afterAll(() => {
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('previews', () => {
  it('makes an upright JPEG preview of an image on the service machine, with its own size', async () => {
    const path = join(fixture.imagesDir, fixture.data.images[1]!.file_name);
    const preview = await services.handlers.prediction.preview({ path, size: 64 }, context());
    const meta = await sharp(path).metadata();
    expect(preview).toMatchObject({ width: meta.width, height: meta.height });
    const jpeg = await sharp(Buffer.from(preview.url.replace(/^data:image\/jpeg;base64,/, ''), 'base64')).metadata();
    expect(jpeg.format).toBe('jpeg');
    expect(Math.max(jpeg.width!, jpeg.height!)).toBeLessThanOrEqual(64);
    await expect(services.handlers.prediction.preview({ path: join(dir, 'nothing.jpg'), size: 64 }, context())).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('Check that the file is in the images folder.'),
    });
  });
});

describe.skipIf(!hasModel)(hasModel ? 'a trained run' : 'a trained run: skipped because ../shared/models is absent', () => {
  it('scores another annotated set with its network exactly as its validation scores, and stores them', async () => {
    // The same images under another file name: a second annotated set with known answers.
    const other = join(dir, 'other-instances.json');
    copyFileSync(fixture.annotationPath, other);
    const validation = await services.handlers.evaluation.scores({ runId }, context());
    const result = await services.handlers.evaluation.evaluate(
      { runId, threshold: 0.5, perClassThresholds: false, calibrated: false, annotations: other, images: fixture.imagesDir },
      context(),
    );
    expect(result.source).toMatchObject({ annotations: other, validation: false });
    expect(result.tunedOnSameImages).toBe(false);
    const stored = await services.handlers.evaluation.scores({ runId, annotations: other }, context());
    expect(stored.imageIds).toEqual(validation.imageIds);
    stored.scores.flat().forEach((score, i) => expect(score).toBeCloseTo(validation.scores.flat()[i]!, 5));
    const same = await services.handlers.evaluation.evaluate(
      { runId, threshold: 0.5, perClassThresholds: false, calibrated: false },
      context(),
    );
    expect(result.metrics.microF1).toBeCloseTo(same.metrics.microF1, 6);
  });

  it('says what to do when --annotations comes without --images, or a set was never evaluated', async () => {
    await expect(
      services.handlers.evaluation.evaluate(
        { runId, threshold: 0.5, perClassThresholds: false, calibrated: false, annotations: fixture.annotationPath },
        context(),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('--images') });
    await expect(services.handlers.evaluation.scores({ runId, annotations: join(dir, 'never.json') }, context())).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('mlw evaluate --run'),
    });
  });

  it('predicts new images with the validation scores of the same images, and reports an unreadable one without stopping', async () => {
    const validation = await services.handlers.evaluation.scores({ runId }, context());
    const first = join(fixture.imagesDir, validation.fileNames[0]!);
    const broken = join(dir, 'broken.jpg');
    writeFileSync(broken, 'not an image');
    const sent = { name: 'sent.jpg', base64: readFileSync(first).toString('base64') };
    const sentBroken = { name: 'holiday.jpg', base64: Buffer.from('not an image either').toString('base64') };
    const result = await services.handlers.prediction.predict(
      {
        runId,
        images: [{ path: first }, { path: broken }, sent, sentBroken],
        threshold: 0.5,
        perClassThresholds: false,
        calibrated: false,
      },
      context(),
    );
    // A sent file is named as the user knows it, not by its copy in the uploads folder.
    expect(result.results[3]).toMatchObject({
      ok: false,
      image: 'holiday.jpg',
      error: expect.stringMatching(/^holiday\.jpg cannot be read/),
    });
    expect(result.classes).toEqual(classes);
    expect(result.thresholds).toEqual([0.5, 0.5, 0.5]);
    const [ok, bad, uploaded] = result.results;
    if (!ok?.ok || !uploaded?.ok) throw new Error('expected the readable images to be scored');
    ok.scores.forEach((score, j) => expect(score).toBeCloseTo(validation.scores[0]![j]!, 5));
    expect(ok.labels).toEqual(classes.filter((_, j) => ok.scores[j]! >= 0.5));
    expect(uploaded.scores).toEqual(ok.scores);
    const meta = await sharp(first).metadata();
    expect([ok.width, ok.height]).toEqual([meta.width, meta.height]);
    expect(bad).toMatchObject({ ok: false, image: broken, error: expect.stringContaining('cannot be read as an image') });
  });

  it('scores a damaged JPEG with a warning on its result, or refuses it when the user prefers, and explains it', async () => {
    const validation = await services.handlers.evaluation.scores({ runId }, context());
    const first = join(fixture.imagesDir, validation.fileNames[0]!);
    const damagedDir = join(dir, 'damaged');
    mkdirSync(damagedDir, { recursive: true });
    const { truncated } = await writeDamagedJpegs(damagedDir, readFileSync(first));
    const request = { runId, threshold: 0.5, perClassThresholds: false, calibrated: false };
    const sent = { name: 'holiday.jpg', base64: readFileSync(truncated).toString('base64') };
    const warned = await services.handlers.prediction.predict({ ...request, images: [{ path: truncated }, sent] }, context());
    for (const [result, name] of [
      [warned.results[0], 'truncated.jpg'],
      [warned.results[1], 'holiday.jpg'],
    ] as const) {
      if (!result?.ok) throw new Error('expected a damaged image to be scored with a warning');
      expect(result.scores).toHaveLength(classes.length);
      expect(result.damaged?.message).toMatch(new RegExp(`^${name.replace('.', '\\.')} is damaged: the file ends early`));
      expect(result.damaged?.library).toMatch(/premature end of JPEG/i);
    }
    const cam = await services.handlers.prediction.gradcam(
      { runId, image: { path: truncated }, classes: [classes[0]!], calibrated: false },
      context(),
    );
    expect(cam.classes).toHaveLength(1);

    const refused = await services.handlers.prediction.predict(
      { ...request, images: [{ path: truncated }], damagedImages: 'refuse' },
      context(),
    );
    expect(refused.results[0]).toMatchObject({ ok: false, error: expect.stringMatching(/^truncated\.jpg is damaged/) });
    // Without a choice in the call, the user's preference decides.
    await services.handlers.app.setPreferences({ damagedImages: 'refuse' }, context());
    try {
      const byPreference = await services.handlers.prediction.predict({ ...request, images: [{ path: truncated }] }, context());
      expect(byPreference.results[0]).toMatchObject({ ok: false });
    } finally {
      await services.handlers.app.setPreferences({ damagedImages: 'warn' }, context());
    }
  });

  it('writes one Grad-CAM overlay per class, the size of the image, with the map and its peak', async () => {
    const validation = await services.handlers.evaluation.scores({ runId }, context());
    const image = join(fixture.imagesDir, validation.fileNames[0]!);
    const out = join(dir, 'cams');
    const result = await services.handlers.prediction.gradcam(
      { runId, image: { path: image }, classes: ['dog', 'couch'], outDir: out, calibrated: false },
      context(),
    );
    const meta = await sharp(image).metadata();
    expect(result).toMatchObject({ width: meta.width, height: meta.height });
    expect(result.classes.map((c) => c.class)).toEqual(['dog', 'couch']);
    for (const c of result.classes) {
      const png = await sharp(c.png).metadata();
      expect([png.format, png.width, png.height]).toEqual(['png', meta.width, meta.height]);
      expect(c.map).toHaveLength(7);
      expect(c.map[0]).toHaveLength(7);
      expect(Math.max(...c.map.flat())).toBe(1);
      expect(c.peak[0]).toBeGreaterThanOrEqual(0);
      expect(c.peak[0]).toBeLessThanOrEqual(meta.width!);
      expect(c.peak[1]).toBeLessThanOrEqual(meta.height!);
    }
    expect(result.classes[0]!.score).toBeCloseTo(validation.scores[0]![0]!, 5);
    await expect(
      services.handlers.prediction.gradcam({ runId, image: { path: image }, classes: ['zebra'], calibrated: false }, context()),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('has no class "zebra"') });
  });

  it('answers mlw predict and mlw gradcam --json with the documented shapes', async () => {
    const validation = await services.handlers.evaluation.scores({ runId }, context());
    const image = join(fixture.imagesDir, validation.fileNames[0]!);
    const mlw = (...args: string[]) => {
      const result = spawnSync(process.execPath, [join(root, 'bin/mlw.mjs'), ...args, '--json', '--cache', join(dir, 'data')], {
        encoding: 'utf8',
      });
      expect(result.status, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const predicted = mlw('predict', '--run', runId, image) as {
      classes: string[];
      results: { ok: boolean; image: string; scores: Record<string, number>; labels: string[] }[];
    };
    expect(predicted.classes).toEqual(classes);
    expect(Object.keys(predicted.results[0]!.scores)).toEqual(classes);
    classes.forEach((name, j) => expect(predicted.results[0]!.scores[name]).toBeCloseTo(validation.scores[0]![j]!, 5));
    const out = join(dir, 'cli-cams');
    const cams = mlw('gradcam', '--run', runId, image, '--classes', 'dog,cat', '--out', out) as {
      image: string;
      width: number;
      height: number;
      classes: { class: string; score: number; png: string; peak: [number, number]; map: number[][] }[];
    };
    expect(Object.keys(cams).sort()).toEqual(['classes', 'height', 'image', 'temperature', 'width']);
    expect(cams).toMatchObject({ temperature: null });
    expect(cams.classes.map((c) => c.class)).toEqual(['dog', 'cat']);
    for (const c of cams.classes) {
      expect(Object.keys(c).sort()).toEqual(['class', 'map', 'peak', 'png', 'score']);
      expect(existsSync(c.png)).toBe(true);
      expect(c.png.startsWith(out)).toBe(true);
      expect(c.map).toHaveLength(7);
    }
  });

  it('builds a Grad-CAM gallery of a class’s most confident true positives once, then serves it from the run’s cache', async () => {
    const first = await services.handlers.prediction.gallery(
      { runId, class: 'dog', kind: 'tp', threshold: 0.1, count: 2, calibrated: false },
      context(),
    );
    expect(first.cached).toBe(false);
    expect(first.items.length).toBe(Math.min(2, first.available));
    expect(first.items.every((item) => item.png.startsWith('data:image/png;base64,'))).toBe(true);
    const scores = first.items.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const again = await services.handlers.prediction.gallery(
      { runId, class: 'dog', kind: 'tp', threshold: 0.1, count: 2, calibrated: false },
      context(),
    );
    expect(again).toEqual({ ...first, cached: true });
  });
});

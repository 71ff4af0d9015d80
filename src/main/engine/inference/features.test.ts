import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../../shared/contract/define';
import { AppError } from '../../../shared/contract/errors';
import { loadEngine } from '../process/backend';
import { bestFeatureExtractor, extractFeatures, featureExtractor, type FeatureExtractor, type FeatureRequest } from './features';
import { loadLayersFolder } from '../models/layers-folder';
import { decodeResized, decoderVersion, exampleAugmentation, normalise } from '../images/preprocess';
import { backboneSpec } from '../models/zoo';
import { writeDamagedJpegs } from '../../../../test/support/damaged-jpeg';

const projectRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const mobilenetDir = resolve(projectRoot, '../shared/models/mobilenet_v1_0.75_224');
const hasMobilenet = existsSync(join(mobilenetDir, 'model.json'));
const note = hasMobilenet ? '' : ' (skipped because ../shared/models is absent)';

const d = 768;
let tf: typeof Tf;
let model: Tf.LayersModel | undefined;
let extractor: FeatureExtractor;
let dir: string;
let images: string[];
let corrupt: string;

/** A small JPEG with a distinct pattern per seed (so features differ between images). */
async function writeJpeg(path: string, seed: number): Promise<void> {
  const width = 48 + seed * 8;
  const height = 40;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * (seed + 3) * 5) % 256;
      pixels[i + 1] = (y * (seed + 1) * 7) % 256;
      pixels[i + 2] = x < width / 2 ? 40 * seed : 255 - 40 * seed;
    }
  }
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toFile(path);
}

function row(features: Float32Array, index: number): Float32Array {
  return features.subarray(index * d, (index + 1) * d);
}

describe.skipIf(!hasMobilenet)(`extractFeatures with the real MobileNet v1 0.75${note}`, () => {
  beforeAll(async () => {
    ({ tf } = await loadEngine('wasm'));
    model = await loadLayersFolder(tf, mobilenetDir);
    extractor = featureExtractor(tf, model, backboneSpec('mobilenet_v1_0.75'), 'test-weights-key-0123456789');
    dir = mkdtempSync(join(tmpdir(), 'mlw-features-'));
    mkdirSync(join(dir, 'images'));
    images = [];
    for (let i = 0; i < 3; i++) {
      const path = join(dir, 'images', `image-${i}.jpg`);
      await writeJpeg(path, i);
      images.push(path);
    }
    corrupt = join(dir, 'images', 'corrupt.jpg');
    writeFileSync(corrupt, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 17) % 256)));
  });

  afterAll(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const request = (cacheDir: string, extra: Partial<FeatureRequest> = {}): FeatureRequest => ({
    // The corrupt file sits between readable ones, so the rows after it must still be right.
    paths: [images[0]!, corrupt, images[1]!, images[2]!],
    augmentedViews: 1,
    augmentation: exampleAugmentation,
    seed: 5,
    cacheDir,
    batchSize: 3,
    ...extra,
  });

  it('computes features of the right size, records exactly the corrupt file in failed, caches, and reads every row back from the cache', async () => {
    const cacheDir = join(dir, 'cache-main');
    const progress: Progress[] = [];
    const first = await extractFeatures(extractor, { ...request(cacheDir), onProgress: (p) => progress.push(p) });
    expect(first.views).toBe(2);
    expect(first.features).toHaveLength(4 * 2 * d);
    expect(first.fromCache).toBe(0);
    expect(first.failed).toHaveLength(1);
    expect(first.failed[0]).toMatchObject({ index: 1, path: corrupt });
    expect(first.failed[0]!.reason).toContain(corrupt);

    // Readable images: finite, non-zero rows (ReLU features, so non-negative); the corrupt one: zeros.
    for (const image of [0, 2, 3]) {
      for (const view of [0, 1]) {
        const r = row(first.features, image * 2 + view);
        expect(r.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
        expect(r.some((x) => x > 0)).toBe(true);
      }
    }
    expect(row(first.features, 2).every((x) => x === 0)).toBe(true);
    expect(row(first.features, 3).every((x) => x === 0)).toBe(true);

    // Augmented views differ from the plain one; different images differ.
    for (const image of [0, 2, 3]) {
      expect(Array.from(row(first.features, image * 2 + 1))).not.toEqual(Array.from(row(first.features, image * 2)));
    }
    expect(Array.from(row(first.features, 0))).not.toEqual(Array.from(row(first.features, 4)));

    // Progress counts up to every (image, view) job.
    expect(progress.at(-1)).toMatchObject({ done: 8, total: 8, unit: 'images' });
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));

    // One cached row per readable (image, view), none for the corrupt image.
    const cached = readdirSync(join(cacheDir, 'features'), { recursive: true }).filter((f) => String(f).endsWith('.f32'));
    expect(cached).toHaveLength(6);
    // Keyed by how the pixels were decoded too: another decoder's features are never reused.
    expect(readdirSync(join(cacheDir, 'features'))[0]).toMatch(new RegExp(`-${decoderVersion}$`));

    const second = await extractFeatures(extractor, request(cacheDir));
    expect(second.fromCache).toBe(6);
    expect(second.failed.map((f) => f.path)).toEqual([corrupt]);
    expect(Array.from(second.features)).toEqual(Array.from(first.features));
  });

  it('puts each row where it belongs: the plain view equals the backbone on the decoded image', async () => {
    const result = await extractFeatures(extractor, request(join(dir, 'cache-direct'), { augmentedViews: 0 }));
    expect(result.views).toBe(1);
    const size = 224;
    const pixels = new Float32Array(size * size * 3);
    normalise(await decodeResized(images[1]!, size), 'mobilenet', pixels);
    const direct = await extractor.embed(pixels, 1);
    const got = row(result.features, 2); // image 1 is the third path
    direct.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 4));
  });

  it('computes an image again when it changes on disk, and only that one', async () => {
    const cacheDir = join(dir, 'cache-change');
    const paths = [join(dir, 'images', 'change-0.jpg'), join(dir, 'images', 'change-1.jpg')];
    await writeJpeg(paths[0]!, 0);
    await writeJpeg(paths[1]!, 1);
    const first = await extractFeatures(extractor, request(cacheDir, { paths, augmentedViews: 0 }));
    expect(first.fromCache).toBe(0);
    await writeJpeg(paths[1]!, 4);
    utimesSync(paths[1]!, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const second = await extractFeatures(extractor, request(cacheDir, { paths, augmentedViews: 0 }));
    expect(second.fromCache).toBe(1);
    expect(Array.from(row(second.features, 0))).toEqual(Array.from(row(first.features, 0)));
    expect(Array.from(row(second.features, 1))).not.toEqual(Array.from(row(first.features, 1)));
    // A new modification time alone (same bytes) is a change too.
    utimesSync(paths[0]!, new Date(2002, 2, 2), new Date(2002, 2, 2));
    const third = await extractFeatures(extractor, request(cacheDir, { paths, augmentedViews: 0 }));
    expect(third.fromCache).toBe(1);
    expect(Array.from(row(third.features, 0))).toEqual(Array.from(row(first.features, 0)));
  });

  it('records a missing file in failed and goes on', async () => {
    const missing = join(dir, 'images', 'missing.jpg');
    const result = await extractFeatures(
      extractor,
      request(join(dir, 'cache-missing'), { paths: [missing, images[0]!], augmentedViews: 0 }),
    );
    expect(result.failed).toEqual([expect.objectContaining({ index: 0, path: missing })]);
    expect(row(result.features, 1).some((x) => x > 0)).toBe(true);
  });

  it('leaves a damaged JPEG out as damaged and caches nothing of it; with acceptDamaged it scores it and lists it', async () => {
    const damagedDir = join(dir, 'damaged');
    mkdirSync(damagedDir, { recursive: true });
    const { corrupt: damaged } = await writeDamagedJpegs(damagedDir);
    const cacheDir = join(dir, 'cache-damaged');
    const refused = await extractFeatures(extractor, request(cacheDir, { paths: [damaged, images[0]!], augmentedViews: 0 }));
    expect(refused.failed).toEqual([expect.objectContaining({ index: 0, path: damaged, kind: 'damaged' })]);
    expect(refused.failed[0]!.reason).toMatch(/corrupt\.jpg is damaged/);
    const accepted = await extractFeatures(extractor, {
      ...request(cacheDir, { paths: [damaged, images[0]!], augmentedViews: 0 }),
      acceptDamaged: true,
    });
    expect(accepted.failed).toEqual([]);
    expect(accepted.damaged).toEqual([expect.objectContaining({ index: 0, path: damaged })]);
    expect(row(accepted.features, 0).some((x) => x > 0)).toBe(true);
    // Only the good image has a cached row: a damaged one never reaches training through the cache.
    const cached = readdirSync(join(cacheDir, 'features'), { recursive: true }).filter((f) => String(f).endsWith('.f32'));
    expect(cached).toHaveLength(1);
    const missing = await extractFeatures(extractor, request(cacheDir, { paths: [join(dir, 'nowhere.jpg')], augmentedViews: 0 }));
    expect(missing.failed[0]).toMatchObject({ kind: 'missing' });
  });

  it('keeps cached views of different seeds apart', async () => {
    const cacheDir = join(dir, 'cache-seed');
    const a = await extractFeatures(extractor, request(cacheDir, { paths: [images[0]!], seed: 1 }));
    const b = await extractFeatures(extractor, request(cacheDir, { paths: [images[0]!], seed: 2 }));
    expect(b.fromCache).toBe(0);
    expect(Array.from(row(b.features, 0))).toEqual(Array.from(row(a.features, 0)));
    expect(Array.from(row(b.features, 1))).not.toEqual(Array.from(row(a.features, 1)));
    // Each augmented view is its own draw.
    const c = await extractFeatures(extractor, request(cacheDir, { paths: [images[0]!], seed: 1, augmentedViews: 2 }));
    expect(c.fromCache).toBe(2);
    expect(Array.from(row(c.features, 2))).not.toEqual(Array.from(row(c.features, 1)));
  });
  // and seed but not the augmentation, so augmented views cached under one augmentation are served
  it('does not serve augmented views cached under another augmentation', async () => {
    const cacheDir = join(dir, 'cache-augmentation');
    const none = { maxRotation: 0, horizontalFlip: false };
    await extractFeatures(extractor, request(cacheDir, { paths: [images[0]!], augmentation: none }));
    const other = await extractFeatures(extractor, request(cacheDir, { paths: [images[0]!], augmentation: exampleAugmentation }));
    expect(other.fromCache).toBe(1); // only the plain view may come from the cache
  });

  it('rejects with CANCELLED when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await extractFeatures(extractor, { ...request(join(dir, 'cache-cancel')), signal: controller.signal }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CANCELLED');
  });
});

describe.skipIf(!hasMobilenet)(`bestFeatureExtractor: ONNX Runtime by default, TensorFlow.js where it cannot be${note}`, () => {
  it('runs MobileNet v1 0.75 on ONNX Runtime, within 1e-4 of TensorFlow.js, in a cache of its own', async () => {
    ({ tf } = await loadEngine('wasm'));
    const spec = backboneSpec('mobilenet_v1_0.75');
    const network = await loadLayersFolder(tf, mobilenetDir);
    const cacheRoot = mkdtempSync(join(tmpdir(), 'mlw-features-ort-'));
    try {
      const paths = [];
      for (let i = 0; i < 3; i++) {
        paths.push(join(cacheRoot, `image-${i}.jpg`));
        await writeJpeg(paths[i]!, i + 1);
      }
      const ort = await bestFeatureExtractor(tf, network, spec, 'same-weights-key-0123456789');
      const tfjs = featureExtractor(tf, network, spec, 'same-weights-key-0123456789');
      expect(ort.runtime).toBe('onnxruntime');
      expect(ort.fallbackReason).toBeUndefined();
      const common = { paths, augmentedViews: 1, augmentation: exampleAugmentation, seed: 3, cacheDir: cacheRoot, batchSize: 4 };
      const a = await extractFeatures(ort, common);
      const b = await extractFeatures(tfjs, common);
      // Nothing came from the other runtime's cache...
      expect(b.fromCache).toBe(0);
      let worst = 0;
      a.features.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.features[i]!))));
      // ...and the two agree to what float32 arithmetic in another order allows.
      expect(worst).toBeLessThan(1e-4);
      expect(a.features.some((v) => v > 0.1)).toBe(true);
      const folders = readdirSync(join(cacheRoot, 'features')).sort();
      expect(folders).toHaveLength(2);
      expect(folders.filter((f) => f.endsWith('-ort'))).toHaveLength(1);
      expect((await extractFeatures(ort, common)).fromCache).toBe(6);
    } finally {
      network.dispose();
      rmSync(cacheRoot, { recursive: true, force: true });
    }
  });

  it('falls back to TensorFlow.js, saying why, for a network with a layer ONNX export does not translate', async () => {
    ({ tf } = await loadEngine('wasm'));
    const input = tf.input({ shape: [16, 16, 3] });
    const x = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'elu', name: 'features_end' }).apply(input) as Tf.SymbolicTensor;
    const network = tf.model({ inputs: input, outputs: x });
    const spec = {
      ...backboneSpec('mobilenet_v1_0.75'),
      featureLayer: 'features_end',
      featureSize: 4,
      preprocessing: { size: 16, normalisation: 'mobilenet' as const },
    };
    const extractor = await bestFeatureExtractor(tf, network, spec, 'key');
    expect(extractor.runtime).toBe('tfjs');
    expect(extractor.fallbackReason).toMatch(/features_end \(activation elu\)/);
    expect(await extractor.embed(new Float32Array(16 * 16 * 3).fill(0.5), 1)).toHaveLength(4);
    network.dispose();
  });
});

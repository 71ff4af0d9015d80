/**
 * `npm run bench:train`: throughput of the training pipeline on this machine's active backend.
 *
 * - Decoding and resizing the coco128 images to 224×224 with sharp (our `decodeResized`), on one
 *   core and on all cores, against Pillow with its JPEG draft mode on the same images in the same
 *   run (Debian's python3-pil, run by /usr/bin/python3); target: at least Pillow's rate.
 * - Backbone feature extraction (MobileNet v1 0.75 from ../shared/models), images per second.
 * - Head-only training on cached features at the train2017 subset's scale (30,492 images, 768
 *   features, 12 classes), images per second.
 * - A fine-tuning step through the whole MobileNet trunk; ResNet-50 and the PyTorch comparison are
 *   reported as not available where they are not.
 *
 *   npx tsx bench/train.bench.ts [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { loadEngine } from '../src/main/engine/backend';
import { featureExtractor } from '../src/main/engine/features';
import { loadLayersFolder } from '../src/main/engine/layers-folder';
import { decodeResized, normalise } from '../src/main/engine/preprocess';
import { frozenTraining, trainHead } from '../src/main/engine/train-head';
import { backboneSpec } from '../src/main/engine/zoo';

const projectDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const imagesDir = resolve(projectDir, '../shared/data/coco128/train2017');
const modelDir = resolve(projectDir, '../shared/models/mobilenet_v1_0.75_224');
const json = process.argv.includes('--json');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Row {
  measure: string;
  value: string;
  reference?: string;
  ratio?: string;
}

async function main(): Promise<void> {
  if (!existsSync(imagesDir) || !existsSync(join(modelDir, 'model.json'))) {
    log('bench:train needs ../shared/data/coco128 and ../shared/models/mobilenet_v1_0.75_224 beside the project.');
    process.exit(2);
  }
  const images = readdirSync(imagesDir)
    .filter((name) => name.endsWith('.jpg'))
    .map((name) => join(imagesDir, name));
  const rows: Row[] = [];
  const threads = cpus().length;

  // Decoding: warm the page cache first so both sides read from memory.
  for (const path of images) await sharp(path).metadata();
  const sequential = async (): Promise<number> => {
    const start = performance.now();
    for (const path of images) await decodeResized(path, 224);
    return images.length / ((performance.now() - start) / 1000);
  };
  const parallel = async (): Promise<number> => {
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: threads }, async () => {
        while (next < images.length) await decodeResized(images[next++]!, 224);
      }),
    );
    return images.length / ((performance.now() - start) / 1000);
  };
  sharp.concurrency(1);
  await sequential();
  const oneCore = Math.max(await sequential(), await sequential());
  const allCores = Math.max(await parallel(), await parallel());
  sharp.concurrency(0);
  const pillow = pillowRates(images, threads);
  rows.push(
    {
      measure: 'decode + resize to 224, 1 core (images/s)',
      value: oneCore.toFixed(0),
      ...(pillow ? { reference: `Pillow draft ${pillow.oneCore.toFixed(0)}`, ratio: (oneCore / pillow.oneCore).toFixed(2) } : {}),
    },
    {
      measure: `decode + resize to 224, ${threads} cores (images/s)`,
      value: allCores.toFixed(0),
      ...(pillow ? { reference: `Pillow draft ${pillow.allCores.toFixed(0)}`, ratio: (allCores / pillow.allCores).toFixed(2) } : {}),
    },
  );
  if (!pillow) log('bench: Pillow is not installed for /usr/bin/python3 (Debian: apt-get install python3-pil); no decoding reference.');

  // Features: the backbone alone, on preprocessed input, then with decoding.
  const { tf, status } = await loadEngine();
  log(`bench: backend ${status.backend}`);
  const spec = backboneSpec('mobilenet_v1_0.75');
  const model = await loadLayersFolder(tf, modelDir);
  const extractor = featureExtractor(tf, model, spec, 'bench');
  const batch = 16;
  const input = new Float32Array(batch * 224 * 224 * 3);
  normalise(await decodeResized(images[0]!, 224), 'mobilenet', input);
  const forward = (): void => tf.tidy(() => void extractor.embed(tf.tensor4d(input, [batch, 224, 224, 3])).dataSync());
  forward();
  let start = performance.now();
  const rounds = 4;
  for (let i = 0; i < rounds; i++) forward();
  const featureRate = (rounds * batch) / ((performance.now() - start) / 1000);
  rows.push({ measure: `MobileNet v1 0.75 features, batch ${batch} (images/s)`, value: featureRate.toFixed(1) });

  // Head-only training at the example's scale, on random features (cost does not depend on values).
  const n = 30492;
  const d = spec.featureSize;
  const c = 12;
  const features = new Float32Array(n * d).map(() => Math.random());
  const labels = new Float32Array(n * c).map(() => (Math.random() < 0.1 ? 1 : 0));
  const valN = 2000;
  start = performance.now();
  const result = await trainHead(
    tf,
    {
      trainFeatures: features,
      trainViews: 1,
      trainLabels: labels,
      valFeatures: features.subarray(0, valN * d),
      valLabels: labels.subarray(0, valN * c),
      featureSize: d,
      classes: c,
    },
    { ...frozenTraining, maxEpochs: 1, validationFrequency: 200 },
  );
  const headSeconds = (performance.now() - start) / 1000;
  rows.push({
    measure: 'head training on cached features, batch 32 (images/s)',
    value: ((result.iterations * 32) / headSeconds).toFixed(0),
  });
  rows.push({ measure: 'one epoch of the head over 30,492 images (s)', value: headSeconds.toFixed(2) });
  // A fine-tuning step through the whole MobileNet trunk (forward, gradients of every layer).
  const trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(spec.featureLayer).output as Tf.SymbolicTensor });
  const trunkVariables = trunk.trainableWeights.map((w) => (w as unknown as { val: Tf.Variable }).val);
  const stepBatch = 4;
  const step = (): void =>
    tf.tidy(() => {
      const x = tf.tensor4d(input.subarray(0, stepBatch * 224 * 224 * 3), [stepBatch, 224, 224, 3]);
      const { value, grads } = tf.variableGrads(
        () => (trunk.apply(x, { training: true }) as Tf.Tensor).mean() as Tf.Scalar,
        trunkVariables,
      );
      value.dataSync();
      void grads;
    });
  step();
  start = performance.now();
  step();
  rows.push({
    measure: `MobileNet v1 0.75 fine-tune step, batch ${stepBatch} (images/s)`,
    value: (stepBatch / ((performance.now() - start) / 1000)).toFixed(2),
  });
  rows.push({ measure: 'ResNet-50 fine-tune step', value: 'not in the model zoo yet' });
  const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  rows.push({
    measure: 'PyTorch reference',
    value: torch ? 'installed; comparison comes with fine-tuning' : 'python3-torch not installed',
  });

  if (json) {
    process.stdout.write(`${JSON.stringify({ backend: status.backend, threads, rows }, null, 2)}\n`);
  } else {
    const widths = [58, 16, 22, 8];
    process.stdout.write(`Training pipeline on ${status.backend}, ${threads} cores\n`);
    process.stdout.write(`${['measure', 'ours', 'reference', 'ratio'].map((h, i) => h.padEnd(widths[i]!)).join('')}\n`);
    for (const row of rows) {
      process.stdout.write(
        `${[row.measure, row.value, row.reference ?? '', row.ratio ?? ''].map((v, i) => v.padEnd(widths[i]!)).join('')}\n`,
      );
    }
  }
}

/** Pillow's rates with draft mode, one process and a pool of all cores; null where Pillow is missing. */
function pillowRates(images: string[], threads: number): { oneCore: number; allCores: number } | null {
  const script = `
import sys, time, json
from multiprocessing import Pool
from PIL import Image
paths = sys.argv[2:]
def load(path):
    img = Image.open(path)
    img.draft('RGB', (224, 224))
    img = img.convert('RGB').resize((224, 224))
    return img.size
def rate(fn):
    best = 0
    for _ in range(3):
        t = time.perf_counter(); fn(); best = max(best, len(paths) / (time.perf_counter() - t))
    return best
one = rate(lambda: [load(p) for p in paths])
with Pool(int(sys.argv[1])) as pool:
    pool.map(load, paths)
    many = rate(lambda: pool.map(load, paths))
print(json.dumps({"oneCore": one, "allCores": many}))
`;
  const result = spawnSync('/usr/bin/python3', ['-c', script, String(threads), ...images], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  return JSON.parse(result.stdout) as { oneCore: number; allCores: number };
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(2);
});

/**
 * `npm run bench:train`: throughput of the training pipeline on this machine's active backend.
 *
 * - Decoding and resizing the coco128 images to 224×224 (our `decodeResized`: WebAssembly libjpeg-turbo), on one
 *   core and on all cores, against Pillow with its JPEG draft mode on the same images in the same
 *   run (Debian's python3-pil, run by /usr/bin/python3); target: at least Pillow's rate.
 * - Backbone feature extraction (MobileNet v1 0.75 from ../shared/models) on TensorFlow.js, images per second.
 * - The inference rows (inference-rows.ts): ONNX Runtime's features for MobileNet v1 0.75, MobileNetV2
 *   and ResNet-50 at batch 16 and 32 against PyTorch, rounds alternating; the decode + features
 *   pipeline against its stages alone and the example's workload at its rate; predict and Grad-CAM
 *   milliseconds per image on both runtimes.
 * - Head-only training on cached features at the train2017 subset's scale (30,492 images, 768
 *   features, 12 classes), images per second.
 * - A fine-tuning step through the whole MobileNet trunk.
 * - ResNet-50 features and fine-tuning step, where the model zoo can build ResNet-50.
 * - PyTorch on the CPU (Debian's python3-torch, and python3-torchvision for its ResNet-50) as the
 *   reference for the network rows, with the same batches, in the same run.
 *
 *   npx tsx bench/train.bench.ts [--json] [--decoding] [--quick] [--inference]
 *
 * `--decoding` stops after the decoding rows (a minute instead of several). `--quick` runs only the
 * quick guard's row instead (decoding-quick.ts): ours against sharp's plain resize, in seconds.
 * `--inference` runs only the inference rows (about two minutes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type * as Tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { loadEngine, type BackendName } from '../src/main/engine/process/backend';
import { featureExtractor } from '../src/main/engine/inference/features';
import { loadLayersFolder } from '../src/main/engine/models/layers-folder';
import { DecodePool } from '../src/main/engine/images/decode-pool';
import { measureQuickDecoding, quickDecodingMinRatio } from './decoding-quick';
import { inferenceRows, torchMobilenetV1 } from './inference-rows';
import { decodeResized, normalise, useDecodePool } from '../src/main/engine/images/preprocess';
import { frozenTraining, trainHead } from '../src/main/engine/training/train-head';
import { backbones, backboneSpec, type BackboneSpec } from '../src/main/engine/models/zoo';

const projectDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const imagesDir = resolve(projectDir, '../shared/data/coco128/train2017');
const modelDir = resolve(projectDir, '../shared/models/mobilenet_v1_0.75_224');
const python = '/usr/bin/python3';
const json = process.argv.includes('--json');
const decodingOnly = process.argv.includes('--decoding');
const quickOnly = process.argv.includes('--quick');
const inferenceOnly = process.argv.includes('--inference');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Row {
  measure: string;
  value: string;
  reference?: string;
  ratio?: string;
}

/** Batches of the network rows; PyTorch runs the same ones. */
const featureBatch = 16;
const mobilenetStepBatch = 4;
const resnetStepBatch = 8;

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
  if (quickOnly) {
    const f = await measureQuickDecoding(images);
    rows.push({
      measure: 'decode + resize to 224, 1 core (images/s)',
      value: f.ours.toFixed(0),
      reference: `sharp resize ${f.sharp.toFixed(0)}`,
      ratio: `${f.ratio.toFixed(2)} (limit ${quickDecodingMinRatio})`,
    });
    printTable(rows, 'Quick decoding guard, 1 core', threads);
    if (f.ratio < quickDecodingMinRatio) process.exitCode = 1;
    return;
  }

  if (inferenceOnly) {
    const { tf } = await loadEngine();
    const model = await loadLayersFolder(tf, modelDir);
    const inference = await inferenceRows(tf, model, images);
    printTable(
      inference.rows,
      `Inference, ${threads} cores${inference.torch ? `; PyTorch ${inference.torch} with ${threads} threads` : ''}`,
      threads,
    );
    return;
  }

  rows.push(...(await decodingRows(images, threads)));
  if (decodingOnly) {
    printTable(rows, `Decoding, ${threads} cores`, threads);
    return;
  }

  // PyTorch first, while nothing of ours holds memory; its figures go beside ours below.
  const torch = torchRates(threads);

  // Features: the backbone alone, on preprocessed input.
  const { tf, status } = await loadEngine();
  log(`bench: backend ${status.backend}`);
  const spec = backboneSpec('mobilenet_v1_0.75');
  const model = await loadLayersFolder(tf, modelDir);
  const input = new Float32Array(featureBatch * 224 * 224 * 3);
  normalise(await decodeResized(images[0]!, 224), 'mobilenet', input);
  const featureRate = await featuresRate(tf, model, spec, input);
  rows.push(
    withReference(
      { measure: `MobileNet v1 0.75 features on TensorFlow.js, batch ${featureBatch} (images/s)`, value: featureRate.toFixed(1) },
      featureRate,
      torch?.mobilenet.features,
    ),
  );

  // ONNX Runtime: the three backbones against PyTorch, the pipeline, predict and Grad-CAM.
  const inference = await inferenceRows(tf, model, images);
  rows.push(...inference.rows);

  // Head-only training at the example's scale, on random features (cost does not depend on values).
  const n = 30492;
  const d = spec.featureSize;
  const c = 12;
  const features = new Float32Array(n * d).map(() => Math.random());
  const labels = new Float32Array(n * c).map(() => (Math.random() < 0.1 ? 1 : 0));
  const valN = 2000;
  const start = performance.now();
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
  const stepRate = fineTuneStepRate(tf, model, spec, input, mobilenetStepBatch);
  rows.push(
    withReference(
      { measure: `MobileNet v1 0.75 fine-tune step, batch ${mobilenetStepBatch} (images/s)`, value: stepRate.toFixed(2) },
      stepRate,
      torch?.mobilenet.step,
    ),
  );
  model.dispose();

  rows.push(...(await resnet50Rows(tf, status.backend, input, torch?.resnet50)));

  const title =
    `Training pipeline on ${status.backend} (${status.threads} thread${status.threads === 1 ? '' : 's'}), ${threads} cores` +
    `${torch ? `; PyTorch ${torch.version} on the CPU with ${threads} threads` : ''}`;
  printTable(rows, title, threads, { backend: status.backend, tfjsThreads: status.threads, torch: torch?.version ?? null });
}

/** The table on stdout, or with --json one object with the rows and `extra`. */
function printTable(rows: Row[], title: string, threads: number, extra: Record<string, unknown> = {}): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...extra, threads, rows }, null, 2)}\n`);
    return;
  }
  const widths = [60, 26, 26, 8];
  process.stdout.write(`${title}\n`);
  process.stdout.write(`${['measure', 'ours', 'reference', 'ratio'].map((h, i) => h.padEnd(widths[i]!)).join('')}\n`);
  for (const row of rows) {
    process.stdout.write(
      `${[row.measure, row.value, row.reference ?? '', row.ratio ?? ''].map((v, i) => v.padEnd(widths[i]!)).join('')}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Our decoding against Pillow's draft mode, one core and all cores. Both sides read the same files
 * from the page cache, and take turns round by round, so that a burst of load elsewhere on the
 * machine hits both; each keeps its best round. One core: ours on this thread, one image after the
 * other (JPEGs decode synchronously in WebAssembly), Pillow in its own process. All cores: ours on
 * a decode pool of one worker thread per core, two images in flight per thread, as the engine
 * decodes a batch; Pillow in a pool of one process per core.
 */
async function decodingRows(images: string[], threads: number): Promise<Row[]> {
  for (const path of images) readFileSync(path); // into the page cache
  const rate = async (inFlight: number): Promise<number> => {
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < images.length) await decodeResized(images[next++]!, 224);
      }),
    );
    return images.length / ((performance.now() - start) / 1000);
  };
  // For the images libvips decodes (none of coco128's): one libvips thread per image.
  sharp.concurrency(1);
  const pool = new DecodePool(threads);
  const onThisThread = (): Promise<number> => rate(1);
  const onEveryCore = async (): Promise<number> => {
    useDecodePool(pool);
    try {
      return await rate(2 * threads);
    } finally {
      useDecodePool(null);
    }
  };
  const pillow = await PillowDraft.start(images, threads);
  if (pillow === null) log(`bench: Pillow is not installed for ${python} (Debian: apt-get install python3-pil); no decoding reference.`);
  const best = { oneCore: 0, allCores: 0, pillowOne: 0, pillowAll: 0 };
  await onThisThread(); // warm-up: WebAssembly compiled and optimised, workers started
  await onEveryCore();
  const rounds = 5;
  for (let round = 0; round < rounds; round++) {
    best.oneCore = Math.max(best.oneCore, await onThisThread());
    if (pillow) best.pillowOne = Math.max(best.pillowOne, await pillow.rate('one'));
    best.allCores = Math.max(best.allCores, await onEveryCore());
    if (pillow) best.pillowAll = Math.max(best.pillowAll, await pillow.rate('all'));
  }
  pillow?.close();
  await pool.close();
  sharp.concurrency(0);
  const row = (measure: string, ours: number, reference: number): Row => ({
    measure,
    value: ours.toFixed(0),
    ...(pillow ? { reference: `Pillow draft ${reference.toFixed(0)}`, ratio: (ours / reference).toFixed(2) } : {}),
  });
  return [
    row('decode + resize to 224, 1 core (images/s)', best.oneCore, best.pillowOne),
    row(`decode + resize to 224, ${threads} cores (images/s)`, best.allCores, best.pillowAll),
  ];
}

/**
 * A Python process that decodes the images with Pillow on request: `one` in the process itself,
 * `all` through a pool of one process per core, started (and warmed) once.
 */
class PillowDraft {
  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(images: string[], threads: number): Promise<PillowDraft | null> {
    const script = `
import sys, time
from multiprocessing import Pool
from PIL import Image
paths = sys.argv[2:]
def load(path):
    img = Image.open(path)
    img.draft('RGB', (224, 224))
    img = img.convert('RGB').resize((224, 224))
    return img.size
def rate(fn):
    t = time.perf_counter(); fn(); return len(paths) / (time.perf_counter() - t)
with Pool(int(sys.argv[1])) as pool:
    pool.map(load, paths)
    [load(p) for p in paths]
    print('ready', flush=True)
    for line in sys.stdin:
        kind = line.strip()
        if kind == 'one':
            print(rate(lambda: [load(p) for p in paths]), flush=True)
        elif kind == 'all':
            print(rate(lambda: pool.map(load, paths)), flush=True)
        else:
            break
`;
    const child = spawn(python, ['-c', script, String(threads), ...images], { stdio: ['pipe', 'pipe', 'ignore'] });
    child.on('error', () => undefined); // no python3: the first read below sees the stream end
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done === true || first.value !== 'ready') {
      child.kill();
      return null;
    }
    return new PillowDraft(child, lines);
  }

  async rate(kind: 'one' | 'all'): Promise<number> {
    this.child.stdin!.write(`${kind}\n`);
    const line = await this.lines.next();
    if (line.done === true) throw new Error('The Pillow process ended early.');
    return Number(line.value);
  }

  close(): void {
    this.child.stdin!.end('quit\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Networks

/** Images per second through a backbone's trunk and global average pooling, at `featureBatch`. */
async function featuresRate(tf: typeof Tf, model: Tf.LayersModel, spec: BackboneSpec, input: Float32Array): Promise<number> {
  const extractor = featureExtractor(tf, model, spec, 'bench');
  const forward = (): Promise<Float32Array> => extractor.embed(input, featureBatch);
  await forward(); // warm-up
  const rounds = 4;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await forward();
  return (rounds * featureBatch) / ((performance.now() - start) / 1000);
}

/** Images per second of a training step through the whole trunk: forward in training mode, the mean of its output, gradients of every weight. */
function fineTuneStepRate(tf: typeof Tf, model: Tf.LayersModel, spec: BackboneSpec, input: Float32Array, batch: number): number {
  const trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(spec.featureLayer).output as Tf.SymbolicTensor });
  const variables = trunk.trainableWeights.map((w) => (w as unknown as { val: Tf.Variable }).val);
  const step = (): void =>
    tf.tidy(() => {
      const x = tf.tensor4d(input.subarray(0, batch * 224 * 224 * 3), [batch, 224, 224, 3]);
      const { value, grads } = tf.variableGrads(() => (trunk.apply(x, { training: true }) as Tf.Tensor).mean() as Tf.Scalar, variables);
      value.dataSync();
      void grads;
    });
  step(); // warm-up
  let best = 0;
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    step();
    best = Math.max(best, batch / ((performance.now() - start) / 1000));
  }
  return best;
}

/** A zoo entry with what building ResNet-50 and sizing its fine-tuning need; read structurally, as older zoos lack them. */
type BuildableSpec = BackboneSpec &
  Partial<{ build: (tf: typeof Tf) => Tf.LayersModel; finetuneMemory: { baseBytes: number; perImageBytes: number } }>;

/**
 * ResNet-50 rows. Ours are measured where the model zoo (`backbones` in zoo.ts) has a 'resnet50'
 * entry with a `build` function (random weights: speed does not depend on them); until then the
 * rows say so and show PyTorch's figures alone.
 */
async function resnet50Rows(tf: typeof Tf, backend: BackendName, input: Float32Array, reference: TorchNetwork | undefined): Promise<Row[]> {
  const spec = backbones['resnet50'] as BuildableSpec | undefined;
  const featureMeasure = `ResNet-50 features on TensorFlow.js, batch ${featureBatch} (images/s)`;
  if (spec?.build === undefined) {
    const missing = (measure: string, rate: number | undefined, batch: number): Row => ({
      measure,
      value: 'not in the model zoo yet',
      ...(rate === undefined ? {} : { reference: `PyTorch ${rate.toFixed(2)}${batch === featureBatch ? '' : ` (batch ${batch})`}` }),
    });
    return [
      missing(featureMeasure, reference?.features, featureBatch),
      missing(`ResNet-50 fine-tune step, batch ${resnetStepBatch} (images/s)`, reference?.step, resnetStepBatch),
    ];
  }
  const model = spec.build(tf);
  const featureRate = await featuresRate(tf, model, spec, input);
  const rows = [withReference({ measure: featureMeasure, value: featureRate.toFixed(2) }, featureRate, reference?.features)];
  // WebAssembly memory ends at 4 GiB and the backend aborts the process past it: step at the
  // largest batch up to PyTorch's that the zoo's measurements say fits.
  let batch = resnetStepBatch;
  if (backend === 'wasm' && spec.finetuneMemory) {
    const { baseBytes, perImageBytes } = spec.finetuneMemory;
    batch = Math.min(batch, Math.floor((4 * 1024 ** 3 - baseBytes) / perImageBytes));
  }
  if (batch < 1) {
    rows.push({ measure: 'ResNet-50 fine-tune step', value: `does not fit ${backend}` });
  } else {
    const stepRate = fineTuneStepRate(tf, model, spec, input, batch);
    rows.push(
      withReference(
        { measure: `ResNet-50 fine-tune step, batch ${batch} (images/s)`, value: stepRate.toFixed(2) },
        stepRate,
        reference?.step,
        batch === resnetStepBatch ? undefined : `batch ${resnetStepBatch}`,
      ),
    );
  }
  model.dispose();
  return rows;
}

function withReference(row: Row, ours: number, reference: number | undefined, note?: string): Row {
  if (reference === undefined) return row;
  return {
    ...row,
    reference: `PyTorch ${reference.toFixed(reference < 10 ? 2 : 1)}${note === undefined ? '' : ` (${note})`}`,
    ratio: (ours / reference).toFixed(2),
  };
}

// ---------------------------------------------------------------------------------------------
// PyTorch reference

interface TorchNetwork {
  features: number;
  step: number;
}

interface TorchRates {
  version: string;
  mobilenet: TorchNetwork;
  resnet50: TorchNetwork;
}

/**
 * PyTorch's images per second on the CPU with one thread per core, for the same measurements as
 * ours: features (eval, no_grad, global average pooling) at batch 16, and a training step (forward
 * in train mode, the mean of the trunk's output, backward) at the batches of our rows. MobileNet v1
 * 0.75 is written out below as Keras builds it (ReLU6, batch norm, 13 depthwise-separable blocks);
 * ResNet-50 is torchvision's, or written out where torchvision is missing. Null without PyTorch.
 */
function torchRates(threads: number): TorchRates | null {
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    log(`bench: PyTorch is not installed for ${python} (Debian: apt-get install python3-torch python3-torchvision); no PyTorch reference.`);
    return null;
  }
  const script = `
import json, sys, time
import torch
from torch import nn
threads, feature_batch, mobilenet_step, resnet_step = (int(a) for a in sys.argv[1:5])
torch.set_num_threads(threads)

${torchMobilenetV1}

class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(*conv_bn(cin, width, 1, 1), *conv_bn(width, width, 3, stride),
                                  nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())
    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))

def resnet50_trunk():
    try:
        import torchvision
        return nn.Sequential(*list(torchvision.models.resnet50(weights=None).children())[:-2]), 'torchvision'
    except ImportError:
        layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for width, count, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
            for i in range(count):
                layers.append(Bottleneck(cin, width, stride if i == 0 else 1))
                cin = width * 4
        return nn.Sequential(*layers), 'defined in the bench'

def features_rate(trunk, batch, rounds=4):
    trunk.eval()
    x = torch.rand(batch, 3, 224, 224)
    with torch.no_grad():
        trunk(x).mean((2, 3))
        start = time.perf_counter()
        for _ in range(rounds):
            trunk(x).mean((2, 3))
    return rounds * batch / (time.perf_counter() - start)

def step_rate(trunk, batch, rounds=2):
    trunk.train()
    x = torch.rand(batch, 3, 224, 224)
    def step():
        trunk.zero_grad(set_to_none=True)
        trunk(x).mean().backward()
    step()
    best = 0
    for _ in range(rounds):
        start = time.perf_counter()
        step()
        best = max(best, batch / (time.perf_counter() - start))
    return best

mobilenet = mobilenet_v1(0.75)
resnet, resnet_source = resnet50_trunk()
print(json.dumps({
    'version': torch.__version__,
    'resnet50Source': resnet_source,
    'mobilenet': {'features': features_rate(mobilenet, feature_batch), 'step': step_rate(mobilenet, mobilenet_step)},
    'resnet50': {'features': features_rate(resnet, feature_batch), 'step': step_rate(resnet, resnet_step)},
}))
`;
  const args = ['-c', script, String(threads), String(featureBatch), String(mobilenetStepBatch), String(resnetStepBatch)];
  const result = spawnSync(python, args, { encoding: 'utf8', timeout: 20 * 60_000 });
  if (result.status !== 0) {
    log(`bench: the PyTorch reference failed: ${(result.stderr || result.error?.message || '').trim().split('\n').pop() ?? ''}`);
    return null;
  }
  const rates = JSON.parse(result.stdout) as TorchRates & { resnet50Source: string };
  if (rates.resnet50Source !== 'torchvision') {
    log(
      'bench: torchvision is not installed (Debian: apt-get install python3-torchvision); PyTorch ResNet-50 is the one the bench defines.',
    );
  }
  return rates;
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(2);
});

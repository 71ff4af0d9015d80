/**
 * The inference rows of `npm run bench:train`: ONNX Runtime against PyTorch on the same CPU threads,
 * for the three backbones the zoo builds (MobileNet v1 0.75 with its real weights, MobileNetV2 and
 * ResNet-50 with random ones: speed does not depend on values), at batch 16 and 32; the pipeline
 * (decode + features) against its stages alone; the example's workload extrapolated; predict and
 * Grad-CAM milliseconds per image on both runtimes.
 *
 * PyTorch runs in one Python process that answers requests, so that ours and its rounds alternate
 * and a burst of load elsewhere on this shared machine hits both; each side keeps its best round.
 */
import { spawn } from 'node:child_process';
import { linkSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type * as Tf from '@tensorflow/tfjs';
import { extractFeatures, featureExtractor, type FeatureExtractor } from '../src/main/engine/inference/features';
import { gradCam } from '../src/main/engine/inference/gradcam';
import { createSession, inferenceThreads, loadOnnxRuntime, runBatch, type OnnxRuntime } from '../src/main/engine/inference/onnx-runtime';
import { onnxGradCam, onnxTrunkOfModel, type OnnxTrunk } from '../src/main/engine/inference/onnx-trunk';
import { buildMobileNetV2 } from '../src/main/engine/models/architectures/mobilenet-v2';
import { buildResNet50 } from '../src/main/engine/models/architectures/resnet50';
import { exportOnnx } from '../src/main/engine/models/onnx-export';
import { DecodePool, defaultDecodeThreads } from '../src/main/engine/images/decode-pool';
import { decodeResized, exampleAugmentation, normalise, useDecodePool } from '../src/main/engine/images/preprocess';
import { backboneSpec, type BackboneSpec } from '../src/main/engine/models/zoo';

export interface InferenceRow {
  measure: string;
  value: string;
  reference?: string;
  ratio?: string;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const python = '/usr/bin/python3';

/**
 * MobileNet v1 written out in PyTorch as Keras builds it (ReLU6, batch norm, 13 depthwise-separable
 * blocks): `conv_bn` and `mobilenet_v1(alpha)`, for both PyTorch references of the bench.
 */
export const torchMobilenetV1 = `def conv_bn(cin, cout, kernel, stride, groups=1):
    return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True)]
def mobilenet_v1(alpha):
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    width = int(32 * alpha)
    layers = conv_bn(3, width, 3, 2)
    for channels, stride in blocks:
        layers += conv_bn(width, width, 3, stride, groups=width) + conv_bn(width, int(channels * alpha), 1, 1)
        width = int(channels * alpha)
    return nn.Sequential(*layers)`;
const batches = [16, 32] as const;
/** The example's workload: 30,492 training images with two augmented views, and the val2017 images of its 12 classes. */
const exampleTrain = 30_492;
const exampleVal = 1_308;
const exampleViews = 3;

interface Network {
  spec: BackboneSpec;
  model: Tf.LayersModel;
  torchName: string;
}

/** A Python process with PyTorch's three trunks, answering "name batch" with images per second. */
class TorchForward {
  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    private readonly lines: AsyncIterator<string>,
    readonly version: string,
  ) {}

  static async start(threads: number): Promise<TorchForward | null> {
    const script = `
import json, sys, time
import torch, torchvision
from torch import nn
torch.set_num_threads(int(sys.argv[1]))
${torchMobilenetV1}
trunks = {
    'mobilenet_v1': mobilenet_v1(0.75),
    'mobilenet_v2': torchvision.models.mobilenet_v2(weights=None).features,
    'resnet50': nn.Sequential(*list(torchvision.models.resnet50(weights=None).children())[:-2]),
}
for trunk in trunks.values():
    trunk.eval()
print(json.dumps({'version': torch.__version__}), flush=True)
for line in sys.stdin:
    name, batch = line.split()
    trunk, batch = trunks[name], int(batch)
    x = torch.rand(batch, 3, 224, 224)
    with torch.no_grad():
        trunk(x).mean((2, 3))
        start = time.perf_counter()
        rounds = 0
        while rounds < 2 or time.perf_counter() - start < 3:
            trunk(x).mean((2, 3))
            rounds += 1
    print(rounds * batch / (time.perf_counter() - start), flush=True)
`;
    const child = spawn(python, ['-c', script, String(threads)], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.on('error', () => undefined);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done === true) {
      log(
        `bench: no PyTorch reference for the inference rows (Debian: apt-get install python3-torch python3-torchvision): ${stderr.trim().split('\n').pop() ?? ''}`,
      );
      return null;
    }
    return new TorchForward(child, lines, (JSON.parse(first.value) as { version: string }).version);
  }

  async rate(name: string, batch: number): Promise<number> {
    this.child.stdin!.write(`${name} ${batch}\n`);
    const line = await this.lines.next();
    if (line.done === true) throw new Error('The PyTorch process ended early.');
    return Number(line.value);
  }

  close(): void {
    this.child.stdin!.end();
  }
}

/** Images per second of ONNX Runtime's trunk on one batch, run for about three seconds. */
async function onnxRate(runtime: OnnxRuntime, trunk: OnnxTrunk, input: Float32Array, batch: number): Promise<number> {
  const slice = input.subarray(0, batch * 224 * 224 * 3);
  await runBatch(runtime, trunk.session, slice, batch, 224, ['features']);
  const start = performance.now();
  let rounds = 0;
  while (rounds < 2 || performance.now() - start < 3000) {
    await runBatch(runtime, trunk.session, slice, batch, 224, ['features']);
    rounds++;
  }
  return (rounds * batch) / ((performance.now() - start) / 1000);
}

const fixed = (x: number): string => x.toFixed(x < 10 ? 2 : 1);

export async function inferenceRows(
  tf: typeof Tf,
  mobilenetV1: Tf.LayersModel,
  images: string[],
): Promise<{ rows: InferenceRow[]; torch: string | null }> {
  const runtime = loadOnnxRuntime();
  if (runtime === null) {
    log('bench: ONNX Runtime did not load; no inference rows.');
    return { rows: [], torch: null };
  }
  const threads = inferenceThreads();
  const torch = await TorchForward.start(threads);
  const rows: InferenceRow[] = [];
  const input = new Float32Array(32 * 224 * 224 * 3);
  for (let i = 0; i < 32; i++) normalise(await decodeResized(images[i % images.length]!, 224), 'mobilenet', input, i * 224 * 224 * 3);

  const networks: Network[] = [
    { spec: backboneSpec('mobilenet_v1_0.75'), model: mobilenetV1, torchName: 'mobilenet_v1' },
    { spec: backboneSpec('mobilenet_v2'), model: buildMobileNetV2(tf), torchName: 'mobilenet_v2' },
    { spec: backboneSpec('resnet50'), model: buildResNet50(tf), torchName: 'resnet50' },
  ];
  const pipelines: { title: string; trunk: OnnxTrunk; spec: BackboneSpec }[] = [];
  for (const network of networks) {
    const trunk = await onnxTrunkOfModel(runtime, network.model, network.spec.featureLayer);
    pipelines.push({ title: network.spec.title, trunk, spec: network.spec });
    for (const batch of batches) {
      let ours = 0;
      let reference = 0;
      for (let round = 0; round < 3; round++) {
        ours = Math.max(ours, await onnxRate(runtime, trunk, input, batch));
        if (torch) reference = Math.max(reference, await torch.rate(network.torchName, batch));
      }
      log(`bench: ${network.spec.title} batch ${batch}: ONNX Runtime ${fixed(ours)}, PyTorch ${fixed(reference)} images/s`);
      rows.push({
        measure: `${network.spec.title} features on ONNX Runtime, batch ${batch} (images/s)`,
        value: fixed(ours),
        ...(torch ? { reference: `PyTorch ${fixed(reference)}`, ratio: (ours / reference).toFixed(2) } : {}),
      });
    }
  }
  torch?.close();

  rows.push(...(await pipelineRows(tf, runtime, pipelines, images)));
  rows.push(...(await perImageRows(tf, runtime, mobilenetV1, images[0]!)));
  for (const { trunk } of pipelines) await trunk.session.release();
  for (const network of networks.slice(1)) network.model.dispose();
  return { rows, torch: torch?.version ?? null };
}

/**
 * Decode + features through the engine's own `extractFeatures` (the pool decodes batch n+1 while
 * ONNX Runtime runs batch n) on the coco128 images repeated to 1,024 (hard links with their own
 * names, so nothing comes from the feature cache), against each stage alone on all cores.
 */
async function pipelineRows(
  tf: typeof Tf,
  runtime: OnnxRuntime,
  pipelines: { title: string; trunk: OnnxTrunk; spec: BackboneSpec }[],
  images: string[],
): Promise<InferenceRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mlw-bench-pipeline-'));
  const count = 1024;
  const paths = Array.from({ length: count }, (_, i) => {
    const source = images[i % images.length]!;
    const path = join(dir, `${i}-${basename(source)}`);
    linkSync(source, path);
    return path;
  });
  const pool = new DecodePool(defaultDecodeThreads(true));
  useDecodePool(pool);
  const rows: InferenceRow[] = [];
  try {
    // Decoding alone: the pool on every core (its workers started and warm), as many images in flight as the pipeline keeps.
    const decodeAlone = async (from: number, to: number): Promise<number> => {
      const start = performance.now();
      let next = from;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          const pixels = new Float32Array(224 * 224 * 3);
          while (next < to) normalise(await decodeResized(paths[next++]!, 224), 'mobilenet', pixels);
        }),
      );
      return (to - from) / ((performance.now() - start) / 1000);
    };
    await decodeAlone(0, 128);
    const decodeRate = Math.max(await decodeAlone(128, 640), await decodeAlone(640, 1024));
    rows.push({ measure: `decode + resize + normalise alone, pool of ${pool.threads} (images/s)`, value: decodeRate.toFixed(0) });
    for (const { title, trunk, spec } of pipelines) {
      const batch = 16;
      const input = new Float32Array(batch * 224 * 224 * 3);
      const inferRate = await onnxRate(runtime, trunk, input, batch);
      const extractor: FeatureExtractor = {
        spec,
        weightsKey: `bench-${Date.now()}`,
        runtime: 'onnxruntime',
        embed: (pixels, n) => runBatch(runtime, trunk.session, pixels, n, 224, ['features']).then((o) => o.features!.data),
      };
      const cacheDir = join(dir, `cache-${spec.id}`);
      const start = performance.now();
      const result = await extractFeatures(extractor, {
        paths,
        augmentedViews: 0,
        augmentation: exampleAugmentation,
        seed: 0,
        cacheDir,
        batchSize: batch,
      });
      const seconds = (performance.now() - start) / 1000;
      if (result.failed.length > 0) throw new Error(`The pipeline failed on ${result.failed.length} images: ${result.failed[0]!.reason}`);
      const rate = count / seconds;
      const slower = Math.min(decodeRate, inferRate);
      // Both stages want every core: together they can at best share them.
      const shared = 1 / (1 / decodeRate + 1 / inferRate);
      rows.push({
        measure: `${title}: decode + features pipeline, ${count} images (images/s)`,
        value: rate.toFixed(1),
        reference: `slower stage ${fixed(slower)}`,
        ratio: `${(rate / slower).toFixed(2)} (CPU-shared bound ${(shared / slower).toFixed(2)})`,
      });
      const work = exampleTrain * exampleViews + exampleVal;
      rows.push({
        measure: `${title}: the example's ${work.toLocaleString('en')} feature rows at that rate (min)`,
        value: (work / rate / 60).toFixed(1),
      });
    }
  } finally {
    useDecodePool(null);
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Predict (decode, preprocess, trunk, head of one image) and Grad-CAM of one class, ms per image, on both runtimes. */
async function perImageRows(tf: typeof Tf, runtime: OnnxRuntime, model: Tf.LayersModel, image: string): Promise<InferenceRow[]> {
  const spec = backboneSpec('mobilenet_v1_0.75');
  const classes = 12;
  const head = {
    weights: new Float32Array(spec.featureSize * classes).map(() => Math.random() * 0.1 - 0.05),
    bias: new Float32Array(classes),
    featureSize: spec.featureSize,
    classes,
  };
  const onnxSession = await createSession(runtime, exportOnnx(model, { trunkEnd: spec.featureLayer, head, featureMap: true }));
  const onnxTrunk: OnnxTrunk = { runtime, session: onnxSession, size: 224, featureSize: spec.featureSize };
  const trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(spec.featureLayer).output as Tf.SymbolicTensor });
  const tfjs = featureExtractor(tf, model, spec, 'bench');
  const preprocess = async (): Promise<Float32Array> => {
    const pixels = new Float32Array(224 * 224 * 3);
    normalise(await decodeResized(image, 224), 'mobilenet', pixels);
    return pixels;
  };
  const timeOf = async (work: () => Promise<unknown>): Promise<number> => {
    await work();
    let best = Infinity;
    for (let i = 0; i < 10; i++) {
      const start = performance.now();
      await work();
      best = Math.min(best, performance.now() - start);
    }
    return best;
  };
  const predictOnnx = await timeOf(async () => runBatch(runtime, onnxSession, await preprocess(), 1, 224, ['scores']));
  const predictTfjs = await timeOf(async () => {
    const features = await tfjs.embed(await preprocess(), 1);
    tf.tidy(() =>
      tf.sigmoid(tf.tensor2d(features, [1, spec.featureSize]).matMul(tf.tensor2d(head.weights, [spec.featureSize, classes]))).dataSync(),
    );
  });
  const camOnnx = await timeOf(async () => onnxGradCam(onnxTrunk, head, await preprocess(), [0]));
  const camTfjs = await timeOf(async () => gradCam(tf, trunk, head, await preprocess(), 224, [0]));
  await onnxSession.release();
  const row = (measure: string, onnx: number, tfjsMs: number): InferenceRow => ({
    measure,
    value: onnx.toFixed(1),
    reference: `TensorFlow.js ${tfjsMs.toFixed(1)}`,
    ratio: (tfjsMs / onnx).toFixed(1) + '× faster',
  });
  return [
    row('MobileNet v1 0.75 predict, one image with decoding (ms)', predictOnnx, predictTfjs),
    row('MobileNet v1 0.75 Grad-CAM of one class, one image (ms)', camOnnx, camTfjs),
  ];
}

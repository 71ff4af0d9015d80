import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import type * as OnnxProto from 'onnx-proto';
import { AppError } from '../../../shared/contract/errors';
import type { ExportManifest } from '../../../shared/contract/reports';
import { loadBackbone } from './architectures/load-backbone';
import { checkExportTarget, exportManifestFile, resizeInWords, type ExportOutcome, type ExportRequest } from './export-model';
import { backboneSpec } from './zoo';
import { exportOnnx, OnnxUnsupportedError } from './onnx-export';
import type { Head } from '../inference/gradcam';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** The file name of a run's network in an ONNX export. */
export const onnxModelFile = 'model.onnx';

/** What `metadata_props` of an exported model say, by key (all strings, as ONNX stores them). */
export function onnxMetadata(m: ExportManifest): Record<string, string> {
  return {
    'mlw.format': 'mlw-onnx/1',
    'mlw.backbone': m.backbone,
    classes: JSON.stringify(m.classes),
    threshold: String(m.threshold),
    input_size: String(m.inputSize),
    input_layout: 'NHWC float32 [batch, size, size, 3]',
    channel_order: m.normalisation === 'mobilenet' ? 'RGB' : 'BGR',
    scaling: m.normalisation === 'mobilenet' ? 'x / 127.5 - 1' : 'x - [103.939, 116.779, 123.68] (BGR means, no scaling)',
    resize:
      'stretched to the square (no crop, no padding); JPEGs: libjpeg DCT scaling to the smallest eighth keeping both sides >= the input size, then an antialiased bilinear (triangle) filter; see README.txt',
    'mlw.source': JSON.stringify({ ...m.source, dataset: undefined }),
  };
}

/**
 * Writes a run's whole network (trunk, pooling, head and sigmoid) as one ONNX model, with the class
 * names, threshold and preprocessing in its `metadata_props`, plus labels.json, README.txt and the
 * manifest `mlw import-model` reads. The folder is replaced whole, through a staging folder.
 */
export async function exportOnnxModel(tf: typeof Tf, request: ExportRequest): Promise<ExportOutcome> {
  const outDir = resolve(request.outDir);
  await checkExportTarget(outDir);
  const spec = backboneSpec(request.network.backbone);
  const { head } = request.network;
  if (request.classes.length !== head.classes) {
    throw new AppError('INVALID_INPUT', `The run names ${request.classes.length} classes but its head scores ${head.classes}.`);
  }
  const featureLayer = request.network.featureLayer ?? spec.featureLayer;
  const manifest: ExportManifest = {
    format: 'mlw-onnx',
    version: 1,
    backbone: spec.id,
    featureLayer,
    featureSize: head.featureSize,
    poolLayer: 'features',
    headLayer: 'scores',
    classes: request.classes,
    inputSize: spec.preprocessing.size,
    normalisation: spec.preprocessing.normalisation,
    threshold: request.threshold,
    source: request.source,
  };
  let bytes: Uint8Array;
  if (request.network.onnxModel !== undefined) {
    throw new AppError('UNSUPPORTED', 'This run was imported from an ONNX model; its model.onnx is already the export.');
  }
  const { model } = await loadBackbone(tf, { ...spec, featureLayer }, request.network.weightsDir);
  try {
    bytes = exportOnnx(model, { trunkEnd: featureLayer, head, featureMap: true, metadata: onnxMetadata(manifest) });
  } catch (error) {
    if (!(error instanceof OnnxUnsupportedError)) throw error;
    throw new AppError(
      'UNSUPPORTED',
      `The layer ${error.layerName} (${error.detail}) has no ONNX translation here; export this run with --format tfjs (a TensorFlow.js Layers folder) instead.`,
      { layer: error.layerName },
    );
  } finally {
    model.dispose();
  }
  const layers = model.layers.length + 2;
  const staging = `${outDir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const texts: Record<string, string> = {
    'labels.json': `${JSON.stringify(request.classes, null, 2)}\n`,
    'README.txt': onnxReadme(manifest),
    [exportManifestFile]: `${JSON.stringify(manifest, null, 2)}\n`,
  };
  await writeFile(join(staging, onnxModelFile), bytes);
  for (const [name, text] of Object.entries(texts)) await writeFile(join(staging, name), text);
  if (existsSync(outDir)) await rm(outDir, { recursive: true, force: true });
  await rename(staging, outDir);
  const files = [onnxModelFile, ...Object.keys(texts)];
  let total = 0;
  for (const name of files) total += (await stat(join(outDir, name))).size;
  return { outDir, files, bytes: total, layers };
}

/** How to feed the exported ONNX model, with a short Python example. */
export function onnxReadme(m: ExportManifest): string {
  const size = m.inputSize;
  const preprocess =
    m.normalisation === 'mobilenet'
      ? 'x = x / 127.5 - 1                                   # RGB, every value in [-1, 1]'
      : 'x = x[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)  # BGR, ImageNet means, no scaling';
  return [
    `${m.source.name}: a multilabel classifier of ${m.classes.length} classes`,
    `Exported by Multilabel Workbench from run ${m.source.runId} (${m.source.mode}, backbone ${m.backbone}) on ${m.source.exportedAt}.`,
    '',
    `model.onnx (ONNX opset 13) is the whole network: the backbone trunk (to ${m.featureLayer}), global average pooling,`,
    'the dense head and a sigmoid. Its metadata_props repeat the facts below (classes, threshold, input size, scaling).',
    '',
    `Input  "input":  float32 [batch, ${size}, ${size}, 3], NHWC. Each image upright by its EXIF orientation, in sRGB,`,
    `                 resized to ${size}x${size} by stretching it to the square (no crop), then ${m.normalisation === 'mobilenet' ? 'x / 127.5 - 1 (RGB)' : 'BGR minus the ImageNet means'}.`,
    `Output "scores": float32 [batch, ${m.classes.length}], one sigmoid score per class, in the order of labels.json.`,
    `       also "logits" (before the sigmoid), "features" [batch, ${m.featureSize}] and "feature_map" (for Grad-CAM).`,
    `A class is predicted when its score is at least ${m.threshold} (the threshold chosen at export).`,
    '',
    'Example (Python, pip install onnxruntime pillow numpy):',
    '',
    '    import json, numpy as np, onnxruntime as ort',
    '    from PIL import Image, ImageOps',
    "    session = ort.InferenceSession('model.onnx')",
    "    labels = json.load(open('labels.json'))",
    `    image = ImageOps.exif_transpose(Image.open('photo.jpg')).convert('RGB').resize((${size}, ${size}), Image.BILINEAR)`,
    '    x = np.asarray(image, np.float32)[None]',
    `    ${preprocess}`,
    "    scores = session.run(['scores'], {'input': x})[0][0]",
    `    print([name for name, s in zip(labels, scores) if s >= ${m.threshold}])`,
    '',
    "Pillow's BILINEAR resize is the app's triangle filter, but on the full-size decode rather than a DCT-scaled one, so scores differ a little from the app's.",
    '',
    `How the app resizes: ${resizeInWords(size)}`,
    '',
  ].join('\n');
}

/** What an exported ONNX model holds that a run needs: its metadata, input size and the head's weights. */
export interface OnnxModelFacts {
  metadata: Record<string, string>;
  head: Head;
  /** The side of the square NHWC input `[N, size, size, 3]`. */
  inputSize: number;
  outputs: string[];
}

/**
 * Reads an ONNX model's metadata and its head (`head_W`, `head_B`), and checks that it has the shape
 * of our export: an NHWC float input named `input`, the outputs `features`, `feature_map` and
 * `scores`, and a float head whose sizes agree with `features`. Anything else is refused with a
 * sentence, before the app records anything.
 */
export function readOnnxModelFacts(bytes: Uint8Array, path: string): OnnxModelFacts {
  let model: OnnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new AppError(
      'INVALID_INPUT',
      `${path} is not a readable ONNX model (${error instanceof Error ? error.message : String(error)}).`,
      {
        path,
      },
    );
  }
  const refuse = (what: string) =>
    new AppError(
      'INVALID_INPUT',
      `${path} is not a model "mlw export --format onnx" wrote: ${what}. Export the run again, or import its folder.`,
      {
        path,
      },
    );
  const graph = model.graph;
  if (!graph) throw refuse('it has no graph');
  const dimsOf = (value: OnnxProto.onnx.IValueInfoProto | undefined): (number | null)[] | null => {
    const shape = value?.type?.tensorType?.shape?.dim;
    if (value?.type?.tensorType?.elemType !== FLOAT || !shape) return null;
    return shape.map((d) => (d.dimValue === undefined || d.dimValue === null ? null : Number(d.dimValue)));
  };
  const input = dimsOf((graph.input ?? []).find((i) => i.name === 'input'));
  const side = input?.[1];
  if (input === null || input.length !== 4 || input[3] !== 3 || side === null || side === undefined || side !== input[2]) {
    throw refuse("its input is not a float tensor 'input' of shape [N, size, size, 3]");
  }
  const outputs = (graph.output ?? []).map((o) => o.name ?? '');
  if (!['features', 'feature_map', 'scores'].every((o) => outputs.includes(o)))
    throw refuse('it lacks the outputs features, feature_map and scores');
  const features = dimsOf((graph.output ?? []).find((o) => o.name === 'features'));
  const initializer = (name: string) => (graph.initializer ?? []).find((t) => t.name === name);
  const weights = initializer('head_W');
  const bias = initializer('head_B');
  if (weights === undefined || bias === undefined || weights.dataType !== FLOAT || bias.dataType !== FLOAT || weights.dims?.length !== 2) {
    throw refuse('it has no float head (head_W, head_B)');
  }
  const [featureSize, classes] = weights.dims.map(Number) as [number, number];
  const floats = (t: OnnxProto.onnx.ITensorProto, count: number, name: string): Float32Array => {
    const raw = t.rawData;
    const values =
      raw && raw.length > 0
        ? raw.length % 4 === 0
          ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
          : null
        : Float32Array.from(t.floatData ?? []);
    if (values === null || values.length !== count)
      throw refuse(`its ${name} holds ${values?.length ?? 'a broken run of'} values, not ${count}`);
    return values;
  };
  if (features === null || features.length !== 2 || features[1] !== featureSize) {
    throw refuse(`its features output does not have the head's ${featureSize} features`);
  }
  const head = { weights: floats(weights, featureSize * classes, 'head_W'), bias: floats(bias, classes, 'head_B'), featureSize, classes };
  const metadata = Object.fromEntries(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
  return { metadata, head, inputSize: side, outputs };
}

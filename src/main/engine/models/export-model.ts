import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { AppError } from '../../../shared/contract/errors';
import type { ExportManifest } from '../../../shared/contract/reports';
import { loadBackbone } from './architectures/load-backbone';
import type { RunNetwork } from '../inference/run-network';
import { backboneSpec } from './zoo';

/** The names the export gives the layers it adds after the trunk. */
export const exportLayers = { pool: 'mlw_pool', head: 'mlw_head' } as const;
/** The file beside model.json that says what the model is, for people (README.md) and for `mlw import-model`. */
export const exportManifestFile = 'mlw-export.json';

export interface ExportRequest {
  network: RunNetwork;
  classes: string[];
  threshold: number;
  source: ExportManifest['source'];
  outDir: string;
}

export interface ExportOutcome {
  outDir: string;
  files: string[];
  bytes: number;
  layers: number;
}

/**
 * Refuses to write over a folder that holds anything but an earlier export: the export replaces
 * its folder whole.
 */
export async function checkExportTarget(outDir: string): Promise<void> {
  const dir = resolve(outDir);
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory())
      throw new AppError('INVALID_INPUT', `${dir} is a file; choose a new or empty folder for the model.`);
    entries = await readdir(dir);
  } catch (error) {
    if (error instanceof AppError) throw error;
    return; // it does not exist yet
  }
  if (entries.length > 0 && !entries.includes(exportManifestFile)) {
    throw new AppError(
      'INVALID_INPUT',
      `${dir} is not empty and holds no earlier export (${exportManifestFile}); choose a new or empty folder so nothing of yours is replaced.`,
      { path: dir },
    );
  }
}

/**
 * The whole network of a run as one Layers model: the backbone's trunk (the run's own weights: the
 * original backbone for a frozen run, the tuned one for a fine-tuned run), global average pooling,
 * and a dense layer with the head's weights and bias and a sigmoid. Its output is the run's scores.
 */
export async function buildExportModel(
  tf: typeof Tf,
  network: RunNetwork,
): Promise<{ model: Tf.LayersModel; base: Tf.LayersModel; featureLayer: string }> {
  const known = backboneSpec(network.backbone);
  const featureLayer = network.featureLayer ?? known.featureLayer;
  const spec = { ...known, featureLayer };
  const { model: base } = await loadBackbone(tf, spec, network.weightsDir);
  try {
    const features = base.getLayer(featureLayer).output as Tf.SymbolicTensor;
    const { featureSize: d, classes: c } = network.head;
    const channels = features.shape[features.shape.length - 1];
    if (channels !== d) {
      throw new AppError('INVALID_INPUT', `The run's head takes ${d} features but ${featureLayer} of ${spec.title} gives ${channels}.`);
    }
    const pooled = tf.layers.globalAveragePooling2d({ name: exportLayers.pool }).apply(features) as Tf.SymbolicTensor;
    const dense = tf.layers.dense({ units: c, activation: 'sigmoid', name: exportLayers.head });
    const scores = dense.apply(pooled) as Tf.SymbolicTensor;
    const kernel = tf.tensor2d(network.head.weights, [d, c]);
    const bias = tf.tensor1d(network.head.bias);
    dense.setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
    const model = tf.model({ inputs: base.inputs, outputs: scores, name: `mlw_${network.backbone.replace(/\W+/g, '_')}` });
    return { model, base, featureLayer };
  } catch (error) {
    base.dispose();
    throw error;
  }
}

/**
 * Writes a run's network as a TensorFlow.js Layers folder: model.json and weights.bin (loadable with
 * `tf.loadLayersModel`), labels.json (class names in output order), README.md (how to feed it) and
 * mlw-export.json (what `mlw import-model` reads). The folder is replaced whole.
 */
export async function exportModel(tf: typeof Tf, request: ExportRequest): Promise<ExportOutcome> {
  const outDir = resolve(request.outDir);
  await checkExportTarget(outDir);
  const spec = backboneSpec(request.network.backbone);
  if (request.classes.length !== request.network.head.classes) {
    throw new AppError(
      'INVALID_INPUT',
      `The run names ${request.classes.length} classes but its head scores ${request.network.head.classes}.`,
    );
  }
  const { model, base, featureLayer } = await buildExportModel(tf, request.network);
  const manifest: ExportManifest = {
    format: 'mlw-tfjs-layers',
    version: 1,
    backbone: spec.id,
    featureLayer,
    featureSize: request.network.head.featureSize,
    poolLayer: exportLayers.pool,
    headLayer: exportLayers.head,
    classes: request.classes,
    inputSize: spec.preprocessing.size,
    normalisation: spec.preprocessing.normalisation,
    threshold: request.threshold,
    source: request.source,
  };
  const staging = `${outDir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  let bytes = 0;
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = artifacts.weightData;
        const weights = Array.isArray(data)
          ? Buffer.concat(data.map((part) => new Uint8Array(part)))
          : new Uint8Array(data ?? new ArrayBuffer(0));
        const modelJson = {
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${(tf.version as Record<string, string>)['tfjs-layers'] ?? 'unknown'}`,
          convertedBy: 'Multilabel Workbench',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        };
        await writeFile(join(staging, 'weights.bin'), weights);
        await writeFile(join(staging, 'model.json'), JSON.stringify(modelJson));
        bytes += weights.length;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
      }),
    );
  } finally {
    model.dispose();
    try {
      base.dispose();
    } catch {
      // Its trunk layers went with the exported model.
    }
  }
  const texts: Record<string, string> = {
    'labels.json': `${JSON.stringify(request.classes, null, 2)}\n`,
    'README.md': exportReadme(manifest),
    [exportManifestFile]: `${JSON.stringify(manifest, null, 2)}\n`,
  };
  for (const [name, text] of Object.entries(texts)) await writeFile(join(staging, name), text);
  if (existsSync(outDir)) await rm(outDir, { recursive: true, force: true });
  await rename(staging, outDir);
  const files = ['model.json', 'weights.bin', ...Object.keys(texts)];
  for (const name of files) if (name !== 'weights.bin') bytes += (await stat(join(outDir, name))).size;
  return { outDir, files, bytes, layers: model.layers.length };
}

/** How to feed the exported model, for whoever loads it outside the app. */
/**
 * How the app makes its ${size}×${size} pixels, exactly enough for others to reproduce its scores (see
 * preprocess.ts, decode-jpeg.ts `eighthsScale`, resize-rgb.ts and decode-icc.ts).
 */
export function resizeInWords(size: number): string {
  return (
    `JPEGs go through the app's own libjpeg decoder with DCT scaling: decoded at the smallest scale in eighths (1/8 to 8/8) that keeps both sides at least ${size} pixels (libjpeg rounds the scaled size up; a smaller image decodes in full), ` +
    `then reduced to ${size}×${size} with an antialiased bilinear (triangle) filter as Pillow's \`resize(BILINEAR)\` does (output pixel o centred at (o + 0.5) × scale, support max(1, scale)), on the 8-bit sRGB values (not in linear light), and turned upright afterwards. ` +
    'An embedded ICC profile is honoured: sRGB ones as they are, other RGB matrix/TRC profiles (Adobe RGB, Display P3) converted to sRGB after the resize, the rest through lcms; PNG, WebP, CMYK and damaged JPEGs go through libvips. ' +
    `To come close with sharp: \`sharp(file).rotate().resize(${size}, ${size}, { fit: 'fill', kernel: 'linear' })\` gives scores within about 0.002 of the app's on average; other resizers differ a little more.`
  );
}

export function exportReadme(m: ExportManifest): string {
  const size = m.inputSize;
  const pixels =
    m.normalisation === 'mobilenet'
      ? ['- Channel order **RGB**.', '- Normalisation as Keras MobileNet: `x / 127.5 - 1`, so every value lies in [-1, 1].']
      : [
          '- Channel order **BGR** (caffe style, as Keras ResNet-50): reverse the RGB channels.',
          '- Normalisation: subtract the ImageNet mean per channel, B 103.939, G 116.779, R 123.68; no scaling (values roughly in [-124, 152]).',
        ];
  const normaliseJs =
    m.normalisation === 'mobilenet'
      ? 'const input = tf.tidy(() => pixels.toFloat().div(127.5).sub(1).expandDims(0));'
      : 'const input = tf.tidy(() => pixels.toFloat().reverse(-1).sub(tf.tensor1d([103.939, 116.779, 123.68])).expandDims(0));';
  return [
    `# ${m.source.name}: a multilabel classifier of ${m.classes.length} classes`,
    '',
    `Exported by Multilabel Workbench from run \`${m.source.runId}\` (${m.source.mode}, backbone \`${m.backbone}\`) on ${m.source.exportedAt}.`,
    '',
    '## Files',
    '',
    '- `model.json`, `weights.bin`: a TensorFlow.js Layers model, the whole network: the backbone trunk,',
    `  global average pooling (\`${m.poolLayer}\`) and a dense layer with a sigmoid (\`${m.headLayer}\`).`,
    '- `labels.json`: the class names in the order of the outputs.',
    `- \`${exportManifestFile}\`: the same facts for programs (\`mlw import-model\` reads it).`,
    '',
    '## Input',
    '',
    `A float32 tensor of shape \`[batch, ${size}, ${size}, 3]\` (NHWC), made from each image as the app made it in training:`,
    '',
    '- Decode the image, turned upright by its EXIF orientation, in sRGB; drop any alpha channel.',
    `- Resize it to ${size}×${size} by **stretching** it to the square (no crop, no padding: the aspect ratio is not kept), as in training. ${resizeInWords(size)}`,
    ...pixels,
    '',
    '## Output',
    '',
    `\`[batch, ${m.classes.length}]\`: one independent sigmoid score in [0, 1] per class, in the order of \`labels.json\`:`,
    '',
    ...m.classes.map((name, i) => `${i}. ${name}`),
    '',
    `A class is predicted when its score is at least the threshold: **${m.threshold}** was chosen at export.`,
    '',
    `The trunk ends at \`${m.featureLayer}\` (${m.featureSize} channels); Grad-CAM uses that layer's activations.`,
    '',
    '## Loading it in TensorFlow.js',
    '',
    '```js',
    "import * as tf from '@tensorflow/tfjs';",
    '',
    "const model = await tf.loadLayersModel('https://example.org/my-model/model.json'); // or tf.io.fileSystem / a file:// URL in Node",
    "const labels = await (await fetch('https://example.org/my-model/labels.json')).json();",
    `const pixels = tf.image.resizeBilinear(tf.browser.fromPixels(imageElement), [${size}, ${size}]); // stretched to the square`,
    normaliseJs,
    'const scores = await model.predict(input).data();',
    `const predicted = labels.filter((_, j) => scores[j] >= ${m.threshold});`,
    '```',
    '',
    'Bilinear resizing in the browser is close to, but not exactly, the resizing the app used, so scores differ a little from the app’s.',
    '',
  ].join('\n');
}

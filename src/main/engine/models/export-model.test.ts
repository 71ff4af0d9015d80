import type * as Tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCocoFixture } from '../../../../test/fixtures/coco-fixture';
import type { ExportManifest } from '../../../shared/contract/reports';
import { loadBackbone } from './architectures/load-backbone';
import { loadEngine } from '../process/backend';
import { checkExportTarget, exportLayers, exportManifestFile, exportModel, exportReadme } from './export-model';
import { readLayersFolder, saveLayersFolder } from './layers-folder';
import { decodeResized, normalise } from '../images/preprocess';
import { scoreImages, type RunNetwork } from '../inference/run-network';
import { seededRandom } from '../training/seeded-random';
import { backboneSpec } from './zoo';
import { onnxMetadata, onnxReadme } from './onnx-model-file';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const mobilenet = resolve(root, '../shared/models/mobilenet_v1_0.75_224');
const hasModel = existsSync(join(mobilenet, 'model.json'));

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-export-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const manifest = (normalisation: 'mobilenet' | 'caffe'): ExportManifest => ({
  format: 'mlw-tfjs-layers',
  version: 1,
  backbone: normalisation === 'mobilenet' ? 'mobilenet_v1_0.75' : 'resnet50',
  featureLayer: normalisation === 'mobilenet' ? 'conv_pw_13_relu' : 'conv5_block3_out',
  featureSize: normalisation === 'mobilenet' ? 768 : 2048,
  poolLayer: exportLayers.pool,
  headLayer: exportLayers.head,
  classes: ['dog', 'cat', 'potted plant'],
  inputSize: 224,
  normalisation,
  threshold: 0.35,
  source: { runId: 'run-1', name: 'A run', mode: 'frozen', exportedAt: '2026-01-01T00:00:00.000Z', dataset: {} },
});

describe('the README of an export', () => {
  it('says how the backbone wants its pixels, the stretch to the square, the outputs and the threshold', () => {
    const mobile = exportReadme(manifest('mobilenet'));
    expect(mobile).toContain('[batch, 224, 224, 3]');
    expect(mobile).toContain('**stretching**');
    expect(mobile).toContain('Channel order **RGB**');
    expect(mobile).toContain('x / 127.5 - 1');
    expect(mobile).toContain('0. dog\n1. cat\n2. potted plant');
    expect(mobile).toContain('**0.35**');
    expect(mobile).toContain('tf.loadLayersModel');
    // What the app does to JPEGs, so that others can reproduce its scores; no longer libvips.
    expect(mobile).not.toContain('The app resizes with libvips');
    expect(mobile).toContain('DCT scaling');
    expect(mobile).toContain('smallest scale in eighths (1/8 to 8/8) that keeps both sides at least 224 pixels');
    expect(mobile).toContain('antialiased bilinear (triangle) filter');
    expect(mobile).toContain("resize(224, 224, { fit: 'fill', kernel: 'linear' })");
    expect(mobile).toContain('within about 0.002');
    const onnx = onnxReadme(manifest('mobilenet'));
    expect(onnx).not.toContain('(libvips)');
    expect(onnx).toContain('antialiased bilinear (triangle) filter');
    expect(onnxMetadata(manifest('mobilenet')).resize).not.toContain('libvips');
    const caffe = exportReadme(manifest('caffe'));
    expect(caffe).toContain('Channel order **BGR**');
    expect(caffe).toContain('B 103.939, G 116.779, R 123.68');
    expect(caffe).toContain('conv5_block3_out');
  });
});

describe('where an export may go', () => {
  it('takes a new or empty folder or an earlier export, and refuses anything else', async () => {
    await expect(checkExportTarget(join(dir, 'new'))).resolves.toBeUndefined();
    mkdirSync(join(dir, 'empty'));
    await expect(checkExportTarget(join(dir, 'empty'))).resolves.toBeUndefined();
    mkdirSync(join(dir, 'earlier'));
    writeFileSync(join(dir, 'earlier', exportManifestFile), '{}');
    writeFileSync(join(dir, 'earlier', 'model.json'), '{}');
    await expect(checkExportTarget(join(dir, 'earlier'))).resolves.toBeUndefined();
    mkdirSync(join(dir, 'theirs'));
    writeFileSync(join(dir, 'theirs', 'thesis.tex'), 'precious');
    await expect(checkExportTarget(join(dir, 'theirs'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(checkExportTarget(join(dir, 'theirs', 'thesis.tex'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe.skipIf(!hasModel)(hasModel ? 'an exported network' : 'an exported network: skipped because ../shared/models is absent', () => {
  let tf: typeof Tf;
  let paths: string[];
  const classes = ['dog', 'cat', 'couch'];

  beforeAll(async () => {
    tf = (await loadEngine()).tf;
    const fixture = await writeCocoFixture(join(dir, 'coco'), { images: true, imageScale: 2 });
    paths = fixture.writtenImages.slice(0, 4).map((name) => join(fixture.imagesDir, name));
  }, 120_000);

  /** A head of small random weights, as a trained run keeps it. */
  function network(weightsDir: string): RunNetwork {
    const random = seededRandom(3);
    const d = 768;
    const c = classes.length;
    return {
      backbone: 'mobilenet_v1_0.75',
      weightsDir,
      head: {
        weights: Float32Array.from({ length: d * c }, () => (random() - 0.5) * 0.2),
        bias: Float32Array.from({ length: c }, () => random() - 0.5),
        featureSize: d,
        classes: c,
      },
    };
  }

  /** The exported model as anyone loads it, fed as its README says. */
  async function exportedScores(outDir: string): Promise<number[][]> {
    const model = await tf.loadLayersModel(tf.io.fromMemory(await readLayersFolder(outDir)));
    const input = new Float32Array(paths.length * 224 * 224 * 3);
    for (const [i, path] of paths.entries()) normalise(await decodeResized(path, 224), 'mobilenet', input, i * 224 * 224 * 3);
    const scores = tf.tidy(() => (model.predict(tf.tensor4d(input, [paths.length, 224, 224, 3])) as Tf.Tensor).arraySync()) as number[][];
    model.dispose();
    return scores;
  }

  async function runScores(net: RunNetwork): Promise<number[][]> {
    const scored = await scoreImages(tf, net, { paths, cacheDir: join(dir, 'cache') });
    expect(scored.kept).toEqual(paths.map((_, i) => i));
    return paths.map((_, i) => Array.from(scored.scores.subarray(i * classes.length, (i + 1) * classes.length)));
  }

  const source = { runId: 'run-x', name: 'Run X', mode: 'frozen', exportedAt: new Date().toISOString(), dataset: {} };

  it('of a frozen run (the original backbone) gives the run’s own scores', async () => {
    const net = network(mobilenet);
    const outDir = join(dir, 'frozen-export');
    const outcome = await exportModel(tf, { network: net, classes, threshold: 0.5, source, outDir });
    expect(outcome.files.sort()).toEqual(['README.md', 'labels.json', exportManifestFile, 'model.json', 'weights.bin']);
    const modelJson = JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8')) as { format: string; modelTopology: unknown };
    expect(modelJson.format).toBe('layers-model');
    const layers = JSON.stringify(modelJson.modelTopology);
    // The trunk only (MobileNet's ImageNet classifier is cut off), then pooling and the sigmoid head.
    expect(layers).toContain('"name":"conv_pw_13_relu"');
    expect(layers).not.toContain('conv_preds');
    expect(layers).toContain(`"name":"${exportLayers.head}"`);
    expect(layers).toContain('"activation":"sigmoid"');
    const written = JSON.parse(readFileSync(join(outDir, exportManifestFile), 'utf8')) as ExportManifest;
    expect(written).toMatchObject({ backbone: 'mobilenet_v1_0.75', featureLayer: 'conv_pw_13_relu', featureSize: 768, classes });

    const expected = await runScores(net);
    const got = await exportedScores(outDir);
    got.forEach((row, i) => row.forEach((score, j) => expect(Math.abs(score - expected[i]![j]!)).toBeLessThan(1e-5)));
    // Exported again into the same folder: the earlier export is replaced.
    await exportModel(tf, { network: net, classes, threshold: 0.4, source, outDir });
    expect((JSON.parse(readFileSync(join(outDir, exportManifestFile), 'utf8')) as ExportManifest).threshold).toBe(0.4);
  }, 120_000);

  it('of a fine-tuned run (its own trunk folder) gives the run’s own scores', async () => {
    // A fine-tuning run saves its trunk, cut at the feature layer, as a Layers folder of its own.
    const spec = backboneSpec('mobilenet_v1_0.75');
    const { model } = await loadBackbone(tf, spec, mobilenet);
    const trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(spec.featureLayer).output as Tf.SymbolicTensor });
    const trunkDir = join(dir, 'run', 'backbone');
    await saveLayersFolder(tf, trunk, trunkDir);
    model.dispose();
    const net = network(trunkDir);
    const outDir = join(dir, 'finetune-export');
    await exportModel(tf, { network: net, classes, threshold: 0.5, source: { ...source, mode: 'finetune' }, outDir });
    const expected = await runScores(net);
    const got = await exportedScores(outDir);
    got.forEach((row, i) => row.forEach((score, j) => expect(Math.abs(score - expected[i]![j]!)).toBeLessThan(1e-5)));
  }, 120_000);
});

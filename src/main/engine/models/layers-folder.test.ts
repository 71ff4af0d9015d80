import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../process/backend';
import { loadBackbone } from './architectures/load-backbone';
import { loadLayersFolder, readLayersFolder } from './layers-folder';
import { backboneSpec } from './zoo';
import { rejection } from '../../../../test/support/rejection';
import { sentenceProblems } from '../../../../test/support/sentence';

const projectRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const mobilenetDir = resolve(projectRoot, '../shared/models/mobilenet_v1_0.75_224');
const hasMobilenet = existsSync(join(mobilenetDir, 'model.json'));
const mobilenetNote = hasMobilenet ? '' : ' (skipped because ../shared/models is absent)';

let tf: typeof Tf;
let root: string;
let folderCount = 0;

beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
  root = mkdtempSync(join(tmpdir(), 'mlw-layers-folder-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function newFolder(): string {
  const dir = join(root, `model-${++folderCount}`);
  mkdirSync(dir);
  return dir;
}

interface SmallModel {
  dir: string;
  /** The model the folder was saved from, to compare predictions with. */
  model: Tf.LayersModel;
}

/**
 * Saves a small two-layer model as a Layers folder: group 1 holds dense_a (kernel 3x4 and bias 4,
 * one shard), group 2 holds dense_b (kernel 4x2 and bias 2) split over two shard files.
 */
async function writeSmallModel(options: { kernelShape?: number[] } = {}): Promise<SmallModel> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', name: 'dense_a' }),
      tf.layers.dense({ units: 2, name: 'dense_b' }),
    ],
  });
  let artifacts: Tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const data = Buffer.from(artifacts!.weightData as ArrayBuffer);
  const specs = artifacts!.weightSpecs!;
  expect(specs.map((s) => s.name)).toEqual(['dense_a/kernel', 'dense_a/bias', 'dense_b/kernel', 'dense_b/bias']);
  const groupOneBytes = (3 * 4 + 4) * 4;
  const dir = newFolder();
  writeFileSync(join(dir, 'group1-shard1of1.bin'), data.subarray(0, groupOneBytes));
  const rest = data.subarray(groupOneBytes);
  writeFileSync(join(dir, 'group2-shard1of2.bin'), rest.subarray(0, 20));
  writeFileSync(join(dir, 'group2-shard2of2.bin'), rest.subarray(20));
  const groupOneSpecs = specs.slice(0, 2).map((s, i) => (i === 0 && options.kernelShape ? { ...s, shape: options.kernelShape } : s));
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      modelTopology: artifacts!.modelTopology,
      weightsManifest: [
        { paths: ['group1-shard1of1.bin'], weights: groupOneSpecs },
        { paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'], weights: specs.slice(2) },
      ],
    }),
  );
  return { dir, model };
}

describe('readLayersFolder / loadLayersFolder', () => {
  it('loads a saved Layers folder with a multi-file weight group into the same model (same predictions)', async () => {
    const { dir, model } = await writeSmallModel();
    const artifacts = await readLayersFolder(dir);
    expect(artifacts.weightSpecs!.map((s) => s.name)).toEqual(['dense_a/kernel', 'dense_a/bias', 'dense_b/kernel', 'dense_b/bias']);
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe((12 + 4 + 8 + 2) * 4);
    const loaded = await loadLayersFolder(tf, dir);
    const input = tf.tensor2d([
      [1, -2, 0.5],
      [0.3, 0.2, -4],
    ]);
    const expected = model.predict(input) as Tf.Tensor;
    const got = loaded.predict(input) as Tf.Tensor;
    expect(Array.from(got.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([input, expected, got]);
    loaded.dispose();
    model.dispose();
  });

  it('a folder without model.json → NOT_FOUND naming the folder', async () => {
    const dir = newFolder();
    const error = await rejection(readLayersFolder(dir));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(dir);
    expect(error.message).toContain('model.json');
    // A folder that does not exist at all reads the same way, and so does loading.
    const absent = join(root, 'no-such-folder');
    const viaLoad = await rejection(loadLayersFolder(tf, absent));
    expect(viaLoad.code).toBe('NOT_FOUND');
    expect(viaLoad.message).toContain(absent);
  });

  it('model.json that is not valid JSON → INVALID_INPUT', async () => {
    const dir = newFolder();
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": {"class_name": "Sequ');
    const error = await rejection(readLayersFolder(dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(join(dir, 'model.json'));
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('JSON without modelTopology/weightsManifest → INVALID_INPUT saying it is not a Layers model', async () => {
    const dir = newFolder();
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', weights: [] }));
    const error = await rejection(readLayersFolder(dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/modelTopology/);
  });

  it('a shard named outside the folder (../, an absolute path, a symbolic link out) is refused, naming the entry and nothing outside', async () => {
    const { dir } = await writeSmallModel();
    // A file outside the folder that would have the right size for group 1.
    const secret = join(root, `secret-${folderCount}.bin`);
    writeFileSync(secret, Buffer.alloc((3 * 4 + 4) * 4, 7));
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    const link = join(dir, 'link.bin');
    symlinkSync(secret, link);
    for (const entry of [`../${basename(secret)}`, secret, 'link.bin', 'sub/../../x.bin']) {
      manifest.weightsManifest[0]!.paths = [entry];
      writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
      const error = await rejection(readLayersFolder(dir));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain(`outside its folder ("${entry}")`);
      // Nothing about the outside file: not its size, not whether it exists.
      expect(error.message).not.toMatch(/64 bytes|\bbytes\b|missing/);
    }
  });

  it('a missing shard → NOT_FOUND naming the shard file and the layers whose weights it holds', async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    unlinkSync(join(dir, 'group2-shard2of2.bin'));
    const error = await rejection(loadLayersFolder(tf, dir));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(join(dir, 'group2-shard2of2.bin'));
    expect(error.message).toContain('dense_b');
    expect(error.message).not.toContain('dense_a');
    expect(error.details).toMatchObject({ file: join(dir, 'group2-shard2of2.bin'), layers: 'dense_b' });
  });

  it('a truncated shard → INVALID_INPUT naming the file, the layer and the bytes it has and needs', async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    truncateSync(join(dir, 'group1-shard1of1.bin'), 30);
    const error = await rejection(loadLayersFolder(tf, dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('group1-shard1of1.bin');
    expect(error.message).toContain('dense_a');
    expect(error.message).toMatch(/\b30 bytes\b/);
    expect(error.message).toContain(String((12 + 4) * 4));
    expect(error.details).toMatchObject({ bytes: 30, expectedBytes: 64, layers: 'dense_a' });
  });

  it('a shard with extra bytes (another model’s file) → INVALID_INPUT naming every file of the group', async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    writeFileSync(join(dir, 'group2-shard2of2.bin'), Buffer.alloc(100));
    const error = await rejection(readLayersFolder(dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('group2-shard1of2.bin, group2-shard2of2.bin');
    expect(error.message).toContain('dense_b');
  });

  it('weights of the right size but the wrong shape → INVALID_INPUT from loadLayersFolder (the model cannot be built)', async () => {
    const { dir, model } = await writeSmallModel({ kernelShape: [4, 3] });
    model.dispose();
    await expect(readLayersFolder(dir)).resolves.toBeDefined();
    const error = await rejection(loadLayersFolder(tf, dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('could not be built');
    expect(error.message).toContain(dir);
  });

  // Found by the fuzz suite (test/fuzz/layers-folder.fuzz.test.ts).
  it('a folder where a weight file should be → INVALID_INPUT naming it and its layers, not a raw EISDIR', async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    unlinkSync(join(dir, 'group2-shard1of2.bin'));
    mkdirSync(join(dir, 'group2-shard1of2.bin'));
    const error = await rejection(readLayersFolder(dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      `The weight file ${join(dir, 'group2-shard1of2.bin')} is a folder, not a file (it should hold the weights of dense_b). Copy the whole model folder again.`,
    );
  });

  it('a folder named model.json → INVALID_INPUT saying so, not "there is no model.json"', async () => {
    const dir = newFolder();
    mkdirSync(join(dir, 'model.json'));
    const error = await rejection(readLayersFolder(dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/model\.json is a folder, not a file\./);
  });

  it('a weight group that names no file for its weights → INVALID_INPUT naming the layers, not "The weight file  in"', async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    manifest.weightsManifest[1]!.paths = [];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    const error = await rejection(readLayersFolder(dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      `${join(dir, 'model.json')} lists the weights of dense_b (40 bytes) but names no weight file for them: the file is damaged. Copy or download the model again.`,
    );
  });

  it("a topology TensorFlow.js cannot build → one sentence quoting the first line of TensorFlow.js's reason", async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    };
    const original = JSON.stringify(manifest);
    // Before the fix: "…from its weights: Unknown layer: NoSuchLayer. This may be due to one of the following reasons:\n1. …"
    manifest.modelTopology.config.layers[1]!.class_name = 'NoSuchLayer';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    const unknown = await rejection(loadLayersFolder(tf, dir));
    expect(unknown.code).toBe('INVALID_INPUT');
    expect(unknown.message).toBe(
      `The model in ${dir} could not be built from its model.json and weights (TensorFlow.js: "Unknown layer: NoSuchLayer"). The folder is damaged or holds another kind of model; copy or download it again.`,
    );
    // Before the fix: "…from its weights: Expected units to be a positive integer, but got undefined" (no full stop).
    const missing = JSON.parse(original) as typeof manifest;
    delete missing.modelTopology.config.layers[1]!.config.units;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(missing));
    const units = await rejection(loadLayersFolder(tf, dir));
    expect(units.message).toContain('(TensorFlow.js: "Expected units to be a positive integer, but got undefined")');
    expect(sentenceProblems(units.message)).toEqual([]);
    // Before the fix: "…from its weights: Maximum call stack size exceeded".
    const deep = JSON.parse(original) as { modelTopology: { config: { name: unknown } } };
    deep.modelTopology.config.name = 'DEEP';
    // Written as text: JSON.stringify itself would overflow the stack on 100 000 levels.
    writeFileSync(join(dir, 'model.json'), JSON.stringify(deep).replace('"DEEP"', `${'['.repeat(100_000)}"deep"${']'.repeat(100_000)}`));
    const nested = await rejection(loadLayersFolder(tf, dir));
    expect(nested.message).toContain('(TensorFlow.js: "the configuration is nested too deeply to be read")');
    expect(sentenceProblems(nested.message)).toEqual([]);
  });

  it("loadBackbone words a Layers folder TensorFlow.js cannot build as loadLayersFolder does: one sentence quoting TensorFlow.js's reason", async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: { class_name: string }[] } };
    };
    manifest.modelTopology.config.layers[1]!.class_name = 'NoSuchLayer';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    const spec = backboneSpec('mobilenet_v1_0.75');
    const error = await rejection(loadBackbone(tf, spec, dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      `The weights in ${dir} do not build ${spec.title} (TensorFlow.js: "Unknown layer: NoSuchLayer"). The folder is damaged or holds another network; copy or download it again.`,
    );
  });

  it('a layer wider than all the weights together → INVALID_INPUT naming it, before TensorFlow.js spends minutes initialising it', async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: { config: Record<string, unknown> }[] } };
    };
    manifest.modelTopology.config.layers[0]!.config.units = 16_777_216;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    const error = await rejection(loadLayersFolder(tf, dir));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      `${join(dir, 'model.json')} gives layer "dense_a" a units of 16777216, more than the 26 weight values the model holds in all, so it cannot match its weights: the file is damaged. Copy or download the model again.`,
    );
  });

  it('names from model.json are shown with control characters escaped and cut short, so a message stays one readable line', async () => {
    const { dir, model } = await writeSmallModel();
    model.dispose();
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    manifest.weightsManifest[0]!.paths = ['\n\t\r'];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    const control = await rejection(readLayersFolder(dir));
    expect(control.code).toBe('NOT_FOUND');
    expect(control.message).toContain(`${join(dir, '\\n\\t\\r')} is missing`);
    expect(sentenceProblems(control.message)).toEqual([]);
    manifest.weightsManifest[0]!.paths = ['x'.repeat(100_000)];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    const long = await rejection(readLayersFolder(dir));
    expect(long.message).toContain(`${join(dir, 'x'.repeat(120))}… is missing`);
    expect(sentenceProblems(long.message)).toEqual([]);
  });

  it.skipIf(!hasMobilenet)(`loads the real MobileNet v1 0.75 folder into a model with 1000 outputs${mobilenetNote}`, async () => {
    const model = await loadLayersFolder(tf, mobilenetDir);
    expect(model.outputs[0]!.shape).toEqual([null, 1000]);
    expect(model.inputs[0]!.shape).toEqual([null, 224, 224, 3]);
    expect(() => model.getLayer('conv_pw_13_relu')).not.toThrow();
    const probabilities = tf.tidy(() => (model.predict(tf.zeros([1, 224, 224, 3])) as Tf.Tensor).sum().dataSync()[0]!);
    expect(probabilities).toBeCloseTo(1, 3);
    model.dispose();
  });

  it.skipIf(!hasMobilenet)(
    `a copy of the real MobileNet with one shard truncated gives the truncated-shard error naming the layer${mobilenetNote}`,
    async () => {
      const copy = join(root, 'mobilenet-copy');
      cpSync(mobilenetDir, copy, { recursive: true });
      chmodSync(copy, 0o755); // the shared copy is read-only, and so is what cpSync makes of it
      // group4 holds conv_dw_10's depthwise kernel (3x3x384x1 floats).
      const shard = join(copy, 'group4-shard1of1');
      const full = statSync(shard).size;
      chmodSync(shard, 0o644);
      truncateSync(shard, full - 8);
      const error = await rejection(loadLayersFolder(tf, copy));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain('group4-shard1of1');
      expect(error.message).toMatch(new RegExp(`\\b${full - 8} bytes\\b`));
      expect(error.message).toContain(String(full));
      expect(full).toBe(3 * 3 * 384 * 4);
      expect(error.message).toContain('conv_dw_10');
      expect(error.details).toMatchObject({ layers: 'conv_dw_10', bytes: full - 8, expectedBytes: full });
      unlinkSync(join(copy, 'group4-shard1of1'));
      const missing = await rejection(loadLayersFolder(tf, copy));
      expect(missing.code).toBe('NOT_FOUND');
      expect(missing.message).toContain(`group4-shard1of1`);
      expect(missing.message).toContain('conv_dw_10');
    },
  );
});

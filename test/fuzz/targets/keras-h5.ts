/**
 * Keras `.h5` weights: readKerasWeights on files whose bytes are mutated (more often in the first
 * 2 KiB, where HDF5 keeps its superblock and root object headers) or that are written whole with
 * a damaged structure (a weight missing, renamed or of another shape, an extra layer); a file it
 * reads is also assigned to the small network it was saved from. Each step must succeed or refuse
 * with a sentence.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { writeKerasWeightsFile, type FixtureLayer } from '../../../src/main/engine/models/architectures/keras-weights-fixture';
import { assignKerasWeights, readKerasWeights } from '../../../src/main/engine/models/keras-h5';
import { loadEngine } from '../../../src/main/engine/process/backend';
import { judgeError } from '../judge';
import { inputSeed, mutateBytesTimes, Rng } from '../mutate';
import type { FuzzTarget } from '../target';

let tf: typeof Tf;
let model: Tf.LayersModel;
let seeds: Buffer[] = [];
let inputsDir = '';
/** Well-formed HDF5 files whose Keras structure is damaged, made at setup (see `writeDamaged`). */
let damagedFiles: { bytes: Buffer; description: string }[] = [];
/** The first seed, read again after each refusal. */
let seedPath = '';

/** The network the seeds hold weights for: a convolution, batch normalisation and a dense layer, with Keras names. */
function smallModel(): Tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 3], name: 'input_1' });
  let x = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'conv1_conv' }).apply(input) as Tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv1_bn' }).apply(x) as Tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'conv1_relu' }).apply(x) as Tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as Tf.SymbolicTensor;
  x = tf.layers.dense({ units: 3, name: 'fc' }).apply(x) as Tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

/** The small network's layers as Keras lists them, with distinct values. */
function seedLayers(): FixtureLayer[] {
  let next = 0;
  const weight = (layer: string, name: string, shape: number[]) => ({
    name: `${layer}/${name}:0`,
    shape,
    values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ++next / 100),
  });
  return [
    { name: 'input_1', weights: [] },
    { name: 'conv1_conv', weights: [weight('conv1_conv', 'kernel', [3, 3, 3, 2]), weight('conv1_conv', 'bias', [2])] },
    {
      name: 'conv1_bn',
      weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => weight('conv1_bn', n, [2])),
    },
    { name: 'conv1_relu', weights: [] },
    { name: 'flatten', weights: [] },
    { name: 'fc', weights: [weight('fc', 'kernel', [8, 3]), weight('fc', 'bias', [3])] },
  ];
}

const layouts = [{}, { layout: 'model' as const }, { chunked: true }];

export const kerasH5Target: FuzzTarget = {
  async setup(group, workDir) {
    if (group !== 'small') throw new Error(`unknown group ${group}`);
    ({ tf } = await loadEngine('wasm'));
    model = smallModel();
    inputsDir = join(workDir, 'inputs');
    mkdirSync(inputsDir, { recursive: true });
    seeds = [];
    seedPath = join(workDir, 'seed-0.h5');
    for (const [k, options] of layouts.entries()) {
      const path = join(workDir, `seed-${k}.h5`);
      await writeKerasWeightsFile(path, seedLayers(), options);
      seeds.push(readFileSync(path));
    }
    // Written now, while the HDF5 instance the writer shares with the reader is sound: a damaged
    // file may make the reader's instance trap, and the reader then starts another, the writer not.
    damagedFiles = [];
    const rng = new Rng(inputSeed(14, 'keras-h5/damaged', 0));
    for (let k = 0; k < 48; k++) {
      const path = join(workDir, `damaged-${k}.h5`);
      const description = await writeDamaged(rng, path);
      damagedFiles.push({ bytes: readFileSync(path), description });
    }
    return { seeds: seeds.length };
  },

  async run(index, rng, announce) {
    const path = join(inputsDir, `${index}.h5`);
    let description: string;
    if (index < seeds.length) {
      writeFileSync(path, seeds[index]!);
      description = `seed ${index}, unmutated`;
    } else if (rng.chance(0.2)) {
      const damaged = rng.pick(damagedFiles);
      writeFileSync(path, damaged.bytes);
      description = damaged.description;
    } else {
      const seedIndex = rng.int(seeds.length);
      const seed = seeds[seedIndex]!;
      const region: [number, number] = rng.chance(0.5) ? [0, 2048] : [0, seed.length];
      // Mostly mutations that keep the size: a file of another size is refused by its superblock's end address.
      const kinds = rng.chance(0.7) ? (['flip', 'interesting', 'overwrite'] as const) : undefined;
      const mutated = mutateBytesTimes(rng, seed, rng.between(1, 4), { region, ...(kinds ? { kinds } : {}) });
      writeFileSync(path, mutated.bytes);
      description = `seed ${seedIndex}: ${mutated.steps.join('; ')}`;
    }
    announce(description, path);

    let weights;
    try {
      weights = await readKerasWeights(path);
    } catch (error) {
      const outcome = judgeError(error);
      // A refusal must leave the reader able to read a good file (HDF5 runs in one WebAssembly instance for the process).
      try {
        await readKerasWeights(seedPath);
      } catch (after) {
        return {
          outcome: {
            kind: 'failed',
            problem: `after refusing it, the reader can no longer read a good file: ${after instanceof Error ? after.message : String(after)}`,
          },
        };
      }
      return { outcome };
    }
    try {
      assignKerasWeights(tf, model, weights, 'SmallNet');
    } catch (error) {
      const outcome = judgeError(error);
      if (outcome.kind === 'failed') outcome.problem = `assignKerasWeights: ${outcome.problem}`;
      return { outcome, tags: ['read, then refused when assigned'] };
    }
    rmSync(path, { force: true });
    return { outcome: { kind: 'accepted' }, tags: ['assigned to the network'] };
  },
};

/** Writes a well-formed HDF5 file whose Keras structure is damaged; returns what was done. */
async function writeDamaged(rng: Rng, path: string): Promise<string> {
  const layers = seedLayers();
  const withWeights = layers.filter((l) => l.weights.length > 0);
  const layer = rng.pick(withWeights);
  const kind = rng.pick(['drop weight', 'rename layer', 'reshape', 'empty', 'extra layer', 'rename weight', 'no layers'] as const);
  let step: string;
  switch (kind) {
    case 'drop weight':
      layer.weights.splice(rng.int(layer.weights.length), 1);
      step = `a weight of ${layer.name} dropped`;
      break;
    case 'rename layer':
      layer.name = rng.pick(['predictions', 'Conv1', 'conv1_conv_1', 'ünïcödé', 'a b']);
      for (const w of layer.weights) w.name = `${layer.name}/${w.name.split('/').pop()!}`;
      step = `a layer renamed to ${layer.name}`;
      break;
    case 'reshape': {
      const w = rng.pick(layer.weights);
      w.shape = rng.pick([[w.values.length], [1, w.values.length], [w.values.length + 1], [0]]);
      w.values = new Float32Array(w.shape.reduce((a, b) => a * b, 1));
      step = `${w.name} reshaped to [${w.shape.join(', ')}]`;
      break;
    }
    case 'empty':
      layer.weights = [];
      step = `${layer.name} holds no weights`;
      break;
    case 'extra layer':
      layers.push({ name: 'mystery', weights: [{ name: 'mystery/kernel:0', shape: [2], values: new Float32Array(2) }] });
      step = 'an extra layer "mystery"';
      break;
    case 'rename weight': {
      const w = rng.pick(layer.weights);
      w.name = `${layer.name}/${rng.pick(['kernel', 'weights', 'gamma', 'x'])}:${rng.int(3)}`;
      step = `a weight of ${layer.name} renamed to ${w.name}`;
      break;
    }
    case 'no layers':
      layers.length = 0;
      step = 'no layers at all';
      break;
  }
  const options = rng.pick(layouts);
  try {
    await writeKerasWeightsFile(path, layers, options);
  } catch {
    // HDF5 refused to write it (a name it cannot hold): the unmutated seed instead.
    await writeKerasWeightsFile(path, seedLayers(), options);
    return `written whole, unmutated (HDF5 could not write: ${step})`;
  }
  return `written whole (${JSON.stringify(options)}) with ${step}`;
}

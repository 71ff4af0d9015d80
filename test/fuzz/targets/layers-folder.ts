/**
 * TensorFlow.js Layers folders: readLayersFolder on a folder whose model.json (as JSON or as bytes)
 * or weight shards are mutated, or whose manifest names odd files; for the small models, a folder
 * it accepts is also built into a model by loadLayersFolder. Either step must succeed or refuse
 * with a sentence.
 */
import { cpSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { loadEngine } from '../../../src/main/engine/process/backend';
import { loadLayersFolder, readLayersFolder } from '../../../src/main/engine/models/layers-folder';
import { mobilenetDir } from '../../support/shared-data';
import { smallTrunk } from '../../fixtures/small-trunk';
import { judgeError } from '../judge';
import { mutateBytesTimes, mutateJson, type Rng } from '../mutate';
import type { FuzzTarget } from '../target';

interface Seed {
  /** A folder holding model.json and its shards, which inputs link to rather than copy. */
  dir: string;
  modelJson: string;
  shards: string[];
}

let tf: typeof Tf;
let seeds: Seed[] = [];
let inputsDir = '';
/** Whether an accepted folder is also built into a model (the small seeds; MobileNet costs seconds). */
let build = false;

export const layersFolderTarget: FuzzTarget = {
  async setup(group, workDir) {
    ({ tf } = await loadEngine('wasm'));
    inputsDir = join(workDir, 'inputs');
    mkdirSync(inputsDir, { recursive: true });
    if (group === 'small') {
      build = true;
      const dense = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', name: 'dense_a' }),
          tf.layers.dense({ units: 2, name: 'dense_b' }),
        ],
      });
      seeds = [await saveSeed(dense, join(workDir, 'seed-dense'), 2), await saveSeed(smallTrunk(tf, 8, 2), join(workDir, 'seed-trunk'), 1)];
    } else if (group === 'mobilenet') {
      const dir = join(workDir, 'seed-mobilenet');
      cpSync(mobilenetDir, dir, { recursive: true });
      const modelJson = readFileSync(join(dir, 'model.json'), 'utf8');
      seeds = [{ dir, modelJson, shards: readdirSync(dir).filter((name) => name.startsWith('group')) }];
    } else {
      throw new Error(`unknown group ${group}`);
    }
    return { seeds: seeds.length };
  },

  async run(index, rng, announce) {
    const seedIndex = index < seeds.length ? index : rng.int(seeds.length);
    const seed = seeds[seedIndex]!;
    const dir = join(inputsDir, String(index));
    mkdirSync(dir);
    // Shards are hard links to the seed's (inside the folder, as a copy would be) unless mutated.
    for (const shard of seed.shards) linkSync(join(seed.dir, shard), join(dir, shard));
    const steps = index < seeds.length ? ['unmutated'] : mutateFolder(rng, seed, dir);
    if (index < seeds.length) writeFileSync(join(dir, 'model.json'), seed.modelJson);
    announce(`seed ${seedIndex}: ${steps.join('; ')}`, dir);

    const tags: string[] = [];
    try {
      await readLayersFolder(dir);
    } catch (error) {
      return { outcome: judgeError(error) };
    }
    if (build) {
      try {
        const model = await loadLayersFolder(tf, dir);
        model.dispose();
        tags.push('built into a model');
      } catch (error) {
        const outcome = judgeError(error);
        if (outcome.kind === 'failed') outcome.problem = `loadLayersFolder: ${outcome.problem}`;
        return { outcome, tags: ['read, then refused when built'] };
      }
    }
    rmSync(dir, { recursive: true, force: true });
    return { outcome: { kind: 'accepted' }, tags };
  },
};

/** Saves `model` as a Layers folder with its weights split over `groups` groups of shards. */
async function saveSeed(model: Tf.LayersModel, dir: string, groups: 1 | 2): Promise<Seed> {
  let artifacts: Tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  mkdirSync(dir, { recursive: true });
  const data = Buffer.from(artifacts!.weightData as ArrayBuffer);
  const specs = artifacts!.weightSpecs!;
  const bytesOf = (spec: Tf.io.WeightsManifestEntry): number => spec.shape.reduce((a, b) => a * b, 1) * 4;
  const manifest: { paths: string[]; weights: Tf.io.WeightsManifestEntry[] }[] = [];
  const shards: string[] = [];
  if (groups === 1) {
    writeFileSync(join(dir, 'group1-shard1of1.bin'), data);
    manifest.push({ paths: ['group1-shard1of1.bin'], weights: specs });
    shards.push('group1-shard1of1.bin');
  } else {
    // Group 1: the first layer's weights in one file; group 2: the rest, split over two files.
    const first = specs.filter((s) => s.name.startsWith(specs[0]!.name.split('/')[0]!));
    const split = first.reduce((sum, s) => sum + bytesOf(s), 0);
    const rest = data.subarray(split);
    const half = Math.floor(rest.length / 8) * 4;
    writeFileSync(join(dir, 'group1-shard1of1.bin'), data.subarray(0, split));
    writeFileSync(join(dir, 'group2-shard1of2.bin'), rest.subarray(0, half));
    writeFileSync(join(dir, 'group2-shard2of2.bin'), rest.subarray(half));
    manifest.push(
      { paths: ['group1-shard1of1.bin'], weights: first },
      { paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'], weights: specs.slice(first.length) },
    );
    shards.push('group1-shard1of1.bin', 'group2-shard1of2.bin', 'group2-shard2of2.bin');
  }
  const modelJson = JSON.stringify({ modelTopology: artifacts!.modelTopology, weightsManifest: manifest });
  writeFileSync(join(dir, 'model.json'), modelJson);
  return { dir, modelJson, shards };
}

/** Mutates the folder an input is made of; returns what was done. */
function mutateFolder(rng: Rng, seed: Seed, dir: string): string[] {
  const how = rng.weighted([
    ['model.json as JSON', 50],
    ['model.json as bytes', 15],
    ['a shard', 25],
    ['the files the manifest names', 10],
  ] as const);
  let modelJson = seed.modelJson;
  const steps: string[] = [];
  switch (how) {
    case 'model.json as JSON': {
      const mutated = mutateJson(rng, modelJson, rng.between(1, 3));
      if (mutated !== null) {
        modelJson = mutated.text;
        steps.push(...mutated.steps.map((s) => `model.json: ${s}`));
      }
      break;
    }
    case 'model.json as bytes': {
      const mutated = mutateBytesTimes(rng, Buffer.from(modelJson), rng.between(1, 3));
      steps.push(...mutated.steps.map((s) => `model.json: ${s}`));
      writeFileSync(join(dir, 'model.json'), mutated.bytes);
      return steps;
    }
    case 'a shard': {
      const shard = rng.pick(seed.shards);
      const path = join(dir, shard);
      const kind = rng.pick(['bytes', 'delete', 'empty', 'folder'] as const);
      rmSync(path);
      if (kind === 'bytes') {
        const mutated = mutateBytesTimes(rng, readFileSync(join(seed.dir, shard)), rng.between(1, 2));
        writeFileSync(path, mutated.bytes);
        steps.push(...mutated.steps.map((s) => `${shard}: ${s}`));
      } else if (kind === 'empty') {
        writeFileSync(path, '');
        steps.push(`${shard}: empty`);
      } else if (kind === 'folder') {
        mkdirSync(path);
        steps.push(`${shard}: a folder instead of a file`);
      } else {
        steps.push(`${shard}: deleted`);
      }
      break;
    }
    case 'the files the manifest names': {
      const manifest = JSON.parse(modelJson) as { weightsManifest: { paths: string[] }[] };
      const group = rng.pick(manifest.weightsManifest);
      const at = rng.int(group.paths.length);
      const entry = rng.pick([
        'sub',
        '.',
        '',
        'sub/../group1-shard1of1.bin',
        'link.bin',
        '../outside.bin',
        '/etc/hostname',
        'a\\b.bin',
        'nul\0.bin',
        '%2e%2e/x.bin',
        'missing.bin',
      ]);
      if (entry === 'sub') mkdirSync(join(dir, 'sub'));
      if (entry === 'sub/../group1-shard1of1.bin') mkdirSync(join(dir, 'sub'));
      if (entry === 'link.bin') symlinkSync(join(seed.dir, group.paths[at]!), join(dir, 'link.bin'));
      group.paths[at] = entry;
      modelJson = JSON.stringify(manifest);
      steps.push(`the manifest names ${JSON.stringify(entry)} for a shard`);
      break;
    }
  }
  writeFileSync(join(dir, 'model.json'), modelJson);
  return steps;
}

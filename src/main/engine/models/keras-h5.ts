import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import type { default as H5wasm, File as H5File, Group as H5Group } from 'h5wasm';
import { AppError } from '../../../shared/contract/errors';

/** One weight as Keras saved it: its name (e.g. `conv1_conv/kernel:0`), shape and values. */
export interface KerasWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The weights of a Keras `.h5` file, by layer name, in the order Keras listed them. */
export interface KerasWeights {
  path: string;
  /** Only the layers that hold weights. */
  layers: Map<string, KerasWeight[]>;
}

/**
 * Layers a file may hold that a backbone without its classifier lacks: the ImageNet classifier of
 * Keras Applications (`predictions`), of older Keras ResNet-50 (`fc1000`), Keras MobileNet v1
 * (`conv_preds`) and keras-applications MobileNetV2 (`Logits`). Any other extra layer means the
 * file belongs to another network.
 */
export const classifierLayers: readonly string[] = ['predictions', 'fc1000', 'conv_preds', 'Logits'];

type H5 = typeof H5wasm;
let loaded: Promise<H5> | undefined;
/** How many HDF5 instances this process has started (see `restartH5wasm`). */
let instances = 0;

/**
 * h5wasm's Node build reads the host filesystem directly (no copy of the file into memory).
 * Emscripten decides it runs on the web where `navigator` exists (Electron's processes, Node 21+),
 * so it is hidden while the module starts, as h5wasm's README says for Electron.
 */
function h5wasm(): Promise<H5> {
  loaded ??= (async () => {
    const navigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    if (navigator?.configurable) Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true });
    try {
      // After the first, each instance is the module loaded again under another URL: a new WebAssembly memory.
      const module =
        instances++ === 0
          ? (await import('h5wasm/node')).default
          : ((await import(/* @vite-ignore */ `${import.meta.resolve('h5wasm/node')}?instance=${instances}`)) as { default: H5 }).default;
      await module.ready;
      return module;
    } finally {
      if (navigator?.configurable) Object.defineProperty(globalThis, 'navigator', navigator);
    }
  })();
  return loaded;
}

/**
 * A trap inside the HDF5 library (an abort, an access out of its memory), which a damaged file can
 * cause: after one, the instance's memory cannot be trusted (in the fuzz suite, one aborted on
 * every file, good ones included, after some thousands of damaged ones), so the next read starts a
 * new instance.
 */
function isTrap(error: unknown): boolean {
  return error instanceof WebAssembly.RuntimeError;
}

function restartH5wasm(): void {
  // Where the module cannot be loaded again (a bundle without import.meta.resolve), the old one stays.
  if (typeof import.meta.resolve === 'function') loaded = undefined;
}

/**
 * Reads the weights of a Keras `.h5` file: one saved by `model.save_weights(...)` (layer groups at
 * the root, with a `layer_names` attribute) or a whole model saved by `model.save(...)` (the same
 * under `model_weights`). The file is checked before HDF5 reads it, so that a truncated download or
 * another kind of file is named as such instead of failing deep inside the HDF5 library.
 */
export async function readKerasWeights(file: string): Promise<KerasWeights> {
  const path = resolve(file);
  await checkHdf5File(path);
  try {
    return readWeightsFile(await h5wasm(), path);
  } catch (error) {
    if (!isTrap(error)) throw error;
    // The trap may come from an earlier file's damage: once more, in a new instance.
    restartH5wasm();
  }
  try {
    return readWeightsFile(await h5wasm(), path);
  } catch (error) {
    if (!isTrap(error)) throw error;
    restartH5wasm();
    throw damaged(path, error);
  }
}

/** readKerasWeights's reading, in one HDF5 instance; a trap in the library is thrown as it is. */
function readWeightsFile(h5: H5, path: string): KerasWeights {
  let handle: H5File;
  try {
    handle = new h5.File(path, 'r');
  } catch (error) {
    if (isTrap(error)) throw error;
    throw damaged(path, error);
  }
  try {
    const group = weightsGroup(h5, handle, path);
    const layers = new Map<string, KerasWeight[]>();
    for (const layerName of stringList(group, 'layer_names')) {
      const layerGroup = group.get(layerName);
      if (!(layerGroup instanceof h5.Group)) {
        throw new AppError(
          'INVALID_INPUT',
          `${path} lists layer "${layerName}" but holds no weights group for it: the file is damaged. Download or save it again.`,
          { file: path, layer: layerName },
        );
      }
      const weights: KerasWeight[] = [];
      for (const weightName of stringList(layerGroup, 'weight_names')) {
        weights.push(readWeight(h5, layerGroup, path, layerName, weightName));
      }
      if (weights.length > 0) layers.set(layerName, weights);
    }
    return { path, layers };
  } catch (error) {
    if (error instanceof AppError || isTrap(error)) throw error;
    throw damaged(path, error);
  } finally {
    close(handle);
  }
}

/** Closes a file. After a trap its instance is dropped, and the file with it: only then is a failure to close let go. */
function close(handle: H5File): void {
  try {
    handle.close();
  } catch (error) {
    if (!isTrap(error)) throw error;
    restartH5wasm();
  }
}

/**
 * Copies Keras weights into a model built with the same layer names (see architectures/), matching
 * layers by name and each layer's weights by their last name part (`kernel`, `gamma`, …). Everything
 * is checked before anything is assigned: a layer or weight the file lacks, a shape that differs,
 * or a layer the model lacks (other than the ImageNet classifier) fails with the file, layer, weight
 * and shapes named, and the model is left untouched.
 */
export function assignKerasWeights(tf: typeof Tf, model: Tf.LayersModel, weights: KerasWeights, title: string): void {
  const file = weights.path;
  const modelLayers = new Set(model.layers.map((layer) => layer.name));
  const extra = [...weights.layers.keys()].filter((name) => !modelLayers.has(name) && !classifierLayers.includes(name));
  const assignments: { layer: Tf.layers.Layer; values: KerasWeight[] }[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const saved = weights.layers.get(layer.name);
    if (saved === undefined) {
      const held = [...weights.layers.keys()];
      throw new AppError(
        'INVALID_INPUT',
        `${file} has no weights for layer "${layer.name}" of ${title}${held.length > 0 ? ` (its first layers are ${held.slice(0, 3).join(', ')})` : ' (it holds no weights at all)'}: it is not a Keras ${title} weights file. Use the file "mlw models download" fetches, or one saved from Keras's own ${title}.`,
        { file, layer: layer.name },
      );
    }
    if (saved.length !== layer.weights.length) {
      throw new AppError(
        'INVALID_INPUT',
        `${file} holds ${saved.length} weights for layer "${layer.name}" (${saved.map((w) => w.name).join(', ')}) but ${title} has ${layer.weights.length} (${layer.weights.map((w) => shortName(w.originalName)).join(', ')}): the file is of another variant of the network.`,
        { file, layer: layer.name },
      );
    }
    const values = layer.weights.map((variable) => {
      const wanted = shortName(variable.originalName);
      const match = saved.find((w) => shortName(w.name) === wanted);
      if (match === undefined) {
        throw new AppError(
          'INVALID_INPUT',
          `${file} has no weight "${wanted}" for layer "${layer.name}" of ${title} (it has ${saved.map((w) => w.name).join(', ')}): the file is of another network.`,
          { file, layer: layer.name, weight: wanted },
        );
      }
      if (!sameShape(match.shape, variable.shape)) {
        throw new AppError(
          'INVALID_INPUT',
          `In ${file}, weight "${match.name}" of layer "${layer.name}" has shape [${match.shape.join(', ')}] but ${title} needs [${variable.shape.join(', ')}]: the file is of another variant (width or input size) of the network. Use the file for ${title}.`,
          { file, layer: layer.name, weight: match.name, shape: match.shape, expectedShape: variable.shape },
        );
      }
      return match;
    });
    assignments.push({ layer, values });
  }
  if (extra.length > 0) {
    throw new AppError(
      'INVALID_INPUT',
      `${file} holds weights for layer${extra.length > 1 ? 's' : ''} ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''} that ${title} does not have: the file is of another network. Use the file for ${title}.`,
      { file, layers: extra },
    );
  }
  for (const { layer, values } of assignments) {
    const tensors = values.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}

/** `conv1_conv/kernel:0` and `conv1_conv/kernel` both give `kernel`. */
function shortName(name: string): string {
  return name.split('/').pop()!.replace(/:\d+$/, '');
}

function sameShape(a: readonly number[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** The group holding `layer_names`: the root (save_weights) or `model_weights` (a whole saved model). */
function weightsGroup(h5: H5, file: H5File, path: string): H5Group {
  if (hasList(file, 'layer_names')) return file;
  const modelWeights = file.get('model_weights');
  if (modelWeights instanceof h5.Group && hasList(modelWeights, 'layer_names')) return modelWeights;
  const keys = file.keys();
  if (keys.includes('layers') || keys.includes('vars')) {
    throw new AppError(
      'INVALID_INPUT',
      `${path} is in the Keras 3 ".weights.h5" layout, which the app does not read. Save the weights from Keras with the legacy format (model.save_weights("${basename(path, '.weights.h5')}.h5")) or use the file "mlw models download" fetches.`,
      { file: path },
    );
  }
  throw new AppError(
    'INVALID_INPUT',
    `${path} is an HDF5 file but not Keras weights (it has no "layer_names" list). Use weights saved by Keras's model.save_weights or model.save as .h5.`,
    { file: path },
  );
}

function hasList(group: H5Group, name: string): boolean {
  const attrs = group.attrs;
  return name in attrs || `${name}0` in attrs;
}

/**
 * A list of names stored as an attribute. Keras splits a list too long for one HDF5 object
 * header over `name0`, `name1`, …; a layer without weights has an empty list.
 */
function stringList(group: H5Group, name: string): string[] {
  const attrs = group.attrs;
  const parts: unknown[] = [];
  if (name in attrs) parts.push(attrs[name]!.value);
  else for (let i = 0; `${name}${i}` in attrs; i++) parts.push(attrs[`${name}${i}`]!.value);
  return parts.flatMap((value) => {
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) return value.map(String);
    // An empty list is stored as an empty numeric array.
    if (ArrayBuffer.isView(value) && (value as unknown as ArrayLike<number>).length === 0) return [];
    throw new Error(`attribute ${name} of ${group.path} is not a list of names`);
  });
}

function readWeight(h5: H5, group: H5Group, path: string, layer: string, name: string): KerasWeight {
  const dataset = group.get(name);
  if (!(dataset instanceof h5.Dataset)) {
    throw new AppError(
      'INVALID_INPUT',
      `${path} lists weight "${name}" of layer "${layer}" but does not hold it: the file is damaged. Download or save it again.`,
      { file: path, layer, weight: name },
    );
  }
  const shape = dataset.shape ?? [];
  const value = dataset.value;
  let values: Float32Array;
  if (value instanceof Float32Array) values = value;
  else if (value instanceof Float64Array) values = Float32Array.from(value);
  else {
    throw new AppError(
      'INVALID_INPUT',
      `Weight "${name}" of layer "${layer}" in ${path} is stored as ${JSON.stringify(dataset.dtype)}; only 32- and 64-bit floats are read. Save the weights as float32.`,
      { file: path, layer, weight: name },
    );
  }
  if (values.length !== shape.reduce((a, b) => a * b, 1))
    throw new Error(`weight ${name} holds ${values.length} values for shape [${shape.join(', ')}]`);
  return { name, shape, values };
}

function damaged(path: string, error: unknown): AppError {
  const message = error instanceof Error ? error.message : String(error);
  return new AppError(
    'INVALID_INPUT',
    `${path} could not be read as Keras weights: the HDF5 library could not read its structure, so the file is damaged. Download or save it again.`,
    { file: path, reason: message },
  );
}

const signature = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Checks that a file is HDF5 and as long as its superblock says. The HDF5 library itself only
 * reports "unable to open file" (and prints its error stack) for both; a short file is almost
 * always an interrupted download, which deserves to be named as one.
 */
export async function checkHdf5File(path: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info === null) throw new AppError('NOT_FOUND', `There is no weights file at ${path}.`, { file: path });
  if (!info.isFile()) throw new AppError('INVALID_INPUT', `${path} is not a file; choose the Keras .h5 weights file.`, { file: path });
  const handle = await open(path, 'r');
  try {
    // The superblock is at 0 or, after a user block, at 512, 1024, 2048, … bytes.
    for (let base = 0; base < info.size; base = base === 0 ? 512 : base * 2) {
      const head = Buffer.alloc(64);
      await handle.read(head, 0, head.length, base);
      if (!head.subarray(0, signature.length).equals(signature)) continue;
      const needed = base + superblockEnd(head);
      if (needed > info.size) {
        throw new AppError(
          'INVALID_INPUT',
          `${path} is truncated: it holds ${info.size} bytes but its header says ${needed}. The download was probably interrupted; download it again.`,
          { file: path, bytes: info.size, expectedBytes: needed },
        );
      }
      return;
    }
  } finally {
    await handle.close();
  }
  throw new AppError('INVALID_INPUT', `${path} is not an HDF5 file, so not Keras .h5 weights.`, { file: path });
}

/** The end-of-file address the superblock records (relative to the superblock), or 0 if unknown. */
function superblockEnd(head: Buffer): number {
  const version = head[8]!;
  const read = (at: number, size: number): number =>
    size === 8 ? Number(head.readBigUInt64LE(at)) : size === 4 ? head.readUInt32LE(at) : size === 2 ? head.readUInt16LE(at) : 0;
  if (version === 0 || version === 1) {
    const offsets = head[13]!;
    // Base address and free-space address come first, then the end-of-file address.
    const at = (version === 0 ? 24 : 28) + 2 * offsets;
    return at + offsets <= head.length ? read(at, offsets) : 0;
  }
  if (version === 2 || version === 3) {
    const offsets = head[9]!;
    // Base address and superblock-extension address, then the end-of-file address.
    const at = 12 + 2 * offsets;
    return at + offsets <= head.length ? read(at, offsets) : 0;
  }
  return 0;
}

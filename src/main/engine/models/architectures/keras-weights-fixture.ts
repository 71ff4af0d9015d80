// Test support: writes weights files laid out as Keras 2 writes them (h5py), so that the .h5 import
// is tested against generated files instead of committed binaries.
import type * as Tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';

export interface FixtureLayer {
  name: string;
  /** Empty for a layer without weights (Keras lists those too). */
  weights: { name: string; shape: number[]; values: Float32Array }[];
}

/** A model's layers and weights, named as Keras names them (`conv1_conv/kernel:0`). */
export function kerasLayersOf(model: Tf.LayersModel): FixtureLayer[] {
  return model.layers.map((layer) => ({
    name: layer.name,
    weights: layer.weights.map((variable) => ({
      name: `${layer.name}/${variable.originalName.split('/').pop()!}:0`,
      shape: [...variable.shape] as number[],
      values: variable.read().dataSync() as Float32Array,
    })),
  }));
}

/**
 * Writes an .h5 as Keras's legacy `save_weights` does (layer groups at the root), or as `model.save`
 * does (`layout: 'model'`: the same under `model_weights`, beside a `model_config`). Name lists are
 * fixed-length byte strings, as h5py stores numpy's; an empty list is an empty float array.
 * `chunked` splits `layer_names` over `layer_names0`, `layer_names1`, as Keras does for long lists.
 */
export async function writeKerasWeightsFile(
  path: string,
  layers: FixtureLayer[],
  options: { layout?: 'weights' | 'model'; chunked?: boolean } = {},
): Promise<void> {
  await h5wasm.ready;
  const file = new h5wasm.File(path, 'w');
  try {
    let root: ReturnType<typeof file.create_group> = file;
    if (options.layout === 'model') {
      file.create_attribute('model_config', JSON.stringify({ class_name: 'Functional' }));
      root = file.create_group('model_weights');
    }
    const names = layers.map((l) => l.name);
    if (options.chunked) {
      const half = Math.ceil(names.length / 2);
      nameList(root, 'layer_names0', names.slice(0, half));
      nameList(root, 'layer_names1', names.slice(half));
    } else {
      nameList(root, 'layer_names', names);
    }
    root.create_attribute('backend', 'tensorflow');
    root.create_attribute('keras_version', '2.13.1');
    for (const layer of layers) {
      const group = root.create_group(layer.name);
      nameList(
        group,
        'weight_names',
        layer.weights.map((w) => w.name),
      );
      for (const weight of layer.weights) {
        // Keras stores `conv1_conv/kernel:0` as a dataset `kernel:0` in a subgroup `conv1_conv`.
        const parts = weight.name.split('/');
        let parent = group;
        for (const part of parts.slice(0, -1)) {
          const existing = parent.get(part);
          parent = existing instanceof h5wasm.Group ? existing : parent.create_group(part);
        }
        parent.create_dataset({ name: parts.at(-1)!, data: weight.values, shape: weight.shape, dtype: '<f' });
      }
    }
  } finally {
    file.close();
  }
}

function nameList(
  group: { create_attribute: (name: string, data: string[] | Float64Array, shape?: number[] | null, dtype?: string) => void },
  name: string,
  values: string[],
): void {
  if (values.length === 0) group.create_attribute(name, new Float64Array(0), [0], '<d');
  else group.create_attribute(name, values, null, `S${Math.max(...values.map((v) => Buffer.byteLength(v)))}`);
}

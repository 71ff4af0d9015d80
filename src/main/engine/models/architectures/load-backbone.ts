import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type * as Tf from '@tensorflow/tfjs';
import { AppError } from '../../../../shared/contract/errors';
import { assignKerasWeights, readKerasWeights } from '../keras-h5';
import { buildFailure, readLayersFolder } from '../layers-folder';
import { h5WeightsFile, locateWeights, type BackboneSpec, type WeightsLocation } from '../zoo';

export interface LoadedBackbone {
  /** The network with its weights; its layer `spec.featureLayer` ends the trunk. */
  model: Tf.LayersModel;
  /** The SHA-256 of the weights (a Layers folder's weight data, or the .h5 file), to key caches by. */
  weightsKey: string;
  weights: WeightsLocation;
}

/**
 * The one way to get a backbone with its weights, whichever form they come in: a TensorFlow.js
 * Layers folder (topology and weights; e.g. MobileNet v1, or a backbone a fine-tuning run saved),
 * or a Keras `.h5` weights file, which is loaded by layer name into the network the zoo builds.
 * `weightsPath` is a folder (holding model.json or weights.h5) or an .h5 file.
 */
export async function loadBackbone(tf: typeof Tf, spec: BackboneSpec, weightsPath: string): Promise<LoadedBackbone> {
  const weights = locateWeights(weightsPath);
  if (weights === null) {
    throw new AppError(
      'NOT_FOUND',
      `No ${spec.title} weights at ${weightsPath}: expected a TensorFlow.js Layers folder (model.json and shards), a folder with ${h5WeightsFile}, or a Keras .h5 file.`,
      { path: weightsPath },
    );
  }
  let model: Tf.LayersModel;
  let weightsKey: string;
  if (weights.format === 'tfjs-layers') {
    const artifacts = await readLayersFolder(weights.path);
    weightsKey = createHash('sha256')
      .update(new Uint8Array(artifacts.weightData as ArrayBuffer))
      .digest('hex');
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (error) {
      throw new AppError(
        'INVALID_INPUT',
        `The weights in ${weights.path} do not build ${spec.title} (TensorFlow.js: "${buildFailure(error)}"). The folder is damaged or holds another network; copy or download it again.`,
        { path: weights.path },
      );
    }
  } else {
    if (spec.build === undefined) {
      throw new AppError(
        'INVALID_INPUT',
        `${weights.path} is a Keras .h5 file, but ${spec.title} is only read from a TensorFlow.js Layers folder (model.json and shards): the app does not build its network. Point the weights at such a folder.`,
        { path: weights.path },
      );
    }
    // Read (and check) the file before building: building ResNet-50 takes seconds.
    const saved = await readKerasWeights(weights.path);
    model = spec.build(tf);
    try {
      assignKerasWeights(tf, model, saved, spec.title);
    } catch (error) {
      model.dispose();
      throw error;
    }
    weightsKey = await sha256OfFile(weights.path);
  }
  if (!model.layers.some((layer) => layer.name === spec.featureLayer)) {
    model.dispose();
    throw new AppError(
      'INVALID_INPUT',
      `The model in ${weights.path} has no layer named ${spec.featureLayer}, where the ${spec.title} trunk ends: these weights are of another network.`,
      { path: weights.path },
    );
  }
  return { model, weightsKey, weights };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

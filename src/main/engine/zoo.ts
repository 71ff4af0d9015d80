import type { Preprocessing } from './preprocess';

/** The backbones the app knows; each names where its feature trunk ends. */
export interface BackboneSpec {
  id: string;
  title: string;
  preprocessing: Preprocessing;
  /** The last layer of the trunk: global average pooling follows it, then the new head. */
  featureLayer: string;
  featureSize: number;
  /** Where the official TensorFlow.js Layers weights are published. */
  source: string;
}

export const backbones: Record<string, BackboneSpec> = {
  'mobilenet_v1_0.75': {
    id: 'mobilenet_v1_0.75',
    title: 'MobileNet v1 (alpha 0.75, 224)',
    preprocessing: { size: 224, normalisation: 'mobilenet' },
    featureLayer: 'conv_pw_13_relu',
    featureSize: 768,
    source: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.75_224/model.json',
  },
  'mobilenet_v1_1.0': {
    id: 'mobilenet_v1_1.0',
    title: 'MobileNet v1 (alpha 1.0, 224)',
    preprocessing: { size: 224, normalisation: 'mobilenet' },
    featureLayer: 'conv_pw_13_relu',
    featureSize: 1024,
    source: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_1.0_224/model.json',
  },
};

export function backboneSpec(id: string): BackboneSpec {
  const spec = backbones[id];
  if (spec === undefined) {
    throw new Error(`Unknown backbone "${id}". Known: ${Object.keys(backbones).join(', ')}.`);
  }
  return spec;
}

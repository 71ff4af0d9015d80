import type * as Tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { exportOnnx } from '../models/onnx-export';
import type { Head } from './gradcam';
import { gradCamFromFeatureMap } from './gradcam-closed-form';
import { createSession, runBatch, type OnnxRuntime } from './onnx-runtime';

/** A backbone's trunk on ONNX Runtime: NHWC images in; pooled features and the feature map out. */
export interface OnnxTrunk {
  runtime: OnnxRuntime;
  session: Ort.InferenceSession;
  /** Input side in pixels. */
  size: number;
  featureSize: number;
}

/** Exports a loaded TensorFlow.js network's trunk (up to `featureLayer`) and opens it on ONNX Runtime. */
export async function onnxTrunkOfModel(runtime: OnnxRuntime, model: Tf.LayersModel, featureLayer: string): Promise<OnnxTrunk> {
  const bytes = exportOnnx(model, { trunkEnd: featureLayer, featureMap: true });
  const shape = model.inputs[0]!.shape;
  const end = model.getLayer(featureLayer).outputShape as number[];
  return { runtime, session: await createSession(runtime, bytes), size: shape[1]!, featureSize: end[end.length - 1]! };
}

/** Opens an ONNX model that has the trunk's outputs (`features`, `feature_map`), such as our export's. */
export async function onnxTrunkOfFile(runtime: OnnxRuntime, bytes: Uint8Array): Promise<OnnxTrunk> {
  const session = await createSession(runtime, bytes);
  const input = session.inputMetadata[0];
  const features = session.outputMetadata.find((o) => o.name === 'features');
  if (
    input === undefined ||
    !input.isTensor ||
    features === undefined ||
    !features.isTensor ||
    !session.outputNames.includes('feature_map')
  ) {
    await session.release();
    throw new Error("the model has no 'input' with 'features' and 'feature_map' outputs");
  }
  const size = Number(input.shape[1]);
  const featureSize = Number(features.shape[1]);
  if (!Number.isInteger(size) || !Number.isInteger(featureSize)) {
    await session.release();
    throw new Error(`the model's input ${JSON.stringify(input.shape)} or features ${JSON.stringify(features.shape)} have no fixed size`);
  }
  return { runtime, session, size, featureSize };
}

/** Pooled features of `count` preprocessed images (NHWC, one after another): `[count, featureSize]`. */
export async function embedOnnx(trunk: OnnxTrunk, input: Float32Array, count: number): Promise<Float32Array> {
  const { features } = await runBatch(trunk.runtime, trunk.session, input, count, trunk.size, ['features']);
  return features!.data;
}

/** Grad-CAM and every class's score for one preprocessed image, from the trunk's feature map (no backward pass). */
export async function onnxGradCam(trunk: OnnxTrunk, head: Head, input: Float32Array, classIndices: readonly number[]) {
  const { feature_map: map } = await runBatch(trunk.runtime, trunk.session, input, 1, trunk.size, ['feature_map']);
  const [, height, width] = map!.dims as [number, number, number, number];
  return gradCamFromFeatureMap(map!.data, height, width, head, classIndices);
}

import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs';
import type * as OnnxProto from 'onnx-proto';
import { AppError } from '../../../shared/contract/errors';
import type { Head } from '../inference/gradcam';

/**
 * Writes a TensorFlow.js Layers network (a backbone's trunk, optionally with a run's head) as an
 * ONNX model, for ONNX Runtime. The graph takes what our preprocessing produces, NHWC float32
 * `[N, size, size, 3]`, transposes it once and runs channels-first, the layout ONNX Runtime's CPU
 * kernels are fastest in. Batch normalisation after a convolution is folded into its weights (in
 * float64, then rounded once), and zero padding before a convolution becomes the convolution's
 * own padding.
 *
 * Outputs, by name:
 * - `features` `[N, C]`: the trunk's last feature map, averaged over space (what the head takes);
 * - `feature_map` `[N, H, W, C]` (when asked): the map itself, channels-last like TensorFlow.js's;
 * - `logits` and `scores` `[N, classes]` (with a head): `features · W + b`, and its sigmoid.
 */
export interface OnnxExportOptions {
  /** The layer whose output ends the trunk. */
  trunkEnd: string;
  /** A run's new layer: row-major `[featureSize, classes]` weights and a bias per class. */
  head?: Head;
  featureMap?: boolean;
  /** Written into the model's `metadata_props`. */
  metadata?: Record<string, string>;
  /** Keep batch normalisation as its own node (for tests of the folding). */
  foldBatchNorm?: boolean;
}

/** The opset the exporter writes; ONNX Runtime 1.31 runs opsets 7 to 23. */
export const onnxOpset = 13;

/** A network that uses a layer the exporter does not translate; callers fall back to TensorFlow.js. */
export class OnnxUnsupportedError extends AppError {
  constructor(
    readonly layerName: string,
    readonly detail: string,
  ) {
    super('INVALID_INPUT', `The layer ${layerName} (${detail}) has no ONNX translation here, so this network runs on TensorFlow.js.`, {
      layer: layerName,
    });
  }
}

// onnx-proto is CommonJS (protobufjs's static code), whose named exports Node's ESM loader cannot see.
const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto;
type NodeProto = OnnxProto.onnx.INodeProto;
type TensorProto = OnnxProto.onnx.ITensorProto;
type AttributeProto = OnnxProto.onnx.IAttributeProto;
type ValueInfoProto = OnnxProto.onnx.IValueInfoProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const A = onnx.AttributeProto.AttributeType;

type Layer = Tf.layers.Layer;
interface Weights {
  data: Float32Array;
  dims: number[];
}
/** A convolution kept in JavaScript until the end, so that a following batch norm can be folded into it. */
interface ConvNode {
  node: NodeProto;
  weight: Weights;
  bias: Float32Array;
  outChannels: number;
}

class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly convs: ConvNode[] = [];
  private counter = 0;

  name(base: string): string {
    return `${base}__${this.counter++}`;
  }

  node(opType: string, inputs: string[], output: string, attributes: AttributeProto[] = []): NodeProto {
    const node: NodeProto = { opType, input: inputs, output: [output], name: output, attribute: attributes };
    this.nodes.push(node);
    return node;
  }

  floats(name: string, data: Float32Array, dims: number[]): string {
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: bytesOf(data) });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: INT64, rawData: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    return name;
  }

  scalar(name: string, value: number): string {
    this.initializers.push({ name, dims: [], dataType: FLOAT, rawData: bytesOf(Float32Array.of(value)) });
    return name;
  }
}

function bytesOf(array: Float32Array | BigInt64Array): Uint8Array {
  // ONNX raw data is little-endian, as are the machines ONNX Runtime runs on.
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();
}

const ints = (name: string, values: number[]): AttributeProto => ({ name, type: A.INTS, ints: values });
const int = (name: string, value: number): AttributeProto => ({ name, type: A.INT, i: value });

/** The layers the trunk's output depends on, inputs first. */
function layersUpTo(end: Layer): Layer[] {
  const order: Layer[] = [];
  const seen = new Set<Layer>();
  const visit = (layer: Layer) => {
    if (seen.has(layer)) return;
    seen.add(layer);
    if (layer.inboundNodes.length > 1) throw new OnnxUnsupportedError(layer.name, 'used more than once');
    for (const inbound of layer.inboundNodes[0]?.inboundLayers ?? []) visit(inbound);
    order.push(layer);
  };
  visit(end);
  return order;
}

function inboundOf(layer: Layer): Layer[] {
  return layer.inboundNodes[0]?.inboundLayers ?? [];
}

function spatialShape(layer: Layer): [number, number] {
  const shape = layer.inboundNodes[0]!.inputShapes as number[] | number[][];
  const first = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  if (first.length !== 4 || first[1] == null || first[2] == null) {
    throw new OnnxUnsupportedError(layer.name, `input shape ${JSON.stringify(first)}, where a fixed [N, H, W, C] is needed`);
  }
  return [first[1], first[2]];
}

/** TensorFlow's "same" padding of one axis: the extra pixel, if any, goes at the end. */
function samePadding(input: number, kernel: number, stride: number, dilation: number): [number, number] {
  const output = Math.ceil(input / stride);
  const total = Math.max((output - 1) * stride + (kernel - 1) * dilation + 1 - input, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

function weightsOf(layer: Layer): Map<string, Weights> {
  const values = layer.getWeights();
  const map = new Map<string, Weights>();
  layer.weights.forEach((variable, i) => {
    const key = variable.originalName.split('/').pop()!.replace(/_\d+$/, '');
    map.set(key, { data: values[i]!.dataSync() as Float32Array, dims: values[i]!.shape });
  });
  return map;
}

interface Translation {
  builder: GraphBuilder;
  /** The ONNX value that holds each layer's output (NCHW for feature maps). */
  valueOf: Map<Layer, string>;
  /** Zero padding waiting to be taken up by the convolution that consumes it: [top, bottom, left, right]. */
  pendingPads: Map<Layer, [number, number, number, number]>;
  /** Layers whose output is consumed by more than one layer of the trunk. */
  consumers: Map<Layer, number>;
  /** The convolution that produced a layer's output, while nothing else has touched it. */
  convOf: Map<Layer, ConvNode>;
  fold: boolean;
}

type Config = Record<string, unknown>;

function activationNode(t: Translation, layer: Layer, input: string, activation: string): string {
  const b = t.builder;
  switch (activation) {
    case 'linear':
      return input;
    case 'relu':
      return b.node('Relu', [input], b.name(`${layer.name}_relu`)).output![0]!;
    case 'relu6':
      return b.node('Clip', [input, b.scalar(b.name('zero'), 0), b.scalar(b.name('six'), 6)], b.name(`${layer.name}_relu6`)).output![0]!;
    case 'sigmoid':
      return b.node('Sigmoid', [input], b.name(`${layer.name}_sigmoid`)).output![0]!;
    case 'tanh':
      return b.node('Tanh', [input], b.name(`${layer.name}_tanh`)).output![0]!;
    default:
      throw new OnnxUnsupportedError(layer.name, `activation ${activation}`);
  }
}

function convolution(t: Translation, layer: Layer, config: Config, depthwise: boolean): string {
  const b = t.builder;
  const source = inboundOf(layer)[0]!;
  const [height, width] = spatialShape(layer);
  const [kh, kw] = config.kernelSize as number[];
  const [sh, sw] = config.strides as number[];
  const [dh, dw] = config.dilationRate as number[];
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') throw new OnnxUnsupportedError(layer.name, 'channels-first data');
  let pads: [number, number, number, number] = [0, 0, 0, 0]; // top, bottom, left, right
  if (config.padding === 'same') {
    const [top, bottom] = samePadding(height, kh!, sh!, dh!);
    const [left, right] = samePadding(width, kw!, sw!, dw!);
    pads = [top, bottom, left, right];
  } else if (config.padding !== 'valid') {
    throw new OnnxUnsupportedError(layer.name, `padding ${String(config.padding)}`);
  }
  let input = t.valueOf.get(source)!;
  const pending = t.pendingPads.get(source);
  if (pending !== undefined) {
    if (config.padding !== 'valid') {
      input = padNode(t, source, input, pending);
    } else {
      pads = pending;
    }
  }
  const weights = weightsOf(layer);
  let weight: Weights;
  let outChannels: number;
  let group = 1;
  if (depthwise) {
    const kernel = weights.get('depthwise_kernel')!;
    const [, , cin, multiplier] = kernel.dims as [number, number, number, number];
    outChannels = cin * multiplier;
    group = cin;
    // [kh, kw, in, mult] → [in * mult, 1, kh, kw]; output channel i * mult + m, as TensorFlow orders it.
    const data = new Float32Array(outChannels * kh! * kw!);
    for (let y = 0; y < kh!; y++)
      for (let x = 0; x < kw!; x++)
        for (let i = 0; i < cin; i++)
          for (let m = 0; m < multiplier; m++)
            data[((i * multiplier + m) * kh! + y) * kw! + x] = kernel.data[((y * kw! + x) * cin + i) * multiplier + m]!;
    weight = { data, dims: [outChannels, 1, kh!, kw!] };
  } else {
    const kernel = weights.get('kernel')!;
    const [, , cin, cout] = kernel.dims as [number, number, number, number];
    outChannels = cout;
    // [kh, kw, in, out] → [out, in, kh, kw].
    const data = new Float32Array(cout * cin * kh! * kw!);
    for (let y = 0; y < kh!; y++)
      for (let x = 0; x < kw!; x++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < cout; o++) data[((o * cin + i) * kh! + y) * kw! + x] = kernel.data[((y * kw! + x) * cin + i) * cout + o]!;
    weight = { data, dims: [cout, cin, kh!, kw!] };
  }
  const bias = config.useBias === false ? new Float32Array(outChannels) : weights.get('bias')!.data.slice();
  const output = b.name(layer.name);
  const node = b.node('Conv', [input], output, [
    ints('kernel_shape', [kh!, kw!]),
    ints('strides', [sh!, sw!]),
    ints('dilations', [dh!, dw!]),
    ints('pads', [pads[0], pads[2], pads[1], pads[3]]),
    int('group', group),
  ]);
  const conv: ConvNode = { node, weight, bias, outChannels };
  b.convs.push(conv);
  const activation = String(config.activation ?? 'linear');
  const result = activationNode(t, layer, output, activation);
  if (activation === 'linear') t.convOf.set(layer, conv);
  return result;
}

function padNode(t: Translation, layer: Layer, input: string, [top, bottom, left, right]: [number, number, number, number]): string {
  const b = t.builder;
  const pads = b.int64s(b.name(`${layer.name}_pads`), [0, 0, top, left, 0, 0, bottom, right]);
  return b.node('Pad', [input, pads], b.name(layer.name)).output![0]!;
}

function batchNorm(t: Translation, layer: Layer, config: Config, input: string): string {
  const b = t.builder;
  const axis = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : config.axis;
  if (axis !== -1 && axis !== 3) {
    throw new OnnxUnsupportedError(layer.name, `batch normalisation over axis ${JSON.stringify(config.axis)}`);
  }
  const source = inboundOf(layer)[0]!;
  const weights = weightsOf(layer);
  const mean = weights.get('moving_mean')!.data;
  const variance = weights.get('moving_variance')!.data;
  const channels = mean.length;
  const gamma = weights.get('gamma')?.data ?? new Float32Array(channels).fill(1);
  const beta = weights.get('beta')?.data ?? new Float32Array(channels);
  const epsilon = Number(config.epsilon ?? 1e-3);
  const conv = t.convOf.get(source);
  if (t.fold && conv !== undefined && !t.pendingPads.has(source) && (t.consumers.get(source) ?? 0) === 1 && conv.outChannels === channels) {
    // y = gamma (conv(x) + bias - mean) / sqrt(var + eps) + beta: scale each output channel's kernel.
    const perChannel = conv.weight.data.length / channels;
    for (let o = 0; o < channels; o++) {
      const scale = gamma[o]! / Math.sqrt(variance[o]! + epsilon);
      for (let k = 0; k < perChannel; k++) conv.weight.data[o * perChannel + k] = conv.weight.data[o * perChannel + k]! * scale;
      conv.bias[o] = (conv.bias[o]! - mean[o]!) * scale + beta[o]!;
    }
    return input;
  }
  return b.node(
    'BatchNormalization',
    [
      input,
      b.floats(b.name(`${layer.name}_gamma`), gamma, [channels]),
      b.floats(b.name(`${layer.name}_beta`), beta, [channels]),
      b.floats(b.name(`${layer.name}_mean`), mean, [channels]),
      b.floats(b.name(`${layer.name}_var`), variance, [channels]),
    ],
    b.name(layer.name),
    [{ name: 'epsilon', type: A.FLOAT, f: epsilon }],
  ).output![0]!;
}

function pooling(t: Translation, layer: Layer, config: Config, op: 'MaxPool' | 'AveragePool'): string {
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') throw new OnnxUnsupportedError(layer.name, 'channels-first data');
  const source = inboundOf(layer)[0]!;
  let input = t.valueOf.get(source)!;
  const pending = t.pendingPads.get(source);
  if (pending !== undefined) input = padNode(t, source, input, pending);
  const [height, width] = spatialShape(layer);
  const [kh, kw] = config.poolSize as number[];
  const [sh, sw] = (config.strides as number[] | null) ?? [kh!, kw!];
  let pads = [0, 0, 0, 0];
  if (config.padding === 'same') {
    const [top, bottom] = samePadding(height, kh!, sh!, 1);
    const [left, right] = samePadding(width, kw!, sw!, 1);
    pads = [top, left, bottom, right];
  }
  // AveragePool leaves padding out of its counts by default, as TensorFlow does.
  return t.builder.node(op, [input], t.builder.name(layer.name), [
    ints('kernel_shape', [kh!, kw!]),
    ints('strides', [sh!, sw!]),
    ints('pads', pads),
  ]).output![0]!;
}

function translateLayer(t: Translation, layer: Layer): string {
  const b = t.builder;
  const config = layer.getConfig() as Config;
  const className = layer.getClassName();
  const inputs = inboundOf(layer).map((source) => {
    if (t.pendingPads.has(source) && !['Conv2D', 'DepthwiseConv2D', 'MaxPooling2D', 'AveragePooling2D'].includes(className)) {
      return padNode(t, source, t.valueOf.get(source)!, t.pendingPads.get(source)!);
    }
    return t.valueOf.get(source)!;
  });
  switch (className) {
    case 'Conv2D':
      return convolution(t, layer, config, false);
    case 'DepthwiseConv2D':
      return convolution(t, layer, config, true);
    case 'BatchNormalization':
      return batchNorm(t, layer, config, inputs[0]!);
    case 'Activation':
      return activationNode(t, layer, inputs[0]!, String(config.activation));
    case 'ReLU': {
      if (Number(config.negativeSlope ?? 0) !== 0 || Number(config.threshold ?? 0) !== 0) {
        throw new OnnxUnsupportedError(layer.name, 'ReLU with a slope or threshold');
      }
      const max = config.maxValue;
      if (max == null) return b.node('Relu', [inputs[0]!], b.name(layer.name)).output![0]!;
      return b.node('Clip', [inputs[0]!, b.scalar(b.name('zero'), 0), b.scalar(b.name('max'), Number(max))], b.name(layer.name))
        .output![0]!;
    }
    case 'ZeroPadding2D': {
      if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') throw new OnnxUnsupportedError(layer.name, 'channels-first data');
      const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
      // Taken up by the next layer (a convolution's own padding), or written as a Pad node there.
      t.pendingPads.set(layer, [top, bottom, left, right]);
      return inputs[0]!;
    }
    case 'MaxPooling2D':
      return pooling(t, layer, config, 'MaxPool');
    case 'AveragePooling2D':
      return pooling(t, layer, config, 'AveragePool');
    case 'Add':
      return b.node(inputs.length === 2 ? 'Add' : 'Sum', inputs, b.name(layer.name)).output![0]!;
    case 'Multiply':
      return inputs.slice(1).reduce((product, next) => b.node('Mul', [product, next], b.name(layer.name)).output![0]!, inputs[0]!);
    case 'Concatenate': {
      const axis = Number(config.axis ?? -1);
      if (axis !== -1 && axis !== 3) throw new OnnxUnsupportedError(layer.name, `concatenation over axis ${axis}`);
      return b.node('Concat', inputs, b.name(layer.name), [int('axis', 1)]).output![0]!;
    }
    case 'Dropout':
    case 'SpatialDropout2D':
      return inputs[0]!;
    default:
      throw new OnnxUnsupportedError(layer.name, className);
  }
}

/** The ONNX model of a network's trunk (and head), as bytes of a `ModelProto`. */
export function exportOnnx(model: Tf.LayersModel, options: OnnxExportOptions): Uint8Array {
  let end: Layer;
  try {
    end = model.getLayer(options.trunkEnd);
  } catch {
    throw new AppError('INVALID_INPUT', `The model has no layer named ${options.trunkEnd}, where its trunk ends.`);
  }
  const layers = layersUpTo(end);
  const inputLayer = layers[0]!;
  if (inputLayer.getClassName() !== 'InputLayer')
    throw new OnnxUnsupportedError(inputLayer.name, 'a trunk that does not start at an input');
  const inputShape = (inputLayer.getConfig() as { batchInputShape: (number | null)[] }).batchInputShape;
  if (inputShape.length !== 4 || inputShape[3] !== 3 || inputShape[1] == null || inputShape[2] == null) {
    throw new OnnxUnsupportedError(inputLayer.name, `input shape ${JSON.stringify(inputShape)}, where [N, H, W, 3] is needed`);
  }
  const consumers = new Map<Layer, number>();
  for (const layer of layers) for (const source of inboundOf(layer)) consumers.set(source, (consumers.get(source) ?? 0) + 1);
  const t: Translation = {
    builder: new GraphBuilder(),
    valueOf: new Map(),
    pendingPads: new Map(),
    consumers,
    convOf: new Map(),
    fold: options.foldBatchNorm !== false,
  };
  const b = t.builder;
  t.valueOf.set(inputLayer, b.node('Transpose', ['input'], 'input_nchw', [ints('perm', [0, 3, 1, 2])]).output![0]!);
  for (const layer of layers.slice(1)) t.valueOf.set(layer, translateLayer(t, layer));
  let last = t.valueOf.get(end)!;
  if (t.pendingPads.has(end)) last = padNode(t, end, last, t.pendingPads.get(end)!);
  const endShape = end.outputShape as (number | null)[];
  const channels = endShape[endShape.length - 1]!;
  const [, mapHeight, mapWidth] = endShape as number[];

  // Convolutions' weights go in last, once every batch norm that follows one is folded into it.
  for (const conv of b.convs) {
    const weight = b.floats(b.name(`${conv.node.name}_W`), conv.weight.data, conv.weight.dims);
    const bias = b.floats(b.name(`${conv.node.name}_B`), conv.bias, [conv.outChannels]);
    conv.node.input = [conv.node.input![0]!, weight, bias];
  }
  b.node('GlobalAveragePool', [last], 'pooled');
  b.node('Flatten', ['pooled'], 'features', [int('axis', 1)]);
  const outputs: ValueInfoProto[] = [valueInfo('features', ['batch', channels])];
  if (options.featureMap) {
    b.node('Transpose', [last], 'feature_map', [ints('perm', [0, 2, 3, 1])]);
    outputs.push(valueInfo('feature_map', ['batch', mapHeight!, mapWidth!, channels]));
  }
  if (options.head !== undefined) {
    const { weights, bias, featureSize, classes } = options.head;
    if (featureSize !== channels) {
      throw new AppError('INVALID_INPUT', `The head takes ${featureSize} features but the trunk gives ${channels}.`);
    }
    b.node('Gemm', ['features', b.floats('head_W', weights, [featureSize, classes]), b.floats('head_B', bias, [classes])], 'logits');
    b.node('Sigmoid', ['logits'], 'scores');
    outputs.push(valueInfo('logits', ['batch', classes]), valueInfo('scores', ['batch', classes]));
  }
  const proto = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: onnxOpset }],
    producerName: 'multilabel-workbench',
    graph: {
      name: model.name || 'network',
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo('input', ['batch', inputShape[1], inputShape[2], 3])],
      output: outputs,
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(proto).finish();
}

function valueInfo(name: string, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

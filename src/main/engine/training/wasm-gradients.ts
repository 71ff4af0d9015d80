import type * as Tf from '@tensorflow/tfjs';

type TensorInfo = Tf.TensorInfo;
type Pad = 'valid' | 'same' | number | Tf.backend_util.ExplicitPadding;

interface WasmBackend extends Tf.KernelBackend {
  makeOutput(shape: number[], dtype: Tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The WebAssembly backend of TensorFlow.js 4.22 has no kernels for the gradients of a convolution's
 * filter or of a depthwise convolution, so training any convolution on it fails. This registers
 * them. Conv2DBackpropFilter and DepthwiseConv2dNativeBackpropFilter are built from the backend's
 * own forward kernels (the filter gradient is a convolution of the padded input with the output
 * gradient, strides and dilations swapped); DepthwiseConv2dNativeBackpropInput runs the CPU
 * backend's kernel on a copy. Each is checked against the CPU backend's gradients in the tests.
 */
export function registerWasmGradientKernels(tf: typeof Tf): void {
  const run = (backend: Tf.KernelBackend, name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo => {
    const kernel = tf.getKernel(name, 'wasm');
    if (kernel === undefined) throw new Error(`The WebAssembly backend has no ${name} kernel.`);
    return kernel.kernelFunc({ inputs, backend, attrs: attrs as unknown as Tf.NamedAttrMap }) as TensorInfo;
  };

  /** Runs `body`, then frees every intermediate it registered except the result. */
  const scoped = (backend: Tf.KernelBackend, body: (keep: (info: TensorInfo) => TensorInfo) => TensorInfo): TensorInfo => {
    const made: TensorInfo[] = [];
    const result = body((info) => {
      made.push(info);
      return info;
    });
    for (const info of made) if (info !== result) backend.disposeData(info.dataId);
    return result;
  };

  const paddedInput = (
    backend: Tf.KernelBackend,
    keep: (info: TensorInfo) => TensorInfo,
    x: TensorInfo,
    filterShape: [number, number, number, number],
    attrs: ConvAttrs,
    depthwise: boolean,
  ): { xPad: TensorInfo; info: Tf.backend_util.Conv2DInfo } => {
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      depthwise,
    );
    const { top, bottom, left, right } = info.padInfo;
    const xPad = keep(
      run(
        backend,
        'PadV2',
        { x },
        {
          paddings: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          constantValue: 0,
        },
      ),
    );
    return { xPad, info };
  };

  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend: untyped, attrs }) => {
        const backend = untyped as Tf.KernelBackend;
        const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
        const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
        const [kh, kw, ci, co] = a.filterShape;
        return scoped(backend, (keep) => {
          const { xPad, info } = paddedInput(backend, keep, x, a.filterShape, a, false);
          // x as images of the input channels with the batch as depth; dy as a filter over the batch.
          const xT = keep(run(backend, 'Transpose', { x: xPad }, { perm: [3, 1, 2, 0] }));
          const dyT = keep(run(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }));
          const product = keep(
            run(
              backend,
              'Conv2D',
              { x: xT, filter: dyT },
              { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] },
            ),
          );
          const cropped = keep(run(backend, 'Slice', { x: product }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] }));
          return keep(run(backend, 'Transpose', { x: cropped }, { perm: [1, 2, 0, 3] }));
        });
      },
    });
  }

  if (tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm') === undefined) {
    tf.registerKernel({
      kernelName: 'DepthwiseConv2dNativeBackpropFilter',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend: untyped, attrs }) => {
        const backend = untyped as Tf.KernelBackend;
        const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
        const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
        const [kh, kw, channels, multiplier] = a.filterShape;
        if (multiplier !== 1)
          return onCpu(tf, backend as WasmBackend, 'DepthwiseConv2dNativeBackpropFilter', inputs as Record<string, TensorInfo>, attrs);
        const [n] = x.shape as [number, number, number, number];
        const [, outH, outW] = dy.shape as [number, number, number, number];
        return scoped(backend, (keep) => {
          const { xPad, info } = paddedInput(backend, keep, x, a.filterShape, a, true);
          const [, hp, wp] = xPad.shape as [number, number, number, number];
          // Every (image, channel) pair becomes one depthwise channel; the batch is summed at the end.
          const xT = keep(run(backend, 'Transpose', { x: xPad }, { perm: [1, 2, 0, 3] }));
          const xR = keep(run(backend, 'Reshape', { x: xT }, { shape: [1, hp, wp, n * channels] }));
          const dyT = keep(run(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }));
          const dyR = keep(run(backend, 'Reshape', { x: dyT }, { shape: [outH, outW, n * channels, 1] }));
          const product = keep(
            run(
              backend,
              'DepthwiseConv2dNative',
              { x: xR, filter: dyR },
              { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] },
            ),
          );
          const cropped = keep(run(backend, 'Slice', { x: product }, { begin: [0, 0, 0, 0], size: [1, kh, kw, n * channels] }));
          const split = keep(run(backend, 'Reshape', { x: cropped }, { shape: [kh, kw, n, channels] }));
          const summed = keep(run(backend, 'Sum', { x: split }, { axis: [2], keepDims: false }));
          return keep(run(backend, 'Reshape', { x: summed }, { shape: [kh, kw, channels, 1] }));
        });
      },
    });
  }

  if (tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm') === undefined) {
    tf.registerKernel({
      kernelName: 'DepthwiseConv2dNativeBackpropInput',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) =>
        onCpu(tf, backend as WasmBackend, 'DepthwiseConv2dNativeBackpropInput', inputs as Record<string, TensorInfo>, attrs),
    });
  }
}

/** Runs the CPU backend's kernel on copies of the inputs and writes its result into WebAssembly memory. */
function onCpu(
  tf: typeof Tf,
  wasm: WasmBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: Tf.NamedAttrMap | undefined,
): TensorInfo {
  const cpu = tf.findBackend('cpu');
  const kernel = tf.getKernel(name, 'cpu');
  if (cpu === null || cpu === undefined || kernel === undefined) throw new Error(`The CPU backend's ${name} kernel is not available.`);
  const copies: Record<string, TensorInfo> = {};
  for (const [key, info] of Object.entries(inputs)) {
    const values = wasm.readSync(info.dataId) as Float32Array;
    copies[key] = { dataId: cpu.write(values, info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
  }
  const out = kernel.kernelFunc({ inputs: copies, backend: cpu, attrs: attrs ?? {} }) as TensorInfo;
  const values = cpu.readSync(out.dataId) as Float32Array;
  for (const copy of Object.values(copies)) cpu.disposeData(copy.dataId);
  cpu.disposeData(out.dataId);
  const result = wasm.makeOutput(out.shape, out.dtype);
  wasm.typedArrayFromHeap(result).set(values);
  return result;
}

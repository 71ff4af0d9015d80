import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../process/backend';
import { registerWasmGradientKernels } from './wasm-gradients';

let tf: typeof Tf;

beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
  registerWasmGradientKernels(tf);
});

/** Gradients of sum((op(x, w) * weights)) with respect to x and w on a backend. */
async function gradients(
  backend: 'wasm' | 'cpu',
  op: (x: Tf.Tensor4D, w: Tf.Tensor4D) => Tf.Tensor4D,
  x: number[],
  xShape: number[],
  w: number[],
  wShape: number[],
): Promise<number[][]> {
  await tf.setBackend(backend);
  const result = tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape as [number, number, number, number]);
    const wt = tf.tensor4d(w, wShape as [number, number, number, number]);
    const probe = (a: Tf.Tensor, b: Tf.Tensor): Tf.Scalar => {
      const y = op(a as Tf.Tensor4D, b as Tf.Tensor4D);
      // A fixed pattern so every output position has its own weight.
      const pattern = tf.range(0, y.size).reshape(y.shape).sin();
      return y.mul(pattern).sum() as Tf.Scalar;
    };
    const [dx, dw] = tf.grads(probe)([xt, wt]);
    return [Array.from(dx!.dataSync()), Array.from(dw!.dataSync())];
  });
  await tf.setBackend('wasm');
  return result;
}

const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(1e-4 * scale);
}

describe('WebAssembly convolution gradients', () => {
  const cases = [
    { name: '3x3, stride 1, same', strides: 1, pad: 'same' as const, x: [2, 7, 7, 3], k: 3 },
    { name: '3x3, stride 2, same (odd size)', strides: 2, pad: 'same' as const, x: [2, 9, 9, 3], k: 3 },
    { name: '3x3, stride 2, valid', strides: 2, pad: 'valid' as const, x: [1, 8, 8, 2], k: 3 },
    { name: '1x1, stride 1, valid (pointwise)', strides: 1, pad: 'valid' as const, x: [3, 5, 5, 4], k: 1 },
  ];

  for (const c of cases) {
    it(`conv2d ${c.name}: input and filter gradients equal the CPU backend's`, async () => {
      const ci = c.x[3]!;
      const wShape = [c.k, c.k, ci, 5];
      const x = values(
        c.x.reduce((a, b) => a * b),
        1,
      );
      const w = values(
        wShape.reduce((a, b) => a * b),
        2,
      );
      const op = (a: Tf.Tensor4D, b: Tf.Tensor4D): Tf.Tensor4D => tf.conv2d(a, b, c.strides, c.pad);
      const [wasmDx, wasmDw] = await gradients('wasm', op, x, c.x, w, wShape);
      const [cpuDx, cpuDw] = await gradients('cpu', op, x, c.x, w, wShape);
      expectClose(wasmDx!, cpuDx!);
      expectClose(wasmDw!, cpuDw!);
    });

    it(`depthwise ${c.name}: input and filter gradients equal the CPU backend's`, async () => {
      const ci = c.x[3]!;
      const wShape = [c.k, c.k, ci, 1];
      const x = values(
        c.x.reduce((a, b) => a * b),
        3,
      );
      const w = values(
        wShape.reduce((a, b) => a * b),
        4,
      );
      const op = (a: Tf.Tensor4D, b: Tf.Tensor4D): Tf.Tensor4D => tf.depthwiseConv2d(a, b, c.strides, c.pad);
      const [wasmDx, wasmDw] = await gradients('wasm', op, x, c.x, w, wShape);
      const [cpuDx, cpuDw] = await gradients('cpu', op, x, c.x, w, wShape);
      expectClose(wasmDx!, cpuDx!);
      expectClose(wasmDw!, cpuDw!);
    });
  }

  it('frees its intermediates: gradients leave no tensors or WebAssembly buffers behind', async () => {
    const x = values(2 * 7 * 7 * 3, 5);
    const w = values(3 * 3 * 3 * 1, 6);
    await gradients('wasm', (a, b) => tf.depthwiseConv2d(a, b, 2, 'same'), x, [2, 7, 7, 3], w, [3, 3, 3, 1]);
    const before = tf.memory();
    await gradients('wasm', (a, b) => tf.depthwiseConv2d(a, b, 2, 'same'), x, [2, 7, 7, 3], w, [3, 3, 3, 1]);
    await gradients('wasm', (a, b) => tf.conv2d(a, b, 2, 'same'), x, [2, 7, 7, 3], values(3 * 3 * 3 * 4, 7), [3, 3, 3, 4]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});

import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../process/backend';
import { SgdMomentum } from './sgd-momentum';

let tf: typeof Tf;
beforeAll(async () => {
  ({ tf } = await loadEngine('wasm'));
});

// Every value below is a small dyadic fraction, so float32 arithmetic is exact and the expected
// updates can be compared with toEqual rather than a tolerance.
const gradient = [1, -2, 0.5, 4];

let counter = 0;
/** A variable with a name no other test uses (TensorFlow.js refuses duplicate variable names). */
function variable(values: number[], name = `sgd-test-${++counter}`): Tf.Variable {
  return tf.variable(tf.tensor1d(values), true, name);
}

function values(v: Tf.Tensor): number[] {
  return Array.from(v.dataSync());
}

/** The change of each variable made by one `apply` with `gradients` (by variable name). */
function step(optimiser: SgdMomentum, variables: Tf.Variable[], gradients: Record<string, number[]>): number[][] {
  const before = variables.map(values);
  const tensors = Object.fromEntries(Object.entries(gradients).map(([name, g]) => [name, tf.tensor1d(g)]));
  optimiser.apply(tensors);
  for (const t of Object.values(tensors)) t.dispose();
  return variables.map((v, i) => values(v).map((x, j) => x - before[i]![j]!));
}

describe('SgdMomentum', () => {
  it('scales a variable’s update by its learn-rate factor: factor 10 moves exactly 10x the factor-1 variable for the same gradient', () => {
    const head = variable([0, 0, 0, 0]);
    const trunk = variable([0, 0, 0, 0]);
    const optimiser = new SgdMomentum(
      tf,
      [
        { variable: head, learnRateFactor: 10, l2Factor: 1 },
        { variable: trunk, learnRateFactor: 1, l2Factor: 1 },
      ],
      0.125,
      0.5,
      0,
    );
    const [headDelta, trunkDelta] = step(optimiser, [head, trunk], { [head.name]: gradient, [trunk.name]: gradient });
    // First step from zero velocity: delta = -learnRate * factor * gradient.
    expect(trunkDelta).toEqual(gradient.map((g) => -0.125 * g));
    expect(headDelta).toEqual(gradient.map((g) => -1.25 * g));
    expect(headDelta).toEqual(trunkDelta!.map((d) => d * 10));
    optimiser.dispose();
    head.dispose();
    trunk.dispose();
  });

  it('uses the factor with a learn rate that is not a power of two too (relative error below 1e-6)', () => {
    const head = variable([0.3, -0.7]);
    const trunk = variable([0.3, -0.7]);
    const optimiser = new SgdMomentum(
      tf,
      [
        { variable: head, learnRateFactor: 10, l2Factor: 0 },
        { variable: trunk, learnRateFactor: 1, l2Factor: 0 },
      ],
      5e-4,
      0.9,
      1e-4,
    );
    const [headDelta, trunkDelta] = step(optimiser, [head, trunk], { [head.name]: [0.37, -1.3], [trunk.name]: [0.37, -1.3] });
    headDelta!.forEach((d, i) => expect(d / trunkDelta![i]!).toBeCloseTo(10, 2));
    expect(trunkDelta![0]).toBeCloseTo(-5e-4 * 0.37, 6);
    optimiser.dispose();
    head.dispose();
    trunk.dispose();
  });

  it('adds momentum: a second step with the same gradient moves (1 + momentum) times the first', () => {
    const v = variable([1, 2, 3, 4]);
    const optimiser = new SgdMomentum(tf, [{ variable: v, learnRateFactor: 1, l2Factor: 0 }], 0.25, 0.5, 0);
    const [first] = step(optimiser, [v], { [v.name]: gradient });
    const [second] = step(optimiser, [v], { [v.name]: gradient });
    const [third] = step(optimiser, [v], { [v.name]: gradient });
    expect(first).toEqual(gradient.map((g) => -0.25 * g));
    expect(second).toEqual(first!.map((d) => d * 1.5));
    // velocity_3 = m * velocity_2 - lr * g = (1 + m + m^2) * velocity_1
    expect(third).toEqual(first!.map((d) => d * 1.75));
    optimiser.dispose();
    v.dispose();
  });

  it('applies L2 to a variable with l2Factor 1 (decay of lr * l2 * weight) and not to one with l2Factor 0', () => {
    const weights = variable([2, -4, 8, 1]);
    const bias = variable([2, -4, 8, 1]);
    const optimiser = new SgdMomentum(
      tf,
      [
        { variable: weights, learnRateFactor: 1, l2Factor: 1 },
        { variable: bias, learnRateFactor: 1, l2Factor: 0 },
      ],
      0.5,
      0,
      0.25,
    );
    const zero = [0, 0, 0, 0];
    const [weightDelta, biasDelta] = step(optimiser, [weights, bias], { [weights.name]: zero, [bias.name]: zero });
    // delta = -lr * (g + l2 * l2Factor * w) = -0.5 * 0.25 * w
    expect(weightDelta).toEqual([2, -4, 8, 1].map((w) => -0.125 * w));
    expect(biasDelta).toEqual(zero);

    // With a gradient too, L2 adds to it (and the learn-rate factor scales both).
    const [withGradient] = step(optimiser, [weights], { [weights.name]: gradient });
    const w = [2, -4, 8, 1].map((x) => x - 0.125 * x);
    expect(withGradient).toEqual(gradient.map((g, i) => -0.5 * (g + 0.25 * w[i]!)));
    optimiser.dispose();
    weights.dispose();
    bias.dispose();
  });

  it('multiplies the L2 term by the variable’s l2Factor', () => {
    const v = variable([2, -4, 8, 1]);
    const optimiser = new SgdMomentum(tf, [{ variable: v, learnRateFactor: 1, l2Factor: 2 }], 0.5, 0, 0.25);
    const [delta] = step(optimiser, [v], { [v.name]: [0, 0, 0, 0] });
    expect(delta).toEqual([2, -4, 8, 1].map((w) => -0.5 * 0.25 * 2 * w));
    optimiser.dispose();
    v.dispose();
  });

  it('leaves a variable without a gradient in this update untouched', () => {
    const a = variable([1, 1, 1, 1]);
    const b = variable([1, 1, 1, 1]);
    const optimiser = new SgdMomentum(
      tf,
      [
        { variable: a, learnRateFactor: 1, l2Factor: 1 },
        { variable: b, learnRateFactor: 1, l2Factor: 1 },
      ],
      0.5,
      0.5,
      0.5,
    );
    const [aDelta, bDelta] = step(optimiser, [a, b], { [a.name]: gradient });
    expect(aDelta!.some((d) => d !== 0)).toBe(true);
    expect(bDelta).toEqual([0, 0, 0, 0]);
    optimiser.dispose();
    a.dispose();
    b.dispose();
  });

  it('round-trips velocities through state() and restore(): a restored optimiser continues exactly as the original', async () => {
    const name = `sgd-test-restore-${++counter}`;
    const start = [1, 2, 3, 4];
    const original = variable(start, name);
    const optimiser = new SgdMomentum(tf, [{ variable: original, learnRateFactor: 2, l2Factor: 1 }], 0.125, 0.5, 0.5);
    step(optimiser, [original], { [name]: gradient });
    const afterFirst = values(original);
    const state = await optimiser.state();
    expect(Object.keys(state)).toEqual([name]);
    expect(state[name]).toBeInstanceOf(Float32Array);
    // velocity_1 = -lr * factor * (g + l2 * w0)
    expect(Array.from(state[name]!)).toEqual(gradient.map((g, i) => -0.125 * 2 * (g + 0.5 * start[i]!)));
    const saved = Array.from(state[name]!);
    const [continued] = step(optimiser, [original], { [name]: gradient });
    // The snapshot is a copy, not a view of the live velocity.
    expect(Array.from(state[name]!)).toEqual(saved);
    optimiser.dispose();
    original.dispose();

    // A fresh optimiser over a variable of the same name, at the first step's weights.
    const resumed = variable(afterFirst, name);
    const restored = new SgdMomentum(tf, [{ variable: resumed, learnRateFactor: 2, l2Factor: 1 }], 0.125, 0.5, 0.5);
    expect(Array.from((await restored.state())[name]!)).toEqual([0, 0, 0, 0]);
    restored.restore(state);
    expect(Array.from((await restored.state())[name]!)).toEqual(saved);
    const [afterRestore] = step(restored, [resumed], { [name]: gradient });
    expect(afterRestore).toEqual(continued);

    // Without the restore, the same step would differ (the momentum term would be missing).
    restored.restore({ [name]: new Float32Array(4) });
    const [withoutMomentum] = step(restored, [resumed], { [name]: gradient });
    expect(withoutMomentum).not.toEqual(continued);

    // Unknown names in a state are ignored.
    expect(() => restored.restore({ 'no-such-variable': new Float32Array(4) })).not.toThrow();
    restored.dispose();
    resumed.dispose();
  });

  it('dispose() frees the velocity variables, so the same names can be used again', () => {
    const v = variable([1, 2]);
    const optimiser = new SgdMomentum(tf, [{ variable: v, learnRateFactor: 1, l2Factor: 1 }], 0.1, 0.9, 0);
    expect(() => tf.variable(tf.zeros([2]), false, `${v.name}/velocity`)).toThrow(/already registered/);
    optimiser.dispose();
    const again = new SgdMomentum(tf, [{ variable: v, learnRateFactor: 1, l2Factor: 1 }], 0.1, 0.9, 0);
    again.dispose();
    v.dispose();
  });
  // velocity.assign(tf.tensor(...)) never dispose the tensors they wrap, so every optimiser leaks a
  it('frees every tensor it made: construct, restore and dispose leave tf.memory() as it was', () => {
    const v = variable([1, 2, 3]);
    const before = tf.memory();
    const optimiser = new SgdMomentum(tf, [{ variable: v, learnRateFactor: 1, l2Factor: 1 }], 0.1, 0.9, 0);
    optimiser.restore({ [v.name]: new Float32Array([1, 1, 1]) });
    optimiser.dispose();
    const after = tf.memory();
    v.dispose();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});

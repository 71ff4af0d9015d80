import type * as Tf from '@tensorflow/tfjs';

export interface TrainableVariable {
  variable: Tf.Variable;
  /** Multiplies the global learn rate for this variable (the example's new layer: 10). */
  learnRateFactor: number;
  /** Multiplies the L2 regularisation for this variable (MATLAB: 1 for weights, 0 for biases). */
  l2Factor: number;
}

/**
 * Stochastic gradient descent with momentum as MATLAB's sgdmupdate does it, per variable:
 * velocity = momentum * velocity - learnRate * factor * (gradient + l2 * l2Factor * weight);
 * weight += velocity. TensorFlow.js optimisers have one learn rate for all variables, and the
 * example needs the new layer to learn ten times faster than the rest.
 */
export class SgdMomentum {
  private readonly velocities = new Map<string, Tf.Variable>();

  constructor(
    private readonly tf: typeof Tf,
    private readonly variables: readonly TrainableVariable[],
    public learnRate: number,
    public readonly momentum: number,
    public readonly l2Regularization: number,
  ) {
    for (const { variable } of variables) {
      // tidy frees the zeros once the variable holds its own copy.
      this.velocities.set(
        variable.name,
        tf.tidy(() => tf.variable(tf.zerosLike(variable), false, `${variable.name}/velocity`)),
      );
    }
  }

  /** Applies one update from gradients keyed by variable name. */
  apply(gradients: Record<string, Tf.Tensor>): void {
    const tf = this.tf;
    tf.tidy(() => {
      for (const { variable, learnRateFactor, l2Factor } of this.variables) {
        const gradient = gradients[variable.name];
        if (gradient === undefined) continue;
        const velocity = this.velocities.get(variable.name)!;
        const regularised =
          l2Factor === 0 || this.l2Regularization === 0 ? gradient : gradient.add(variable.mul(this.l2Regularization * l2Factor));
        const next = velocity.mul(this.momentum).sub(regularised.mul(this.learnRate * learnRateFactor));
        velocity.assign(next);
        variable.assign(variable.add(next));
      }
    });
  }

  /** Velocities as plain arrays, for checkpoints. */
  async state(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const [name, velocity] of this.velocities) out[name] = (await velocity.data()) as Float32Array;
    return out;
  }

  /** Velocities in the order the variables were given (names differ between two loads of one network). */
  async stateInOrder(): Promise<Float32Array[]> {
    return Promise.all(this.variables.map(({ variable }) => this.velocities.get(variable.name)!.data() as Promise<Float32Array>));
  }

  restoreInOrder(state: readonly Float32Array[]): void {
    this.variables.forEach(({ variable }, i) => {
      const velocity = this.velocities.get(variable.name)!;
      this.tf.tidy(() => velocity.assign(this.tf.tensor(state[i]!, velocity.shape)));
    });
  }

  restore(state: Record<string, Float32Array>): void {
    for (const [name, values] of Object.entries(state)) {
      const velocity = this.velocities.get(name);
      if (velocity) this.tf.tidy(() => velocity.assign(this.tf.tensor(values, velocity.shape)));
    }
  }

  dispose(): void {
    for (const velocity of this.velocities.values()) velocity.dispose();
    this.velocities.clear();
  }
}

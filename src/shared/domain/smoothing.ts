/**
 * Exponential moving average with bias correction, as training-progress plots smooth noisy
 * mini-batch losses (weight 0.6 by default: each point keeps 60% of the running value).
 */
export function smooth(values: readonly number[], weight = 0.6): number[] {
  const out: number[] = [];
  let running = 0;
  values.forEach((value, i) => {
    running = running * weight + (1 - weight) * value;
    out.push(running / (1 - weight ** (i + 1)));
  });
  return out;
}

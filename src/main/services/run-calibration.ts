import type { RunCalibration } from '../../shared/contract/calibration';

/**
 * The run's temperature scaling as it records it: the temperature the engine fitted on the held-out
 * training images, and those images' expected calibration error and loss before and after.
 */
export function runCalibration(
  heldOut: { logits: Float32Array; labels: Float32Array; temperature: number },
  classes: number,
): RunCalibration {
  const scores = (temperature: number): Float32Array => heldOut.logits.map((z) => 1 / (1 + Math.exp(-z / temperature)));
  const figures = (temperature: number): RunCalibration['before'] => {
    const matrix = scores(temperature);
    return { ece: expectedCalibrationError(matrix, heldOut.labels), loss: exampleLoss(matrix, heldOut.labels, classes) };
  };
  return {
    temperature: heldOut.temperature,
    heldOutImages: heldOut.labels.length / classes,
    before: figures(1),
    after: figures(heldOut.temperature),
  };
}

// Replaced by the shared domain's calibration functions once they land (issue 15, part 2).
function expectedCalibrationError(scores: Float32Array, labels: Float32Array, bins = 15): number {
  const count = new Float64Array(bins);
  const sumScore = new Float64Array(bins);
  const sumLabel = new Float64Array(bins);
  for (let i = 0; i < scores.length; i++) {
    const b = Math.min(bins - 1, Math.floor(scores[i]! * bins));
    count[b]! += 1;
    sumScore[b]! += scores[i]!;
    sumLabel[b]! += labels[i]!;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(sumLabel[b]! - sumScore[b]!) / scores.length;
  return ece;
}

function exampleLoss(scores: Float32Array, labels: Float32Array, classes: number): number {
  let total = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, scores[i]!));
    total -= labels[i]! > 0.5 ? Math.log(p) : Math.log(1 - p);
  }
  return total / (scores.length / classes);
}

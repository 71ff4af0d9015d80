import type { RunCalibration } from '../../shared/contract/calibration';
import { calibrationFigures } from '../../shared/domain/calibration';

/**
 * The run's temperature scaling as it records it: the temperature the engine fitted on the held-out
 * training images, and those images' expected calibration error and loss before and after.
 */
export function runCalibration(
  heldOut: { logits: Float32Array; labels: Float32Array; temperature: number },
  classes: string[],
): RunCalibration {
  const rows = heldOut.labels.length / classes.length;
  const figures = (temperature: number): RunCalibration['before'] => {
    // From the logits themselves: no round trip through float32 probabilities.
    const scores = Float64Array.from(heldOut.logits, (z) => 1 / (1 + Math.exp(-z / temperature)));
    const { ece, validationLoss } = calibrationFigures({ classes, rows, labels: heldOut.labels, scores });
    return { ece: ece ?? 0, loss: validationLoss ?? 0 };
  };
  return { temperature: heldOut.temperature, heldOutImages: rows, before: figures(1), after: figures(heldOut.temperature) };
}

import { AppError } from '../../shared/contract/errors';
import type { RunCalibration } from '../../shared/contract/calibration';

/**
 * The temperature a call scales a run's scores by: the run's own when `calibrated` is asked, null
 * otherwise. Evaluate, predict and Grad-CAM share it, so a run without a temperature is refused in
 * the same words wherever its scaled scores are asked for.
 */
export function temperatureAsked(
  run: { id: string; mode: string; calibration: RunCalibration | null },
  calibrated: boolean,
  /** What to do instead, as a sentence's start: "Evaluate it", "Predict". */
  instead: string,
): number | null {
  if (!calibrated) return null;
  if (run.calibration === null) throw noTemperature(run.id, run.mode, instead);
  return run.calibration.temperature;
}

/** The refusal of `calibrated` for a run without a temperature, saying why it has none. */
function noTemperature(runId: string, mode: string, instead: string): AppError {
  const why =
    mode === 'imported'
      ? 'it was imported from an exported model'
      : mode === 'finetune'
        ? 'it is fine-tuned, and only the frozen mode fits one'
        : 'it chose no settings on held-out training images (its settings were given)';
  return new AppError(
    'INVALID_INPUT',
    `Run ${runId} has no temperature to scale its scores by: ${why}. ${instead} without --calibrated, or train a frozen run that leaves its head's settings to the app.`,
  );
}

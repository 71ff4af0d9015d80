import FormControlLabel from '@mui/material/FormControlLabel';
import Switch from '@mui/material/Switch';
import Typography from '@mui/material/Typography';
import { useMemo, type ReactNode } from 'react';
import { z } from 'zod';
import type { RunCalibration } from '../../../../shared/contract/calibration';
import { readPersistent, usePersistentState } from '../use-persistent-state';

/** Why a run has no temperature to scale by. */
export const noTemperature =
  'This run chose no settings on held-out training images (its settings were given, or it is fine-tuned or imported), so it has no temperature.';

/** Where the Evaluate workspace kept the choice before Predict shared it (its view of the run). */
const evaluateViewKey = (runId: string): string => `mlw.evaluate.${runId}`;
const keptByEvaluate = z.object({ calibrated: z.boolean() });

/**
 * Whether a run's scores are shown scaled by its temperature: one choice per run, kept across reloads,
 * that Evaluate and Predict share, so a run judged calibrated in one is calibrated in the other.
 */
export function useTemperaturePreference(runId: string): [boolean, (on: boolean) => void] {
  // A choice made in Evaluate before the choice was shared is where it starts.
  const initial = useMemo(() => readPersistent(evaluateViewKey(runId), keptByEvaluate, { calibrated: false }).calibrated, [runId]);
  return usePersistentState(`mlw.run.${runId}.calibrated`, z.boolean(), initial);
}

/**
 * The "Temperature scaling" switch with the run's T, disabled with the reason for a run that has none.
 * `testId` names the switch (`${testId}-toggle`) and the reason (`${testId}-unavailable`).
 */
export function TemperatureSwitch({
  calibration,
  on,
  onToggle,
  testId,
}: {
  /** The run's temperature scaling, null where it has none. */
  calibration: RunCalibration | null;
  on: boolean;
  onToggle: (on: boolean) => void;
  testId: string;
}): ReactNode {
  return (
    <>
      <FormControlLabel
        control={
          <Switch
            checked={on && calibration !== null}
            disabled={calibration === null}
            onChange={(e) => onToggle(e.target.checked)}
            data-testid={`${testId}-toggle`}
          />
        }
        label={calibration === null ? 'Temperature scaling' : `Temperature scaling (T = ${calibration.temperature.toFixed(3)})`}
      />
      {calibration === null && (
        <Typography variant="body2" color="text.secondary" data-testid={`${testId}-unavailable`} sx={{ maxWidth: 520 }}>
          {noTemperature}
        </Typography>
      )}
    </>
  );
}

import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import type { RunCalibration } from '../../../../shared/contract/calibration';
import type { CalibrationFigures } from '../../../../shared/domain/calibration';
import { formatCount } from '../../components/format';
import { formatRatio } from '../../components/format-metric';
import { MetricFigure } from './metric-figure';
import { ReliabilityDiagram } from './reliability-diagram';
import { TemperatureSwitch } from '../../components/runs/temperature-switch';

/**
 * How well the scores are calibrated: the expected calibration error and the example's loss, the
 * reliability diagram, and the run's temperature scaling, whose toggle scales every figure of the
 * workspace (the threshold's figures, the sweep, the curves, the tables and these).
 */
export function CalibrationPanel({
  figures,
  calibration,
  on,
  onToggle,
}: {
  /** Of the scores the workspace shows (scaled while the toggle is on). */
  figures: CalibrationFigures;
  /** The run's temperature scaling, null where it has none. */
  calibration: RunCalibration | null;
  on: boolean;
  onToggle: (on: boolean) => void;
}): ReactNode {
  const temperature = on && calibration !== null ? calibration.temperature : null;
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="calibration-heading" data-testid="calibration-panel" data-calibrated={on}>
      <Typography variant="h6" id="calibration-heading" gutterBottom>
        Calibration
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1.5, maxWidth: 980 }}>
        Whether a score of 0.8 means that 80% of such images carry the class. The expected calibration error puts every image–class pair in
        one of 15 equal-width score bins and sums, over the bins, the bin’s share of the pairs times the gap between the fraction labelled
        and the mean score. Neither figure depends on the threshold.
      </Typography>
      <Stack direction={{ xs: 'column', lg: 'row' }} spacing={3} sx={{ alignItems: { lg: 'flex-start' } }}>
        <Box sx={{ flex: '1 1 420px', minWidth: 0 }}>
          <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 1.5, mb: 2 }}>
            <MetricFigure
              id="ece"
              label="Expected calibration error (15 bins)"
              hint="Σ over bins of (pairs in the bin / all pairs) × |fraction labelled − mean score|, over every image and class."
              value={figures.ece}
            />
            <MetricFigure
              id="validationLoss"
              label="Validation loss (the example’s)"
              hint="Per image the sum over classes of the binary cross-entropy (scores clipped to [1e-7, 1 − 1e-7]), averaged over images: what training reports as the validation loss."
              value={figures.validationLoss}
            />
          </Stack>
          <TemperatureSwitch calibration={calibration} on={on} onToggle={onToggle} testId="temperature" />
          {calibration !== null && <HeldOut calibration={calibration} />}
          {temperature !== null && (
            <Alert severity="info" sx={{ mt: 2 }} data-testid="temperature-on">
              Every figure on this page, the threshold’s included, is of the scores scaled by T = {temperature.toFixed(3)} (score =
              sigmoid(logit / T)). Scaling keeps each class’s ranking, so AP and mAP stay as they are; the threshold now judges the scaled
              scores. The Predict workspace shows this run’s scores scaled too.
            </Alert>
          )}
        </Box>
        <Box sx={{ flex: '1 1 520px', minWidth: 0 }}>
          <ReliabilityDiagram bins={figures.reliability} temperature={temperature} />
          <Typography variant="body2" color="text.secondary">
            Each bar is a score bin, as high as the fraction of its pairs that are labelled; the dot is the bin’s mean score. A bar that
            meets the dashed diagonal is perfectly calibrated. Below: the pairs in each bin.
          </Typography>
        </Box>
      </Stack>
    </Paper>
  );
}

/** The temperature's held-out figures: ECE and loss of the held-out training images before and after. */
function HeldOut({ calibration }: { calibration: RunCalibration }): ReactNode {
  const rows = [
    { key: 'ece', label: 'ECE', before: calibration.before.ece, after: calibration.after.ece },
    { key: 'loss', label: 'Loss', before: calibration.before.loss, after: calibration.after.loss },
  ];
  return (
    <Box sx={{ maxWidth: 520 }}>
      <Typography variant="body2" color="text.secondary">
        One temperature for every class, fitted on the {formatCount(calibration.heldOutImages)} training images the run held out to choose
        its settings. On those images:
      </Typography>
      <Table size="small" data-testid="temperature-held-out" sx={{ mt: 0.5, maxWidth: 360 }}>
        <TableHead>
          <TableRow>
            <TableCell component="th" scope="col" />
            <TableCell component="th" scope="col" align="right">
              As trained
            </TableCell>
            <TableCell component="th" scope="col" align="right">
              Scaled
            </TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={r.key} data-testid={`held-out-${r.key}`} data-before={r.before} data-after={r.after}>
              <TableCell component="th" scope="row">
                {r.label}
              </TableCell>
              <TableCell align="right">{formatRatio(r.before)}</TableCell>
              <TableCell align="right">{formatRatio(r.after)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import FormControlLabel from '@mui/material/FormControlLabel';
import Paper from '@mui/material/Paper';
import Slider from '@mui/material/Slider';
import Stack from '@mui/material/Stack';
import Switch from '@mui/material/Switch';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { tunedThresholdFloor, type Metrics } from '../../../../shared/domain/metrics';
import { formatCount } from '../../components/format';
import { MetricFigure } from './metric-figure';

const marks = [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value, label: value.toFixed(2) }));

/** The slider's value to its step: keyboard steps add 0.01 without rounding, and 0.5 − 20 × 0.01 is not 0.3. */
function toStep(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * The threshold slider and the figures it drives: the example's four (micro F1, its per-class Jaccard
 * index, micro precision and recall) and ours (macro F1, per-image Jaccard, mAP). With per-class
 * thresholds on, each figure is the tuned one with its change from the global threshold.
 */
export function ThresholdPanel({
  threshold,
  onThreshold,
  perClass,
  onPerClass,
  global,
  tuned,
  rows,
  validation,
  appliedInWords,
}: {
  threshold: number;
  onThreshold: (threshold: number) => void;
  perClass: boolean;
  onPerClass: (on: boolean) => void;
  global: Metrics;
  /** The figures at the per-class thresholds, computed only while they are on. */
  tuned: Metrics | null;
  rows: number;
  validation: boolean;
  /** Which thresholds apply, in words (`thresholdsInWords`). */
  appliedInWords: string;
}): ReactNode {
  const shown = tuned ?? global;
  const base = (key: 'microF1' | 'jaccard' | 'precision' | 'recall' | 'macroF1' | 'sampleJaccard'): number | undefined =>
    tuned !== null ? global[key] : undefined;
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="threshold-heading" data-testid="threshold-panel" data-per-class={perClass}>
      <Typography variant="h6" id="threshold-heading" gutterBottom>
        Threshold and figures
      </Typography>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={3} sx={{ alignItems: { md: 'center' } }}>
        <Box sx={{ flex: '1 1 360px', maxWidth: 560, px: 1 }}>
          <Typography variant="body2" id="threshold-label">
            A class is predicted when its score is at least{' '}
            <strong data-testid="threshold-value" data-value={threshold}>
              {threshold.toFixed(2)}
            </strong>
            {perClass && (
              <span data-testid="slider-applies">
                {' '}
                for classes that are not tuned; with per-class thresholds on, the figures are at {appliedInWords}
              </span>
            )}
          </Typography>
          <Slider
            value={threshold}
            min={0}
            max={1}
            step={0.01}
            shiftStep={0.1}
            marks={marks}
            valueLabelDisplay="auto"
            onChange={(_, value) => onThreshold(toStep(value))}
            aria-label="Threshold"
            getAriaValueText={(value) => `threshold ${value.toFixed(2)}`}
            data-testid="threshold-slider"
          />
        </Box>
        <Box>
          <FormControlLabel
            control={<Switch checked={perClass} onChange={(e) => onPerClass(e.target.checked)} data-testid="per-class-toggle" />}
            label="Per-class thresholds (tuned)"
          />
          <Typography variant="body2" color="text.secondary" sx={{ maxWidth: 460 }}>
            Each class at the threshold that maximises its own F1 on these images, instead of one threshold for all; never below{' '}
            {tunedThresholdFloor.toFixed(2)}. A class without positives is not tuned and keeps the global threshold.
          </Typography>
        </Box>
      </Stack>
      {perClass && (
        <Alert severity="warning" sx={{ mt: 2 }} data-testid="tuned-warning">
          The per-class thresholds were tuned on the same {formatCount(rows)} images they are judged on
          {validation ? ' (the run’s validation set)' : ''}, so the gain over {threshold.toFixed(2)} is optimistic. For a fair figure, tune
          them on one split and judge them on another.
        </Alert>
      )}
      <Typography variant="subtitle2" sx={{ mt: 2, mb: 1 }}>
        The example’s figures at <span data-testid="applied-thresholds">{appliedInWords}</span>
      </Typography>
      <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 1.5 }}>
        <MetricFigure
          id="microF1"
          label="F1-score (micro)"
          hint="The example's F1Score: TP / (TP + (FP + FN) / 2) over every image and class."
          value={shown.microF1}
          base={base('microF1')}
        />
        <MetricFigure
          id="jaccard"
          label="Jaccard index (per class, as the example)"
          hint="The example's jaccardIndex: each class's intersection over union of true and predicted images, averaged over classes."
          value={shown.jaccard}
          base={base('jaccard')}
        />
        <MetricFigure
          id="precision"
          label="Precision (micro)"
          hint="TP / (TP + FP) over every image and class, as the example's performanceMetrics."
          value={shown.precision}
          base={base('precision')}
        />
        <MetricFigure
          id="recall"
          label="Recall (micro)"
          hint="TP / (TP + FN) over every image and class, as the example's performanceMetrics."
          value={shown.recall}
          base={base('recall')}
        />
      </Stack>
      <Typography variant="subtitle2" sx={{ mt: 2, mb: 1 }}>
        More figures
      </Typography>
      <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 1.5 }}>
        <MetricFigure
          id="macroF1"
          label="F1-score (macro)"
          hint="Each class's F1, averaged over classes: a rare class counts as much as a common one."
          value={shown.macroF1}
          base={base('macroF1')}
        />
        <MetricFigure
          id="sampleJaccard"
          label="Jaccard index (per image)"
          hint="Each image's intersection over union of true and predicted labels, averaged over images (an image with neither counts as 1)."
          value={shown.sampleJaccard}
          base={base('sampleJaccard')}
        />
        <MetricFigure
          id="mAP"
          label="mAP (no threshold)"
          hint="The mean over classes with positives of the average precision (scikit-learn's average_precision_score); the threshold does not change it."
          value={shown.mAP}
        />
      </Stack>
    </Paper>
  );
}

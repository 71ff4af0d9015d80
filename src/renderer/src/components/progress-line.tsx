import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { formatDuration, formatProgressAmount } from './format';
import type { ProgressWithEstimate } from '../../../shared/domain/progress-estimate';

/** A progress bar with its phase, amount ("212 MB of 448 MB") and ETA; indeterminate while the total is unknown. */
export function ProgressLine({
  estimate,
  label,
  testId,
}: {
  estimate: ProgressWithEstimate | null;
  label: string;
  testId?: string;
}): ReactNode {
  const progress = estimate?.progress;
  const known = progress !== undefined && progress.total > 0;
  const percent = known ? Math.min(100, (progress.done / progress.total) * 100) : 0;
  const parts: string[] = [];
  if (progress !== undefined) {
    parts.push(progress.phase);
    parts.push(formatProgressAmount(progress.done, progress.total, progress.unit));
    if (known) parts.push(`${Math.floor(percent)}%`);
    if (estimate?.etaSeconds != null) parts.push(`about ${formatDuration(estimate.etaSeconds)} left`);
    else if (estimate?.estimating === true) parts.push('estimating time left…');
  }
  return (
    <Box data-testid={testId} data-done={progress?.done} data-total={progress?.total} data-phase={progress?.phase}>
      <LinearProgress
        variant={known ? 'determinate' : 'indeterminate'}
        value={percent}
        aria-label={label}
        sx={{ height: 8, borderRadius: 1 }}
      />
      <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }} aria-live="polite">
        {progress === undefined ? `${label}: starting…` : parts.join(' · ')}
      </Typography>
      {progress?.message !== undefined && progress.message !== '' && (
        <Typography variant="caption" color="text.secondary">
          {progress.message}
        </Typography>
      )}
    </Box>
  );
}

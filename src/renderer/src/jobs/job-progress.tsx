import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import type { ReactNode } from 'react';
import { ErrorAlert } from '../components/error-alert';
import { ProgressLine } from '../components/progress-line';
import type { Job } from './use-job';

/** A running job's progress bar with Cancel, or how the last one ended when it did not succeed. */
export function JobProgress<T>({
  job,
  label,
  testId,
  cancelledText,
}: {
  job: Job<T>;
  label: string;
  testId: string;
  cancelledText: string;
}): ReactNode {
  const { state } = job;
  if (state.status === 'running') {
    return (
      <Stack direction="row" spacing={2} sx={{ alignItems: 'flex-start' }}>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <ProgressLine estimate={state.estimate} label={label} testId={`${testId}-progress`} />
        </Box>
        <Button
          variant="outlined"
          color="warning"
          size="small"
          disabled={state.cancelling}
          onClick={job.cancel}
          data-testid={`${testId}-cancel`}
        >
          {state.cancelling ? 'Cancelling…' : 'Cancel'}
        </Button>
      </Stack>
    );
  }
  if (state.status === 'cancelled') {
    return (
      <Alert severity="info" data-testid={`${testId}-cancelled`}>
        {cancelledText}
      </Alert>
    );
  }
  if (state.status === 'failed') return <ErrorAlert error={state.error} data-testid={`${testId}-error`} />;
  return null;
}

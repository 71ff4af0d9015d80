import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Button from '@mui/material/Button';
import type { ReactNode } from 'react';
import type { AppError } from '../../../shared/contract/errors';

/** A banner over everything when the service cannot be reached or rejected us; the way out is a reload. */
export function ConnectionBanner({ error }: { error: AppError }): ReactNode {
  return (
    <Alert
      severity="error"
      role="alert"
      data-testid="connection-error"
      data-error-code={error.code}
      action={
        <Button color="inherit" size="small" onClick={() => window.location.reload()}>
          Reload
        </Button>
      }
      sx={{ borderRadius: 0 }}
    >
      <AlertTitle>
        {error.code === 'TRANSPORT_CLOSED' ? 'Not connected to the workbench service' : 'The workbench could not start'}
      </AlertTitle>
      {error.message}
    </Alert>
  );
}

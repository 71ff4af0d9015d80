import Alert, { type AlertProps } from '@mui/material/Alert';
import type { ReactNode } from 'react';
import type { AppError } from '../../../shared/contract/errors';

/** An error as the sentence the service wrote for a person, never a stack trace. */
export function ErrorAlert({
  error,
  action,
  sx,
  ...rest
}: { error: AppError; action?: ReactNode } & Pick<AlertProps, 'sx' | 'onClose'> & { 'data-testid'?: string }): ReactNode {
  return (
    <Alert severity="error" action={action} sx={sx} data-error-code={error.code} {...rest}>
      {error.message}
    </Alert>
  );
}

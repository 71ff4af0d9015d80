import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Button from '@mui/material/Button';
import type { ReactNode } from 'react';

/**
 * What a workspace that needs a run shows while there is none: "Train your first run", with what the
 * defaults will do, and a way to the Train workspace (and, with no data yet, to the Dataset workspace).
 */
export function FirstRunHint({ then, testId }: { then: string; testId: string }): ReactNode {
  return (
    <Alert
      severity="info"
      data-testid={testId}
      action={
        <Button color="inherit" href="#train" variant="outlined" size="small" sx={{ whiteSpace: 'nowrap' }}>
          Train your first run
        </Button>
      }
    >
      <AlertTitle>Train your first run</AlertTitle>
      No runs yet. Train one in the Train workspace: with the defaults, the frozen backbone (MobileNet v1, alpha 0.75, 224) computes
      features once per image and only the new layer trains, in seconds on a CPU; the learn rate, L2 and epochs are chosen on a held-out
      fifth of the training images, never on the validation images. No data yet? Get COCO 2017 or import annotations in the{' '}
      <a href="#dataset">Dataset workspace</a> first. {then}
    </Alert>
  );
}

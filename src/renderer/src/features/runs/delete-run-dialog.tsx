import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';
import { AppError } from '../../../../shared/contract/errors';
import type { RunEntry } from '../../../../shared/contract/runs';
import { ErrorAlert } from '../../components/error-alert';
import { formatRunDate } from './runs-format';

/** Asks before a run is deleted, naming the record and the folder that go with it. */
export function DeleteRunDialog({
  run,
  onCancel,
  onDelete,
}: {
  run: RunEntry | null;
  onCancel: () => void;
  /** Deletes the run; rejects with the service's error, which the dialog shows. */
  onDelete: (run: RunEntry) => Promise<void>;
}): ReactNode {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const close = (): void => {
    if (busy) return;
    setError(null);
    onCancel();
  };
  const confirm = async (target: RunEntry): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await onDelete(target);
    } catch (e) {
      setError(AppError.from(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={run !== null} onClose={close} maxWidth="sm" fullWidth aria-labelledby="delete-run-title" data-testid="delete-run-dialog">
      {run !== null && (
        <>
          <DialogTitle id="delete-run-title">Delete “{run.name}”?</DialogTitle>
          <DialogContent>
            <Typography variant="body2" gutterBottom>
              Run <strong>{run.runId}</strong> ({run.backbone}, {run.mode}, {formatRunDate(run.createdAt)}) will be removed for good:
            </Typography>
            <Typography component="ul" variant="body2" sx={{ pl: 3, my: 1 }} data-testid="delete-run-what">
              <li>its record: settings, metric history and validation scores (and scores of other sets it was evaluated on);</li>
              <li>
                its folder{' '}
                <Typography component="code" variant="body2" sx={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}>
                  {run.runDir}
                </Typography>{' '}
                with the checkpoint, the trained head{run.mode === 'finetune' ? ', the fine-tuned backbone' : ''} and the Grad-CAM cache.
              </li>
            </Typography>
            <Typography variant="body2" color="text.secondary">
              This cannot be undone. The annotation files, images and backbone weights are not touched.
            </Typography>
            {error !== null && <ErrorAlert error={error} sx={{ mt: 2 }} data-testid="delete-run-error" />}
          </DialogContent>
          <DialogActions>
            <Button onClick={close} disabled={busy} data-testid="delete-run-cancel">
              Cancel
            </Button>
            <Button color="error" variant="contained" onClick={() => void confirm(run)} disabled={busy} data-testid="delete-run-confirm">
              {busy ? 'Deleting…' : 'Delete run'}
            </Button>
          </DialogActions>
        </>
      )}
    </Dialog>
  );
}

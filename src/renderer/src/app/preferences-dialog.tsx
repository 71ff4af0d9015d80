import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import IconButton from '@mui/material/IconButton';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';
import type { Preferences } from '../../../shared/contract/app';
import { AppError } from '../../../shared/contract/errors';
import { ErrorAlert } from '../components/error-alert';
import { SettingsIcon } from '../components/icons';
import { useApi } from '../rpc/api-context';

/** The app bar's settings button and its dialog: choices that hold for every workspace, saved by the service. */
export function PreferencesButton(): ReactNode {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [preferences, setPreferences] = useState<Preferences | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const show = (): void => {
    setOpen(true);
    setError(null);
    api.app.preferences({}).then(setPreferences, (e: unknown) => setError(AppError.from(e)));
  };
  const change = (next: Partial<Preferences>): void => {
    // Shown at once; the service's answer (or its refusal, with the old value back) follows.
    const previous = preferences;
    setPreferences((current) => (current === null ? current : { ...current, ...next }));
    api.app.setPreferences(next).then(setPreferences, (e: unknown) => {
      setPreferences(previous);
      setError(AppError.from(e));
    });
  };

  return (
    <>
      <IconButton color="inherit" aria-label="Settings" onClick={show} data-testid="preferences-button">
        <SettingsIcon />
      </IconButton>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby="preferences-title" data-testid="preferences-dialog">
        <DialogTitle id="preferences-title">Settings</DialogTitle>
        <DialogContent>
          {error !== null && <ErrorAlert error={error} />}
          {preferences !== null && (
            <FormControl>
              <FormLabel id="damaged-images-label">Damaged images in Predict</FormLabel>
              <Typography variant="body2" color="text.secondary" sx={{ mb: 1, maxWidth: 480 }}>
                A photo whose file is damaged (corrupt data, or cut short while copying) can still be decoded in part. Training always
                leaves such images out and lists them.
              </Typography>
              <RadioGroup
                aria-labelledby="damaged-images-label"
                value={preferences.damagedImages}
                onChange={(event) => change({ damagedImages: event.target.value as Preferences['damagedImages'] })}
              >
                <FormControlLabel
                  value="warn"
                  control={<Radio slotProps={{ input: { 'data-testid': 'damaged-warn' } as object }} />}
                  label="Score them, with a warning on their card"
                />
                <FormControlLabel
                  value="refuse"
                  control={<Radio slotProps={{ input: { 'data-testid': 'damaged-refuse' } as object }} />}
                  label="Refuse them"
                />
              </RadioGroup>
            </FormControl>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Close</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

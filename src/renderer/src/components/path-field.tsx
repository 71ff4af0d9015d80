import Button from '@mui/material/Button';
import InputAdornment from '@mui/material/InputAdornment';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useState, type ReactNode } from 'react';
import { AppError } from '../../../shared/contract/errors';
import { FileIcon, FolderIcon } from './icons';
import { useApi } from '../rpc/api-context';
import type { PathInput } from './use-path-input';

export interface PathFieldProps {
  input: PathInput;
  label: string;
  /** Shown while nothing has been checked yet. */
  hint: string;
  /** Native dialogs exist (desktop): offer "Browse…" next to the text field. */
  canPick: boolean;
  pickTitle: string;
  filters?: { name: string; extensions: string[] }[];
  disabled?: boolean;
  testId: string;
}

/**
 * A path on the machine that runs the services: typed (and checked there on blur) or, on the desktop,
 * picked with a native dialog. The service's verdict is the helper text, red when the path is unusable.
 */
export function PathField({ input, label, hint, canPick, pickTitle, filters, disabled, testId }: PathFieldProps): ReactNode {
  const api = useApi();
  const [picking, setPicking] = useState(false);
  const [pickError, setPickError] = useState<AppError | undefined>(undefined);

  const browse = (): void => {
    setPicking(true);
    setPickError(undefined);
    api.app
      .pickPath({ kind: input.kind === 'file' || input.kind === 'annotations' ? 'file' : 'directory', title: pickTitle, filters })
      .then(
        (picked) => {
          if (picked === null) return;
          input.setValue(picked);
          input.validate(picked);
        },
        (error: unknown) => setPickError(AppError.from(error)),
      )
      .finally(() => setPicking(false));
  };

  const { check } = input;
  let helper = hint;
  if (input.checking) helper = 'Checking…';
  else if (pickError !== undefined) helper = pickError.message;
  else if (input.checkError !== undefined) helper = input.checkError.message;
  else if (check !== null)
    helper = check.resolved !== check.path.trim() && check.ok ? `${check.message} (${check.resolved})` : check.message;
  const isError = pickError !== undefined || input.checkError !== undefined || (check !== null && !check.ok);
  const isOk = !isError && check?.ok === true;

  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
      <TextField
        fullWidth
        size="small"
        label={label}
        value={input.value}
        disabled={disabled}
        onChange={(event) => input.setValue(event.target.value)}
        onBlur={() => input.validate()}
        onKeyDown={(event) => {
          if (event.key === 'Enter') input.validate();
        }}
        error={isError}
        helperText={helper}
        slotProps={{
          htmlInput: { 'data-testid': testId, spellCheck: false, autoComplete: 'off' },
          input: {
            startAdornment: (
              <InputAdornment position="start">
                {input.kind === 'file' || input.kind === 'annotations' ? <FileIcon fontSize="small" /> : <FolderIcon fontSize="small" />}
              </InputAdornment>
            ),
          },
          formHelperText: {
            sx: isOk ? { color: 'success.main' } : undefined,
            'data-testid': `${testId}-helper`,
            'data-check': isError ? 'error' : isOk ? 'ok' : 'none',
          } as object,
        }}
      />
      {canPick && (
        <Button
          variant="outlined"
          onClick={browse}
          disabled={disabled === true || picking}
          sx={{ flexShrink: 0, height: 40 }}
          data-testid={`${testId}-browse`}
        >
          Browse…
        </Button>
      )}
    </Stack>
  );
}

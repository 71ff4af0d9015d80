import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useRef, useState, type DragEvent, type ReactNode } from 'react';
import { AppError } from '../../../../shared/contract/errors';
import { useAppInfo } from '../../app/app-info-context';
import { ErrorAlert } from '../../components/error-alert';
import { UploadIcon } from '../../components/icons';
import { useApi } from '../../rpc/api-context';
import { PathField } from '../../components/path-field';
import { usePathInput } from '../../components/use-path-input';
import { acceptAttribute, hasImageExtension, pathImage, readImageFile, type NewImage } from './new-images';

const imageFilters = [
  { name: 'Images (JPEG, PNG, WebP)', extensions: ['jpg', 'jpeg', 'png', 'webp'] },
  { name: 'All files', extensions: ['*'] },
];

/**
 * The three ways to add images: drop files, choose them with the browser's file dialog (both sent to
 * the service), or give a path on the machine that runs the service (checked there; a native dialog on
 * the desktop). Files of other types are turned away with a sentence each.
 */
export function ImageInputs({ onAdd, disabled }: { onAdd: (images: NewImage[]) => void; disabled: boolean }): ReactNode {
  const api = useApi();
  const { canPickPaths } = useAppInfo();
  const path = usePathInput('file');
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [reading, setReading] = useState(false);
  const [rejected, setRejected] = useState<string[]>([]);
  const [adding, setAdding] = useState(false);
  const [pathError, setPathError] = useState<AppError | string | undefined>(undefined);

  const takeFiles = (files: readonly File[]): void => {
    if (files.length === 0) return;
    setReading(true);
    void Promise.all(files.map(readImageFile))
      .then((outcomes) => {
        const taken = outcomes.flatMap((o) => (o.ok ? [o.image] : []));
        setRejected(outcomes.flatMap((o) => (o.ok ? [] : [o.message])));
        if (taken.length > 0) onAdd(taken);
      })
      .finally(() => setReading(false));
  };

  const onDrop = (event: DragEvent<HTMLElement>): void => {
    event.preventDefault();
    setDragging(false);
    if (disabled) return;
    takeFiles(Array.from(event.dataTransfer.files));
  };

  const addPath = (): void => {
    const typed = path.value.trim();
    if (typed === '') return;
    setAdding(true);
    setPathError(undefined);
    api.dataset
      .checkPath({ path: typed, kind: 'file' })
      .then(
        (check) => {
          if (!check.ok) {
            // The field shows the service's sentence.
            path.validate(path.value);
          } else if (!hasImageExtension(check.resolved)) {
            setPathError(`${check.resolved} is not a JPEG, PNG or WebP file (by its name).`);
          } else {
            onAdd([pathImage(check.resolved)]);
            path.setValue('');
            path.validate('');
          }
        },
        (error: unknown) => setPathError(AppError.from(error)),
      )
      .finally(() => setAdding(false));
  };

  return (
    <Stack spacing={2}>
      <Box
        onDragOver={(event) => {
          event.preventDefault();
          event.dataTransfer.dropEffect = disabled ? 'none' : 'copy';
          if (!dragging) setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="predict-drop-zone"
        data-dragging={dragging}
        sx={{
          border: 2,
          borderStyle: 'dashed',
          borderColor: dragging ? 'primary.main' : 'divider',
          bgcolor: dragging ? 'action.hover' : 'background.default',
          borderRadius: 1,
          p: 2,
          display: 'flex',
          alignItems: 'center',
          gap: 2,
          flexWrap: 'wrap',
        }}
      >
        <UploadIcon color={dragging ? 'primary' : 'action'} sx={{ fontSize: 40 }} />
        <Box sx={{ flex: '1 1 280px' }}>
          <Typography variant="body1">Drop JPEG, PNG or WebP images here</Typography>
          <Typography variant="body2" color="text.secondary">
            or choose them from this computer; they are sent to the service to be scored.
          </Typography>
        </Box>
        <Button
          variant="outlined"
          onClick={() => fileInput.current?.click()}
          disabled={disabled || reading}
          data-testid="predict-choose-files"
        >
          {reading ? 'Reading…' : 'Choose files…'}
        </Button>
        <input
          ref={fileInput}
          type="file"
          multiple
          accept={acceptAttribute}
          hidden
          data-testid="predict-file-input"
          onChange={(event) => {
            const files = Array.from(event.target.files ?? []);
            // Choosing the same file again must fire another change.
            event.target.value = '';
            takeFiles(files);
          }}
        />
      </Box>
      {rejected.length > 0 && (
        <Alert severity="warning" onClose={() => setRejected([])} data-testid="predict-rejected">
          {rejected.length === 1 ? rejected[0] : `${rejected.length} files were not added: ${rejected.join(' ')}`}
        </Alert>
      )}
      <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <PathField
            input={path}
            label="Image path"
            hint={`An image file on ${canPickPaths ? 'this computer' : 'the machine that runs the workbench service'}; press Add.`}
            canPick={canPickPaths}
            pickTitle="Choose an image"
            filters={imageFilters}
            disabled={disabled}
            testId="predict-path"
          />
        </Box>
        <Button
          variant="outlined"
          onClick={addPath}
          disabled={disabled || adding || path.value.trim() === ''}
          sx={{ flexShrink: 0, height: 40 }}
          data-testid="predict-add-path"
        >
          {adding ? 'Checking…' : 'Add'}
        </Button>
      </Stack>
      {pathError !== undefined &&
        (typeof pathError === 'string' ? (
          <Alert severity="warning" onClose={() => setPathError(undefined)} data-testid="predict-path-error">
            {pathError}
          </Alert>
        ) : (
          <ErrorAlert error={pathError} onClose={() => setPathError(undefined)} data-testid="predict-path-error" />
        ))}
    </Stack>
  );
}

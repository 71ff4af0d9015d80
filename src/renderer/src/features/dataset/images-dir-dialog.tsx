import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import { useState, type ReactNode } from 'react';
import type { ImportedFile } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import { useAppInfo } from '../../app/app-info-context';
import { ErrorAlert } from '../../components/error-alert';
import { baseName } from '../../components/format';
import { useApi } from '../../rpc/api-context';
import { PathField } from '../../components/path-field';
import { usePathInput } from '../../components/use-path-input';

/** Set or change the images folder of an imported annotation file. Mount it only while open. */
export function ImagesDirDialog({
  file,
  onClose,
  onSaved,
}: {
  file: ImportedFile;
  onClose: () => void;
  onSaved: (file: ImportedFile) => void;
}): ReactNode {
  const api = useApi();
  const { canPickPaths } = useAppInfo();
  const folder = usePathInput('directory', file.imagesDir ?? '');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<AppError | undefined>(undefined);

  const save = (): void => {
    setSaving(true);
    setError(undefined);
    api.dataset
      .setImagesDir({ fileId: file.fileId, imagesDir: folder.value.trim() })
      .then(
        (updated) => onSaved(updated),
        (failure: unknown) => setError(AppError.from(failure)),
      )
      .finally(() => setSaving(false));
  };

  const unusable = folder.check !== null && !folder.check.ok;
  return (
    <Dialog open onClose={saving ? undefined : onClose} fullWidth maxWidth="sm" data-testid="images-dir-dialog">
      <DialogTitle>Images folder of {baseName(file.path)}</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          <DialogContentText>
            The folder that holds this file's images (for COCO train annotations, the train2017 folder). Thumbnails, the viewer and training
            read images from it.
          </DialogContentText>
          <PathField
            input={folder}
            label="Images folder"
            hint={canPickPaths ? 'Type a path or browse.' : 'A folder on the machine that runs the workbench service.'}
            canPick={canPickPaths}
            pickTitle="Choose the images folder"
            disabled={saving}
            testId="images-dir-input"
          />
          {error !== undefined && <ErrorAlert error={error} data-testid="images-dir-error" />}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={saving}>
          Cancel
        </Button>
        <Button
          variant="contained"
          onClick={save}
          disabled={saving || folder.value.trim() === '' || unusable}
          data-testid="images-dir-save"
        >
          {saving ? 'Saving…' : 'Save'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

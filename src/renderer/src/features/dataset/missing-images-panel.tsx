import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Collapse from '@mui/material/Collapse';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { memo, type ReactNode, useEffect, useRef, useState } from 'react';
import type { ImportedFile } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import { describeImageFiles } from '../../../../shared/domain/image-folder';
import { downloadText } from '../../components/download';
import { ErrorAlert } from '../../components/error-alert';
import { DownloadIcon, ExpandIcon } from '../../components/icons';
import { baseName, formatCount } from '../../components/format';
import { createProgressEstimator, type ProgressWithEstimate } from '../../../../shared/domain/progress-estimate';
import { ProgressLine } from '../../components/progress-line';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';

const listLimit = 200;

/** "instances_train2017.json" → "instances_train2017-missing-images.txt". */
function listFileName(annotationPath: string): string {
  return `${baseName(annotationPath).replace(/\.json$/i, '')}-missing-images.txt`;
}

/**
 * Whether the subset's image files are in the images folder. The service lists the folder once and
 * answers each subset from that listing in milliseconds, so the check follows every selection
 * change; "Check again" lists the folder anew. Missing files are a warning, not a stop: statistics
 * work without them.
 */
export const MissingImagesPanel = memo(function MissingImagesPanel({
  file,
  categories,
  onSetImagesDir,
  onFolderChanged,
}: {
  file: ImportedFile;
  categories: readonly string[];
  onSetImagesDir: () => void;
  /** Called when a new listing of the folder replaces an earlier one (files may have come or gone). */
  onFolderChanged: () => void;
}): ReactNode {
  const api = useApi();
  const [progress, setProgress] = useState<{ key: string; estimate: ProgressWithEstimate } | null>(null);
  const [listOpen, setListOpen] = useState(false);
  const [rechecks, setRechecks] = useState(0);
  // The last "Check again" a listing answered: later selection changes use that listing.
  const rechecksDone = useRef(0);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<AppError | undefined>(undefined);
  const { fileId, imagesDir } = file;
  const key = imagesDir === null || categories.length === 0 ? null : JSON.stringify({ fileId, categories, imagesDir, rechecks });
  const check = useRequest(key, (signal) => {
    const estimate = createProgressEstimator();
    const asked = rechecks;
    return api.dataset
      .missingImages(
        { fileId, categories: [...categories], listLimit, recheck: asked > rechecksDone.current },
        { signal, onProgress: (p) => key !== null && setProgress({ key, estimate: estimate(p) }) },
      )
      .then((result) => {
        rechecksDone.current = Math.max(rechecksDone.current, asked);
        return result;
      });
  });

  const checkAgain = (): void => setRechecks((n) => n + 1);

  // What the folder holds, as far as thumbnails care: a new listing that found the same files (Check
  // again with nothing copied in) does not make every thumbnail load again.
  const folderContent =
    check.data?.folder == null ? undefined : `${check.data.folder.files}:${check.data.folder.imageFiles}:${check.data.fileImagesPresent}`;
  const previousContent = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (folderContent === undefined) return;
    if (previousContent.current !== undefined && previousContent.current !== folderContent) onFolderChanged();
    previousContent.current = folderContent;
  }, [folderContent, onFolderChanged]);

  const saveList = (): void => {
    setSaving(true);
    setSaveError(undefined);
    api.dataset
      .missingImageNames({ fileId, categories: [...categories] })
      .then(
        ({ names }) => downloadText(listFileName(file.path), names.length === 0 ? '' : `${names.join('\n')}\n`),
        (error: unknown) => setSaveError(AppError.from(error)),
      )
      .finally(() => setSaving(false));
  };

  if (imagesDir === null) {
    return (
      <Paper sx={{ p: 2 }} component="section" aria-label="Image files" data-testid="missing-images" data-state="no-folder">
        <Alert
          severity="info"
          action={
            <Button color="inherit" size="small" onClick={onSetImagesDir} data-testid="missing-images-set-folder">
              Set images folder…
            </Button>
          }
        >
          No images folder is set for this annotation file, so thumbnails cannot be shown. Statistics work without it.
        </Alert>
      </Paper>
    );
  }
  if (key === null) return null;

  // The previous answer stays on screen while the next one (milliseconds, from the listing) comes.
  const result = check.data !== undefined && check.data.imagesDir === imagesDir ? check.data : undefined;
  const current = check.dataKey === key ? result : undefined;
  const slow = check.loading && progress?.key === key;
  const state = check.error !== undefined ? 'error' : current === undefined ? 'loading' : 'ready';
  const summary = result === undefined ? undefined : describeImageFiles(result, file.path);
  const listedTime = result?.folder?.listedAt === undefined ? undefined : new Date(result.folder.listedAt);
  return (
    <Paper
      sx={{ p: 2 }}
      component="section"
      aria-label="Image files"
      data-testid="missing-images"
      data-state={state}
      data-missing={current?.missing}
      data-checked={current?.checked}
      data-folder-state={current === undefined ? undefined : summary?.state}
    >
      {check.error !== undefined && (
        <ErrorAlert
          error={check.error}
          sx={{ mb: 1 }}
          action={
            <Button color="inherit" size="small" onClick={checkAgain}>
              Check again
            </Button>
          }
        />
      )}
      {(slow || (check.loading && result === undefined)) && (
        <ProgressLine
          estimate={progress?.key === key ? progress.estimate : null}
          label="Checking image files"
          testId="missing-images-progress"
        />
      )}
      {!slow && result !== undefined && summary !== undefined && (
        <Alert
          severity={summary.severity}
          data-testid="missing-images-summary"
          sx={{ opacity: check.loading ? 0.7 : 1 }}
          action={
            <Stack spacing={0.5} sx={{ alignItems: 'flex-end' }}>
              <Button color="inherit" size="small" onClick={onSetImagesDir} sx={{ whiteSpace: 'nowrap' }}>
                Change folder…
              </Button>
              <Button
                color="inherit"
                size="small"
                onClick={checkAgain}
                disabled={check.loading}
                data-testid="missing-images-recheck"
                title="List the folder again (after copying or removing images)"
                sx={{ whiteSpace: 'nowrap' }}
              >
                Check again
              </Button>
            </Stack>
          }
        >
          <Box data-testid="missing-images-message">{summary.message}</Box>
          {listedTime !== undefined && (
            <Typography variant="caption" component="div" sx={{ opacity: 0.8 }} title={listedTime.toLocaleString()}>
              Folder listed at {listedTime.toLocaleTimeString()} ({formatCount(result.folder?.imageFiles ?? 0)} image files); it is listed
              again when it changes.
            </Typography>
          )}
          {result.missing > 0 && (
            <Box>
              <Stack direction="row" spacing={1} sx={{ mt: 0.5, alignItems: 'center', flexWrap: 'wrap' }}>
                <Button
                  size="small"
                  color="inherit"
                  onClick={() => setListOpen((open) => !open)}
                  aria-expanded={listOpen}
                  endIcon={<ExpandIcon expanded={listOpen} />}
                  sx={{ px: 0 }}
                  data-testid="missing-images-toggle"
                >
                  {listOpen ? 'Hide file names' : 'Show file names'}
                </Button>
                <Button
                  size="small"
                  color="inherit"
                  onClick={saveList}
                  disabled={saving}
                  startIcon={<DownloadIcon />}
                  data-testid="missing-images-save"
                  title="A text file with one file name per line"
                >
                  {saving ? 'Preparing the list…' : `Save the list of ${formatCount(result.missing)} names`}
                </Button>
              </Stack>
              {saveError !== undefined && <ErrorAlert error={saveError} sx={{ mt: 1 }} data-testid="missing-images-save-error" />}
              <Collapse in={listOpen} unmountOnExit>
                <Box
                  component="ul"
                  data-testid="missing-images-list"
                  sx={{ maxHeight: 240, overflowY: 'auto', m: 0, pl: 2, fontFamily: 'monospace', fontSize: 13 }}
                >
                  {result.files.map((name, index) => (
                    // Two images of one file may share a file name: the position keys them.
                    <li key={index}>{name}</li>
                  ))}
                </Box>
                {result.missing > result.files.length && (
                  <Typography variant="caption">
                    …and {formatCount(result.missing - result.files.length)} more: save the list to see them all.
                  </Typography>
                )}
              </Collapse>
            </Box>
          )}
        </Alert>
      )}
    </Paper>
  );
});

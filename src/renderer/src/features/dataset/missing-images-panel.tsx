import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Collapse from '@mui/material/Collapse';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';
import type { ImportedFile } from '../../../../shared/contract/dataset';
import { ErrorAlert } from '../../components/error-alert';
import { ExpandIcon } from '../../components/icons';
import { formatCount } from '../../components/format';
import { createProgressEstimator, type ProgressWithEstimate } from '../../../../shared/domain/progress-estimate';
import { ProgressLine } from '../../components/progress-line';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';

const listLimit = 200;

/**
 * Whether the subset's image files are in the images folder, checked again when the subset or the
 * folder changes. Missing files are a warning, not a stop: statistics work without them.
 */
export function MissingImagesPanel({
  file,
  categories,
  onSetImagesDir,
}: {
  file: ImportedFile;
  categories: readonly string[];
  onSetImagesDir: () => void;
}): ReactNode {
  const api = useApi();
  const [progress, setProgress] = useState<{ key: string; estimate: ProgressWithEstimate } | null>(null);
  const [listOpen, setListOpen] = useState(false);
  const { fileId, imagesDir } = file;
  const key = imagesDir === null || categories.length === 0 ? null : JSON.stringify({ fileId, categories, imagesDir });
  const check = useRequest(
    key,
    (signal) => {
      const estimate = createProgressEstimator();
      return api.dataset.missingImages(
        { fileId, categories: [...categories], listLimit },
        { signal, onProgress: (p) => key !== null && setProgress({ key, estimate: estimate(p) }) },
      );
    },
    { debounceMs: 300 },
  );

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

  const result = check.dataKey === key ? check.data : undefined;
  const state = check.error !== undefined ? 'error' : check.loading || result === undefined ? 'loading' : 'ready';
  return (
    <Paper
      sx={{ p: 2 }}
      component="section"
      aria-label="Image files"
      data-testid="missing-images"
      data-state={state}
      data-missing={result?.missing}
      data-checked={result?.checked}
    >
      {check.error !== undefined && (
        <ErrorAlert
          error={check.error}
          action={
            <Button color="inherit" size="small" onClick={check.reload}>
              Retry
            </Button>
          }
        />
      )}
      {check.loading && (
        <ProgressLine
          estimate={progress?.key === key ? progress.estimate : null}
          label="Checking image files"
          testId="missing-images-progress"
        />
      )}
      {!check.loading && result !== undefined && result.missing === 0 && (
        <Alert severity="success" data-testid="missing-images-summary">
          All {formatCount(result.checked)} images present in {result.imagesDir ?? imagesDir}.
        </Alert>
      )}
      {!check.loading && result !== undefined && result.missing > 0 && (
        <Alert
          severity="warning"
          data-testid="missing-images-summary"
          action={
            <Button color="inherit" size="small" onClick={onSetImagesDir}>
              Change folder…
            </Button>
          }
        >
          {formatCount(result.missing)} of {formatCount(result.checked)} images missing from {result.imagesDir ?? imagesDir}.
          <Box>
            <Button
              size="small"
              color="inherit"
              onClick={() => setListOpen((open) => !open)}
              aria-expanded={listOpen}
              endIcon={<ExpandIcon expanded={listOpen} />}
              sx={{ mt: 0.5, px: 0 }}
              data-testid="missing-images-toggle"
            >
              {listOpen ? 'Hide file names' : 'Show file names'}
            </Button>
            <Collapse in={listOpen}>
              <Box
                component="ul"
                data-testid="missing-images-list"
                sx={{ maxHeight: 240, overflowY: 'auto', m: 0, pl: 2, fontFamily: 'monospace', fontSize: 13 }}
              >
                {result.files.map((name) => (
                  <li key={name}>{name}</li>
                ))}
              </Box>
              {result.missing > result.files.length && (
                <Typography variant="caption">…and {formatCount(result.missing - result.files.length)} more not listed.</Typography>
              )}
            </Collapse>
          </Box>
        </Alert>
      )}
    </Paper>
  );
}

import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import { useState, type ReactNode } from 'react';
import { AppError } from '../../../../shared/contract/errors';
import { ErrorAlert } from '../../components/error-alert';
import { createProgressEstimator, type ProgressWithEstimate } from '../../../../shared/domain/progress-estimate';
import { ProgressLine } from '../../components/progress-line';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';

/**
 * Whether the chosen backbone's weights are in the models folder, with a Download (from the
 * official source, resumable, cancellable) when they are not and no folder was given.
 */
export function BackboneWeights({ backbone, hasWeightsFolder }: { backbone: string; hasWeightsFolder: boolean }): ReactNode {
  const api = useApi();
  const [version, setVersion] = useState(0);
  const models = useRequest(`training.models:${version}`, (signal) => api.training.models({}, { signal }));
  const [download, setDownload] = useState<{ controller: AbortController; estimate: ProgressWithEstimate | null } | null>(null);
  const [error, setError] = useState<AppError | undefined>(undefined);
  const model = models.data?.find((m) => m.id === backbone);
  if (model === undefined || hasWeightsFolder) return null;
  if (model.installed) {
    return (
      <Alert severity="success" data-testid="backbone-installed">
        {model.title} weights are in {model.path}.
      </Alert>
    );
  }
  const start = (): void => {
    const controller = new AbortController();
    const estimate = createProgressEstimator();
    setError(undefined);
    setDownload({ controller, estimate: null });
    api.training
      .downloadModel(
        { backbone },
        { signal: controller.signal, onProgress: (p) => setDownload((d) => (d ? { ...d, estimate: estimate(p) } : d)) },
      )
      .then(
        () => setVersion((v) => v + 1),
        (e: unknown) => {
          const appError = AppError.from(e);
          if (appError.code !== 'CANCELLED') setError(appError);
        },
      )
      .finally(() => setDownload(null));
  };
  return (
    <Stack spacing={1} data-testid="backbone-missing">
      <Alert
        severity="warning"
        action={
          download === null ? (
            <Button color="inherit" size="small" onClick={start} data-testid="download-weights-button">
              Download
            </Button>
          ) : (
            <Button color="inherit" size="small" onClick={() => download.controller.abort()} data-testid="download-cancel-button">
              Cancel
            </Button>
          )
        }
      >
        No {model.title} weights in {model.path}. Download them from {new URL(model.source).host} (needs internet; an interrupted download
        resumes), or give a weights folder.
      </Alert>
      {download !== null && <ProgressLine estimate={download.estimate} label="Downloading" testId="download-progress" />}
      {error && <ErrorAlert error={error} data-testid="download-error" />}
    </Stack>
  );
}

import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import { useEffect, useState, type ReactNode } from 'react';
import { AppError } from '../../../../shared/contract/errors';
import { ErrorAlert } from '../../components/error-alert';
import { useActiveJob, useWatchedJob } from '../../jobs/use-watched-job';
import { ProgressLine } from '../../components/progress-line';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';

/**
 * Whether the chosen backbone's weights are in the models folder, with a Download (from the
 * official source, resumable, cancellable) when they are not and no folder was given.
 */
export function BackboneWeights({
  backbone,
  hasWeightsFolder,
  onInstalled,
}: {
  backbone: string;
  hasWeightsFolder: boolean;
  /** Whether the models folder holds the backbone's weights (undefined until known), as it changes. */
  onInstalled?: (installed: boolean | undefined) => void;
}): ReactNode {
  const api = useApi();
  const [version, setVersion] = useState(0);
  const models = useRequest(`training.models:${version}`, (signal) => api.training.models({}, { signal }));
  const [jobId, setJobId] = useState<string | null>(null);
  const [startError, setStartError] = useState<AppError | undefined>(undefined);
  const watched = useWatchedJob(jobId);
  const downloading = watched.state.status === 'running' ? watched.state : null;
  const error = startError ?? (watched.state.status === 'failed' ? watched.state.error : undefined);
  // Once the download job has completed, the models folder is read again (and this panel says installed).
  const finished = watched.state.status === 'completed' ? jobId : null;
  const [seen, setSeen] = useState<string | null>(null);
  if (finished !== null && finished !== seen) {
    setSeen(finished);
    setVersion((v) => v + 1);
  }

  // A download is a job of the service: one started before (another visit, another page) is followed again.
  useActiveJob(['training.downloadModel'], (job) => setJobId(job.jobId));

  const model = models.data?.find((m) => m.id === backbone);
  const installed = model?.installed;
  useEffect(() => onInstalled?.(installed), [onInstalled, installed]);
  if (model === undefined || hasWeightsFolder) return null;
  if (model.installed) {
    return (
      <Alert severity="success" data-testid="backbone-installed">
        {model.title} weights are in {model.path}.
      </Alert>
    );
  }
  const start = (): void => {
    setStartError(undefined);
    setJobId(null);
    api.jobs.start({ method: 'training.downloadModel', input: { backbone }, title: `Downloading ${model.title} weights` }).then(
      (started) => setJobId(started.jobId),
      (e: unknown) => setStartError(AppError.from(e)),
    );
  };
  return (
    <Stack spacing={1} data-testid="backbone-missing">
      <Alert
        severity="warning"
        action={
          downloading === null ? (
            <Button color="inherit" size="small" onClick={start} data-testid="download-weights-button">
              Download
            </Button>
          ) : (
            <Button
              color="inherit"
              size="small"
              disabled={downloading.cancelling}
              onClick={watched.cancel}
              data-testid="download-cancel-button"
            >
              {downloading.cancelling ? 'Cancelling…' : 'Cancel'}
            </Button>
          )
        }
      >
        No {model.title} weights in {model.path}. Download them from {new URL(model.source).host} (needs internet; an interrupted download
        resumes), or give a weights folder.
      </Alert>
      {downloading !== null && <ProgressLine estimate={downloading.estimate} label="Downloading" testId="download-progress" />}
      {error && <ErrorAlert error={error} data-testid="download-error" />}
    </Stack>
  );
}

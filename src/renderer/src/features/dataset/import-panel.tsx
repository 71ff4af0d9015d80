import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { memo, type ReactNode, useEffect, useRef, useState } from 'react';
import type { IngestResult } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import { useAppInfo } from '../../app/app-info-context';
import { ErrorAlert } from '../../components/error-alert';
import { baseName, countOf, formatDuration } from '../../components/format';
import { jobViewOf, useActiveJob, useWatchedJob } from '../../jobs/use-watched-job';
import { ProgressLine } from '../../components/progress-line';
import { useApi } from '../../rpc/api-context';
import { PathField } from '../../components/path-field';
import { usePathInput } from '../../components/use-path-input';

const jsonFilters = [
  { name: 'COCO annotations', extensions: ['json'] },
  { name: 'All files', extensions: ['*'] },
];

/** Import a COCO instances JSON file (and optionally its images folder) into the cache, with progress and cancel. */
export const ImportPanel = memo(function ImportPanel({ onImported }: { onImported: (result: IngestResult) => void }): ReactNode {
  const api = useApi();
  const { canPickPaths } = useAppInfo();
  const annotations = usePathInput('annotations');
  const images = usePathInput('directory');
  const [jobId, setJobId] = useState<string | null>(null);
  const [startError, setStartError] = useState<AppError | null>(null);
  const watched = useWatchedJob(jobId);
  const run = jobViewOf<IngestResult>(watched.state, startError);
  const running = run.status === 'running' ? run : null;
  /** The annotation path as it was when the import shown was started (or followed again): its outcome is about that path. */
  const [outcomeFor, setOutcomeFor] = useState<string | null>(null);
  // A failure is about the path it was started with: once another path is typed, it is old news.
  const outcomeCurrent = outcomeFor === null || outcomeFor === annotations.value;

  // An import is a job of the service: one started before this page (or this visit) is followed again.
  useActiveJob(['dataset.ingest'], (job) => {
    setOutcomeFor(null);
    setJobId(job.jobId);
  });

  // Tell the workspace once the import it follows has completed.
  const completed = watched.state.status === 'completed' ? (watched.state.job.result as IngestResult) : null;
  const told = useRef<IngestResult | null>(null);
  useEffect(() => {
    if (completed === null || told.current === completed) return;
    told.current = completed;
    onImported(completed);
  }, [completed, onImported]);

  const start = (): void => {
    const path = annotations.value.trim();
    const imagesDir = images.value.trim();
    setStartError(null);
    setJobId(null);
    setOutcomeFor(annotations.value);
    api.jobs
      .start({
        method: 'dataset.ingest',
        input: { path, ...(imagesDir === '' ? {} : { imagesDir }) },
        title: `Importing ${baseName(path)}`,
      })
      .then(
        (started) => setJobId(started.jobId),
        (error: unknown) => setStartError(AppError.from(error)),
      );
  };

  const pathUnusable = annotations.check !== null && !annotations.check.ok;
  const imagesUnusable = images.check !== null && !images.check.ok;
  const canStart = running === null && annotations.value.trim() !== '' && !pathUnusable && !imagesUnusable;

  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="import-heading" data-testid="import-panel" data-import-state={run.status}>
      <Typography variant="h6" id="import-heading" gutterBottom>
        Import COCO annotations
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
        An instances file such as <code>annotations/instances_train2017.json</code> and, optionally, the folder that holds its images.
        {canPickPaths ? '' : ' Paths are on the machine that runs the workbench service.'}
      </Typography>
      <Stack spacing={2}>
        <PathField
          input={annotations}
          label="Annotation file (JSON)"
          hint="The COCO instances JSON file to import."
          canPick={canPickPaths}
          pickTitle="Choose a COCO annotation file"
          filters={jsonFilters}
          disabled={running !== null}
          testId="import-annotation-path"
        />
        <PathField
          input={images}
          label="Images folder (optional)"
          hint="The folder with the image files, such as train2017. It can also be set later."
          canPick={canPickPaths}
          pickTitle="Choose the images folder"
          disabled={running !== null}
          testId="import-images-dir"
        />
        <Stack direction="row" spacing={1}>
          <Button variant="contained" onClick={start} disabled={!canStart} data-testid="import-button">
            Import
          </Button>
          {running !== null && (
            <Button
              variant="outlined"
              color="warning"
              disabled={running.cancelling}
              // The import stops at its next safe point; until the service confirms, the button says so.
              onClick={watched.cancel}
              data-testid="import-cancel-button"
            >
              {running.cancelling ? 'Cancelling…' : 'Cancel'}
            </Button>
          )}
        </Stack>
        {run.status === 'running' && <ProgressLine estimate={run.estimate} label="Importing" testId="import-progress" />}
        {run.status === 'done' && <ImportSummary result={run.result} />}
        {run.status === 'cancelled' && (
          <Alert severity="info" data-testid="import-cancelled">
            Import cancelled; the cache is unchanged.
          </Alert>
        )}
        {run.status === 'failed' && outcomeCurrent && <ErrorAlert error={run.error} data-testid="import-error" />}
      </Stack>
    </Paper>
  );
});

function ImportSummary({ result }: { result: IngestResult }): ReactNode {
  const counts = `${countOf(result.images, 'image', 'images')}, ${countOf(result.annotations, 'annotation', 'annotations')}, ${countOf(result.categories, 'category', 'categories')}`;
  return (
    <Alert severity="success" data-testid="import-result" data-cached={String(result.cached)} data-file-id={result.fileId}>
      {result.cached ? (
        <>
          <strong>{baseName(result.path)}</strong> was already imported, unchanged ({counts}).
        </>
      ) : (
        <>
          Imported <strong>{baseName(result.path)}</strong>: {counts} in {formatDuration(result.seconds)}.
        </>
      )}
    </Alert>
  );
}

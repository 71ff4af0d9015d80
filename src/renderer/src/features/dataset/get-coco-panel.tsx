import Alert from '@mui/material/Alert';
import Autocomplete from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { memo, type ReactNode, useEffect, useRef, useState } from 'react';
import { z } from 'zod';
import { cocoSplits, officialCocoBaseUrl, type CocoDownloadRequest, type CocoDownloadResult } from '../../../../shared/contract/coco';
import { AppError } from '../../../../shared/contract/errors';
import { coco2017CategoryNames } from '../../../../shared/domain/coco-categories';
import { referenceExampleCategories } from '../../../../shared/domain/presets';
import { useAppInfo } from '../../app/app-info-context';
import { ErrorAlert } from '../../components/error-alert';
import { baseName, countOf, formatBytes, formatCount, formatDuration } from '../../components/format';
import { ProgressLine } from '../../components/progress-line';
import { usePersistentState } from '../../components/use-persistent-state';
import { jobViewOf, useActiveJob, useWatchedJob } from '../../jobs/use-watched-job';
import { useApi } from '../../rpc/api-context';

const formSchema = z.object({
  split: z.enum(cocoSplits),
  subset: z.enum(['reference', 'all', 'chosen']),
  chosen: z.array(z.string()),
  dest: z.string(),
  baseUrl: z.string(),
  concurrency: z.number().int().min(1).max(32),
});
type Form = z.infer<typeof formSchema>;

const initialForm: Form = {
  split: 'train2017',
  subset: 'reference',
  chosen: [],
  dest: '',
  baseUrl: officialCocoBaseUrl,
  concurrency: 8,
};

/** How the last download the user stopped was stopped: Pause offers Resume; Cancel only says what stays. */
type Stopped = 'paused' | 'cancelled';

/** How many failures are listed on screen (the folder's mlw-coco-download.json and `mlw coco download --json` have them all). */
const listedFailures = 20;

/**
 * "Get COCO 2017": fetches the annotations and only the images a category subset needs into a
 * folder on the service's machine, as a job of the service (it goes on while other workspaces are
 * shown, and is followed again on return), with pause, resume, cancel and "retry failed".
 */
export const GetCocoPanel = memo(function GetCocoPanel({
  openAtFirst,
  onDownloaded,
}: {
  /** Nothing is imported yet: the panel starts open, as the first thing to do. */
  openAtFirst: boolean;
  onDownloaded: (result: CocoDownloadResult) => void;
}): ReactNode {
  const api = useApi();
  const { canPickPaths } = useAppInfo();
  const [form, setForm] = usePersistentState('mlw.dataset.getCoco', formSchema, initialForm);
  const [openedByUser, setOpenedByUser] = useState<boolean | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [startError, setStartError] = useState<AppError | null>(null);
  const [stopped, setStopped] = useState<Stopped>('cancelled');
  const watched = useWatchedJob(jobId);
  const run = jobViewOf<CocoDownloadResult>(watched.state, startError);
  const running = run.status === 'running' ? run : null;

  // A download is a job of the service: one started before this visit (or in another window) is followed again.
  useActiveJob(['coco.download'], (job) => {
    setJobId(job.jobId);
    setOpenedByUser(true);
  });

  const completed = watched.state.status === 'completed' ? (watched.state.job.result as CocoDownloadResult) : null;
  const told = useRef<CocoDownloadResult | null>(null);
  useEffect(() => {
    if (completed === null || told.current === completed) return;
    told.current = completed;
    onDownloaded(completed);
  }, [completed, onDownloaded]);

  const open = openedByUser ?? (openAtFirst || jobId !== null);
  const update = (change: Partial<Form>): void => setForm((current) => ({ ...current, ...change }));
  const categories = form.subset === 'reference' ? [...referenceExampleCategories] : form.subset === 'chosen' ? form.chosen : [];

  const start = (retryFailed: boolean): void => {
    const request: CocoDownloadRequest = {
      split: form.split,
      dest: form.dest.trim(),
      baseUrl: form.baseUrl.trim(),
      concurrency: form.concurrency,
      ...(categories.length > 0 ? { categories } : {}),
      ...(retryFailed ? { retryFailed: true } : {}),
    };
    const what = categories.length > 0 ? `${categories.length} ${categories.length === 1 ? 'category' : 'categories'}` : 'all images';
    setStartError(null);
    setJobId(null);
    setStopped('cancelled');
    api.jobs
      .start({
        method: 'coco.download',
        input: request,
        title: retryFailed ? `Retrying failed COCO ${form.split} images` : `Downloading COCO ${form.split} (${what})`,
      })
      .then(
        (started) => setJobId(started.jobId),
        (error: unknown) => setStartError(AppError.from(error)),
      );
  };

  const stop = (how: Stopped): void => {
    setStopped(how);
    watched.cancel();
  };

  const browse = (): void => {
    api.app.pickPath({ kind: 'directory', title: 'Choose the folder for COCO 2017' }).then(
      (picked) => {
        if (picked !== null) update({ dest: picked });
      },
      (error: unknown) => setStartError(AppError.from(error)),
    );
  };

  const missing =
    form.dest.trim() === ''
      ? 'Name the folder to download into.'
      : form.subset === 'chosen' && form.chosen.length === 0
        ? 'Choose at least one category, or take the example’s 12 or every image.'
        : null;

  return (
    <Paper
      sx={{ p: 2 }}
      component="section"
      aria-labelledby="get-coco-heading"
      data-testid="get-coco-panel"
      data-state={run.status}
      data-open={String(open)}
    >
      <Stack direction="row" spacing={2} sx={{ alignItems: 'baseline', justifyContent: 'space-between' }}>
        <Typography variant="h6" id="get-coco-heading" gutterBottom>
          Get COCO 2017
        </Typography>
        <Button size="small" onClick={() => setOpenedByUser(!open)} data-testid="get-coco-toggle" aria-expanded={open}>
          {open ? 'Hide' : 'Get COCO 2017…'}
        </Button>
      </Stack>
      <Typography variant="body2" color="text.secondary" sx={{ mb: open ? 2 : 0 }}>
        Downloads COCO’s annotations (241 MB) and then only the images of the categories you choose, instead of the 19 GB of zips: the
        example’s 12 categories are in about a quarter of the images.
        {canPickPaths ? '' : ' The folder is on the machine that runs the workbench service.'}
      </Typography>
      {open && (
        <Stack spacing={2}>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <TextField
              select
              size="small"
              label="Split"
              value={form.split}
              onChange={(event) => update({ split: event.target.value as Form['split'] })}
              disabled={running !== null}
              sx={{ minWidth: 160 }}
              slotProps={{ htmlInput: { 'data-testid': 'coco-split' } }}
            >
              {cocoSplits.map((split) => (
                <MenuItem key={split} value={split}>
                  {split}
                </MenuItem>
              ))}
            </TextField>
            <Stack direction="row" spacing={1} sx={{ flex: 1, alignItems: 'flex-start' }}>
              <TextField
                size="small"
                fullWidth
                label="Download into (folder)"
                value={form.dest}
                onChange={(event) => update({ dest: event.target.value })}
                disabled={running !== null}
                helperText="Receives annotations/, train2017/ and val2017/. A new folder, or one an earlier download made (it resumes)."
                slotProps={{ htmlInput: { 'data-testid': 'coco-dest', spellCheck: false } }}
              />
              {canPickPaths && (
                <Button variant="outlined" onClick={browse} disabled={running !== null}>
                  Browse…
                </Button>
              )}
            </Stack>
          </Stack>
          <RadioGroup row value={form.subset} onChange={(event) => update({ subset: event.target.value as Form['subset'] })}>
            <FormControlLabel
              value="reference"
              control={<Radio size="small" />}
              label="The example’s 12 categories"
              disabled={running !== null}
              data-testid="coco-subset-reference"
            />
            <FormControlLabel
              value="chosen"
              control={<Radio size="small" />}
              label="Categories I choose"
              disabled={running !== null}
              data-testid="coco-subset-chosen"
            />
            <FormControlLabel
              value="all"
              control={<Radio size="small" />}
              label="Every image"
              disabled={running !== null}
              data-testid="coco-subset-all"
            />
          </RadioGroup>
          {form.subset === 'reference' && (
            <Typography variant="body2" color="text.secondary">
              {referenceExampleCategories.join(', ')}.
            </Typography>
          )}
          {form.subset === 'chosen' && (
            <Autocomplete
              multiple
              size="small"
              options={coco2017CategoryNames}
              value={form.chosen}
              onChange={(_event, chosen) => update({ chosen })}
              disabled={running !== null}
              renderInput={(params) => <TextField {...params} label="Categories" placeholder="dog, cat, …" />}
              data-testid="coco-categories"
            />
          )}
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <TextField
              size="small"
              label="Published at (base URL)"
              value={form.baseUrl}
              onChange={(event) => update({ baseUrl: event.target.value })}
              disabled={running !== null}
              helperText="COCO’s own site, or a mirror with the same layout (annotations/…zip, <split>/<file name>)."
              sx={{ flex: 1 }}
              slotProps={{ htmlInput: { 'data-testid': 'coco-base-url', spellCheck: false } }}
            />
            <TextField
              size="small"
              type="number"
              label="Images at once"
              value={form.concurrency}
              onChange={(event) => update({ concurrency: Math.min(32, Math.max(1, Math.round(Number(event.target.value) || 1))) })}
              disabled={running !== null}
              sx={{ width: 140 }}
              slotProps={{ htmlInput: { min: 1, max: 32, 'data-testid': 'coco-concurrency' } }}
            />
          </Stack>
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
            <Button
              variant="contained"
              onClick={() => start(false)}
              disabled={running !== null || missing !== null}
              data-testid="coco-download"
            >
              Download
            </Button>
            {running !== null && (
              <>
                <Button variant="outlined" disabled={running.cancelling} onClick={() => stop('paused')} data-testid="coco-pause">
                  Pause
                </Button>
                <Button
                  variant="outlined"
                  color="warning"
                  disabled={running.cancelling}
                  onClick={() => stop('cancelled')}
                  data-testid="coco-cancel"
                >
                  {running.cancelling ? 'Stopping…' : 'Cancel'}
                </Button>
              </>
            )}
            {running === null && missing !== null && (
              <Typography variant="body2" color="text.secondary">
                {missing}
              </Typography>
            )}
          </Stack>
          {run.status === 'running' && <ProgressLine estimate={run.estimate} label="Downloading COCO" testId="coco-progress" />}
          {run.status === 'done' && <DownloadSummary result={run.result} onRetry={() => start(true)} />}
          {run.status === 'cancelled' &&
            (stopped === 'paused' ? (
              <Alert
                severity="info"
                data-testid="coco-paused"
                action={
                  <Button color="inherit" size="small" onClick={() => start(false)} data-testid="coco-resume">
                    Resume
                  </Button>
                }
              >
                Paused. What was downloaded stays in {form.dest}; Resume goes on from there (the annotations zip from its last byte, the
                images not yet here).
              </Alert>
            ) : (
              <Alert severity="info" data-testid="coco-cancelled">
                Cancelled. What was downloaded stays in {form.dest}: Download goes on from it, or delete the folder to discard it.
              </Alert>
            ))}
          {run.status === 'failed' && (
            <ErrorAlert
              error={run.error}
              data-testid="coco-error"
              action={
                <Button color="inherit" size="small" onClick={() => start(false)}>
                  Try again
                </Button>
              }
            />
          )}
        </Stack>
      )}
    </Paper>
  );
});

function DownloadSummary({ result, onRetry }: { result: CocoDownloadResult; onRetry: () => void }): ReactNode {
  const { images } = result;
  const subset = result.categories.length === 0 ? 'every image' : result.categories.join(', ');
  return (
    <Stack spacing={1}>
      <Alert
        severity={images.failed > 0 ? 'warning' : 'success'}
        data-testid="coco-result"
        data-file-id={result.fileId}
        data-downloaded={images.downloaded}
        data-failed={images.failed}
      >
        {result.split} ({subset}): {countOf(images.downloaded, 'image', 'images')} downloaded ({formatBytes(result.bytes)} in{' '}
        {formatDuration(result.seconds)}), {formatCount(images.alreadyPresent)} already here
        {images.failed > 0 ? `, ${formatCount(images.failed)} failed` : ''}, of {formatCount(images.wanted)}. Imported{' '}
        <strong>{baseName(result.annotationsPath)}</strong> with the images folder {result.imagesDir}; its subset is shown below.
      </Alert>
      {result.failures.length > 0 && (
        <Alert
          severity="error"
          data-testid="coco-failures"
          action={
            <Button color="inherit" size="small" onClick={onRetry} data-testid="coco-retry-failed">
              Retry failed
            </Button>
          }
        >
          <Typography variant="body2" gutterBottom>
            {formatCount(result.failures.length)} {result.failures.length === 1 ? 'image was' : 'images were'} not downloaded:
          </Typography>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {result.failures.slice(0, listedFailures).map((failure) => (
              <li key={failure.fileName}>
                <Typography variant="body2">
                  <code>{failure.fileName}</code>: {failure.reason}
                </Typography>
              </li>
            ))}
          </Box>
          {result.failures.length > listedFailures && (
            <Typography variant="body2">
              …and {formatCount(result.failures.length - listedFailures)} more, listed in mlw-coco-download.json in the folder.
            </Typography>
          )}
        </Alert>
      )}
    </Stack>
  );
}

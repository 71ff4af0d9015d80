import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';
import { AppError } from '../../../shared/contract/errors';
import type { ReportResult } from '../../../shared/contract/reports';
import { useAppInfo } from '../app/app-info-context';
import { downloadText } from './download';
import { ErrorAlert } from './error-alert';
import { FileIcon, FolderIcon } from './icons';
import { useApi } from '../rpc/api-context';
import { JobProgress } from '../jobs/job-progress';
import { useJob } from '../jobs/use-job';
import { runJob } from '../jobs/run-job';

/** Joins a folder and a file name with the folder's own separator (the services' machine may be Windows). */
function joinPath(dir: string, name: string): string {
  const separator = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(separator) ? `${dir}${name}` : `${dir}${separator}${name}`;
}

import { reportFileName, reportRequestOf } from './export-report';

/**
 * Writes the self-contained HTML report of a run at the workspace's threshold, with its metrics as CSV
 * and JSON. On the desktop it asks where (and can print a PDF beside it); in the browser the service
 * sends the documents back and the report downloads.
 */
export function ExportReportButton({
  runId,
  threshold,
  compare = [],
}: {
  runId: string;
  threshold: number;
  /** Other runs shown beside it (the Runs workspace's comparison). */
  compare?: readonly string[];
}): ReactNode {
  const fileName = reportFileName(runId, threshold, compare);
  const api = useApi();
  const info = useAppInfo();
  const desktop = info.host === 'electron';
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState('');
  const [pdf, setPdf] = useState(true);
  const [pickError, setPickError] = useState<AppError | undefined>(undefined);
  const job = useJob<{ result: ReportResult; pdf: string | null }>();
  const busy = job.running;
  const done = job.state.status === 'done' ? job.state.result : null;

  const run = (outPath: string | undefined): void => {
    setPickError(undefined);
    job.start(async (signal, onProgress) => {
      const result = await runJob<ReportResult>(
        api,
        'reports.report',
        reportRequestOf(runId, threshold, compare, outPath),
        compare.length === 0 ? `Report of ${runId}` : `Report comparing ${[runId, ...compare].join(', ')}`,
        { signal, onProgress },
      );
      let printed: string | null = null;
      if (result.inline !== null) {
        downloadText(fileName, result.inline.html, 'text/html');
      } else if (desktop && pdf && result.files !== null) {
        onProgress({ phase: 'Printing the PDF', done: 0, total: 0 });
        printed = (await api.reports.pdf({ htmlPath: result.files.html }, { signal })).path;
      }
      return { result, pdf: printed };
    });
  };

  const start = (): void => {
    if (!desktop) {
      run(undefined);
      return;
    }
    setPath((current) => current || joinPath(joinPath(info.dataDir, 'reports'), fileName));
    setPickError(undefined);
    setOpen(true);
  };

  const chooseFolder = (): void => {
    api.app.pickPath({ kind: 'directory', title: 'Folder for the report' }).then(
      (picked) => {
        if (picked !== null) setPath(joinPath(picked, path.split(/[\\/]/).pop() || fileName));
      },
      (caught: unknown) => setPickError(AppError.from(caught)),
    );
  };

  const status = (
    <>
      <JobProgress job={job} label="Writing the report" testId="export-report" cancelledText="The report was cancelled." />
      {pickError !== undefined && <ErrorAlert error={pickError} sx={{ mt: 1 }} data-testid="export-report-error" />}
      {job.state.status === 'failed' && <ErrorAlert error={job.state.error} sx={{ mt: 1 }} data-testid="export-report-error" />}
      {done !== null && (
        <Alert severity="success" sx={{ mt: 1 }} data-testid="export-report-done">
          {done.result.files === null ? (
            <>
              The report downloaded. Its metrics as{' '}
              <Link
                component="button"
                onClick={() => downloadText(fileName.replace(/\.html$/, '.metrics.csv'), done.result.inline!.csv, 'text/csv')}
              >
                CSV
              </Link>{' '}
              and{' '}
              <Link
                component="button"
                onClick={() => downloadText(fileName.replace(/\.html$/, '.metrics.json'), done.result.inline!.json, 'application/json')}
              >
                JSON
              </Link>
              .
            </>
          ) : (
            <>
              Wrote {done.result.files.html}, with the metrics in {done.result.files.csv} and {done.result.files.json}
              {done.pdf !== null ? `, and the PDF ${done.pdf}` : ''}.
            </>
          )}
          {done.result.notes.length > 0 && (
            <Typography variant="body2" component="span" sx={{ display: 'block', mt: 0.5 }}>
              Left out: {done.result.notes.join(' ')}
            </Typography>
          )}
        </Alert>
      )}
    </>
  );

  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="export-report-heading">
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
        <Button variant="outlined" startIcon={<FileIcon />} onClick={start} disabled={busy && !open} data-testid="export-report">
          Export report
        </Button>
        <Typography variant="body2" color="text.secondary" id="export-report-heading">
          {compare.length === 0 ? 'This run’s report' : `A report of these ${compare.length + 1} runs, side by side,`} at threshold{' '}
          {threshold.toFixed(2)}: one self-contained HTML file
          {desktop ? ' (and a PDF)' : ''}, with its metrics as CSV and JSON.
        </Typography>
      </Stack>
      {!desktop && status}
      {desktop && (
        <Dialog open={open} onClose={() => !busy && setOpen(false)} fullWidth maxWidth="sm" aria-labelledby="export-report-title">
          <DialogTitle id="export-report-title">
            {compare.length === 0 ? `Export the report of ${runId}` : `Export the report comparing ${[runId, ...compare].join(', ')}`}
          </DialogTitle>
          <DialogContent>
            <Stack spacing={2} sx={{ pt: 1 }}>
              <Typography variant="body2" color="text.secondary">
                One HTML file with everything inside it (charts, Grad-CAM tiles), judged at threshold {threshold.toFixed(2)}; the metrics
                are written beside it as CSV and JSON.
              </Typography>
              <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
                <TextField
                  fullWidth
                  size="small"
                  label="Report file"
                  value={path}
                  disabled={busy}
                  onChange={(event) => setPath(event.target.value)}
                  slotProps={{ htmlInput: { 'data-testid': 'export-report-path', spellCheck: false } }}
                />
                {info.canPickPaths && (
                  <Button onClick={chooseFolder} disabled={busy} startIcon={<FolderIcon />} sx={{ flexShrink: 0 }}>
                    Folder…
                  </Button>
                )}
              </Stack>
              <FormControlLabel
                control={<Checkbox checked={pdf} onChange={(event) => setPdf(event.target.checked)} disabled={busy} />}
                label="Also save it as PDF"
              />
              {status}
            </Stack>
          </DialogContent>
          <DialogActions>
            {busy ? <Button onClick={job.cancel}>Cancel</Button> : <Button onClick={() => setOpen(false)}>Close</Button>}
            <Button variant="contained" disabled={busy || path.trim() === ''} onClick={() => run(path.trim())}>
              Export
            </Button>
          </DialogActions>
        </Dialog>
      )}
    </Paper>
  );
}

import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';
import type { ImportedFile } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import type { LabelExportFormat, LabelExportResult } from '../../../../shared/contract/labels';
import { useAppInfo } from '../../app/app-info-context';
import { downloadText } from '../../components/download';
import { ErrorAlert } from '../../components/error-alert';
import { baseName } from '../../components/format';
import { DownloadIcon, FolderIcon } from '../../components/icons';
import { JobProgress } from '../../jobs/job-progress';
import { runJob } from '../../jobs/run-job';
import { useJob } from '../../jobs/use-job';
import { useApi } from '../../rpc/api-context';

const formats: Record<LabelExportFormat, { title: string; extension: string; mime: string }> = {
  coco: { title: 'COCO instances (JSON)', extension: '.json', mime: 'application/json' },
  csv: { title: 'CSV (file_name, labels)', extension: '.csv', mime: 'text/csv' },
  jsonl: { title: 'JSON Lines', extension: '.jsonl', mime: 'application/x-ndjson' },
};

/** The export's file name: the imported file's, with "-labels" and the format's extension. */
function fileNameOf(file: ImportedFile, format: LabelExportFormat): string {
  return `${baseName(file.path).replace(/\.json$/i, '')}-labels${formats[format].extension}`;
}

/** The separator of paths like this one on the service's machine (which may be Windows). */
function separatorOf(path: string): string {
  return path.includes('\\') && !path.includes('/') ? '\\' : '/';
}

/** The folder of a path on the service's machine, with its own separator. */
function folderOf(path: string): { dir: string; separator: string } {
  const separator = separatorOf(path);
  return { dir: path.slice(0, Math.max(0, path.lastIndexOf(separator))), separator };
}

/**
 * Exports the file's effective labels as COCO, CSV or JSON Lines, as a job with progress and
 * Cancel. In the browser the file downloads; on the desktop it is written where the user says.
 */
export function ExportLabelsButton({ file }: { file: ImportedFile }): ReactNode {
  const api = useApi();
  const info = useAppInfo();
  const desktop = info.host === 'electron';
  const [format, setFormat] = useState<LabelExportFormat>('coco');
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState('');
  const [pickError, setPickError] = useState<AppError | undefined>(undefined);
  const job = useJob<LabelExportResult>();
  const done = job.state.status === 'done' ? job.state.result : null;

  const run = (outPath: string | undefined): void => {
    setPickError(undefined);
    job.start(async (signal, onProgress) => {
      const result = await runJob<LabelExportResult>(
        api,
        'labels.export',
        { fileId: file.fileId, format, ...(outPath === undefined ? {} : { outPath }) },
        `Exporting the labels of ${baseName(file.path)}`,
        { signal, onProgress },
      );
      if (result.inline !== null) downloadText(fileNameOf(file, format), result.inline, formats[format].mime);
      return result;
    });
  };

  const start = (): void => {
    if (!desktop) {
      run(undefined);
      return;
    }
    const { dir, separator } = folderOf(file.path);
    setPath(`${dir}${separator}${fileNameOf(file, format)}`);
    setOpen(true);
  };

  const chooseFolder = (): void => {
    api.app.pickPath({ kind: 'directory', title: 'Folder for the labels' }).then(
      (picked) => {
        if (picked !== null) setPath(`${picked}${separatorOf(picked)}${fileNameOf(file, format)}`);
      },
      (caught: unknown) => setPickError(AppError.from(caught)),
    );
  };

  const status = (
    <>
      <JobProgress
        job={job}
        label="Exporting labels"
        testId="export-labels"
        cancelledText="The export was cancelled; nothing was written."
      />
      {pickError !== undefined && <ErrorAlert error={pickError} sx={{ mt: 1 }} />}
      {done !== null && (
        <Alert severity="success" sx={{ mt: 1 }} data-testid="export-labels-done" data-path={done.path ?? ''}>
          {done.path === null ? `${fileNameOf(file, done.format)} downloaded` : `Wrote ${done.path}`}: {done.images.toLocaleString('en-US')}{' '}
          images, {done.labels.toLocaleString('en-US')} labels ({done.added} added and {done.removed} removed by edits)
          {done.format === 'coco'
            ? `; ${done.annotationsKept.toLocaleString('en-US')} annotations kept, ${done.annotationsDropped} dropped with removed labels, ${done.imageLabels} labels without a box in "mlw_image_labels".`
            : '.'}
        </Alert>
      )}
    </>
  );

  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
        <TextField
          select
          size="small"
          label="Format"
          value={format}
          onChange={(event) => setFormat(event.target.value as LabelExportFormat)}
          sx={{ minWidth: 220 }}
          slotProps={{ htmlInput: { 'data-testid': 'export-labels-format' } }}
        >
          {(Object.keys(formats) as LabelExportFormat[]).map((key) => (
            <MenuItem key={key} value={key}>
              {formats[key].title}
            </MenuItem>
          ))}
        </TextField>
        <Button variant="outlined" startIcon={<DownloadIcon />} onClick={start} disabled={job.running} data-testid="export-labels">
          Export labels
        </Button>
      </Stack>
      {!desktop && status}
      {desktop && (
        <Dialog open={open} onClose={() => !job.running && setOpen(false)} fullWidth maxWidth="sm" aria-labelledby="export-labels-title">
          <DialogTitle id="export-labels-title">Export the labels of {baseName(file.path)}</DialogTitle>
          <DialogContent>
            <Stack spacing={2} sx={{ pt: 1 }}>
              <Typography variant="body2" color="text.secondary">
                {format === 'coco'
                  ? 'A COCO instances file with every field of the imported one; removed labels drop their annotations, and added labels (no box) are listed in "mlw_image_labels".'
                  : 'One row per image with its labels, for other tools.'}
              </Typography>
              <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
                <TextField
                  fullWidth
                  size="small"
                  label="File"
                  value={path}
                  disabled={job.running}
                  onChange={(event) => setPath(event.target.value)}
                  slotProps={{ htmlInput: { 'data-testid': 'export-labels-path', spellCheck: false } }}
                />
                {info.canPickPaths && (
                  <Button onClick={chooseFolder} disabled={job.running} startIcon={<FolderIcon />} sx={{ flexShrink: 0 }}>
                    Folder…
                  </Button>
                )}
              </Stack>
              {status}
            </Stack>
          </DialogContent>
          <DialogActions>
            {job.running ? <Button onClick={job.cancel}>Cancel</Button> : <Button onClick={() => setOpen(false)}>Close</Button>}
            <Button variant="contained" disabled={job.running || path.trim() === ''} onClick={() => run(path.trim())}>
              Export
            </Button>
          </DialogActions>
        </Dialog>
      )}
    </Stack>
  );
}

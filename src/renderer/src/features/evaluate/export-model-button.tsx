import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import FormControlLabel from '@mui/material/FormControlLabel';
import Paper from '@mui/material/Paper';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';
import { AppError } from '../../../../shared/contract/errors';
import type { exportFormats } from '../../../../shared/contract/reports';
import { useAppInfo } from '../../app/app-info-context';
import { ErrorAlert } from '../../components/error-alert';
import { FolderIcon } from '../../components/icons';
import { useApi } from '../../rpc/api-context';
import { runJob } from '../../jobs/run-job';
import { JobProgress } from '../../jobs/job-progress';
import { useJob } from '../../jobs/use-job';

type Format = (typeof exportFormats)[number];

interface Exported {
  outDir: string;
  files: string[];
  bytes: number;
}

const formats: Record<Format, { label: string; detail: string }> = {
  onnx: {
    label: 'ONNX (model.onnx)',
    detail:
      'One file for ONNX Runtime in Python, C++, C#, Java or the browser; the class names, threshold and preprocessing are in its metadata.',
  },
  tfjs: { label: 'TensorFlow.js Layers (model.json and weights.bin)', detail: 'For TensorFlow.js in the browser or Node.' },
};

function joinPath(dir: string, name: string): string {
  const separator = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(separator) ? `${dir}${name}` : `${dir}${separator}${name}`;
}

/**
 * Writes a run's whole network (backbone, pooling, head, sigmoid) into a folder: as one ONNX model or
 * as a TensorFlow.js Layers model, each with labels and a README of its preprocessing, at the
 * workspace's threshold. `mlw import-model` reads either back as a run.
 */
export function ExportModelButton({ runId, threshold }: { runId: string; threshold: number }): ReactNode {
  const api = useApi();
  const info = useAppInfo();
  const [format, setFormat] = useState<Format>('onnx');
  const [path, setPath] = useState('');
  const [pickError, setPickError] = useState<AppError | undefined>(undefined);
  const job = useJob<Exported>();
  const folder = path.trim() || joinPath(joinPath(info.dataDir, 'exports'), `${runId}-${format}`);

  const exportNow = (): void => {
    job.start((signal, onProgress) =>
      runJob<Exported>(api, 'reports.exportModel', { runId, format, outDir: folder, threshold }, `Exporting ${runId} (${format})`, {
        signal,
        onProgress,
      }),
    );
  };

  const chooseFolder = (): void => {
    api.app.pickPath({ kind: 'directory', title: 'Folder for the model' }).then(
      (picked) => picked !== null && setPath(joinPath(picked, `${runId}-${format}`)),
      (caught: unknown) => setPickError(AppError.from(caught)),
    );
  };

  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="export-model-heading">
      <Stack spacing={1.5}>
        <Typography variant="subtitle1" id="export-model-heading">
          Export the model
        </Typography>
        <RadioGroup row value={format} onChange={(event) => setFormat(event.target.value as Format)}>
          {(Object.keys(formats) as Format[]).map((id) => (
            <FormControlLabel
              key={id}
              value={id}
              control={<Radio size="small" slotProps={{ input: { 'data-testid': `export-model-format-${id}` } as object }} />}
              label={formats[id].label}
              disabled={job.running}
            />
          ))}
        </RadioGroup>
        <Typography variant="body2" color="text.secondary">
          {formats[format].detail} Threshold {threshold.toFixed(2)} is written as the recommended one. An earlier export in the folder is
          replaced; a folder with anything else in it is refused.
        </Typography>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
          <TextField
            fullWidth
            size="small"
            label="Folder"
            placeholder={folder}
            value={path}
            disabled={job.running}
            onChange={(event) => setPath(event.target.value)}
            slotProps={{ htmlInput: { 'data-testid': 'export-model-path', spellCheck: false } }}
          />
          {info.canPickPaths && (
            <Button onClick={chooseFolder} disabled={job.running} startIcon={<FolderIcon />} sx={{ flexShrink: 0 }}>
              Folder…
            </Button>
          )}
          <Button variant="contained" onClick={exportNow} disabled={job.running} sx={{ flexShrink: 0 }} data-testid="export-model">
            Export
          </Button>
        </Stack>
        {pickError !== undefined && <ErrorAlert error={pickError} />}
        <JobProgress job={job} label="Exporting the model" testId="export-model" cancelledText="The export was cancelled." />
        {job.state.status === 'done' && (
          <Alert severity="success" data-testid="export-model-done">
            Wrote {job.state.result.files.join(', ')} ({(job.state.result.bytes / 1024 / 1024).toFixed(1)} MB) to {job.state.result.outDir}.
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}

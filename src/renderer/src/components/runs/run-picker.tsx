import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import type { RunScores } from '../../../../shared/contract/evaluation';
import type { RunSummary } from '../../../../shared/contract/training';
import { baseName, countOf, formatCount } from '../format';

function runLabel(run: RunSummary): string {
  const when = new Date(run.createdAt);
  const date = Number.isNaN(when.getTime()) ? run.createdAt : when.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  // The default name already says the backbone and the mode.
  return `${run.name} · ${date}`;
}

/** Which completed run to judge (or predict with), and what its scores were computed on. */
export function RunPicker({
  runs,
  runId,
  onChange,
  scores,
  testId = 'evaluate-run',
}: {
  runs: readonly RunSummary[];
  runId: string;
  onChange: (runId: string) => void;
  scores: RunScores | undefined;
  /** Prefix of the select's and options' test ids (`evaluate-run-select`, `evaluate-run-option`). */
  testId?: string;
}): ReactNode {
  const run = runs.find((r) => r.runId === runId);
  return (
    <Stack spacing={1}>
      <TextField
        select
        label="Run"
        value={run === undefined ? '' : runId}
        onChange={(e) => onChange(e.target.value)}
        sx={{ maxWidth: 640 }}
        slotProps={{ htmlInput: { 'data-testid': `${testId}-select` } }}
      >
        {runs.map((r) => (
          <MenuItem key={r.runId} value={r.runId} data-testid={`${testId}-option`} data-run-id={r.runId}>
            {runLabel(r)}
          </MenuItem>
        ))}
      </TextField>
      {run !== undefined && (
        <Typography variant="body2" color="text.secondary">
          {run.runId}: {run.backbone}, {run.mode}, {countOf(run.categories.length, 'class', 'classes')}, trained on{' '}
          {formatCount(run.images.train)} images.
        </Typography>
      )}
      {scores !== undefined && (
        <Typography variant="body2" data-testid="evaluate-source" data-images={scores.imageIds.length}>
          Scores of <strong>{countOf(scores.imageIds.length, 'image', 'images')}</strong>
          {scores.source.validation ? ', the run’s validation set,' : ''} from{' '}
          <span title={scores.source.annotations}>{baseName(scores.source.annotations)}</span> (images in{' '}
          <span title={scores.source.images}>{scores.source.images}</span>).
        </Typography>
      )}
    </Stack>
  );
}

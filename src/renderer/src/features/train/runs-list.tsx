import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { ErrorAlert } from '../../components/error-alert';
import { formatDuration } from '../../components/format';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';

const statusColor = { completed: 'success', running: 'info', cancelled: 'default', failed: 'error' } as const;

/**
 * Recorded runs, newest first; `version` changes when a run ends, to reload. A cancelled or failed
 * run can be resumed from its last checkpoint (`onResume`, while no run is training).
 */
export function RunsList({
  version,
  onResume,
  canResume,
}: {
  version: number;
  onResume: (runId: string) => void;
  canResume: boolean;
}): ReactNode {
  const api = useApi();
  const runs = useRequest(`training.runs:${version}`, (signal) => api.runs.list({}, { signal }));
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="runs-heading" data-testid="runs-list" data-count={runs.data?.length ?? ''}>
      <Typography variant="h6" id="runs-heading" gutterBottom>
        Runs
      </Typography>
      {runs.error && <ErrorAlert error={runs.error} />}
      {runs.data?.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          No runs yet.
        </Typography>
      )}
      {runs.data !== undefined && runs.data.length > 0 && (
        <Table size="small">
          <TableHead>
            <TableRow>
              <TableCell>Run</TableCell>
              <TableCell>Id</TableCell>
              <TableCell>Status</TableCell>
              <TableCell>Mode</TableCell>
              <TableCell>Backbone</TableCell>
              <TableCell>Backend</TableCell>
              <TableCell align="right">Images (train / val)</TableCell>
              <TableCell align="right">Best val loss</TableCell>
              <TableCell align="right">Time</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {runs.data.map((r) => (
              <TableRow key={r.runId} data-testid="run-row" data-run-id={r.runId} data-status={r.status}>
                <TableCell title={r.categories.join(', ')}>{r.name}</TableCell>
                <TableCell sx={{ fontFamily: 'monospace', fontSize: '0.75rem' }}>{r.runId}</TableCell>
                <TableCell>
                  <Chip size="small" label={r.status} color={statusColor[r.status]} title={r.error ?? undefined} />
                </TableCell>
                <TableCell>{r.mode}</TableCell>
                <TableCell>{r.backbone}</TableCell>
                <TableCell>{r.backend ?? ''}</TableCell>
                <TableCell align="right">
                  {r.images.train} / {r.images.val}
                </TableCell>
                <TableCell align="right">{r.bestValidationLoss?.toFixed(4) ?? ''}</TableCell>
                <TableCell align="right">{r.seconds === null ? '' : formatDuration(r.seconds)}</TableCell>
                <TableCell>
                  {(r.status === 'cancelled' || r.status === 'failed') && r.mode !== 'imported' && (
                    <Button
                      size="small"
                      disabled={!canResume}
                      onClick={() => onResume(r.runId)}
                      title="Continue from its last checkpoint (written at each validation)"
                      data-testid="run-resume"
                    >
                      Resume
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Paper>
  );
}

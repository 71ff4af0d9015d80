import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import type { CompareResult } from '../../../../shared/contract/runs';
import { formatDiffCell, sameValue, type DiffCell } from '../../../../shared/domain/run-diff';
import type { ComparedRun } from './run-comparison';

function differsFromBaseline(cell: DiffCell, baseline: DiffCell | undefined): boolean {
  if (baseline === undefined) return false;
  if (cell.missing || baseline.missing) return cell.missing !== baseline.missing;
  return !sameValue(cell.value, baseline.value);
}

/** The settings that differ between the runs, one row each; a value unlike the baseline's is in bold. */
export function ConfigDiff({
  runs,
  diff,
  settings,
}: {
  runs: readonly ComparedRun[];
  diff: CompareResult['diff'];
  settings: number;
}): ReactNode {
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="config-diff-heading">
      <Typography variant="h6" id="config-diff-heading">
        Configuration
      </Typography>
      {diff.length === 0 ? (
        <Alert severity="success" sx={{ mt: 1 }} data-testid="config-identical">
          Identical settings: all {settings} settings of these runs are the same.
        </Alert>
      ) : (
        <>
          <Typography variant="body2" color="text.secondary" gutterBottom data-testid="config-diff-summary">
            Only what differs: {diff.length} of {settings} settings. A value unlike the baseline’s is in bold.
          </Typography>
          <TableContainer>
            <Table size="small" data-testid="config-diff" data-rows={diff.length}>
              <TableHead>
                <TableRow>
                  <TableCell component="th" scope="col">
                    Setting
                  </TableCell>
                  {runs.map((r) => (
                    <TableCell key={r.runId} component="th" scope="col">
                      <RunLabel run={r} />
                    </TableCell>
                  ))}
                </TableRow>
              </TableHead>
              <TableBody>
                {diff.map((row) => (
                  <TableRow key={row.key} data-testid="config-diff-row" data-key={row.key}>
                    <TableCell component="th" scope="row" sx={{ fontFamily: 'monospace', whiteSpace: 'nowrap' }}>
                      {row.key}
                    </TableCell>
                    {row.values.map((cell, i) => (
                      <TableCell
                        key={runs[i]?.runId ?? i}
                        data-testid="config-diff-value"
                        data-value={cell.missing ? '' : JSON.stringify(cell.value)}
                        data-missing={cell.missing}
                        sx={{
                          overflowWrap: 'anywhere',
                          maxWidth: 360,
                          fontWeight: i > 0 && differsFromBaseline(cell, row.values[0]) ? 700 : 400,
                          fontStyle: cell.missing ? 'italic' : 'normal',
                          color: cell.missing ? 'text.secondary' : 'text.primary',
                        }}
                      >
                        {formatDiffCell(cell)}
                      </TableCell>
                    ))}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        </>
      )}
    </Paper>
  );
}

/** A run's colour swatch and name, as every table and legend of the comparison shows it. */
export function RunLabel({ run, baseline = false }: { run: ComparedRun; baseline?: boolean }): ReactNode {
  return (
    <Box component="span" sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.75, minWidth: 0 }} title={run.runId}>
      <Box component="span" aria-hidden sx={{ width: 10, height: 10, borderRadius: '2px', flexShrink: 0, bgcolor: run.color }} />
      <Box component="span" sx={{ overflowWrap: 'break-word' }}>
        {run.name}
      </Box>
      {baseline && (
        <Box component="span" sx={{ color: 'text.secondary', fontSize: 12, fontWeight: 400, whiteSpace: 'nowrap' }}>
          (baseline)
        </Box>
      )}
    </Box>
  );
}

import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import InputAdornment from '@mui/material/InputAdornment';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMemo, useState, type ReactNode } from 'react';
import { AppError } from '../../../../shared/contract/errors';
import type { RunEntry } from '../../../../shared/contract/runs';
import { formatBytes } from '../../../../shared/domain/format';
import { ErrorAlert } from '../../components/error-alert';
import { FirstRunHint } from '../../components/runs/first-run-hint';
import { CloseIcon, CompareIcon } from '../../components/icons';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { DeleteRunDialog } from './delete-run-dialog';
import { RunComparison } from './run-comparison';
import { matchesFilter } from './runs-format';
import { RunsTable } from './runs-table';

const mostCompared = 8;

/**
 * The Runs workspace: every recorded run with its dataset, settings, timings and headline metrics;
 * filter, sort, rename in place, delete after a confirmation; choose two or more runs and compare
 * them side by side below the table.
 */
export function RunsWorkspace(): ReactNode {
  const api = useApi();
  const [version, setVersion] = useState(0);
  const runs = useRequest(`runs.list:${version}`, (signal) => api.runs.list({}, { signal }));
  const [filter, setFilter] = useState('');
  // In the order they were picked: the first is the baseline of every delta.
  const [selected, setSelected] = useState<string[]>([]);
  const [compared, setCompared] = useState<string[] | null>(null);
  const [deleting, setDeleting] = useState<RunEntry | null>(null);
  const [actionError, setActionError] = useState<AppError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const all = useMemo(() => runs.data ?? [], [runs.data]);
  const shown = useMemo(() => all.filter((r) => matchesFilter(r, filter)), [all, filter]);
  const known = useMemo(() => new Set(all.map((r) => r.runId)), [all]);
  // A run deleted elsewhere drops out of the choice.
  const chosen = runs.data === undefined ? selected : selected.filter((id) => known.has(id));
  const comparedRuns = compared?.filter((id) => runs.data === undefined || known.has(id)) ?? null;

  const toggle = (runId: string): void =>
    setSelected((current) => (current.includes(runId) ? current.filter((id) => id !== runId) : [...current, runId]));

  const rename = async (runId: string, name: string): Promise<void> => {
    setActionError(null);
    try {
      await api.runs.rename({ runId, name });
      setVersion((v) => v + 1);
    } catch (error) {
      setActionError(AppError.from(error));
    }
  };

  const remove = async (run: RunEntry): Promise<void> => {
    const result = await api.runs.delete({ runId: run.runId });
    setDeleting(null);
    setSelected((current) => current.filter((id) => id !== run.runId));
    setCompared((current) => {
      const left = current?.filter((id) => id !== run.runId) ?? null;
      return left !== null && left.length >= 2 ? left : null;
    });
    setNotice(
      result.folder === null
        ? `Deleted ${result.name}.`
        : `Deleted ${result.name} and its folder (${result.files} ${result.files === 1 ? 'file' : 'files'}, ${formatBytes(result.bytes)}).`,
    );
    setVersion((v) => v + 1);
  };

  const names = useMemo(() => new Map(all.map((r) => [r.runId, r.name])), [all]);
  const canCompare = chosen.length >= 2 && chosen.length <= mostCompared;

  return (
    <Stack spacing={2}>
      <Paper sx={{ p: 2 }} component="section" aria-labelledby="runs-heading">
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap', mb: 1.5 }}>
          <Typography variant="h6" id="runs-heading" sx={{ flexGrow: 1 }}>
            Runs
          </Typography>
          <TextField
            size="small"
            label="Filter"
            placeholder="name, backbone, category…"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            sx={{ width: 300 }}
            slotProps={{
              htmlInput: { 'data-testid': 'runs-filter' },
              input: {
                endAdornment:
                  filter === '' ? undefined : (
                    <InputAdornment position="end">
                      <Button size="small" onClick={() => setFilter('')} aria-label="Clear the filter" sx={{ minWidth: 0, p: 0.5 }}>
                        <CloseIcon sx={{ fontSize: 16 }} />
                      </Button>
                    </InputAdornment>
                  ),
              },
            }}
          />
          <Button
            variant="contained"
            startIcon={<CompareIcon />}
            disabled={!canCompare}
            onClick={() => setCompared([...chosen])}
            data-testid="runs-compare"
          >
            Compare{chosen.length >= 2 ? ` ${chosen.length}` : ''}
          </Button>
        </Box>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }} data-testid="runs-hint">
          {chosen.length === 0
            ? 'Tick two or more runs (up to 8) to compare them; the first one ticked is the baseline of the changes. Metrics are at 0.5 on each run’s validation images.'
            : chosen.length === 1
              ? `${names.get(chosen[0]!) ?? chosen[0]} is the baseline; tick at least one more run to compare.`
              : chosen.length > mostCompared
                ? `${chosen.length} runs are ticked; compare at most ${mostCompared} at a time.`
                : `Baseline: ${names.get(chosen[0]!) ?? chosen[0]}; ${chosen.length - 1} more ticked.`}
        </Typography>
        {runs.error !== undefined && <ErrorAlert error={runs.error} action={<Button onClick={runs.reload}>Retry</Button>} />}
        {actionError !== null && (
          <ErrorAlert error={actionError} onClose={() => setActionError(null)} sx={{ mb: 1 }} data-testid="runs-error" />
        )}
        {runs.data === undefined && runs.error === undefined && <LinearProgress aria-label="Loading runs" />}
        {runs.data !== undefined && all.length === 0 && (
          <FirstRunHint testId="runs-empty" then="Every run is recorded here (those of “mlw train” too); tick two to compare them." />
        )}
        {all.length > 0 && shown.length === 0 && (
          <Alert severity="info" data-testid="runs-no-match">
            No run matches “{filter}”.
          </Alert>
        )}
        {shown.length > 0 && (
          <RunsTable runs={shown} selected={chosen} onToggle={toggle} onRename={rename} onDelete={(run) => setDeleting(run)} />
        )}
        {all.length > 0 && shown.length < all.length && shown.length > 0 && (
          <Typography variant="caption" color="text.secondary" sx={{ display: 'block', mt: 1 }}>
            {shown.length} of {all.length} runs match the filter.
          </Typography>
        )}
      </Paper>
      {comparedRuns !== null && comparedRuns.length >= 2 && (
        <RunComparison key={comparedRuns.join('|')} runIds={comparedRuns} names={names} onClose={() => setCompared(null)} />
      )}
      <DeleteRunDialog run={deleting} onCancel={() => setDeleting(null)} onDelete={remove} />
      <Snackbar
        open={notice !== null}
        autoHideDuration={5000}
        onClose={() => setNotice(null)}
        message={notice}
        anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}
        data-testid="runs-notice"
      />
    </Stack>
  );
}

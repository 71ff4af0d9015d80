import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useDeferredValue, useMemo, useState, type ReactNode } from 'react';
import type { RunScores } from '../../../../shared/contract/evaluation';
import type { CompareResult, ComparedHistory, RunEntry } from '../../../../shared/contract/runs';
import { evaluate } from '../../../../shared/domain/metrics';
import { ErrorAlert } from '../../components/error-alert';
import { ExportReportButton } from '../../components/export-report-button';
import { formatCount, formatDuration } from '../../components/format';
import { CloseIcon } from '../../components/icons';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { buildScoreModel, type ScoreModel } from '../../components/runs/score-model';
import { PrOverlay, SweepOverlay, TrainingCurves } from './compare-charts';
import { CompareMetrics } from './compare-metrics';
import { ConfigDiff, RunLabel } from './config-diff';
import { datasetLabel, formatRunDate, runColor } from './runs-format';

/** One compared run, with everything about it that does not depend on its threshold. */
export interface ComparedRun {
  runId: string;
  /** The latest name (a rename shows at once). */
  name: string;
  color: string;
  entry: RunEntry;
  history: ComparedHistory;
  /** Its validation scores with the threshold-free figures (AP, curves, sweep); null where it has none. */
  model: ScoreModel | null;
}

interface Loaded {
  result: CompareResult;
  scores: (RunScores | null)[];
}

/**
 * Two to eight runs side by side: what they are, the settings that differ, their metrics at each run's
 * threshold with per-class changes, and their training curves, threshold sweeps and PR curves overlaid.
 */
export function RunComparison({
  runIds,
  names,
  onClose,
}: {
  runIds: readonly string[];
  names: ReadonlyMap<string, string>;
  onClose: () => void;
}): ReactNode {
  const api = useApi();
  const loaded = useRequest<Loaded>(`runs.compare:${runIds.join('|')}`, async (signal) => {
    const result = await api.runs.compare({ runIds: [...runIds] }, { signal });
    // The matrices the Evaluate workspace loads; every figure is computed from them here, live.
    const scores = await Promise.all(
      result.runs.map((r) => (r.metrics === null ? null : api.evaluation.scores({ runId: r.runId }, { signal }))),
    );
    return { result, scores };
  });

  const header = (
    <>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
        <Typography variant="h6" id="comparison-heading" sx={{ flexGrow: 1 }}>
          Comparing {runIds.length} runs
        </Typography>
        <Button size="small" startIcon={<CloseIcon />} onClick={onClose} data-testid="comparison-close">
          Close
        </Button>
      </Box>
      {loaded.loading && <LinearProgress aria-label="Loading the runs to compare" sx={{ mt: 1 }} />}
      {loaded.error !== undefined && (
        <ErrorAlert
          error={loaded.error}
          sx={{ mt: 1 }}
          action={<Button onClick={loaded.reload}>Retry</Button>}
          data-testid="comparison-error"
        />
      )}
    </>
  );
  return (
    <Stack spacing={2} component="section" aria-labelledby="comparison-heading" data-testid="run-comparison" data-runs={runIds.join(',')}>
      {loaded.data === undefined ? (
        <Paper sx={{ p: 2 }}>{header}</Paper>
      ) : (
        <LoadedComparison key={loaded.dataKey} loaded={loaded.data} names={names} header={header} />
      )}
    </Stack>
  );
}

function useComparedRuns(loaded: Loaded, names: ReadonlyMap<string, string>): ComparedRun[] {
  const models = useMemo(() => loaded.scores.map((s) => (s === null ? null : buildScoreModel(s))), [loaded]);
  return useMemo(
    () =>
      loaded.result.runs.map((entry, i) => ({
        runId: entry.runId,
        name: names.get(entry.runId) ?? entry.name,
        color: runColor(i),
        entry,
        history: loaded.result.histories[i] ?? { runId: entry.runId, iterations: 0, training: [], validation: [] },
        model: models[i] ?? null,
      })),
    [loaded, names, models],
  );
}

/** What each run is: date, dataset, backbone, mode, backend, duration and status. */
function RunsOverview({ runs }: { runs: readonly ComparedRun[] }): ReactNode {
  return (
    <TableContainer sx={{ mt: 1 }}>
      <Table size="small" data-testid="comparison-runs" sx={{ '& th': { whiteSpace: 'nowrap' } }}>
        <TableHead>
          <TableRow>
            <TableCell>Run</TableCell>
            <TableCell>Date</TableCell>
            <TableCell>Dataset</TableCell>
            <TableCell title="Backbone; below it the training mode and the compute backend">Backbone</TableCell>
            <TableCell align="right">Iterations</TableCell>
            <TableCell align="right">Best val loss</TableCell>
            <TableCell align="right">Duration</TableCell>
            <TableCell>Status</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {runs.map((run, i) => (
            <TableRow key={run.runId} data-testid="comparison-run" data-run-id={run.runId}>
              <TableCell component="th" scope="row" sx={{ fontWeight: 500, minWidth: 160, whiteSpace: 'normal !important' }}>
                <RunLabel run={run} baseline={i === 0} />
              </TableCell>
              <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatRunDate(run.entry.createdAt)}</TableCell>
              <TableCell title={run.entry.dataset.categories.join(', ')} sx={{ minWidth: 200 }}>
                {datasetLabel(run.entry)}
                <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                  {formatCount(run.entry.dataset.train.count)} train / {formatCount(run.entry.dataset.val.count)} val images
                </Typography>
              </TableCell>
              <TableCell>
                {run.entry.backbone}
                <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                  {run.entry.mode} · {run.entry.backend ?? 'no backend yet'}
                </Typography>
              </TableCell>
              <TableCell align="right">{run.history.iterations === 0 ? '—' : formatCount(run.history.iterations)}</TableCell>
              <TableCell align="right">{run.entry.bestValidationLoss?.toFixed(4) ?? '—'}</TableCell>
              <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                {run.entry.seconds === null ? '—' : formatDuration(run.entry.seconds)}
              </TableCell>
              <TableCell>{run.entry.status}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

/** The panels; keyed by the loaded comparison so thresholds start at 0.5 for another set of runs. */
function LoadedComparison({ loaded, names, header }: { loaded: Loaded; names: ReadonlyMap<string, string>; header: ReactNode }): ReactNode {
  const runs = useComparedRuns(loaded, names);
  const [thresholds, setThresholds] = useState<number[]>(() => runs.map(() => 0.5));
  // One pass over each matrix per threshold change: the average precisions are computed once per run.
  const metrics = useMemo(
    () =>
      runs.map((run, i) =>
        run.model === null
          ? null
          : evaluate(run.model.matrix, thresholds[i] ?? 0.5, { sweep: [], averagePrecisions: run.model.averagePrecisions }),
      ),
    [runs, thresholds],
  );
  // The charts may lag a frame behind the tables while a threshold is typed.
  const judged = useMemo(() => ({ thresholds, metrics }), [thresholds, metrics]);
  const deferred = useDeferredValue(judged);
  const onThreshold = (index: number, threshold: number): void =>
    setThresholds((current) => current.map((t, i) => (i === index ? threshold : t)));
  const withoutScores = runs.filter((r) => r.model === null);
  return (
    <>
      <Paper sx={{ p: 2 }}>
        {header}
        <RunsOverview runs={runs} />
      </Paper>
      <ConfigDiff runs={runs} diff={loaded.result.diff} settings={loaded.result.settings} />
      {withoutScores.length > 0 && (
        <Alert severity="info" data-testid="comparison-without-scores">
          {withoutScores.map((r) => r.name).join(', ')} {withoutScores.length === 1 ? 'has' : 'have'} no validation scores (a run stores
          them when its training completes), so {withoutScores.length === 1 ? 'it is' : 'they are'} left out of the metrics and curves of
          scores.
        </Alert>
      )}
      <ExportReportButton runId={runs[0]!.runId} compare={runs.slice(1).map((r) => r.runId)} threshold={thresholds[0] ?? 0.5} />
      <CompareMetrics runs={runs} thresholds={thresholds} onThreshold={onThreshold} metrics={metrics} />
      <TrainingCurves runs={runs} />
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', lg: '1fr 1fr' } }}>
        <SweepOverlay runs={runs} thresholds={deferred.thresholds} metrics={deferred.metrics} />
        <PrOverlay runs={runs} metrics={deferred.metrics} />
      </Box>
    </>
  );
}

import Alert from '@mui/material/Alert';
import LinearProgress from '@mui/material/LinearProgress';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useDeferredValue, useMemo, useState, type ReactNode } from 'react';
import { z } from 'zod';
import { usePersistentState } from '../../components/use-persistent-state';
import type { JudgedLabels, RunScores } from '../../../../shared/contract/evaluation';
import { appliedThresholds, evaluate, thresholdsInWords, type Thresholds } from '../../../../shared/domain/metrics';
import { ErrorAlert } from '../../components/error-alert';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { ClassTable } from './class-table';
import { ConfusionGrid } from './confusion-grid';
import { ErrorGalleries } from './error-galleries';
import { ExportModelButton } from './export-model-button';
import { ExportReportButton } from '../../components/export-report-button';
import { PrCurves } from './pr-curves';
import { RunPicker } from '../../components/runs/run-picker';
import { SweepPlots } from './sweep-plots';
import { ThresholdPanel } from './threshold-panel';
import { CompletedRunsStatus, useCompletedRuns } from '../../components/runs/completed-runs';
import { buildScoreModel, withRunTemperature } from '../../components/runs/score-model';
import { CalibrationPanel } from './calibration-panel';
import { useTemperaturePreference } from '../../components/runs/temperature-switch';
import type { RunCalibration } from '../../../../shared/contract/calibration';

/**
 * The Evaluate workspace: a completed run's validation scores, loaded once, judged as the reference
 * example does (F1, Jaccard, confusion charts, the threshold study) and past it (PR curves, AP, tuned
 * per-class thresholds, calibration, the most confident mistakes). Every figure is computed here with
 * the shared metric functions, so it follows the slider at once and equals what `mlw evaluate` prints
 * (with temperature scaling on, what `mlw evaluate --calibrated` prints).
 */
export function EvaluateWorkspace(): ReactNode {
  const api = useApi();
  const runs = useCompletedRuns();
  const { completed, choose: remember } = runs;
  const runId = runs.run?.runId ?? null;
  // Which labels the scores are judged against: those stored with them, the file's as imported, or its labels now with edits.
  const [labels, setLabels] = useState<JudgedLabels>('run');
  const key = `evaluation.scores:${runId}:${labels}`;
  const scores = useRequest(runId === null ? null : key, (signal) => api.evaluation.scores({ runId: runId ?? '', labels }, { signal }));
  // A run's matrix only once its own request has answered, never the previous run's.
  const current = scores.dataKey === key ? scores.data : undefined;

  return (
    <Stack spacing={2} data-run-id={runId ?? ''}>
      <Paper sx={{ p: 2 }} component="section" aria-labelledby="evaluate-heading">
        <Typography variant="h6" id="evaluate-heading" gutterBottom>
          Evaluate a run
        </Typography>
        <CompletedRunsStatus {...runs} testId="evaluate-no-runs" whenNone="When it finishes, its validation scores are judged here." />
        {runId !== null && <RunPicker runs={completed} runId={runId} onChange={remember} scores={current} />}
        {runId !== null && (
          <TextField
            select
            size="small"
            label="Judged on"
            value={labels}
            onChange={(event) => setLabels(event.target.value as JudgedLabels)}
            sx={{ mt: 2, minWidth: 360 }}
            slotProps={{ htmlInput: { 'data-testid': 'evaluate-labels' } }}
            helperText="Labels corrected in the Dataset workspace change what counts as right."
          >
            <MenuItem value="run">The labels the run was validated on</MenuItem>
            <MenuItem value="original">The annotation file as imported</MenuItem>
            <MenuItem value="corrected">The corrected labels (label edits now)</MenuItem>
          </TextField>
        )}
        {runId !== null && scores.loading && <LinearProgress aria-label="Loading the run's scores" sx={{ mt: 2 }} />}
        {scores.error !== undefined && <ErrorAlert error={scores.error} sx={{ mt: 2 }} data-testid="evaluate-scores-error" />}
        {current !== undefined && current.imageIds.length === 0 && (
          <Alert severity="info" sx={{ mt: 2 }} data-testid="evaluate-empty">
            This run scored no images, so there is nothing to judge. Train a run whose validation set has images of the chosen classes.
          </Alert>
        )}
      </Paper>
      {current !== undefined && current.imageIds.length > 0 && (
        <Evaluation key={current.runId} scores={current} calibration={runs.run?.runId === current.runId ? runs.run.calibration : null} />
      )}
    </Stack>
  );
}

const evaluationView = z.object({
  threshold: z.number().min(0).max(1),
  perClass: z.boolean(),
});

/** The panels of one run's scores; keyed by run, each run with its own threshold and toggles. */
function Evaluation({ scores, calibration }: { scores: RunScores; calibration: RunCalibration | null }): ReactNode {
  // Kept per run, across tab switches and reloads.
  const [view, setView] = usePersistentState(`mlw.evaluate.${scores.runId}`, evaluationView, {
    threshold: 0.5,
    perClass: false,
  });
  const { threshold, perClass } = view;
  // One choice per run, shared with the Predict workspace.
  const [calibrated, setCalibrated] = useTemperaturePreference(scores.runId);
  // With temperature scaling on, every figure below is of the scaled scores.
  const temperature = calibrated && calibration !== null ? calibration.temperature : null;
  const model = useMemo(
    () => buildScoreModel(temperature === null ? scores : withRunTemperature(scores, temperature)),
    [scores, temperature],
  );
  const setThreshold = (value: number): void => setView((v) => ({ ...v, threshold: value }));
  const setPerClass = (value: boolean | ((current: boolean) => boolean)): void =>
    setView((v) => ({ ...v, perClass: typeof value === 'function' ? value(v.perClass) : value }));
  // One pass over the matrix per slider move: the sweep and the average precisions do not depend on the threshold.
  const global = useMemo(
    () => evaluate(model.matrix, threshold, { sweep: [], averagePrecisions: model.averagePrecisions }),
    [model, threshold],
  );
  const tuned = useMemo(
    () =>
      perClass
        ? evaluate(model.matrix, threshold, {
            sweep: [],
            averagePrecisions: model.averagePrecisions,
            perClassThresholds: appliedThresholds(model.tuned, threshold),
          })
        : null,
    [model, threshold, perClass],
  );
  // The charts, tables and galleries may lag a frame behind the headline figures while the slider moves.
  const judged = useMemo(() => ({ threshold, tuned, metrics: tuned ?? global }), [threshold, tuned, global]);
  const deferred = useDeferredValue(judged);
  const thresholds: Thresholds = useMemo(
    () => (deferred.tuned !== null ? appliedThresholds(model.tuned, deferred.threshold) : deferred.threshold),
    [deferred, model],
  );

  return (
    <>
      <ThresholdPanel
        threshold={threshold}
        onThreshold={setThreshold}
        perClass={perClass}
        onPerClass={setPerClass}
        global={global}
        tuned={tuned}
        rows={model.matrix.rows}
        validation={scores.source.validation}
        appliedInWords={thresholdsInWords(threshold, perClass ? model.tuned : null)}
      />
      <CalibrationPanel figures={model.calibration} calibration={calibration} on={temperature !== null} onToggle={setCalibrated} />
      <ExportReportButton runId={scores.runId} threshold={threshold} />
      <ExportModelButton runId={scores.runId} threshold={threshold} />
      <SweepPlots fine={model.fineSweep} example={model.exampleSweep} threshold={deferred.threshold} tuned={deferred.tuned} />
      <ConfusionGrid perClass={deferred.metrics.perClass} />
      <ClassTable perClass={deferred.metrics.perClass} eceByClass={model.calibration.eceByClass} />
      <PrCurves
        classes={scores.classes}
        curves={model.curves}
        averagePrecisions={model.averagePrecisions}
        perClass={deferred.metrics.perClass}
      />
      <ErrorGalleries model={model} thresholds={thresholds} />
    </>
  );
}
